import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuth, requireAuthOnEveryRoute } from '../../shared/auth.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, problemResponse, problemSchema, problems } from '../../shared/errors.js';
import { MONEY_UNIT, WHOLE_SHILLINGS } from '../../shared/money.js';
import { decodeCursor, idParam, pageQuerySchema, pageSchema } from '../../shared/pagination.js';
import { isPlausibleInstant, toDarTime, toDarTimeOrNull } from '../../shared/time.js';
import { account, type LedgerService } from '../ledger/index.js';
import type { OrderEvent } from './machine.js';
import {
  type ActorRole,
  DISPUTE_FAULTS,
  DISPUTE_REASONS,
  DISPUTE_RESOLUTIONS,
  ORDER_STATUSES,
} from './model.js';
import type { Dispute, Order, OrdersService } from './service.js';
import type { DeliveryAddress, DeliveryQuote } from './snapshot.js';

const reasonBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });
const noBody = z.strictObject({}).nullish();

const orderSchema = z
  .object({
    id: z.uuid(),
    checkout_id: z.uuid(),
    buyer_id: z.uuid(),
    seller_id: z.uuid(),
    status: z.enum(ORDER_STATUSES),
    currency: z.string(),
    original_amount: z.number().int(),
    discount_amount: z.number().int(),
    final_amount: z.number().int(),
    delivery_fee: z.number().int(),
    total: z.number().int(),
    snapshot: z
      .record(z.string(), z.unknown())
      .describe('Immutable: lines, base prices, every incentive, totals, delivery address'),
    delivery_code: z
      .string()
      .nullable()
      .describe('Shown to the buyer only, once paid: give it to the rider on delivery'),
    handover_code: z
      .string()
      .nullable()
      .describe(
        'Shown to the seller only, once ready (give it to the rider at pickup) and while a parcel comes back (a new code: give it to the rider when you have the parcel)',
      ),
    created_at: z.string(),
    paid_at: z.string().nullable(),
    delivered_at: z.string().nullable(),
    dispute_window_ends_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    promised_by: z
      .string()
      .nullable()
      .describe('The delivery promised at checkout (zones); null when quoted flat'),
    accept_by: z
      .string()
      .nullable()
      .optional()
      .describe('Sellers only: accept before this time or the order is cancelled; null until paid'),
    ready_by: z
      .string()
      .nullable()
      .optional()
      .describe('Sellers only: have it ready for pickup before this time; null until accepted'),
  })
  .meta({ id: 'Order' });

const eventSchema = z.object({
  event: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  actor_role: z.string(),
  actor_user_id: z.uuid().nullable(),
  note: z.string().nullable(),
  location: z.object({ lat: z.number(), lng: z.number() }).nullable(),
  evidence: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('What proved the step: e.g. a failed attempt’s photo_media_id, how a delivery was proven'),
  at: z.string(),
});

const disputeSchema = z
  .object({
    id: z.uuid(),
    order_id: z.uuid(),
    reason: z.enum(DISPUTE_REASONS),
    description: z.string(),
    status: z.enum(['open', 'resolved']),
    resolution: z.enum(DISPUTE_RESOLUTIONS).nullable(),
    refund_amount: z.number().int().nullable(),
    resolution_note: z.string().nullable(),
    fault: z
      .enum(DISPUTE_FAULTS)
      .nullable()
      .describe(
        'Whose fault it was, as the admin found (null: not resolved, or resolved before it was recorded)',
      ),
    opened_at: z.string(),
    resolved_at: z.string().nullable(),
  })
  .meta({ id: 'Dispute' });

const toDispute = (d: Dispute) => ({
  id: d.id,
  order_id: d.orderId,
  reason: d.reason,
  description: d.description,
  status: d.status,
  resolution: d.resolution,
  refund_amount: d.refundAmount,
  resolution_note: d.resolutionNote,
  fault: d.fault,
  opened_at: toDarTime(d.openedAt),
  resolved_at: toDarTimeOrNull(d.resolvedAt),
});

