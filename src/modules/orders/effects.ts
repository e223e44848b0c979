// What happens to money, stock and timers when a transition happens: one handler per effect of
// the machine's table, run by `apply` in the transition's transaction. A `Record<Effect, …>`, so
// an effect added to the table without a handler does not compile.
import { and, count, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { randomDigits } from '../../shared/secrets.js';
import { HOUR, MINUTE } from '../../shared/time.js';
import type { EscrowOrder } from '../ledger/index.js';
import { linesOf } from './guards.js';
import { type Effect, ORDER_MACHINE, type OrderEvent } from './machine.js';
import type { OrderStatus } from './model.js';
import type { Actor, CompletedOrder, Order, OrdersDeps } from './ports.js';
import { checkouts, orderEvents, orders } from './schema.js';

/** The events that count a strike against the seller (those whose transition has `seller_strike`). */
const STRIKE_EVENTS = Object.entries(ORDER_MACHINE)
  .filter(([, t]) => (t.effects as readonly Effect[]).includes('seller_strike'))
  .map(([event]) => event);

/** The seller's strikes recorded on the timeline before this change (its own row is written after the effects). */
async function strikesBefore(tx: Database, sellerId: string): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(orderEvents)
    .innerJoin(orders, eq(orders.id, orderEvents.orderId))
    .where(and(eq(orders.sellerId, sellerId), inArray(orderEvents.event, STRIKE_EVENTS)));
  return Number(row?.n ?? 0);
}

/** What a transition's caller adds to it: the timeline's note and evidence, and effects' inputs. */
export interface EffectExtra {
  note?: string | null;
  evidence?: Record<string, unknown> | null;
  location?: { lat: number; lng: number } | null;
  refundAmount?: number;
  /**
   * Several orders cancelled in one transaction: their incentives are not given back one by
   * one here but collected, for one `reverseBurns` when all are applied (`cancelUnpaid`).
   */
  deferIncentives?: string[];
}

/** What effects learn that the change's message tells (`order.status_changed`). */
export interface ChangeNews {
  refund?: { amount: number; phone: string | null };
  latePoints?: number;
  loyaltyPoints?: number;
  /** on payment: the latest the order can be due ready (accepted at the accept-by instant) */
  latestReadyBy?: Date;
  /** on a strike: the seller's strikes, this one included */
  sellerStrikes?: number;
}

/** One effect's run: the order as it was locked, and the row update it may add to (`set`). */
export interface EffectCall {
  news: ChangeNews;
  tx: Database;
  o: Order;
  event: OrderEvent;
  actor: Actor;
  extra: EffectExtra;
  now: Date;
  to: OrderStatus;
  set: Partial<Order>;
}

export type EffectHandler = (call: EffectCall) => Promise<void> | void;

export const escrowOf = (o: Order): EscrowOrder => ({
  id: o.id,
  checkoutId: o.checkoutId,
  buyerId: o.buyerId,
  sellerId: o.sellerId,
  currency: o.currency,
  baseAmount: o.originalAmount,
  finalAmount: o.finalAmount,
  deliveryFee: o.deliveryFee,
  riderId: o.riderId,
});

/** The completed order as the completion hook sees it (the checkout's paying phone, the frozen address). */
async function completedOrder(tx: Database, o: Order, event: OrderEvent, now: Date): Promise<CompletedOrder> {
  const [c] = await tx
    .select({ payerPhone: checkouts.payerPhone })
    .from(checkouts)
    .where(eq(checkouts.id, o.checkoutId));
  const a = o.snapshot.delivery_address;
  return {
    orderId: o.id,
    checkoutId: o.checkoutId,
    buyerId: o.buyerId,
    sellerId: o.sellerId,
    riderId: o.riderId,
    finalAmount: o.finalAmount,
    currency: o.currency,
    payerPhone: c?.payerPhone ?? '',
    address: { ward: a.ward, landmark: a.landmark, location: a.location },
    viaDispute: event === 'resolve_release',
    completedAt: now,
  };
}

