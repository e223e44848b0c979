// What an order's change tells other modules (`order.status_changed`): pure, from the row after
// the change and what its effects learnt, so receivers never read orders' tables.
import type { z } from 'zod';
import type { ChangeNews } from './effects.js';
import type { orderJobs } from './jobs.js';
import type { OrderStatus } from './model.js';
import type { Actor, Order } from './ports.js';

type StatusChanged = z.input<(typeof orderJobs)['order.status_changed']>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function statusChanged(
  o: Order,
  change: {
    eventId: string;
    event: string;
    by: Actor['role'];
    /** who made the change: a rider's pickup names the rider before the row records them */
    actorId?: string | null;
    from: OrderStatus;
    at: Date;
    news: ChangeNews;
  },
): StatusChanged {
  const { news } = change;
  return {
    eventId: change.eventId,
    orderId: o.id,
    checkoutId: o.checkoutId,
    buyerId: o.buyerId,
    sellerId: o.sellerId,
    event: change.event,
    by: change.by,
    from: change.from,
    to: o.status,
    at: change.at.toISOString(),
    amount: o.finalAmount,
    sellerAmount: o.originalAmount,
    acceptBy: iso(o.acceptBy),
    readyBy: iso(o.readyBy ?? news.latestReadyBy ?? null),
    promisedBy: iso(o.promisedBy),
    disputeUntil: iso(o.disputeWindowEndsAt),
    // Only the change that issued it carries the code: a later message never repeats the secret.
    deliveryCode: change.event === 'confirm_payment' ? o.deliveryCode : null,
    refund: news.refund?.phone ? { amount: news.refund.amount, phone: news.refund.phone } : null,
    latePoints: news.latePoints ?? null,
    loyaltyPoints: news.loyaltyPoints ?? null,
    sellerStrikes: news.sellerStrikes ?? null,
    riderId: o.riderId ?? (change.by === 'rider' ? (change.actorId ?? null) : null),
  };
}
