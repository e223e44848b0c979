// The jobs that move an order when nobody acts in time: checkout expiry, the seller's deadlines,
// the re-delivery window, completion after the dispute window. Idempotent; safe in several workers.
import { and, asc, desc, eq } from 'drizzle-orm';
import { MINUTE } from '../../shared/time.js';
import { lockOrder } from './guards.js';
import type { OrdersDeps } from './ports.js';
import { checkouts, orderEvents, orders } from './schema.js';
import type { Transitions } from './transitions.js';

/** How long an expiring checkout waits for a payment prompt that is still on the payer's phone. */
const EXPIRY_GRACE_MS = 15 * 60_000;

export function createTimers(
  deps: OrdersDeps,
  { apply, cancelUnpaid }: Pick<Transitions, 'apply' | 'cancelUnpaid'>,
) {
  const { db, clock, jobs } = deps;

  return {
    /** Expiry job: an unpaid checkout past its time cancels, giving back stock, budgets and points, exactly once. */
    async expireCheckout(checkoutId: string) {
      return db.transaction(async (tx) => {
        const [c] = await tx.select().from(checkouts).where(eq(checkouts.id, checkoutId)).for('update');
        if (c?.status !== 'pending_payment' || clock.now().getTime() < c.expiresAt.getTime()) return false;
        // A payment prompt still on the payer's phone: wait for its answer (a while) rather than
        // cancel now and refund the money a minute later.
        const waitUntil = c.expiresAt.getTime() + EXPIRY_GRACE_MS;
        if (clock.now().getTime() < waitUntil && (await (deps.paymentInFlight?.(tx, checkoutId) ?? false))) {
          await jobs.enqueue(tx, {
            kind: 'orders.expire_checkout',
            payload: { checkoutId },
            runAt: new Date(Math.min(clock.now().getTime() + MINUTE, waitUntil)),
            dedupeKey: `checkout-expire:${checkoutId}:${clock.now().getTime()}`,
          });
          return false;
        }
        const list = await tx
          .select()
          .from(orders)
          .where(eq(orders.checkoutId, checkoutId))
          .orderBy(asc(orders.id))
          .for('update');
        await cancelUnpaid(
          tx,
          list.filter((o) => o.status === 'pending_payment'),
          'expire',
          { userId: null, role: 'system' },
        );
        await tx.update(checkouts).set({ status: 'expired' }).where(eq(checkouts.id, checkoutId));
        return true;
      });
    },

    /**
     * Re-delivery deadline job: an order still undelivered after its failed attempt's window is
     * refunded in full by the platform (the goods go back to the seller), without waiting for anyone.
     */
    async redeliveryDeadline(orderId: string, failedAt: Date) {
      return db.transaction(async (tx) => {
        const o = await lockOrder(tx, orderId);
        if (o.status !== 'delivery_failed') return false;
        // Only the window of the latest failed attempt counts: an earlier one's job does nothing.
        const [latest] = await tx
          .select({ at: orderEvents.createdAt })
          .from(orderEvents)
          .where(and(eq(orderEvents.orderId, orderId), eq(orderEvents.event, 'fail_delivery')))
          .orderBy(desc(orderEvents.createdAt))
          .limit(1);
        if (latest && latest.at.getTime() > failedAt.getTime()) return false;
        await apply(
          tx,
          o,
          'refund_undeliverable',
          { userId: null, role: 'system' },
          {
            note: 'not delivered within the re-attempt window',
          },
        );
        return true;
      });
    },

    /** Seller deadline job: a paid order still not accepted, or an accepted one still not ready, is cancelled and refunded. */
    async sellerDeadline(
      orderId: string,
      expect: 'accepted' | 'ready_for_pickup',
      clockStart?: { startedAt: Date; minutes: number },
    ) {
      // The seller's clock runs in service hours only: a deadline that falls at night moves on.
      if (clockStart && deps.openDeadline) {
        const due = await deps.openDeadline(clockStart.startedAt, clockStart.minutes);
        if (clock.now().getTime() < due.getTime()) {
          await jobs.enqueue(db, {
            kind: 'orders.enforce_seller_deadline',
            payload: {
              orderId,
              expect,
              startedAt: clockStart.startedAt.toISOString(),
              minutes: clockStart.minutes,
            },
            runAt: due,
            dedupeKey: `seller-deadline:${orderId}:${expect}:${due.getTime()}`,
          });
          return false;
        }
      }
      return db.transaction(async (tx) => {
        const o = await lockOrder(tx, orderId);
        const late = expect === 'accepted' ? o.status === 'paid' : o.status === 'accepted';
        if (!late) return false;
        await apply(
          tx,
          o,
          'seller_no_show',
          { userId: null, role: 'system' },
          {
            note: expect === 'accepted' ? 'not accepted in time' : 'not ready for pickup in time',
          },
        );
        return true;
      });
    },

    /**
     * Reminder job: a paid order still not accepted, its accept-by instant near, tells its seller
     * once (`order.accept_deadline_approached`, deduplicated per order). The deadline moves with
     * service hours as the deadline job's does, so the reminder waits with it.
     */
    async remindSeller(orderId: string, startedAt: Date, minutes: number) {
      const due = deps.openDeadline
        ? await deps.openDeadline(startedAt, minutes)
        : new Date(startedAt.getTime() + minutes * MINUTE);
      const remindAt = new Date(due.getTime() - deps.settings.sellerReminderMinutes * MINUTE);
      if (clock.now().getTime() < remindAt.getTime()) {
        await jobs.enqueue(db, {
          kind: 'orders.remind_seller',
          payload: { orderId, startedAt: startedAt.toISOString(), minutes },
          runAt: remindAt,
          dedupeKey: `seller-reminder:${orderId}:${remindAt.getTime()}`,
        });
        return false;
      }
      return db.transaction(async (tx) => {
        const o = await lockOrder(tx, orderId);
        // Accepted, cancelled, or the deadline already passed: nothing to remind of.
        if (o.status !== 'paid' || clock.now().getTime() >= due.getTime()) return false;
        await jobs.enqueue(tx, {
          kind: 'order.accept_deadline_approached',
          payload: { orderId, sellerId: o.sellerId, acceptBy: due.toISOString() },
          dedupeKey: `order.accept_deadline_approached:${orderId}`,
        });
        return true;
      });
    },

    /** Completion job: a delivered order whose dispute window passed without a dispute completes. */
    async autoComplete(orderId: string) {
      return db.transaction(async (tx) => {
        const o = await lockOrder(tx, orderId);
        if (
          o.status !== 'delivered' ||
          !o.disputeWindowEndsAt ||
          clock.now().getTime() < o.disputeWindowEndsAt.getTime()
        )
          return false;
        await apply(tx, o, 'auto_complete', { userId: null, role: 'system' });
        return true;
      });
    },
  };
}
