// Incentive budgets at checkout: the burn rows a priced cart writes, the promotion budgets (in
// slices, so concurrent checkouts rarely wait for each other) and the codes' counters spent under
// row locks, per-buyer limits, their exact reversal on cancellation, and the reconciliation check.
import { and, eq, gt, inArray, lte, sql, TransactionRollbackError } from 'drizzle-orm';
import { type BatchPart, rawQuery } from '../../db/batch.js';
import type { Database } from '../../db/client.js';
import { conflict } from '../../shared/errors.js';
import { giveBack, preferredSlice, type SliceState, takeFrom } from './budget-slices.js';
import type { PromotionsDeps } from './deps.js';
import type { Loyalty } from './loyalty.js';
import type { PricedCart } from './pricing.js';
import { discountCodes, incentiveBurns, promotionBudgetSlices, promotions } from './schema.js';
import { buyerUses, none, notReversed, promotionTotals, usage } from './usage.js';

/**
 * Spend one promotion's budget ($2) from one of its slices, if the promotion is running ($3 is now)
 * and a slice nobody else holds has that much room, looking from slice $4 on: one statement that
 * never waits for another checkout. No row back means none was found, which is not yet a refusal
 * (see `spend`). The promotion row is read, not locked: a lock on it, even one checkouts share,
 * would write to that one hot row on every checkout and could keep an admin's change waiting
 * forever. So an admin's change (say, switching the promotion off) applies to every spend that
 * starts after it commits; a budget change locks the slices and waits for spends in flight.
 */
const SPEND_FREE_SLICE = {
  name: 'promotion-spend-free-slice',
  text: `with p as materialized (
           select per_buyer_limit from promotions
            where id = $1 and active and starts_at <= $3 and ends_at > $3
         ), free as materialized (
           select slice from promotion_budget_slices
            where promotion_id = $1 and burned_amount + $2 <= budget_amount and exists (select 1 from p)
            order by slice < $4, slice
            limit 1
            for update skip locked
         )
         update promotion_budget_slices b
            set burned_amount = b.burned_amount + $2, uses = b.uses + 1
           from free, p
          where b.promotion_id = $1 and b.slice = free.slice
      returning p.per_buyer_limit`,
};

/** Give a reversed amount ($2) and uses ($3) back to the one slice with the most spent, if it holds that much. */
const RETURN_TO_ONE_SLICE = {
  name: 'promotion-return-to-one-slice',
  text: `update promotion_budget_slices b
            set burned_amount = b.burned_amount - $2, uses = b.uses - $3
          where b.promotion_id = $1 and b.burned_amount >= $2 and b.uses >= $3
            and b.slice = (select slice from promotion_budget_slices
                            where promotion_id = $1 and burned_amount >= $2 and uses >= $3
                            order by burned_amount desc, slice limit 1)
      returning b.slice`,
};

/**
 * A checkout found no free slice with room: the slices it tried may still be locked by it, so it
 * must not wait for slices now (two such checkouts could wait for each other). The checkout is run
 * again from the start in a fresh transaction that waits for the slices in order (`spend` with
 * `wait`), which gives the exact answer: spent, or out of budget.
 */
export class NoFreeBudgetSlice extends Error {
  constructor(readonly promotionId: string) {
    super(`no free budget slice of promotion ${promotionId}`);
  }
}

export const sliceState = (r: typeof promotionBudgetSlices.$inferSelect): SliceState => ({
  slice: r.slice,
  budget: r.budgetAmount,
  burned: r.burnedAmount,
  uses: r.uses,
});

export const oneSlice = (promotionId: string, slice: number) =>
  and(eq(promotionBudgetSlices.promotionId, promotionId), eq(promotionBudgetSlices.slice, slice));

/** A promotion's slices, locked in slice order (every waiting locker takes them in this order). */
export const lockSlices = (tx: Database, promotionId: string) =>
  tx
    .select()
    .from(promotionBudgetSlices)
    .where(eq(promotionBudgetSlices.promotionId, promotionId))
    .orderBy(promotionBudgetSlices.slice)
    .for('update');

/**
 * A reversal's amount and uses back into a promotion's slices. Most fit one slice that holds at
 * least that much: one row lock, so checkouts keep spending from the other slices meanwhile. The
 * try runs in a savepoint: after waiting for that row, its re-check can fail (another reversal
 * got there first) and still leave the row locked, and the rollback to the savepoint lets go of
 * it before all the slices are locked in slice order, as every waiting locker takes them.
 */