const toOrder = (o: Order, viewerRole: ActorRole) => ({
  id: o.id,
  checkout_id: o.checkoutId,
  buyer_id: o.buyerId,
  seller_id: o.sellerId,
  status: o.status,
  currency: o.currency,
  original_amount: o.originalAmount,
  discount_amount: o.discountAmount,
  final_amount: o.finalAmount,
  delivery_fee: o.deliveryFee,
  total: o.finalAmount + o.deliveryFee,
  snapshot: o.snapshot as unknown as Record<string, unknown>,
  // The code proves delivery: only the buyer ever sees it, and only until it has been used.
  delivery_code:
    viewerRole === 'buyer' && ['paid', 'accepted', 'ready_for_pickup', 'out_for_delivery'].includes(o.status)
      ? o.deliveryCode
      : null,
  handover_code:
    viewerRole === 'seller' && (o.status === 'ready_for_pickup' || o.status === 'returning')
      ? o.handoverCode
      : null,
  created_at: toDarTime(o.createdAt),
  paid_at: toDarTimeOrNull(o.paidAt),
  delivered_at: toDarTimeOrNull(o.deliveredAt),
  dispute_window_ends_at: toDarTimeOrNull(o.disputeWindowEndsAt),
  completed_at: toDarTimeOrNull(o.completedAt),
  promised_by: toDarTimeOrNull(o.promisedBy),
  // The seller's own deadlines (the no-show timers): other viewers' replies are left as they were.
  ...(viewerRole === 'seller'
    ? { accept_by: toDarTimeOrNull(o.acceptBy), ready_by: toDarTimeOrNull(o.readyBy) }
    : {}),
});

/** Who brings the parcel, shown to the buyer once it has been collected. */
export interface RiderView {
  first_name: string | null;
  vehicle: string;
  phone: string;
  /** estimated arrival from the rider's last position (Dar es Salaam time); null without one */
  eta: string | null;
}

const orderDetailSchema = orderSchema.extend({
  timeline: z.array(eventSchema),
  dispute: disputeSchema.nullable(),
  rider: z
    .object({
      first_name: z.string().nullable(),
      vehicle: z.string(),
      phone: z.string(),
      eta: z.string().nullable(),
    })
    .nullable()
    .optional()
    .describe('Buyers: the rider bringing it, once picked up'),
});
type Detail = Awaited<ReturnType<OrdersService['view']>>;
const toDetail = (d: Detail, role: ActorRole) => ({
  ...toOrder(d.order, role),
  timeline: d.timeline.map((e) => ({
    event: e.event,
    from: e.fromStatus,
    to: e.toStatus,
    actor_role: e.actorRole,
    actor_user_id: e.actorUserId,
    note: e.note,
    location: e.latitude !== null && e.longitude !== null ? { lat: e.latitude, lng: e.longitude } : null,
    evidence: e.evidence ?? null,
    at: toDarTime(e.createdAt),
  })),
  dispute: d.dispute ? toDispute(d.dispute) : null,
});

const listQuery = pageQuerySchema.extend({ status: z.enum(ORDER_STATUSES).optional() }).strict();

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

export interface OrderRouteDeps {
  orders: OrdersService;
  ledger: LedgerService;
  /** the buyer's saved address, as the snapshot keeps it (404 for another buyer's) */
  addressOf: (userId: string, addressId: string) => Promise<DeliveryAddress>;
  requireMobile: (input: string, field: string) => string;
  /** zones: each seller's delivery fee and promise for the address; absent: the flat fee */
  quoteDelivery?:
    | ((q: {
        sellerIds: string[];
        address: DeliveryAddress;
        now: Date;
      }) => Promise<Map<string, DeliveryQuote>>)
    | undefined;
  cartSellers: (buyerId: string) => Promise<string[]>;
  /** the rider carrying an order, as the buyer may see them (logistics + identity) */
  riderView?:
    | ((riderId: string, dropoff: { lat: number; lng: number } | null) => Promise<RiderView | null>)
    | undefined;
  clock: Clock;
}

