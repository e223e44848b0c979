import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuth } from '../../shared/auth.js';
import { AppError, notFound, problems } from '../../shared/errors.js';
import { approvalRequestedSchema, type Gated, toApprovalRequested } from '../../shared/four-eyes.js';
import { idParam } from '../../shared/pagination.js';
import { toDarTime, toDarTimeOrNull } from '../../shared/time.js';
import {
  CALLBACK_VERDICTS,
  COLLECTION_STATUSES,
  COLLECTION_USES,
  DISBURSEMENT_KINDS,
  DISBURSEMENT_STATUSES,
} from './model.js';
import { SIMULATED_OUTCOMES } from './port.js';
import type { CheckoutPort, Collection, Disbursement, PaymentsService } from './service.js';

const collectionSchema = z
  .object({
    id: z.uuid(),
    checkout_id: z.uuid(),
    status: z.enum(COLLECTION_STATUSES),
    used_for: z.enum(COLLECTION_USES).nullable().describe('What the money paid for, once it arrived'),
    provider: z.string(),
    phone: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    receipt: z.string().nullable(),
    result_code: z.string().nullable(),
    result_message: z.string().nullable(),
    created_at: z.string(),
    decided_at: z.string().nullable(),
  })
  .meta({ id: 'PaymentCollection' });

const disbursementSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(DISBURSEMENT_KINDS),
    status: z.enum(DISBURSEMENT_STATUSES),
    party_id: z.uuid(),
    order_id: z.uuid().nullable(),
    checkout_id: z.uuid().nullable(),
    phone: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    reason: z.string(),
    attempts: z.number().int(),
    receipt: z.string().nullable(),
    result_code: z.string().nullable(),
    result_message: z.string().nullable(),
    created_at: z.string(),
    decided_at: z.string().nullable(),
  })
  .meta({ id: 'Disbursement' });

const toCollection = (c: Collection) => ({
  id: c.id,
  checkout_id: c.checkoutId,
  status: c.status,
  used_for: c.usedFor,
  provider: c.provider,
  phone: c.msisdn,
  amount: c.amount,
  currency: c.currency,
  receipt: c.receipt,
  result_code: c.resultCode,
  result_message: c.resultMessage,
  created_at: toDarTime(c.createdAt),
  decided_at: toDarTimeOrNull(c.decidedAt),
});

const toDisbursement = (d: Disbursement) => ({
  id: d.id,
  kind: d.kind,
  status: d.status,
  party_id: d.partyId,
  order_id: d.orderId,
  checkout_id: d.checkoutId,
  phone: d.msisdn,
  amount: d.amount,
  currency: d.currency,
  reason: d.reason,
  attempts: d.attempts,
  receipt: d.receipt,
  result_code: d.resultCode,
  result_message: d.resultMessage,
  created_at: toDarTime(d.createdAt),
  decided_at: toDarTimeOrNull(d.decidedAt),
});

const list = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
const reasonBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });

/** The four-eyes gate of the admin money commands (the console owns the approvals; composition binds it). */
export interface PaymentsFourEyes {
  payout(
    party: 'seller' | 'rider',
    partyId: string,
    by: { userId: string; reason: string },
  ): Promise<Gated<Disbursement>>;
  retryRefund(id: string, adminId: string, reason: string): Promise<Gated<Disbursement>>;
}

export interface PaymentRouteDeps {
  fourEyes: PaymentsFourEyes;
  payments: PaymentsService;
  checkouts: CheckoutPort;
  db: Parameters<CheckoutPort['find']>[0];
  requireMobile: (input: string, field: string) => string;
  simulatorActive: boolean;
  collectionsPerHour: number;
  callbacksPerMinute: number;
}

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

