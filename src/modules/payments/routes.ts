// The payments API for buyers and sellers, and the provider's callbacks (admin routes: admin-routes.ts).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuth } from '../../shared/auth.js';
import { AppError, notFound, problems } from '../../shared/errors.js';
import { idParam } from '../../shared/pagination.js';
import { toDarTime } from '../../shared/time.js';
import {
  collectionSchema,
  disbursementSchema,
  list,
  type PaymentRouteDeps,
  toCollection,
  toDisbursement,
} from './dto.js';
import { SIMULATED_OUTCOMES } from './port.js';

export function paymentRoutes(deps: PaymentRouteDeps): FastifyPluginAsyncZod {
  const { payments } = deps;
  return async (app) => {
    const buyer = requireAuth('buyer');
    const seller = requireAuth('seller');
    const s = { security: bearerSecurity };

    app.post(
      '/payments/checkouts/:id/collections',
      {
        preHandler: buyer,
        config: { rateLimit: { max: deps.collectionsPerHour, timeWindow: '1 hour' } },
        schema: {
          ...s,
          tags: ['payments'],
          summary: "Push the payment prompt to the payer's phone (again, after a failure)",
          description:
            'One prompt in flight per checkout. The simulator picks its outcome from the last digits of the phone (901 cancel, 902 timeout, 903 insufficient funds, 904 wrong PIN, 905 never calls back) or from `simulate`.',
          params: idParam,
          body: z
            .strictObject({
              phone: z
                .string()
                .min(1)
                .max(32)
                .optional()
                .describe('Pay from another number than the checkout named'),
              simulate: z.enum(SIMULATED_OUTCOMES).optional().describe('Simulator only: the outcome to play'),
            })
            .nullish(),
          response: { 202: collectionSchema, ...problems(400, 401, 403, 404, 409, 422, 429) },
        },
      },
      async (request, reply) => {
        const body = request.body ?? {};
        if (body.simulate && !deps.simulatorActive) {
          throw new AppError(
            'SIMULATOR_ONLY',
            422,
            'simulate is only accepted when the simulator is the provider.',
            {
              field: 'simulate',
            },
          );
        }
        const msisdn = body.phone ? deps.requireMobile(body.phone, 'phone') : undefined;
        const c = await payments.startCollection(caller(request).userId, request.params.id, {
          msisdn,
          simulate: body.simulate,
        });
        return reply.code(202).send(toCollection(c));
      },
    );

    app.get(
      '/payments/checkouts/:id',
      {
        preHandler: buyer,
        schema: {
          ...s,
          tags: ['payments'],
          summary: 'Where the payment of my checkout stands, with every push made for it',
          params: idParam,
          response: {
            200: z.object({
              checkout_id: z.uuid(),
              status: z.string(),
              amount: z.number().int(),
              currency: z.string(),
              expires_at: z.string(),
              collections: z.array(collectionSchema),
            }),
            ...problems(400, 401, 403, 404),
          },
        },
      },
      async (request) => {
        const c = await deps.checkouts.find(deps.db, request.params.id);
        if (!c || c.buyerId !== caller(request).userId) throw notFound('Checkout');
        const collections = await payments.collectionsOfCheckout(c.id);
        return {
          checkout_id: c.id,
          status: c.status,
          amount: c.totalAmount,
          currency: c.currency,
          expires_at: toDarTime(c.expiresAt),
          collections: collections.map(toCollection),
        };
      },
    );

    app.get(
      '/payments/refunds',
      {
        preHandler: buyer,
        schema: {
          ...s,
          tags: ['payments'],
          summary: 'My refunds, newest first, with where each stands',
          response: { 200: list(disbursementSchema), ...problems(401, 403) },
        },
      },
      async (request) => ({
        items: (await payments.disbursementsOf({ partyId: caller(request).userId, kind: 'refund' })).map(
          toDisbursement,
        ),
      }),
    );

    app.get(
      '/seller/payouts',
      {
        preHandler: seller,
        schema: {
          ...s,
          tags: ['seller'],
          summary: 'My payouts, newest first',
          response: { 200: list(disbursementSchema), ...problems(401, 403) },
        },
      },
      async (request) => ({
        items: (await payments.disbursementsOf({ partyId: caller(request).userId, kind: 'payout' })).map(
          toDisbursement,
        ),
      }),
    );

    // The provider's side: no sign-in, so the secret path token, the optional IP list and the
    // checks in receiveCallback stand in for one. Strangers can reach it: a per-address cap.
    app.post(
      '/payments/callbacks/:provider/:kind/:token',
      {
        config: { rateLimit: { max: deps.callbacksPerMinute, timeWindow: '1 minute' } },
        schema: {
          tags: ['payments'],
          summary: 'Provider callback (M-Pesa result); the path carries a secret token',
          params: z.strictObject({
            provider: z.string().min(1).max(32),
            kind: z.enum(['collection', 'disbursement']),
            token: z.string().min(1).max(128),
          }),
          body: z.unknown(),
          response: { 200: z.unknown(), ...problems(400, 403, 404, 413, 415, 429) },
        },
      },
      async (request, reply) => {
        const r = await payments.receiveCallback({
          provider: request.params.provider,
          kind: request.params.kind,
          token: request.params.token,
          body: request.body,
          ip: request.ip ?? null,
        });
        // The provider's own reply format and status (adapters answer 200).
        return reply.code(r.status as 200).send(r.body);
      },
    );
  };
}
