// The seller's orders API: my orders, the transitions a seller makes, delivery with proof, my balance;
// and the rider's earnings (a ledger read beside the seller's balance).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuth } from '../../shared/auth.js';
import { problems } from '../../shared/errors.js';
import { idParam } from '../../shared/pagination.js';
import { account } from '../ledger/index.js';
import {
  listOrdersRoute,
  noBody,
  type OrderRouteDeps,
  orderDetailSchema,
  orderSchema,
  reasonBody,
  toDetail,
  toOrder,
} from './dto.js';
import type { OrderEvent } from './machine.js';

const deliverBody = z.union([
  z.strictObject({
    code: z.string().regex(/^\d{4,6}$/, 'the 4–6 digit code the buyer gives'),
    location: z
      .strictObject({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) })
      .describe('Where the handover happened'),
  }),
  z.strictObject({
    photo_media_id: z.uuid().describe('An upload with purpose delivery_proof'),
    location: z.strictObject({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) }),
    note: z.string().trim().min(1).max(500),
  }),
]);

export function sellerOrderRoutes(deps: OrderRouteDeps): FastifyPluginAsyncZod {
  const { orders } = deps;
  return async (app) => {
    const seller = requireAuth('seller');
    const s = { security: bearerSecurity };

    listOrdersRoute(app, orders, '/seller/orders', 'seller', 'seller', 'My orders as a seller, newest first');
    app.get(
      '/seller/orders/:id',
      {
        preHandler: seller,
        schema: {
          ...s,
          tags: ['seller'],
          summary: 'One of my orders as a seller',
          params: idParam,
          response: { 200: orderDetailSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) =>
        toDetail(
          await orders.view(request.params.id, { userId: caller(request).userId, role: 'seller' }),
          'seller',
        ),
    );
    const sellerAction = (path: string, event: OrderEvent, summary: string, needsReason: boolean) =>
      app.post(
        `/seller/orders/:id/${path}`,
        {
          preHandler: seller,
          schema: {
            ...s,
            tags: ['seller'],
            summary,
            params: idParam,
            body: needsReason ? reasonBody : noBody,
            response: { 200: orderSchema, ...problems(400, 401, 403, 404, 409, 422) },
          },
        },
        async (request) => {
          const note = (request.body as { reason?: string } | undefined)?.reason;
          return toOrder(
            await orders.act(
              request.params.id,
              event,
              { userId: caller(request).userId, role: 'seller' },
              note,
            ),
            'seller',
          );
        },
      );
    sellerAction('accept', 'accept', 'Accept a paid order', false);
    sellerAction(
      'reject',
      'reject',
      'Reject a paid order (the buyer is refunded in full; it counts against you)',
      true,
    );
    sellerAction('ready', 'mark_ready', 'The order is packed and ready for pickup', false);
    sellerAction('pick-up', 'pick_up', 'The order left with the rider', false);
    sellerAction('fail-delivery', 'fail_delivery', 'A delivery attempt failed', true);
    sellerAction('retry-delivery', 'retry_delivery', 'Out for delivery again', false);
    sellerAction(
      'return-received',
      'record_return',
      'The undelivered parcel is back with me (orders I delivered myself; a rider records theirs with my handover code)',
      false,
    );
    app.post(
      '/seller/orders/:id/deliver',
      {
        preHandler: seller,
        schema: {
          ...s,
          tags: ['seller'],
          summary: "Delivered, with proof: the buyer's code, or a photo plus GPS point plus note",
          params: idParam,
          body: deliverBody,
          response: { 200: orderSchema, ...problems(400, 401, 403, 404, 409, 422, 429) },
        },
      },
      async (request) =>
        toOrder(
          await orders.deliver(
            request.params.id,
            { userId: caller(request).userId, role: 'seller' },
            request.body,
          ),
          'seller',
        ),
    );
    app.get(
      '/rider/earnings',
      {
        preHandler: requireAuth('rider'),
        schema: {
          ...s,
          tags: ['rider'],
          summary: 'My share of delivery fees: available, in a payout on its way, paid out (minor units)',
          response: {
            200: z.object({
              available: z.number().int(),
              in_payout: z.number().int(),
              paid_out: z.number().int(),
              deliveries_paid: z.number().int(),
            }),
            ...problems(401, 403),
          },
        },
      },
      async (request) => {
        const e = await deps.ledger.payableSummary(
          account.riderPayable(caller(request).userId),
          // a delivery refunded in full through no fault of the rider's is still a delivery paid
          ['RIDER_EARNING', 'RIDER_COMPENSATION'],
        );
        return {
          available: e.available,
          in_payout: e.inPayout,
          paid_out: e.paidOut,
          deliveries_paid: e.credits,
        };
      },
    );
    app.get(
      '/seller/balance',
      {
        preHandler: seller,
        schema: {
          ...s,
          tags: ['seller'],
          summary: 'Held in escrow, available, paid out (minor units)',
          response: {
            200: z.object({
              held: z.number().int(),
              available: z.number().int(),
              in_payout: z.number().int(),
              paid_out: z.number().int(),
            }),
            ...problems(401, 403),
          },
        },
      },
      async (request) => {
        const b = await orders.sellerBalance(caller(request).userId);
        return { held: b.held, available: b.available, in_payout: b.inPayout, paid_out: b.paidOut };
      },
    );
  };
}