async function returnToSlices(tx: Database, promotionId: string, amount: number, uses: number) {
  const one = await tx
    .transaction(async (sp) => {
      const [r] = await rawQuery(sp, RETURN_TO_ONE_SLICE, [promotionId, amount, uses]);
      if (!r) sp.rollback();
      return true;
    })
    .catch((err) => {
      if (err instanceof TransactionRollbackError) return false;
      throw err;
    });
  if (one) return;
  for (const part of giveBack((await lockSlices(tx, promotionId)).map(sliceState), amount, uses))
    await tx
      .update(promotionBudgetSlices)
      .set({
        burnedAmount: sql`${promotionBudgetSlices.burnedAmount} - ${part.amount}`,
        uses: sql`${promotionBudgetSlices.uses} - ${part.uses}`,
      })
      .where(oneSlice(promotionId, part.slice));
}

/**
 * One promotion's spend when waiting is safe (a transaction that has not probed its slices): the
 * promotion checked, then all its slices locked in slice order, and the amount taken from as many
 * as it needs. The exact answer: spent, or a refusal saying why.
 */
async function spendWaiting(tx: Database, id: string, wanted: number, now: Date) {
  const [p] = await tx.select().from(promotions).where(eq(promotions.id, id));
  if (!p?.active || now < p.startsAt || now >= p.endsAt)
    throw conflict('PROMOTION_EXPIRED', `The promotion "${p?.name ?? id}" is no longer running.`);
  const plan = takeFrom((await lockSlices(tx, id)).map(sliceState), wanted);
  if (!plan) throw conflict('PROMOTION_BUDGET_EXHAUSTED', `The promotion "${p.name}" has run out of budget.`);
  for (const [i, part] of plan.entries())
    await tx
      .update(promotionBudgetSlices)
      .set({
        burnedAmount: sql`${promotionBudgetSlices.burnedAmount} + ${part.amount}`,
        // a checkout is one use, counted on the first slice that paid
        uses: sql`${promotionBudgetSlices.uses} + ${i === 0 ? 1 : 0}`,
      })
      .where(oneSlice(id, part.slice));
  return p.perBuyerLimit;
}

export interface BurnRequest {
  buyerId: string;
  checkoutId: string;
  priced: PricedCart;
  orderIdBySeller?: Map<string, string>;
}

