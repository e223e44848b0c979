// The buyer's orders API: checkout, my orders, cancel and confirm receipt, disputes and their evidence.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuth } from '../../shared/auth.js';
import { problemResponse, problemSchema, problems } from '../../shared/errors.js';
import { idParam } from '../../shared/pagination.js';
import { toDarTime } from '../../shared/time.js';
import {
  disputeSchema,
  listOrdersRoute,
  noBody,
  type OrderRouteDeps,
  orderDetailSchema,
  orderSchema,
  toDetail,
  toDispute,
  toOrder,
} from './dto.js';
import type { OrderEvent } from './machine.js';
import { type ActorRole, DISPUTE_REASONS } from './model.js';

export function buyerOrderRoutes(deps: OrderRouteDeps): FastifyPluginAsyncZod {
  const { orders } = deps;
  return async (app) => {
    const buyer = requireAuth('buyer');
    const s = { security: bearerSecurity };

    app.post(
      '/orders/checkout',
      {
        preHandler: buyer,
        schema: {
          ...s,
          tags: ['orders'],
          summary: 'Check out the cart: one payment, one order per seller (Idempotency-Key required)',
          headers: z.object({
            'idempotency-key': z
              .string()
              .trim()
              .min(8)
              .max(100)
              .describe('A fresh random string per checkout attempt; retries reuse it'),
          }),
          body: z.strictObject({
            address_id: z.uuid().describe('One of my delivery addresses'),
            payer_phone: z.string().min(1).max(32).describe('The mobile-money number that will pay'),
            preview_token: z
              .string()
              .min(1)
              .max(64)
              .describe('preview_token of the cart reply the buyer saw'),
          }),
          response: {
            201: z.object({
              checkout_id: z.uuid(),
              total: z.number().int(),
              currency: z.string(),
              expires_at: z.string(),
              orders: z.array(orderSchema),
            }),
            ...problems(400, 401, 403, 404, 422),
            // CART_NOT_READY and PREVIEW_CHANGED carry the new preview token (and totals) to retry with.
            409: problemResponse(
              problemSchema.extend({
                preview_token: z.string().optional(),
                totals: z.record(z.string(), z.unknown()).optional(),
              }),
              'Conflict (CART_EMPTY, CART_NOT_READY, PREVIEW_CHANGED, …)',
            ),
          },
        },
      },
      async (request, reply) => {
        const me = caller(request);
        const payerPhone = deps.requireMobile(request.body.payer_phone, 'payer_phone');
        const address = await deps.addressOf(me.userId, request.body.address_id);
        // Quoted before the checkout's transaction (the zone lookups are reads of their own); the
        // transaction refuses if the cart's sellers changed meanwhile.
        const delivery = deps.quoteDelivery
          ? await deps.quoteDelivery({
              sellerIds: await deps.cartSellers(me.userId),
              address,
              now: deps.clock.now(),
            })
          : undefined;
        const r = await orders.checkout({
          delivery,
          buyerId: me.userId,
          idempotencyKey: request.headers['idempotency-key'],
          address,
          payerPhone,
          previewToken: request.body.preview_token,
          requestHash: orders.requestHash(request.body),
        });
        const checkoutId = String(r.body.checkout_id);
        // A first answer comes straight from the transaction; a replay reads the checkout back.
        const c = 'fresh' in r && r.fresh ? r.fresh : await orders.getCheckout(checkoutId);
        if (r.replayed) reply.header('idempotent-replayed', 'true');
        return reply.code(201).send({
          checkout_id: checkoutId,
          total: c.checkout.totalAmount,
          currency: c.checkout.currency,
          expires_at: toDarTime(c.checkout.expiresAt),
          orders: c.orders.map((o) => toOrder(o, 'buyer')),
        });
      },
    );

    listOrdersRoute(app, orders, '/orders', 'buyer', 'orders', 'My orders, newest first');

    app.get(
      '/orders/:id',
      {
        preHandler: buyer,
        schema: {
          ...s,
          tags: ['orders'],
          summary: 'One of my orders with its snapshot and timeline',
          params: idParam,
          response: { 200: orderDetailSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const d = await orders.view(request.params.id, { userId: caller(request).userId, role: 'buyer' });
        const rider =
          d.order.status === 'out_for_delivery' && d.order.riderId && deps.riderView
            ? await deps.riderView(d.order.riderId, d.order.snapshot.delivery_address.location)
            : null;
        return { ...toDetail(d, 'buyer'), rider };
      },
    );

    const buyerAction = (path: string, event: OrderEvent, summary: string) =>
      app.post(
        `/orders/:id/${path}`,
        {
          preHandler: buyer,
          schema: {
            ...s,
            tags: ['orders'],
            summary,
            params: idParam,
            body: noBody,
            response: { 200: orderSchema, ...problems(400, 401, 403, 404, 409) },
          },
        },
        async (request) =>
          toOrder(
            await orders.act(request.params.id, event, { userId: caller(request).userId, role: 'buyer' }),
            'buyer',
          ),
      );
    buyerAction('cancel', 'cancel', 'Cancel before the seller accepts (a paid order is refunded in full)');
    buyerAction(
      'confirm-receipt',
      'confirm_receipt',
      'I received it: completes the order and releases the escrow',
    );

    app.post(
      '/orders/:id/disputes',
      {
        preHandler: buyer,
        schema: {
          ...s,
          tags: ['orders'],
          summary: 'Open a dispute on a delivered order, inside the dispute window, with evidence',
          params: idParam,
          body: z.strictObject({
            reason: z.enum(DISPUTE_REASONS),
            description: z.string().trim().min(1).max(2000),
            evidence_media_ids: z
              .array(z.uuid())
              .min(1)
              .max(10)
              .refine((a) => new Set(a).size === a.length, 'each item only once')
              .describe('Uploads with purpose dispute_evidence'),
          }),
          response: { 201: disputeSchema, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(toDispute(await orders.openDispute(request.params.id, caller(request).userId, request.body))),
    );

    app.post(
      '/disputes/:id/evidence',
      {
        preHandler: requireAuth('buyer', 'seller'),
        schema: {
          ...s,
          tags: ['orders'],
          summary: 'Add evidence to an open dispute (the buyer or the seller of the order)',
          params: idParam,
          body: z.strictObject({
            media_ids: z.array(z.uuid()).min(1).max(10),
            note: z.string().trim().min(1).max(1000).optional(),
          }),
          response: { 200: disputeSchema, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request) => {
        const me = caller(request);
        const d = await orders.disputeOf(request.params.id);
        const o = await orders.view(d.dispute.orderId, { userId: null, role: 'admin' });
        const role: ActorRole = o.order.sellerId === me.userId ? 'seller' : 'buyer';
        return toDispute(
          await orders.addDisputeEvidence(request.params.id, { userId: me.userId, role }, request.body),
        );
      },
    );
  };
}