export function adminPaymentRoutes(deps: PaymentRouteDeps): FastifyPluginAsyncZod {
  const { payments } = deps;
  return async (app) => {
    const admin = requireAuth('admin');
    const s = { security: bearerSecurity, tags: ['admin'] };

    app.get(
      '/payments/collections',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary: 'Payment pushes, newest first (200 at most)',
          querystring: z.strictObject({ status: z.enum(COLLECTION_STATUSES).optional() }),
          response: { 200: list(collectionSchema), ...problems(400, 401, 403) },
        },
      },
      async (request) => ({
        items: (await payments.collectionsList({ status: request.query.status })).map(toCollection),
      }),
    );

    app.get(
      '/payments/disbursements',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary: 'Refunds and payouts, newest first (200 at most)',
          querystring: z.strictObject({
            kind: z.enum(DISBURSEMENT_KINDS).optional(),
            status: z.enum(DISBURSEMENT_STATUSES).optional(),
            party_id: z.uuid().optional(),
            order_id: z.uuid().optional(),
          }),
          response: { 200: list(disbursementSchema), ...problems(400, 401, 403) },
        },
      },
      async (request) => {
        const q = request.query;
        const rows = await payments.disbursementsOf({
          kind: q.kind,
          status: q.status,
          partyId: q.party_id,
          orderId: q.order_id,
        });
        return { items: rows.map(toDisbursement) };
      },
    );

    app.post(
      '/payments/payouts',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary: "Pay a seller's available balance now",
          body: z.strictObject({ seller_id: z.uuid(), reason: z.string().trim().min(1).max(500) }),
          response: {
            201: disbursementSchema,
            202: approvalRequestedSchema,
            ...problems(400, 401, 403, 404, 409, 422),
          },
        },
      },
      async (request, reply) => {
        const r = await deps.fourEyes.payout('seller', request.body.seller_id, {
          userId: caller(request).userId,
          reason: request.body.reason,
        });
        if (r.approval) return reply.code(202).send(toApprovalRequested(r.approval));
        return reply.code(201).send(toDisbursement(r.done));
      },
    );

    app.post(
      '/payments/rider-payouts',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary: "Pay a rider's earned delivery-fee share now (to the rider's own phone)",
          body: z.strictObject({ rider_id: z.uuid(), reason: z.string().trim().min(1).max(500) }),
          response: {
            201: disbursementSchema,
            202: approvalRequestedSchema,
            ...problems(400, 401, 403, 404, 409, 422),
          },
        },
      },
      async (request, reply) => {
        const r = await deps.fourEyes.payout('rider', request.body.rider_id, {
          userId: caller(request).userId,
          reason: request.body.reason,
        });
        if (r.approval) return reply.code(202).send(toApprovalRequested(r.approval));
        return reply.code(201).send(toDisbursement(r.done));
      },
    );

    app.post(
      '/payments/payouts/:id/resolve',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary:
            'Settle a payout whose failure only the provider callback reported: sent (with its receipt) or not sent (back to available)',
          params: idParam,
          body: z.strictObject({
            sent: z.boolean(),
            receipt: z.string().trim().min(1).max(40).optional(),
            reason: z.string().trim().min(1).max(500),
          }),
          response: { 200: disbursementSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        toDisbursement(await payments.resolvePayout(request.params.id, caller(request).userId, request.body)),
    );

    app.post(
      '/payments/refunds/:id/retry',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary: 'Send a failed refund again (new attempt, new reference)',
          params: idParam,
          body: reasonBody,
          response: {
            200: disbursementSchema,
            202: approvalRequestedSchema,
            ...problems(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        const r = await deps.fourEyes.retryRefund(
          request.params.id,
          caller(request).userId,
          request.body.reason,
        );
        if (r.approval) return reply.code(202).send(toApprovalRequested(r.approval));
        return toDisbursement(r.done);
      },
    );

    app.get(
      '/payments/callbacks',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary: 'Callbacks received, with the verdict on each (forged ones included)',
          querystring: z.strictObject({ verdict: z.enum(CALLBACK_VERDICTS).optional() }),
          response: {
            200: list(
              z.object({
                id: z.uuid(),
                provider: z.string(),
                kind: z.string(),
                verdict: z.enum(CALLBACK_VERDICTS),
                detail: z.string().nullable(),
                remote_ip: z.string().nullable(),
                collection_id: z.uuid().nullable(),
                disbursement_id: z.uuid().nullable(),
                body: z.unknown(),
                received_at: z.string(),
              }),
            ),
            ...problems(400, 401, 403),
          },
        },
      },
      async (request) => ({
        items: (await payments.callbacksList({ verdict: request.query.verdict })).map((c) => ({
          id: c.id,
          provider: c.provider,
          kind: c.kind,
          verdict: c.verdict,
          detail: c.detail,
          remote_ip: c.remoteIp,
          collection_id: c.collectionId,
          disbursement_id: c.disbursementId,
          body: c.body,
          received_at: toDarTime(c.createdAt),
        })),
      }),
    );

    app.get(
      '/payments/provider-calls',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary: 'Stored provider requests and replies for one reference (secrets masked)',
          querystring: z.strictObject({ reference: z.string().regex(/^[0-9a-f]{32}$/) }),
          response: {
            200: list(
              z.object({
                operation: z.string(),
                method: z.string(),
                url: z.string(),
                request_body: z.unknown(),
                response_status: z.number().int().nullable(),
                response_body: z.unknown(),
                error: z.string().nullable(),
                duration_ms: z.number().int(),
                at: z.string(),
              }),
            ),
            ...problems(400, 401, 403),
          },
        },
      },
      async (request) => ({
        items: (await payments.providerCalls(request.query.reference)).map((c) => ({
          operation: c.operation,
          method: c.method,
          url: c.url,
          request_body: c.requestBody,
          response_status: c.responseStatus,
          response_body: c.responseBody,
          error: c.error,
          duration_ms: c.durationMs,
          at: toDarTime(c.createdAt),
        })),
      }),
    );
  };
}