export function createBudget(deps: PromotionsDeps, loyalty: Pick<Loyalty, 'redeem' | 'refundRedeems'>) {
  const { db, clock, ids } = deps;

  /** One burn row per promoted line, and one per seller order for the code (each order's share). */
  function burnRows(q: BurnRequest): Array<typeof incentiveBurns.$inferInsert> {
    const now = clock.now();
    const rows: Array<typeof incentiveBurns.$inferInsert> = [];
    for (const l of q.priced.lines) {
      if (!l.promotion) continue;
      rows.push({
        id: ids.newId(),
        kind: 'promotion',
        promotionId: l.promotion.id,
        codeId: null,
        buyerId: q.buyerId,
        checkoutId: q.checkoutId,
        orderId: q.orderIdBySeller?.get(l.sellerId) ?? null,
        skuId: l.skuId,
        amount: l.promotion.amount,
        createdAt: now,
      });
    }
    if (q.priced.code) {
      const bySeller = new Map<string, number>();
      for (const l of q.priced.lines)
        if (l.codeDiscount > 0) bySeller.set(l.sellerId, (bySeller.get(l.sellerId) ?? 0) + l.codeDiscount);
      for (const [sellerId, amount] of bySeller) {
        rows.push({
          id: ids.newId(),
          kind: 'code',
          promotionId: null,
          codeId: q.priced.code.id,
          buyerId: q.buyerId,
          checkoutId: q.checkoutId,
          orderId: q.orderIdBySeller?.get(sellerId) ?? null,
          skuId: null,
          amount,
          createdAt: now,
        });
      }
    }
    return rows;
  }

  /**
   * Spend the budgets a priced cart uses, inside the checkout's transaction (its burn rows may
   * already be written: the per-buyer counts leave this checkout out), promotions in id order.
   * Every slice spend is conditional on its room under the slice's row lock, so concurrent
   * checkouts can never overspend; any shortfall throws and rolls the checkout back. Loyalty
   * points are debited here too.
   *
   * `wait: false` (checkout's first try): each promotion is spent from one free slice in one
   * statement that never waits (SPEND_FREE_SLICE); when none is found it throws NoFreeBudgetSlice
   * and checkout runs again with `wait: true`, which waits for the slices (`spendWaiting`).
   */
  async function spend(tx: Database, q: BurnRequest, opts: { wait: boolean } = { wait: true }) {
    const now = clock.now();
    const promoIds = [
      ...new Set(q.priced.lines.flatMap((l) => (l.promotion ? [l.promotion.id] : []))),
    ].sort();
    const limited: string[] = [];
    for (const id of promoIds) {
      const wanted = q.priced.lines.reduce(
        (a, l) => a + (l.promotion?.id === id ? l.promotion.amount : 0),
        0,
      );
      let perBuyerLimit: number | null;
      if (opts.wait) perBuyerLimit = await spendWaiting(tx, id, wanted, now);
      else {
        const [spent] = await rawQuery<{ per_buyer_limit: number | null }>(tx, SPEND_FREE_SLICE, [
          id,
          wanted,
          now,
          preferredSlice(q.checkoutId),
        ]);
        if (!spent) throw new NoFreeBudgetSlice(id);
        perBuyerLimit = spent.per_buyer_limit;
      }
      if (perBuyerLimit !== null) limited.push(id);
    }
    if (limited.length) {
      // The buyer's own earlier checkouts cannot change under us: checkout holds the buyer's cart lock.
      const used = await buyerUses(tx, incentiveBurns.promotionId, limited, q.buyerId, q.checkoutId);
      const over = await tx.select().from(promotions).where(inArray(promotions.id, limited));
      const hit = over.find((p) => p.perBuyerLimit !== null && (used.get(p.id) ?? 0) >= p.perBuyerLimit);
      if (hit)
        throw conflict('PROMOTION_LIMIT_REACHED', `You have already used "${hit.name}" as often as allowed.`);
    }
    if (q.priced.code) {
      const amount = q.priced.code.amount;
      const [c] = await tx
        .update(discountCodes)
        .set({
          burnedAmount: sql`${discountCodes.burnedAmount} + ${amount}`,
          uses: sql`${discountCodes.uses} + 1`,
        })
        .where(
          and(
            eq(discountCodes.id, q.priced.code.id),
            eq(discountCodes.active, true),
            lte(discountCodes.startsAt, now),
            gt(discountCodes.endsAt, now),
            sql`(${discountCodes.budgetAmount} is null or ${discountCodes.burnedAmount} + ${amount} <= ${discountCodes.budgetAmount})`,
            sql`(${discountCodes.maxUses} is null or ${discountCodes.uses} < ${discountCodes.maxUses})`,
          ),
        )
        .returning();
      if (!c) {
        const [row] = await tx.select().from(discountCodes).where(eq(discountCodes.id, q.priced.code.id));
        if (!row?.active || now < row.startsAt || now >= row.endsAt)
          throw conflict('CODE_EXPIRED', 'The discount code is no longer valid.');
        if (row.maxUses !== null && row.uses >= row.maxUses)
          throw conflict('CODE_USAGE_LIMIT_REACHED', 'The discount code has been used up.');
        throw conflict('CODE_BUDGET_EXHAUSTED', 'The discount code has run out of budget.');
      }
      if (
        c.perBuyerLimit !== null &&
        ((await buyerUses(tx, incentiveBurns.codeId, [c.id], q.buyerId, q.checkoutId)).get(c.id) ?? 0) >=
          c.perBuyerLimit
      ) {
        throw conflict('CODE_LIMIT_REACHED', 'You have already used this code as often as allowed.');
      }
    }
    await loyalty.redeem(tx, q);
  }

  return {
    /**
     * Record every incentive a priced cart uses, inside the checkout's transaction: the burn rows,
     * then the budgets spent (see `spend`). Checkout itself writes the rows in its batched write
     * (`burnDraft`) and calls `spend` last.
     */
    async burn(tx: Database, q: BurnRequest, opts: { wait: boolean } = { wait: true }) {
      const rows = burnRows(q);
      if (rows.length) await tx.insert(incentiveBurns).values(rows);
      await spend(tx, q, opts);
      return rows.length;
    },

    /** The burn rows as one part of the checkout's batched write. */
    burnDraft: (q: BurnRequest): BatchPart => ({ insert: incentiveBurns, rows: burnRows(q) }),

    spend,

    /**
     * A cancelled checkout (or some cancelled orders of it) gives its budgets, uses and points back,
     * exactly once: burns are marked reversed, and each redeem entry gets at most one refund entry
     * (a unique index on `reverses_id`), under the buyer's points lock. Give back every order a
     * transaction cancels in one call: it takes the promotions' slices, then the codes, then the
     * points locks in the order checkout does, which two calls in one transaction would not.
     */
    async reverseBurns(tx: Database, scope: { checkoutId: string; orderIds?: string[] }) {
      const burnScope = scope.orderIds
        ? inArray(incentiveBurns.orderId, scope.orderIds)
        : eq(incentiveBurns.checkoutId, scope.checkoutId);
      const reversed = await tx
        .update(incentiveBurns)
        .set({ reversedAt: clock.now() })
        .where(and(burnScope, notReversed))
        .returning();
      // Give the running totals back: the amount always; a use only when the checkout no longer
      // uses the incentive at all (cancelling one order of two may leave the other's burn live).
      const back = new Map<
        string,
        { kind: 'promotion' | 'code'; id: string; amount: number; checkouts: Set<string> }
      >();
      for (const r of reversed) {
        const id = (r.kind === 'promotion' ? r.promotionId : r.codeId)!;
        const k = `${r.kind}:${id}`;
        const e = back.get(k) ?? { kind: r.kind, id, amount: 0, checkouts: new Set<string>() };
        e.amount += r.amount;
        e.checkouts.add(r.checkoutId);
        back.set(k, e);
      }
      // Promotions in id order, then codes: the order checkout spends them in, so a reversal and a
      // checkout never wait for each other's rows.
      const order = (x: { kind: string; id: string }) => `${x.kind === 'promotion' ? 0 : 1}:${x.id}`;
      for (const e of [...back.values()].sort((x, y) => (order(x) < order(y) ? -1 : 1))) {
        const col = e.kind === 'promotion' ? incentiveBurns.promotionId : incentiveBurns.codeId;
        let usesBack = 0;
        for (const checkoutId of e.checkouts) {
          const [live] = await tx
            .select({ id: incentiveBurns.id })
            .from(incentiveBurns)
            .where(and(eq(col, e.id), eq(incentiveBurns.checkoutId, checkoutId), notReversed))
            .limit(1);
          if (!live) usesBack++;
        }
        if (e.kind === 'code') {
          await tx
            .update(discountCodes)
            .set({
              burnedAmount: sql`${discountCodes.burnedAmount} - ${e.amount}`,
              uses: sql`${discountCodes.uses} - ${usesBack}`,
            })
            .where(eq(discountCodes.id, e.id));
          continue;
        }
        await returnToSlices(tx, e.id, e.amount, usesBack);
      }
      const refunded = await loyalty.refundRedeems(tx, scope);
      return reversed.length + refunded;
    },

    /**
     * Reconciliation: every running total equals the sum of its live burn rows, and a promotion's
     * slices add up to its budget.
     */
    async checkCounters(tx: Database = db): Promise<string[]> {
      const problems: string[] = [];
      const promos = await tx.select({ id: promotions.id, budget: promotions.budgetAmount }).from(promotions);
      const totals = await promotionTotals(
        tx,
        promos.map((p) => p.id),
      );
      for (const p of promos) {
        const t = totals.get(p.id);
        if (t?.budget !== p.budget)
          problems.push(
            `promotion ${p.id} has a budget of ${p.budget} but its slices add up to ${t?.budget ?? 0}`,
          );
      }
      const counted = {
        promotion: promos.map((p) => ({ id: p.id, ...(totals.get(p.id) ?? { burned: 0, uses: 0 }) })),
        'discount code': await tx
          .select({ id: discountCodes.id, burned: discountCodes.burnedAmount, uses: discountCodes.uses })
          .from(discountCodes),
      };
      for (const [col, label] of [
        [incentiveBurns.promotionId, 'promotion'],
        [incentiveBurns.codeId, 'discount code'],
      ] as const) {
        const rows = counted[label];
        const sums = await usage(
          tx,
          col,
          rows.map((r) => r.id),
          null,
        );
        for (const r of rows) {
          const u = sums.get(r.id) ?? none;
          if (u.burned !== r.burned || u.uses !== r.uses)
            problems.push(
              `${label} ${r.id} counts ${r.burned}/${r.uses} but its burns add up to ${u.burned}/${u.uses}`,
            );
        }
      }
      return problems;
    },
  };
}

export type Budget = ReturnType<typeof createBudget>;
