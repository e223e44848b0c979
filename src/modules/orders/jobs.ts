// Every job the orders module writes: its own timers (`orders.<imperative>`) and what it tells
// other modules (`order.…` / `checkout.…`, past tense). The receiving module decides what to do.
import { z } from 'zod';
import { defineJobs, type JobQueue } from '../jobs/index.js';
import { ACTOR_ROLES, ORDER_STATUSES } from './model.js';

const id = z.string().min(1).max(100);
const at = z.iso.datetime({ offset: true });
const amount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const status = z.enum(ORDER_STATUSES);

export const orderJobs = defineJobs({
  // ---- timers the orders module sets for itself ----
  /** an unpaid checkout's time is up (or a prompt in flight asked for a little more) */
  'orders.expire_checkout': z.object({ checkoutId: id }),
  /** the dispute window closed: complete the order */
  'orders.auto_complete': z.object({ orderId: id }),
  /** the seller's accept-by or ready-by instant; startedAt/minutes recompute it in service hours */
  'orders.enforce_seller_deadline': z.object({
    orderId: id,
    expect: z.enum(['accepted', 'ready_for_pickup']),
    startedAt: at.optional(),
    minutes: z.number().int().min(0).optional(),
  }),
  /**
   * a paid order's accept-by instant is near: remind the seller once if still unaccepted;
   * startedAt/minutes recompute the deadline in service hours, as the deadline job does
   */
  'orders.remind_seller': z.object({ orderId: id, startedAt: at, minutes: z.number().int().min(0) }),
  /** the re-attempt window of a failed delivery closed */
  'orders.enforce_redelivery_deadline': z.object({ orderId: id, failedAt: at }),

  // ---- what orders tells other modules ----
  /** money is owed back to the buyer (payments disburses it) */
  'order.refund_owed': z.object({
    purposeKey: z.string().min(1).max(200),
    orderId: id,
    checkoutId: id,
    buyerId: id,
    amount,
    currency: z.string().length(3),
    payerPhone: z.string().nullable(),
    reason: z.string().min(1).max(200),
  }),
  /** the parcel waits at the seller for a rider (riders makes offers) */
  'order.ready_for_pickup': z.object({ order_id: id }),
  /** an order a rider holds (or was offered) moved on without the rider's own call */
  'order.moved_without_rider': z.object({ order_id: id, rider_id: id.optional(), status }),
  /** a paid order is still not accepted and its accept-by instant is near (notifications reminds the seller) */
  'order.accept_deadline_approached': z.object({ orderId: id, sellerId: id, acceptBy: at }),
  /** a checkout waits for its payment (notifications tells the buyer how to pay) */
  'checkout.created': z.object({
    checkoutId: id,
    buyerId: id,
    amount,
    payNumber: z.string().min(1),
    expiresAt: at,
  }),
  /**
   * An order changed status: the order's facts after the change, so the receiver needs no read
   * of orders. `eventId` is the timeline row (one per change): receivers deduplicate on it.
   */
  'order.status_changed': z.object({
    eventId: id,
    orderId: id,
    checkoutId: id,
    buyerId: id,
    sellerId: id,
    event: z.string().min(1),
    /** who made the change */
    by: z.enum(ACTOR_ROLES),
    from: status,
    to: status,
    at,
    /** what the buyer paid for this order, and what the seller is credited (the full base price) */
    amount,
    sellerAmount: amount,
    acceptBy: at.nullable(),
    /** once paid, before acceptance: the latest ready-by (accepted at the last moment) */
    readyBy: at.nullable(),
    promisedBy: at.nullable(),
    disputeUntil: at.nullable(),
    /** the buyer's delivery code, on the change that issued it only (it goes to the buyer alone) */
    deliveryCode: z.string().nullable(),
    /** money this change sent back to the buyer, to the number that paid */
    refund: z.object({ amount, phone: z.string().min(1) }).nullable(),
    /** points given for a late delivery */
    latePoints: z.number().int().min(0).nullable(),
    /** loyalty points earned on completion */
    loyaltyPoints: z.number().int().min(0).nullable(),
    /** on a change that counts a strike against the seller: their strikes, this one included */
    sellerStrikes: z.number().int().min(0).nullish(),
    /** the rider holding the order after the change (absent on messages queued before it was added) */
    riderId: id.nullish(),
  }),
});

export type OrderJobs = typeof orderJobs;
export type OrderJobQueue = JobQueue<OrderJobs>;
