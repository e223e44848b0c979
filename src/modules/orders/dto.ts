// The orders API's reply shapes (Zod schemas and the functions that fill them), the one list route
// buyers and sellers share, and what every route plugin of the module is given. The routes
// themselves are by audience: buyer-routes.ts, seller-routes.ts, admin-routes.ts.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuth } from '../../shared/auth.js';
import type { Clock } from '../../shared/clock.js';
import { problems } from '../../shared/errors.js';
import type { Gated } from '../../shared/four-eyes.js';
import { decodeCursor, pageQuerySchema, pageSchema } from '../../shared/pagination.js';
import { toDarTime, toDarTimeOrNull } from '../../shared/time.js';
import type { LedgerService } from '../ledger/index.js';
import {
  type ActorRole,
  DISPUTE_FAULTS,
  DISPUTE_REASONS,
  DISPUTE_RESOLUTIONS,
  ORDER_STATUSES,
} from './model.js';
import type { Dispute, Order, OrdersService } from './service.js';
import type { DeliveryAddress, DeliveryQuote } from './snapshot.js';

export const reasonBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });
export const noBody = z.strictObject({}).nullish();

export const orderSchema = z
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

export const eventSchema = z.object({
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

export const disputeSchema = z
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

export const toDispute = (d: Dispute) => ({
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

export const toOrder = (o: Order, viewerRole: ActorRole) => ({
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

export const orderDetailSchema = orderSchema.extend({
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
export const toDetail = (d: Detail, role: ActorRole) => ({
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

export const listQuery = pageQuerySchema.extend({ status: z.enum(ORDER_STATUSES).optional() }).strict();

/** The four-eyes gate of the admin's refunding commands (the console owns the approvals; composition binds it). */
export interface OrdersFourEyes {
  resolveDispute(
    disputeId: string,
    adminId: string,
    input: {
      resolution: (typeof DISPUTE_RESOLUTIONS)[number];
      amount?: number | undefined;
      note: string;
      fault?: (typeof DISPUTE_FAULTS)[number] | undefined;
    },
  ): Promise<Gated<Dispute>>;
  orderAct(
    orderId: string,
    event: 'cancel' | 'refund_undeliverable',
    adminId: string,
    reason: string,
  ): Promise<Gated<Order>>;
}

export interface OrderRouteDeps {
  fourEyes: OrdersFourEyes;
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

type FastifyZodInstance = Parameters<FastifyPluginAsyncZod>[0];

/** GET a page of the caller's orders, as a buyer or as a seller (the same reply shape). */
export function listOrdersRoute(
  app: FastifyZodInstance,
  orders: OrdersService,
  path: string,
  as: 'buyer' | 'seller',
  tag: string,
  summary: string,
) {
  return app.get(
    path,
    {
      preHandler: requireAuth(as),
      schema: {
        security: bearerSecurity,
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
}