export function createEffects(deps: OrdersDeps): Record<Effect, EffectHandler> {
  const { audit, jobs, ledger, stock, promotions, settings: s } = deps;

  /** Money owed back to the buyer is sent by the payments module, after this transaction commits. */
  async function requestRefund(
    tx: Database,
    o: Order,
    amount: number,
    reason: string,
    purposeKey = `refund:order:${o.id}`,
  ) {
    const [c] = await tx
      .select({ payerPhone: checkouts.payerPhone })
      .from(checkouts)
      .where(eq(checkouts.id, o.checkoutId));
    await jobs.enqueue(tx, {
      kind: 'order.refund_owed',
      payload: {
        purposeKey,
        orderId: o.id,
        checkoutId: o.checkoutId,
        buyerId: o.buyerId,
        amount,
        currency: o.currency,
        payerPhone: c?.payerPhone ?? null,
        reason,
      },
      dedupeKey: `payments.${purposeKey}`,
    });
    return { amount, phone: c?.payerPhone ?? null };
  }

  return {
    hold_escrow: async ({ tx, o, now, set }) => {
      await ledger.holdEscrow(tx, escrowOf(o));
      set.paidAt = now;
    },
    issue_delivery_code: ({ set }) => {
      set.deliveryCode = randomDigits(s.deliveryCodeDigits);
    },
    release_escrow: async ({ tx, o, now, set, event }) => {
      await ledger.releaseEscrow(tx, escrowOf(o));
      set.completedAt = now;
      if (deps.onCompleted) await deps.onCompleted(tx, await completedOrder(tx, o, event, now));
    },
    refund_escrow: async ({ tx, o, event, news }) => {
      const owed = await ledger.refundEscrow(tx, escrowOf(o));
      if (owed > 0) news.refund = await requestRefund(tx, o, owed, event);
    },
    split_escrow: async ({ tx, o, event, extra, news }) => {
      await ledger.splitEscrow(tx, escrowOf(o), extra.refundAmount ?? 0);
      news.refund = await requestRefund(tx, o, extra.refundAmount ?? 0, event);
    },
    restock: async ({ tx, o }) => {
      const items = (await linesOf(tx, o.id)).map((l) => ({ skuId: l.skuId, quantity: l.quantity }));
      // Lock in id order first, like checkout does, so a restock and a checkout never deadlock.
      await stock.lock(
        tx,
        items.map((i) => i.skuId),
      );
      await stock.restock(tx, items);
    },
    return_incentives: async ({ tx, o, extra }) => {
      if (extra.deferIncentives) extra.deferIncentives.push(o.id);
      else await promotions.reverseBurns(tx, { checkoutId: o.checkoutId, orderIds: [o.id] });
    },
    earn_loyalty: async ({ tx, o, news }) => {
      news.loyaltyPoints = await promotions.earn(tx, {
        buyerId: o.buyerId,
        orderId: o.id,
        finalAmount: o.finalAmount,
      });
    },
    schedule_completion: async ({ tx, o, now, set }) => {
      const ends = new Date(now.getTime() + s.disputeWindowHours * HOUR);
      set.deliveredAt = now;
      set.disputeWindowEndsAt = ends;
      await jobs.enqueue(tx, {
        kind: 'orders.auto_complete',
        payload: { orderId: o.id },
        runAt: ends,
        dedupeKey: `auto-complete:${o.id}`,
      });
    },
    request_rider: async ({ tx, o, set }) => {
      set.handoverCode = randomDigits(s.deliveryCodeDigits);
      if (s.ridersDeliver)
        await jobs.enqueue(tx, {
          kind: 'order.ready_for_pickup',
          payload: { order_id: o.id },
          dedupeKey: `logistics.assign:${o.id}`,
        });
    },
    issue_return_code: ({ set }) => {
      set.handoverCode = randomDigits(s.deliveryCodeDigits);
      set.handoverCodeAttempts = 0;
    },
    update_rider_job: async ({ tx, o, to }) => {
      if (o.riderId)
        await jobs.enqueue(tx, {
          kind: 'order.moved_without_rider',
          payload: { order_id: o.id, rider_id: o.riderId, status: to },
          dedupeKey: `logistics.order_moved:${o.id}:${to}`,
        });
    },
    release_rider: async ({ tx, o }) => {
      // Only a ready order can have an offer out or a rider on the way; none is collected yet.
      if (o.status === 'ready_for_pickup')
        await jobs.enqueue(tx, {
          kind: 'order.moved_without_rider',
          payload: { order_id: o.id, status: 'cancelled' },
          dedupeKey: `logistics.order_moved:${o.id}:cancelled`,
        });
    },
    schedule_redelivery_deadline: async ({ tx, o, now }) => {
      await jobs.enqueue(tx, {
        kind: 'orders.enforce_redelivery_deadline',
        payload: { orderId: o.id, failedAt: now.toISOString() },
        runAt: new Date(now.getTime() + s.redeliveryWindowHours * HOUR),
        dedupeKey: `redelivery-deadline:${o.id}:${now.getTime()}`,
      });
    },
    schedule_seller_deadline: async ({ tx, o, event, now, set, news }) => {
      const ready = o.status === 'paid' && event === 'accept';
      const minutes = ready ? s.sellerReadyMinutes : s.sellerAcceptMinutes;
      const due = new Date(now.getTime() + minutes * MINUTE);
      // Kept on the order so the seller's replies show the same instant the timer fires at.
      if (ready) set.readyBy = due;
      else {
        set.acceptBy = due;
        news.latestReadyBy = new Date(due.getTime() + s.sellerReadyMinutes * MINUTE);
      }
      await jobs.enqueue(tx, {
        kind: 'orders.enforce_seller_deadline',
        payload: {
          orderId: o.id,
          expect: ready ? 'ready_for_pickup' : 'accepted',
          startedAt: now.toISOString(),
          minutes,
        },
        runAt: due,
        dedupeKey: `seller-deadline:${o.id}:${ready ? 'ready' : 'accept'}`,
      });
      // One reminder before the accept-by instant, when there is time for one.
      if (!ready && s.sellerReminderMinutes < minutes)
        await jobs.enqueue(tx, {
          kind: 'orders.remind_seller',
          payload: { orderId: o.id, startedAt: now.toISOString(), minutes },
          runAt: new Date(due.getTime() - s.sellerReminderMinutes * MINUTE),
          dedupeKey: `seller-reminder:${o.id}`,
        });
    },
    compensate_if_late: async ({ tx, o, now, set, news }) => {
      if (o.promisedBy && now.getTime() > o.promisedBy.getTime()) {
        // The platform keeps its promise with its own money: the delivery fee back, at once,
        // and goodwill points. The seller is judged later; the buyer is not kept waiting.
        await ledger.compensateLateDelivery(tx, {
          orderId: o.id,
          checkoutId: o.checkoutId,
          buyerId: o.buyerId,
          amount: o.deliveryFee,
          currency: o.currency,
        });
        if (o.deliveryFee > 0)
          await requestRefund(tx, o, o.deliveryFee, 'late_delivery', `refund:late:${o.id}`);
        await promotions.compensate(tx, {
          buyerId: o.buyerId,
          orderId: o.id,
          points: s.lateDeliveryPoints,
          reason: 'late delivery',
        });
        set.deliveredLate = true;
        news.latePoints = s.lateDeliveryPoints;
        await audit.record(tx, {
          actorUserId: null,
          action: 'order.late_compensated',
          targetType: 'order',
          targetId: o.id,
          data: {
            promised_by: o.promisedBy.toISOString(),
            fee_back: o.deliveryFee,
            points: s.lateDeliveryPoints,
          },
        });
      } else if (o.promisedBy) {
        set.deliveredLate = false;
      }
    },
    seller_strike: async ({ tx, o, actor, extra, news }) => {
      news.sellerStrikes = (await strikesBefore(tx, o.sellerId)) + 1;
      await audit.record(tx, {
        actorUserId: actor.userId,
        action: 'seller.strike',
        targetType: 'user',
        targetId: o.sellerId,
        reason: extra.note ?? null,
        data: { order_id: o.id },
      });
    },
  };
}
