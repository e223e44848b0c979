// Counts over the burn rows and the budget slices: what an incentive has spent and how often,
// overall and per buyer. Read-only queries that take the caller's transaction.
import { and, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { incentiveBurns, promotionBudgetSlices } from './schema.js';

export const notReversed = isNull(incentiveBurns.reversedAt);

/** Spent money and uses per promotion: the sums of its slices. */
export async function promotionTotals(tx: Database, idList: string[]) {
  const out = new Map<string, { burned: number; uses: number; budget: number }>();
  if (!idList.length) return out;
  const rows = await tx
    .select({
      id: promotionBudgetSlices.promotionId,
      burned: sql<number>`coalesce(sum(${promotionBudgetSlices.burnedAmount}), 0)::bigint`,
      uses: sql<number>`coalesce(sum(${promotionBudgetSlices.uses}), 0)::int`,
      budget: sql<number>`coalesce(sum(${promotionBudgetSlices.budgetAmount}), 0)::bigint`,
    })
    .from(promotionBudgetSlices)
    .where(inArray(promotionBudgetSlices.promotionId, idList))
    .groupBy(promotionBudgetSlices.promotionId);
  for (const r of rows) out.set(r.id, { burned: Number(r.burned), uses: r.uses, budget: Number(r.budget) });
  return out;
}

/** Money burned, checkouts that used it, and checkouts of one buyer that used it, per promotion or code. */
export async function usage(
  tx: Database,
  column: typeof incentiveBurns.promotionId | typeof incentiveBurns.codeId,
  idList: string[],
  buyerId: string | null,
) {
  const out = new Map<string, { burned: number; uses: number; buyerUses: number; buyers: number }>();
  if (!idList.length) return out;
  const rows = await tx
    .select({
      id: column,
      burned: sql<number>`coalesce(sum(${incentiveBurns.amount}), 0)::bigint`,
      uses: sql<number>`count(distinct ${incentiveBurns.checkoutId})::int`,
      buyers: sql<number>`count(distinct ${incentiveBurns.buyerId})::int`,
      buyerUses: buyerId
        ? sql<number>`count(distinct ${incentiveBurns.checkoutId}) filter (where ${incentiveBurns.buyerId} = ${buyerId})::int`
        : sql<number>`0`,
    })
    .from(incentiveBurns)
    .where(and(inArray(column, idList), notReversed))
    .groupBy(column);
  for (const r of rows)
    out.set(r.id!, {
      burned: Number(r.burned),
      uses: r.uses,
      buyerUses: Number(r.buyerUses),
      buyers: r.buyers,
    });
  return out;
}

export const none = { burned: 0, uses: 0, buyerUses: 0, buyers: 0 };

/** Checkouts in which this buyer used each incentive: a read of the buyer's own rows only. */
export async function buyerUses(
  tx: Database,
  column: typeof incentiveBurns.promotionId | typeof incentiveBurns.codeId,
  idList: string[],
  buyerId: string,
  exceptCheckout?: string,
) {
  const out = new Map<string, number>();
  if (!idList.length) return out;
  const rows = await tx
    .select({ id: column, n: sql<number>`count(distinct ${incentiveBurns.checkoutId})::int` })
    .from(incentiveBurns)
    .where(
      and(
        inArray(column, idList),
        eq(incentiveBurns.buyerId, buyerId),
        notReversed,
        exceptCheckout ? ne(incentiveBurns.checkoutId, exceptCheckout) : undefined,
      ),
    )
    .groupBy(column);
  for (const r of rows) out.set(r.id!, r.n);
  return out;
}

/** Money a promotion burned (not reversed) per Dar es Salaam day, for burns at or after `since`. */
export async function burnByDay(tx: Database, promotionId: string, since: Date) {
  const day = sql<string>`to_char(${incentiveBurns.createdAt} at time zone 'UTC' + interval '3 hours', 'YYYY-MM-DD')`;
  const rows = await tx
    .select({ day, amount: sql<number>`coalesce(sum(${incentiveBurns.amount}), 0)::bigint` })
    .from(incentiveBurns)
    .where(
      and(
        eq(incentiveBurns.promotionId, promotionId),
        notReversed,
        sql`${incentiveBurns.createdAt} >= ${since.toISOString()}::timestamptz`,
      ),
    )
    .groupBy(day);
  return new Map(rows.map((r) => [r.day, Number(r.amount)]));
}