export function orderRoutes(deps: OrderRouteDeps): FastifyPluginAsyncZod {
  const { orders } = deps;
  return async (app) => {
    const buyer = requireAuth('buyer');
    const seller = requireAuth('seller');
    const s = { security: bearerSecurity };
    const listRoute = (path: string, as: 'buyer' | 'seller', tag: string, summary: string) =>
      app.get(
        path,
        {
          preHandler: as === 'buyer' ? buyer : seller,
          schema: {
            ...s,
            tags: [tag],
            summary,
            querystring: listQuery,
            response: { 200: pageSchema(orderSchema), ...problems(400, 401, 403) },
          },
        },
        async (request) => {
          const q = request.query;
          const r = await orders.list(
            { userId: caller(request).userId, as },
            { limit: q.limit, cursor: decodeCursor(q.cursor), status: q.status },
          );
          return { items: r.items.map((o) => toOrder(o, as)), next_cursor: r.next_cursor };
        },
      );

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

    listRoute('/orders', 'buyer', 'orders', 'My orders, newest first');

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

    // ---- sellers
    listRoute('/seller/orders', 'seller', 'seller', 'My orders as a seller, newest first');
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

export function adminOrderRoutes(deps: OrderRouteDeps): FastifyPluginAsyncZod {
  const { orders, ledger } = deps;
  return async (app) => {
    requireAuthOnEveryRoute(app, 'admin');
    const s = { security: bearerSecurity, tags: ['admin'] };
    app.get(
      '/logistics/on-time',
      {
        schema: {
          ...s,
          summary:
            'On-time rate of promised deliveries by seller, rider, destination zone or day (Dar es Salaam)',
          querystring: z.strictObject({
            by: z.enum(['seller', 'rider', 'zone', 'day']),
            from: z.iso.datetime({ offset: true }),
            to: z.iso.datetime({ offset: true }),
          }),
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  key: z.string(),
                  delivered: z.number().int(),
                  late: z.number().int(),
                  on_time_rate: z.number().nullable(),
                }),
              ),
            }),
            ...problems(400, 401, 403),
          },
        },
      },
      async (request) => {
        const from = new Date(request.query.from);
        const to = new Date(request.query.to);
        if (!isPlausibleInstant(request.query.from) || !isPlausibleInstant(request.query.to))
          throw new AppError('INVALID_RANGE', 400, 'Dates must be between the years 2000 and 2200.', {
            field: 'from',
          });
        if (!(from.getTime() < to.getTime()))
          throw new AppError('INVALID_RANGE', 400, '`from` must be before `to`.', { field: 'from' });
        const rows = await orders.onTimeRate({ by: request.query.by, from, to });
        return {
          items: rows.map((r) => ({
            key: r.key,
            delivered: r.delivered,
            late: r.late,
            on_time_rate: r.onTimeRate,
          })),
        };
      },
    );
    app.get(
      '/orders/:id',
      {
        schema: {
          ...s,
          summary: 'Any order with its timeline',
          params: idParam,
          response: { 200: orderDetailSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) =>
        toDetail(
          await orders.view(request.params.id, { userId: caller(request).userId, role: 'admin' }),
          'admin',
        ),
    );
    /** An admin moves an order, always saying why (the reason goes on the timeline). */
    const adminAction = (path: string, event: OrderEvent, summary: string, codes: number[]) =>
      app.post(
        `/orders/:id/${path}`,
        {
          schema: {
            ...s,
            summary,
            params: idParam,
            body: reasonBody,
            response: { 200: orderSchema, ...problems(...codes) },
          },
        },
        async (request) =>
          toOrder(
            await orders.act(
              request.params.id,
              event,
              { userId: caller(request).userId, role: 'admin' },
              request.body.reason,
            ),
            'admin',
          ),
      );
    adminAction(
      'cancel',
      'cancel',
      'Cancel an order before acceptance (refund in full)',
      [400, 401, 403, 404, 409],
    );
    adminAction(
      'refund-undeliverable',
      'refund_undeliverable',
      'The platform cannot deliver: refund the buyer in full now; the parcel goes back to the seller',
      [400, 401, 403, 404, 409],
    );
    adminAction(
      'return-received',
      'record_return',
      'The undelivered parcel is back at the seller: back in stock (when no code can prove it)',
      [400, 401, 403, 404, 409, 422],
    );
    app.get(
      '/disputes',
      {
        schema: {
          ...s,
          summary: 'Disputes by status (oldest first)',
          querystring: z.strictObject({ status: z.enum(['open', 'resolved']).default('open') }),
          response: { 200: z.object({ items: z.array(disputeSchema) }), ...problems(400, 401, 403) },
        },
      },
      async (request) => ({ items: (await orders.listDisputes(request.query.status)).map(toDispute) }),
    );
    app.post(
      '/disputes/:id/resolve',
      {
        schema: {
          ...s,
          summary:
            'Resolve a dispute: full refund, partial refund (amount) or release to the seller; always with a note, and for a refund whose fault it was',
          params: idParam,
          body: z.strictObject({
            resolution: z.enum(DISPUTE_RESOLUTIONS),
            amount: z
              .number()
              .int()
              .min(1)
              .max(10_000_000_000)
              .multipleOf(MONEY_UNIT, WHOLE_SHILLINGS)
              .optional(),
            note: z.string().trim().min(1).max(2000),
            fault: z
              .enum(DISPUTE_FAULTS)
              .optional()
              .describe(
                "Whose fault it was: required for a refund (422 FAULT_REQUIRED), 'none' by default for a release. " +
                  "Unless it was the rider's, a full refund pays the rider's share of the delivery fee from " +
                  "platform:dispute_expense (RIDER_COMPENSATION). 'rider' on an order no rider carried: 422 INVALID_FAULT.",
              ),
          }),
          response: { 200: disputeSchema, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request) => {
        if (request.body.resolution !== 'partial_refund' && request.body.amount !== undefined) {
          throw new AppError('AMOUNT_NOT_ALLOWED', 422, 'Only a partial refund takes an amount.', {
            field: 'amount',
          });
        }
        return toDispute(
          await orders.resolveDispute(request.params.id, caller(request).userId, request.body),
        );
      },
    );
    app.get(
      '/ledger/transfers',
      {
        schema: {
          ...s,
          summary: 'Ledger transfers by order or account',
          querystring: z
            .strictObject({ order_id: z.uuid().optional(), account: z.string().min(1).max(120).optional() })
            .refine((q) => q.order_id || q.account, 'give order_id or account'),
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  id: z.uuid(),
                  key: z.string(),
                  kind: z.string(),
                  phase: z.string(),
                  debit: z.string(),
                  credit: z.string(),
                  amount: z.number().int(),
                  currency: z.string(),
                  order_id: z.uuid().nullable(),
                  at: z.string(),
                }),
              ),
            }),
            ...problems(400, 401, 403),
          },
        },
      },
      async (request) => ({
        items: (
          await ledger.transfersOf({ orderId: request.query.order_id, account: request.query.account })
        ).map((t) => ({
          id: t.id,
          key: t.key,
          kind: t.kind,
          phase: t.phase,
          debit: t.debitAccount,
          credit: t.creditAccount,
          amount: t.amount,
          currency: t.currency,
          order_id: t.orderId,
          at: toDarTime(t.createdAt),
        })),
      }),
    );
    app.get(
      '/ledger/reconcile',
      {
        schema: {
          ...s,
          summary: 'Check the ledger invariants now',
          response: {
            200: z.object({ ok: z.boolean(), problems: z.array(z.string()) }),
            ...problems(401, 403),
          },
        },
      },
      async () => {
        const problemsFound = await orders.reconcile();
        return { ok: problemsFound.length === 0, problems: problemsFound };
      },
    );
  };
}
