// The one way an order changes status (`apply`), the unpaid cancellations that move several
// orders at once, and `act`: a person's simple transition.
import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { conflict, notFound } from '../../shared/errors.js';
import { type ChangeNews, createEffects, type EffectExtra } from './effects.js';
import {
  checkOwner,
  lockOrder,
  redeliveryWindowClosed,
  refusalError,
  refuseSellerOnRiderJob,
} from './guards.js';
import { decide, type OrderEvent, type Shown } from './machine.js';
import { statusChanged } from './news.js';
import type { Actor, Order, OrdersDeps } from './ports.js';
import { checkouts, orderEvents, orderLines, orders } from './schema.js';

/** What a transition's caller has shown, for the machine: the note, the proof's method, the amount. */
function shownBy(extra: EffectExtra): Shown {
  const method = extra.evidence?.method;
  return {
    reason: extra.note,
    proof: method === 'code' || method === 'photo' || method === 'handover_code' ? method : null,
    refundAmount: extra.refundAmount,
  };
}

export function createTransitions(deps: OrdersDeps) {
  const { db, clock, ids, audit, jobs, stock, promotions, settings: s } = deps;
  const effects = createEffects(deps);

  /** A re-attempt must start before the window of the latest failed attempt closes (guards.ts). */
  async function refuseAfterRedeliveryWindow(tx: Database, o: Order, now: Date) {
    const [latest] = await tx
      .select({ at: orderEvents.createdAt })
      .from(orderEvents)
      .where(and(eq(orderEvents.orderId, o.id), eq(orderEvents.event, 'fail_delivery')))
      .orderBy(desc(orderEvents.createdAt))
      .limit(1);
    if (redeliveryWindowClosed(latest?.at ?? null, now, s.redeliveryWindowHours))
      throw conflict(
        'REDELIVERY_WINDOW_CLOSED',
        `The ${s.redeliveryWindowHours} h to re-attempt this delivery have passed; the parcel goes back to the seller and the buyer is refunded.`,
      );
  }
  /**
   * The one way an order changes status: ask the pure machine, run the transition's effects on
   * stock, incentives and escrow, record the event, enqueue the outbox message — all in `tx`,
   * under the order's row lock, so of two concurrent transitions exactly one wins.
   */
  async function apply(
    tx: Database,
    o: Order,
    event: OrderEvent,
    actor: Actor,
    extra: EffectExtra = {},
  ): Promise<Order> {
    const d = decide(o.status, event, actor.role, shownBy(extra));
    if (!d.ok) throw refusalError(d);
    refuseSellerOnRiderJob(o, event, actor);
    if (actor.role === 'seller' && event === 'pick_up' && (await deps.riderAssigned?.(tx, o.id)))
      throw conflict(
        'RIDER_DELIVERS',
        'A rider is coming for this order; hand it over with the handover code.',
      );
    const now = clock.now();
    if (event === 'retry_delivery') await refuseAfterRedeliveryWindow(tx, o, now);
    const set: Partial<Order> = { status: d.to, updatedAt: now };
    const news: ChangeNews = {};
    for (const effect of d.transition.effects)
      await effects[effect]({ tx, o, event, actor, extra, now, to: d.to, set, news });
    const [updated] = await tx.update(orders).set(set).where(eq(orders.id, o.id)).returning();
    const eventId = ids.newId();
    await tx.insert(orderEvents).values({
      id: eventId,
      orderId: o.id,
      event,
      fromStatus: o.status,
      toStatus: d.to,
      actorUserId: actor.userId,
      actorRole: actor.role,
      note: extra.note ?? null,
      evidence: extra.evidence ?? null,
      latitude: extra.location?.lat ?? null,
      longitude: extra.location?.lng ?? null,
      createdAt: now,
    });
    await audit.record(tx, {
      actorUserId: actor.userId,
      action: `order.${d.to}`,
      targetType: 'order',
      targetId: o.id,
      reason: extra.note ?? null,
      data: { event, from: o.status },
    });
    await jobs.enqueue(tx, {
      kind: 'order.status_changed',
      payload: statusChanged(updated!, {
        eventId,
        event,
        by: actor.role,
        actorId: actor.userId,
        from: o.status,
        at: now,
        news,
      }),
      dedupeKey: `order.status_changed:${eventId}`,
    });
    return updated!;
  }

  /**
   * Cancel several unpaid orders of one checkout in `tx` (expiry, or a buyer cancelling one of
   * them): every order's SKUs are locked first, in id order, then each order moves, then their
   * incentives come back in one call. A checkout holds its SKUs while it spends budgets, and
   * budgets are given back in the order checkout spends them; order by order, a give-back could
   * hold a budget's row while the next order waited for SKUs, or give back a code before a
   * promotion (architecture note 22).
   */
  async function cancelUnpaid(
    tx: Database,
    list: Order[],
    event: 'expire' | 'cancel_unpaid',
    actor: Actor,
    extra: { note?: string | null } = {},
  ): Promise<Order[]> {
    if (!list.length) return [];
    const lines = await tx
      .select({ skuId: orderLines.skuId })
      .from(orderLines)
      .where(
        inArray(
          orderLines.orderId,
          list.map((o) => o.id),
        ),
      );
    await stock.lock(
      tx,
      lines.map((l) => l.skuId),
    );
    const giveBack: string[] = [];
    const moved: Order[] = [];
    for (const o of list)
      moved.push(await apply(tx, o, event, actor, { ...extra, deferIncentives: giveBack }));
    if (giveBack.length)
      await promotions.reverseBurns(tx, { checkoutId: list[0]!.checkoutId, orderIds: giveBack });
    return moved;
  }

  return {
    apply,
    cancelUnpaid,

    /**
     * Any simple transition (accept, reject, mark_ready, pick_up, cancel, confirm_receipt, …) by a
     * person. `within` writes the caller's own record of it in the same transaction (USSD's receipt):
     * both commit or neither does.
     */
    async act(
      orderId: string,
      event: OrderEvent,
      actor: Actor,
      note?: string,
      within?: (tx: Database) => Promise<void>,
    ) {
      return db.transaction(async (tx) => {
        const moved = await actIn(tx);
        if (within) await within(tx);
        return moved;
      });
      async function actIn(tx: Database) {
        // Lock order: checkout first, then its orders, as payment confirmation and expiry do.
        const [peek] = await tx
          .select({ checkoutId: orders.checkoutId, status: orders.status })
          .from(orders)
          .where(eq(orders.id, orderId));
        if (!peek) throw notFound('Order');
        const [checkout] = await tx
          .select()
          .from(checkouts)
          .where(eq(checkouts.id, peek.checkoutId))
          .for('update');
        const o = await lockOrder(tx, orderId);
        checkOwner(o, actor);
        // A reason, or a rider's return proof, missing: `decide` refuses it (the table's evidence).
        if (event === 'cancel' && o.status === 'pending_payment') {
          // Nothing is paid yet, and one payment covers every order of the checkout: cancelling
          // one unpaid order cancels the checkout, so the buyer is never asked to pay for less
          // than the amount due, nor for an order that no longer exists.
          const siblings = await tx
            .select()
            .from(orders)
            .where(eq(orders.checkoutId, o.checkoutId))
            .orderBy(asc(orders.id))
            .for('update');
          const moved = await cancelUnpaid(
            tx,
            siblings.filter((sib) => sib.status === 'pending_payment'),
            'cancel_unpaid',
            actor,
            { note: note ?? null },
          );
          const mine = moved.find((m) => m.id === o.id) ?? o;
          if (checkout?.status === 'pending_payment')
            await tx.update(checkouts).set({ status: 'cancelled' }).where(eq(checkouts.id, o.checkoutId));
          return mine;
        }
        return apply(tx, o, event, actor, { note: note ?? null });
      }
    },
  };
}

export type Transitions = ReturnType<typeof createTransitions>;
