import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { money, tz } from '../../db/columns.js';
import {
  ACTOR_ROLES,
  CHECKOUT_STATUSES,
  DISPUTE_FAULTS,
  DISPUTE_REASONS,
  DISPUTE_RESOLUTIONS,
  ORDER_STATUSES,
} from './model.js';
import type { OrderSnapshot } from './snapshot.js';

/** One checkout is one payment: it holds one order per seller. */
export const checkouts = pgTable(
  'checkouts',
  {
    id: uuid('id').primaryKey(),
    buyerId: uuid('buyer_id').notNull(),
    status: text('status', { enum: CHECKOUT_STATUSES }).notNull(),
    payerPhone: text('payer_phone').notNull(),
    currency: text('currency').notNull(),
    /** what the buyer pays: every order's final amount plus its delivery fee */
    totalAmount: money('total_amount').notNull(),
    expiresAt: tz('expires_at').notNull(),
    paidAt: tz('paid_at'),
    paymentReference: text('payment_reference'),
    createdAt: tz('created_at').notNull(),
  },
  (t) => [
    index('checkouts_buyer_idx').on(t.buyerId, t.createdAt),
    check('checkouts_total_positive', sql`${t.totalAmount} > 0`),
  ],
);

export const orders = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey(),
    checkoutId: uuid('checkout_id')
      .notNull()
      .references(() => checkouts.id),
    buyerId: uuid('buyer_id').notNull(),
    sellerId: uuid('seller_id').notNull(),
    status: text('status', { enum: ORDER_STATUSES }).notNull(),
    currency: text('currency').notNull(),
    originalAmount: money('original_amount').notNull(),
    discountAmount: money('discount_amount').notNull(),
    finalAmount: money('final_amount').notNull(),
    deliveryFee: money('delivery_fee').notNull(),
    /** written once at checkout and never changed: lines, base prices, every incentive, totals, address */
    snapshot: jsonb('snapshot').$type<OrderSnapshot>().notNull(),
    deliveryCode: text('delivery_code'),
    deliveryCodeAttempts: integer('delivery_code_attempts').notNull().default(0),
    /** given by the seller to the rider at pickup: proves the right rider took the right parcel */
    handoverCode: text('handover_code'),
    handoverCodeAttempts: integer('handover_code_attempts').notNull().default(0),
    /** the rider who collected it (with the handover code): earns the rider's share of the fee */
    riderId: uuid('rider_id'),
    createdAt: tz('created_at').notNull(),
    updatedAt: tz('updated_at').notNull(),
    paidAt: tz('paid_at'),
    deliveredAt: tz('delivered_at'),
    disputeWindowEndsAt: tz('dispute_window_ends_at'),
    completedAt: tz('completed_at'),
    /** the delivery promised at checkout (null for flat-quoted orders); late delivery is judged by it */
    promisedBy: tz('promised_by'),
    /** set at delivery for promised orders: was the promise kept */
    deliveredLate: boolean('delivered_late'),
    /** the seller must accept by then or the order is cancelled (set on payment; the timer's own runAt) */
    acceptBy: tz('accept_by'),
    /** the seller must have it ready by then (set on acceptance; the timer's own runAt) */
    readyBy: tz('ready_by'),
  },
  (t) => [
    index('orders_buyer_idx').on(t.buyerId, t.createdAt),
    index('orders_seller_idx').on(t.sellerId, t.createdAt),
    index('orders_checkout_idx').on(t.checkoutId),
    // Analytics reads paid orders by payment time, and each buyer's first paid order.
    index('orders_paid_idx').on(t.paidAt).where(sql`${t.paidAt} is not null`),
    index('orders_buyer_paid_idx').on(t.buyerId, t.paidAt).where(sql`${t.paidAt} is not null`),
    // The recommendations job reads completed orders after a watermark (completed-purchases.ts).
    index('orders_completed_idx').on(t.completedAt, t.id).where(sql`${t.completedAt} is not null`),
    // The console home page's order queues (orders/attention.ts): the dispatch queue and the sellers
    // near their accept deadline. Partial, so each is as small as its queue, not the order history.
    index('orders_ready_no_rider_idx')
      .on(t.updatedAt)
      .where(sql`${t.status} = 'ready_for_pickup' and ${t.riderId} is null`),
    index('orders_awaiting_accept_idx').on(t.acceptBy).where(sql`${t.status} = 'paid'`),
    check(
      'orders_amounts',
      sql`${t.finalAmount} = ${t.originalAmount} - ${t.discountAmount} and ${t.finalAmount} >= 0`,
    ),
  ],
);

export const orderLines = pgTable(
  'order_lines',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    skuId: uuid('sku_id').notNull(),
    quantity: integer('quantity').notNull(),
    unitPrice: money('unit_price').notNull(),
    finalAmount: money('final_amount').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.skuId] })],
);

/** The timeline: every transition with who, when, from, to, why and its evidence. */
export const orderEvents = pgTable(
  'order_events',
  {
    id: uuid('id').primaryKey(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    event: text('event').notNull(),
    fromStatus: text('from_status', { enum: ORDER_STATUSES }),
    toStatus: text('to_status', { enum: ORDER_STATUSES }).notNull(),
    actorUserId: uuid('actor_user_id'),
    actorRole: text('actor_role', { enum: ACTOR_ROLES }).notNull(),
    note: text('note'),
    evidence: jsonb('evidence').$type<Record<string, unknown>>(),
    latitude: doublePrecision('latitude'),
    longitude: doublePrecision('longitude'),
    createdAt: tz('created_at').notNull(),
  },
  (t) => [index('order_events_order_idx').on(t.orderId, t.createdAt)],
);

/** A retried request with the same key gets the first answer; the same key with another body is a 409. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    userId: uuid('user_id').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    responseStatus: integer('response_status'),
    responseBody: jsonb('response_body'),
    createdAt: tz('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] })],
);

export const disputes = pgTable(
  'disputes',
  {
    id: uuid('id').primaryKey(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    buyerId: uuid('buyer_id').notNull(),
    reason: text('reason', { enum: DISPUTE_REASONS }).notNull(),
    description: text('description').notNull(),
    status: text('status', { enum: ['open', 'resolved'] }).notNull(),
    resolution: text('resolution', { enum: DISPUTE_RESOLUTIONS }),
    refundAmount: money('refund_amount'),
    resolutionNote: text('resolution_note'),
    /** whose fault it was (null: resolved before the platform recorded it) */
    fault: text('fault', { enum: DISPUTE_FAULTS }),
    resolvedBy: uuid('resolved_by'),
    openedAt: tz('opened_at').notNull(),
    resolvedAt: tz('resolved_at'),
  },
  (t) => [
    uniqueIndex('disputes_order_idx').on(t.orderId),
    index('disputes_status_idx').on(t.status, t.openedAt),
  ],
);

export const disputeEvidence = pgTable(
  'dispute_evidence',
  {
    disputeId: uuid('dispute_id')
      .notNull()
      .references(() => disputes.id),
    mediaId: uuid('media_id').notNull(),
    addedBy: uuid('added_by').notNull(),
    note: text('note'),
    createdAt: tz('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.disputeId, t.mediaId] })],
);
