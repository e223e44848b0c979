// Loyalty points: an append-only ledger per buyer (earn, redeem, refund, adjust), changed one
// buyer at a time under an advisory lock so a balance is never spent twice.
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { conflict, unprocessable } from '../../shared/errors.js';
import type { PromotionsDeps } from './deps.js';
import type { LoyaltyKind } from './model.js';
import { allocate, type PricedCart } from './pricing.js';
import { loyaltyEntries } from './schema.js';

export function createLoyalty(deps: PromotionsDeps) {
  const { db, clock, ids, audit } = deps;

  async function loyaltyBalance(tx: Database, buyerId: string): Promise<number> {
    const [r] = await tx
      .select({ b: sql<number>`coalesce(sum(${loyaltyEntries.points}), 0)::int` })
      .from(loyaltyEntries)
      .where(eq(loyaltyEntries.buyerId, buyerId));
    return r?.b ?? 0;
  }

  async function addLoyalty(
    tx: Database,
    e: {
      buyerId: string;
      kind: LoyaltyKind;
      points: number;
      checkoutId?: string | null;
      orderId?: string | null;
      reason?: string | null;
      createdBy?: string | null;
    },
  ) {
    await tx.insert(loyaltyEntries).values({
      id: ids.newId(),
      buyerId: e.buyerId,
      kind: e.kind,
      points: e.points,
      checkoutId: e.checkoutId ?? null,
      orderId: e.orderId ?? null,
      reason: e.reason ?? null,
      createdBy: e.createdBy ?? null,
      createdAt: clock.now(),
    });
  }

  /** One buyer's points change one at a time, so a balance can never be spent twice. */
  const lockLoyalty = (tx: Database, buyerId: string) =>
    tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`loyalty:${buyerId}`}, 0))`);

  return {
    loyaltyBalance,

    /**
     * Debit the points a priced cart redeems, inside the checkout's transaction (after its budgets),
     * or refuse when the balance changed since the preview.
     */
    async redeem(
      tx: Database,
      q: { buyerId: string; checkoutId: string; priced: PricedCart; orderIdBySeller?: Map<string, string> },
    ) {
      if (q.priced.loyalty) {
        await lockLoyalty(tx, q.buyerId);
        const balance = await loyaltyBalance(tx, q.buyerId);
        if (balance < q.priced.loyalty.pointsUsed) {
          throw conflict('INSUFFICIENT_POINTS', 'Your points balance changed; review your cart.');
        }
        // One redeem entry per seller order (points split by each order's share of the points
        // discount), so cancelling one order of a checkout gives back exactly its points.
        const shares = new Map<string, number>();
        for (const l of q.priced.lines)
          shares.set(l.sellerId, (shares.get(l.sellerId) ?? 0) + l.loyaltyDiscount);
        const sellers = [...shares.keys()].filter((k) => shares.get(k)! > 0);
        const points = q.orderIdBySeller
          ? allocate(
              q.priced.loyalty.pointsUsed,
              sellers.map((k) => shares.get(k)!),
            )
          : [q.priced.loyalty.pointsUsed];
        for (let i = 0; i < points.length; i++) {
          if (points[i]! <= 0) continue;
          await addLoyalty(tx, {
            buyerId: q.buyerId,
            kind: 'redeem',
            points: -points[i]!,
            checkoutId: q.checkoutId,
            orderId: q.orderIdBySeller ? (q.orderIdBySeller.get(sellers[i]!) ?? null) : null,
          });
        }
      }
    },

    /**
     * Give back the points of cancelled orders (or a whole checkout), exactly once: each redeem
     * entry gets at most one refund entry (a unique index on `reverses_id`). Returns how many.
     */
    async refundRedeems(tx: Database, scope: { checkoutId: string; orderIds?: string[] }) {
      const redeems = await tx
        .select()
        .from(loyaltyEntries)
        .where(
          and(
            eq(loyaltyEntries.kind, 'redeem'),
            scope.orderIds
              ? inArray(loyaltyEntries.orderId, scope.orderIds)
              : eq(loyaltyEntries.checkoutId, scope.checkoutId),
          ),
        );
      let refunded = 0;
      for (const r of redeems) {
        await lockLoyalty(tx, r.buyerId);
        const done = await tx
          .insert(loyaltyEntries)
          .values({
            id: ids.newId(),
            buyerId: r.buyerId,
            kind: 'refund',
            points: -r.points,
            checkoutId: r.checkoutId,
            orderId: r.orderId,
            reversesId: r.id,
            reason: 'order cancelled',
            createdAt: clock.now(),
          })
          .onConflictDoNothing({ target: loyaltyEntries.reversesId })
          .returning({ id: loyaltyEntries.id });
        refunded += done.length;
      }
      return refunded;
    },

    balance: (buyerId: string) => loyaltyBalance(db, buyerId),

    async entries(buyerId: string, limit = 50) {
      return db
        .select()
        .from(loyaltyEntries)
        .where(eq(loyaltyEntries.buyerId, buyerId))
        .orderBy(desc(loyaltyEntries.createdAt), desc(loyaltyEntries.id))
        .limit(limit);
    },

    /** Admin correction or goodwill grant; never takes a balance below zero. */
    async adjust(adminId: string, buyerId: string, points: number, reason: string) {
      await deps.requireUser(buyerId);
      return db.transaction(async (tx) => {
        await lockLoyalty(tx, buyerId);
        const balance = await loyaltyBalance(tx, buyerId);
        if (balance + points < 0)
          throw unprocessable(
            'INSUFFICIENT_POINTS',
            'points',
            `The balance is ${balance}; it cannot go below zero.`,
          );
        await addLoyalty(tx, { buyerId, kind: 'adjust', points, reason, createdBy: adminId });
        await audit.record(tx, {
          actorUserId: adminId,
          action: 'loyalty.adjusted',
          targetType: 'user',
          targetId: buyerId,
          reason,
          data: { points },
        });
        return balance + points;
      });
    },

    /** Goodwill points the platform owes for a broken promise (late delivery); the orders module calls this. */
    async compensate(tx: Database, q: { buyerId: string; orderId: string; points: number; reason: string }) {
      if (q.points > 0)
        await addLoyalty(tx, {
          buyerId: q.buyerId,
          kind: 'adjust',
          points: q.points,
          orderId: q.orderId,
          reason: q.reason,
        });
    },

    /** Points for a completed order (the orders module calls this; never at payment). */
    async earn(tx: Database, q: { buyerId: string; orderId: string; finalAmount: number }) {
      const points = Math.floor(q.finalAmount / deps.loyalty.earnPerPoint);
      if (points > 0) await addLoyalty(tx, { buyerId: q.buyerId, kind: 'earn', points, orderId: q.orderId });
      return points;
    },
  };
}

export type Loyalty = ReturnType<typeof createLoyalty>;
