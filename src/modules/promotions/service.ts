import {
  and,
  desc,
  eq,
  getTableColumns,
  gt,
  inArray,
  isNull,
  lte,
  ne,
  sql,
  TransactionRollbackError,
} from 'drizzle-orm';
import { type BatchPart, rawQuery, typedRows } from '../../db/batch.js';
import type { Database } from '../../db/client.js';
import { isUniqueViolation } from '../../db/columns.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, conflict, notFound, unprocessable } from '../../shared/errors.js';
import type { IdGenerator } from '../../shared/ids.js';
import { MONEY_UNIT } from '../../shared/money.js';
import type { AuditService } from '../audit/index.js';
import {
  BUDGET_SLICES,
  giveBack,
  preferredSlice,
  reslice,
  type SliceState,
  splitBudget,
  takeFrom,
} from './budget-slices.js';
import type { LoyaltyKind } from './model.js';
import {
  allocate,
  type CodeRule,
  type DiscountValue,
  type PricedCart,
  type PricingInput,
  type PricingLine,
  type PromotionRule,
  type PromotionScope,
} from './pricing.js';
import {
  discountCodes,
  incentiveBurns,
  loyaltyEntries,
  promotionBudgetSlices,
  promotions,
} from './schema.js';

/**
 * The promotions that could touch a cart's lines: running or near their window (so the preview can
 * say why one did not apply), scoped to everything, or to a category, brand, product or SKU of a line.
 */
const CANDIDATE_PROMOTIONS = {
  name: 'promotion-candidates',
  // Named columns, not *: a column added by a migration must not break the plan every running
  // connection has prepared ("cached plan must not change result type").
  text: `select ${Object.values(getTableColumns(promotions))
    .map((c) => `"${c.name}"`)
    .join(', ')},
            (select coalesce(sum(s.burned_amount), 0) from promotion_budget_slices s
              where s.promotion_id = promotions.id)::bigint as spent_amount
          from promotions
          where active and ends_at > $1 and starts_at < $2
            and (scope_type = 'all'
              or (scope_type = 'category' and scope_id = any($3::uuid[]))
              or (scope_type = 'brand' and scope_id = any($4::uuid[]))
              or (scope_type = 'product' and scope_id = any($5::uuid[]))
              or (scope_type = 'sku' and scope_id = any($6::uuid[])))`,
};

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

const sliceState = (r: typeof promotionBudgetSlices.$inferSelect): SliceState => ({
  slice: r.slice,
  budget: r.budgetAmount,
  burned: r.burnedAmount,
  uses: r.uses,
});

const oneSlice = (promotionId: string, slice: number) =>
  and(eq(promotionBudgetSlices.promotionId, promotionId), eq(promotionBudgetSlices.slice, slice));

/** A promotion's slices, locked in slice order (every waiting locker takes them in this order). */
const lockSlices = (tx: Database, promotionId: string) =>
  tx
    .select()
    .from(promotionBudgetSlices)
    .where(eq(promotionBudgetSlices.promotionId, promotionId))
    .orderBy(promotionBudgetSlices.slice)
    .for('update');

/** Spent money and uses per promotion: the sums of its slices. */
async function promotionTotals(tx: Database, idList: string[]) {
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

export type Promotion = typeof promotions.$inferSelect;
export type DiscountCode = typeof discountCodes.$inferSelect;

export interface LoyaltyRules {
  /** minor units a redeemed point is worth */
  pointValue: number;
  /** most of a cart (after promotions and code) payable in points, basis points */
  maxShareBp: number;
  /** minor units of completed spending that earn one point */
  earnPerPoint: number;
  /** the currency points are valued in */
  currency: string;
}

export type ValueInput =
  | { type: 'percentage'; percent_bp: number; cap_amount?: number | null | undefined }
  | { type: 'fixed'; amount: number };
export type ScopeInput = { type: 'all' } | { type: 'category' | 'brand' | 'product' | 'sku'; id: string };

export interface PromotionInput {
  name: string;
  value: ValueInput;
  scope: ScopeInput;
  starts_at: string;
  ends_at: string;
  priority: number;
  budget_amount: number;
  per_buyer_limit?: number | null | undefined;
  active: boolean;
  currency?: 'TZS' | 'KES' | undefined;
}

export interface CodeInput {
  code: string;
  value: ValueInput;
  min_order_amount: number;
  starts_at: string;
  ends_at: string;
  max_uses?: number | null | undefined;
  per_buyer_limit?: number | null | undefined;
  budget_amount?: number | null | undefined;
  active: boolean;
  currency?: 'TZS' | 'KES' | undefined;
}

/** Codes are matched without case and without spaces: "karibu 10" is KARIBU10. */
export function normalizeCode(input: string): string {
  return input.replace(/\s+/g, '').toUpperCase();
}

const valueColumns = (v: ValueInput) =>
  v.type === 'percentage'
    ? {
        valueKind: 'percentage' as const,
        percentBp: v.percent_bp,
        capAmount: v.cap_amount ?? null,
        fixedAmount: null,
      }
    : { valueKind: 'fixed' as const, percentBp: null, capAmount: null, fixedAmount: v.amount };

export const discountValueOf = (r: {
  valueKind: 'percentage' | 'fixed';
  percentBp: number | null;
  capAmount: number | null;
  fixedAmount: number | null;
}): DiscountValue =>
  r.valueKind === 'percentage'
    ? { kind: 'percentage', percentBp: r.percentBp!, capAmount: r.capAmount }
    : { kind: 'fixed', amount: r.fixedAmount! };

export const scopeOf = (p: Promotion): PromotionScope =>
  p.scopeType === 'all' ? { type: 'all' } : { type: p.scopeType, id: p.scopeId! };

function validWindow(startsAt: string | Date, endsAt: string | Date) {
  const s = new Date(startsAt);
  const e = new Date(endsAt);
  if (e.getTime() <= s.getTime())
    throw unprocessable('INVALID_WINDOW', 'ends_at', 'ends_at must be after starts_at.');
  return { startsAt: s, endsAt: e };
}

const notReversed = isNull(incentiveBurns.reversedAt);

async function requireScope(
  exists: (type: 'category' | 'brand' | 'product' | 'sku', id: string) => Promise<boolean>,
  scope: ScopeInput | undefined,
) {
  if (scope && scope.type !== 'all' && !(await exists(scope.type, scope.id))) {
    throw unprocessable('SCOPE_NOT_FOUND', 'scope.id', `No ${scope.type} has the id ${scope.id}.`);
  }
}

export function createPromotionsService(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  loyalty: LoyaltyRules;
  /** throws 404 for an unknown user */
  requireUser: (userId: string) => Promise<unknown>;
  /** whether a promotion's scope target exists in the catalog */
  scopeExists: (type: 'category' | 'brand' | 'product' | 'sku', id: string) => Promise<boolean>;
}) {
  const { db, clock, ids, audit } = deps;

  /** Money burned, checkouts that used it, and checkouts of one buyer that used it, per promotion or code. */
  async function usage(
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

  const none = { burned: 0, uses: 0, buyerUses: 0, buyers: 0 };

  /** An admin change of a promotion or code: what changed, by whom, and why. */
  const auditUpdate = (
    tx: Database,
    kind: 'promotion' | 'discount_code',
    id: string,
    adminId: string,
    patch: { reason: string },
  ) => {
    const { reason, ...changes } = patch;
    return audit.record(tx, {
      actorUserId: adminId,
      action: `${kind}.updated`,
      targetType: kind,
      targetId: id,
      reason,
      data: { changes },
    });
  };

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

  /** Checkouts in which this buyer used each incentive: a read of the buyer's own rows only. */
  async function buyerUses(
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

  interface BurnRequest {
    buyerId: string;
    checkoutId: string;
    priced: PricedCart;
    orderIdBySeller?: Map<string, string>;
  }

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
   * One promotion's spend when waiting is safe (a transaction that has not probed its slices): the
   * promotion checked, then all its slices locked in slice order, and the amount taken from as many
   * as it needs. The exact answer: spent, or a refusal saying why.
   */
  async function spendWaiting(tx: Database, id: string, wanted: number, now: Date) {
    const [p] = await tx.select().from(promotions).where(eq(promotions.id, id));
    if (!p?.active || now < p.startsAt || now >= p.endsAt)
      throw conflict('PROMOTION_EXPIRED', `The promotion "${p?.name ?? id}" is no longer running.`);
    const plan = takeFrom((await lockSlices(tx, id)).map(sliceState), wanted);
    if (!plan)
      throw conflict('PROMOTION_BUDGET_EXHAUSTED', `The promotion "${p.name}" has run out of budget.`);
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
  }

  const toRule = (p: Promotion, spent: number, buyerUsed: number): PromotionRule => ({
    id: p.id,
    name: p.name,
    value: discountValueOf(p),
    scope: scopeOf(p),
    startsAt: p.startsAt,
    endsAt: p.endsAt,
    priority: p.priority,
    active: p.active,
    budgetAmount: p.budgetAmount,
    currency: p.currency,
    burnedAmount: spent,
    perBuyerLimit: p.perBuyerLimit,
    buyerUses: buyerUsed,
    createdAt: p.createdAt,
  });

  const toCodeRule = (c: DiscountCode, buyerUsed: number): CodeRule => ({
    id: c.id,
    code: c.code,
    value: discountValueOf(c),
    minOrderAmount: c.minOrderAmount,
    startsAt: c.startsAt,
    endsAt: c.endsAt,
    active: c.active,
    maxUses: c.maxUses,
    uses: c.uses,
    perBuyerLimit: c.perBuyerLimit,
    buyerUses: buyerUsed,
    budgetAmount: c.budgetAmount,
    burnedAmount: c.burnedAmount,
    currency: c.currency,
  });

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
    loyaltyRules: deps.loyalty,

    // ---------------------------------------------------------------- admin: promotions
    async createPromotion(adminId: string, input: PromotionInput) {
      const w = validWindow(input.starts_at, input.ends_at);
      await requireScope(deps.scopeExists, input.scope);
      const now = clock.now();
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(promotions)
          .values({
            id: ids.newId(),
            name: input.name,
            ...valueColumns(input.value),
            scopeType: input.scope.type,
            scopeId: input.scope.type === 'all' ? null : input.scope.id,
            ...w,
            priority: input.priority,
            budgetAmount: input.budget_amount,
            perBuyerLimit: input.per_buyer_limit ?? null,
            active: input.active,
            currency: input.currency ?? 'TZS',
            createdBy: adminId,
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        await tx.insert(promotionBudgetSlices).values(
          splitBudget(input.budget_amount, BUDGET_SLICES).map((budgetAmount, slice) => ({
            promotionId: row!.id,
            slice,
            budgetAmount,
          })),
        );
        await audit.record(tx, {
          actorUserId: adminId,
          action: 'promotion.created',
          targetType: 'promotion',
          targetId: row!.id,
          data: { ...input },
        });
        return row!;
      });
    },

    async updatePromotion(adminId: string, id: string, patch: Partial<PromotionInput> & { reason: string }) {
      await requireScope(deps.scopeExists, patch.scope);
      return db.transaction(async (tx) => {
        const [current] = await tx.select().from(promotions).where(eq(promotions.id, id)).for('update');
        if (!current) throw notFound('Promotion');
        const w = validWindow(patch.starts_at ?? current.startsAt, patch.ends_at ?? current.endsAt);
        if (patch.budget_amount !== undefined && patch.budget_amount !== current.budgetAmount) {
          // The slices are split again around what each has spent, under their locks (waiting
          // for checkouts that hold one), so they still add up to the budget.
          const slices = (await lockSlices(tx, id)).map(sliceState);
          const budgets = reslice(patch.budget_amount, slices);
          if (!budgets)
            throw unprocessable(
              'BUDGET_BELOW_SPENT',
              'budget_amount',
              `${slices.reduce((a, x) => a + x.burned, 0)} of this budget is already spent; it cannot be lower.`,
            );
          for (const [i, x] of slices.entries())
            await tx
              .update(promotionBudgetSlices)
              .set({ budgetAmount: budgets[i]! })
              .where(oneSlice(id, x.slice));
        }
        const [row] = await tx
          .update(promotions)
          .set({
            ...(patch.name !== undefined ? { name: patch.name } : {}),
            ...(patch.value ? valueColumns(patch.value) : {}),
            ...(patch.scope
              ? { scopeType: patch.scope.type, scopeId: patch.scope.type === 'all' ? null : patch.scope.id }
              : {}),
            ...w,
            ...(patch.priority !== undefined ? { priority: patch.priority } : {}),
            ...(patch.budget_amount !== undefined ? { budgetAmount: patch.budget_amount } : {}),
            ...(patch.per_buyer_limit !== undefined ? { perBuyerLimit: patch.per_buyer_limit } : {}),
            ...(patch.active !== undefined ? { active: patch.active } : {}),
            updatedAt: clock.now(),
          })
          .where(eq(promotions.id, id))
          .returning();
        await auditUpdate(tx, 'promotion', id, adminId, patch);
        return row!;
      });
    },

    async listPromotions() {
      return db.select().from(promotions).orderBy(desc(promotions.createdAt), desc(promotions.id));
    },

    async getPromotion(id: string) {
      const [row] = await db.select().from(promotions).where(eq(promotions.id, id));
      if (!row) throw notFound('Promotion');
      const u = (await usage(db, incentiveBurns.promotionId, [id], null)).get(id) ?? none;
      const t = (await promotionTotals(db, [id])).get(id) ?? { burned: 0, uses: 0 };
      return {
        promotion: row,
        report: {
          uses: t.uses,
          unique_buyers: u.buyers,
          burned_amount: t.burned,
          budget_left: Math.max(0, row.budgetAmount - t.burned),
        },
      };
    },

    // ---------------------------------------------------------------- admin: discount codes
    async createCode(adminId: string, input: CodeInput) {
      const w = validWindow(input.starts_at, input.ends_at);
      const now = clock.now();
      const code = normalizeCode(input.code);
      try {
        return await db.transaction(async (tx) => {
          const [row] = await tx
            .insert(discountCodes)
            .values({
              id: ids.newId(),
              code,
              ...valueColumns(input.value),
              minOrderAmount: input.min_order_amount,
              ...w,
              maxUses: input.max_uses ?? null,
              perBuyerLimit: input.per_buyer_limit ?? null,
              budgetAmount: input.budget_amount ?? null,
              active: input.active,
              currency: input.currency ?? 'TZS',
              createdBy: adminId,
              createdAt: now,
              updatedAt: now,
            })
            .returning();
          await audit.record(tx, {
            actorUserId: adminId,
            action: 'discount_code.created',
            targetType: 'discount_code',
            targetId: row!.id,
            data: { ...input, code },
          });
          return row!;
        });
      } catch (err) {
        if (isUniqueViolation(err))
          throw new AppError('CODE_EXISTS', 409, `The code ${code} already exists.`, { field: 'code' });
        throw err;
      }
    },

    async updateCode(
      adminId: string,
      id: string,
      patch: Partial<Omit<CodeInput, 'code'>> & { reason: string },
    ) {
      return db.transaction(async (tx) => {
        const [current] = await tx.select().from(discountCodes).where(eq(discountCodes.id, id)).for('update');
        if (!current) throw notFound('Discount code');
        const w = validWindow(patch.starts_at ?? current.startsAt, patch.ends_at ?? current.endsAt);
        const [row] = await tx
          .update(discountCodes)
          .set({
            ...(patch.value ? valueColumns(patch.value) : {}),
            ...(patch.min_order_amount !== undefined ? { minOrderAmount: patch.min_order_amount } : {}),
            ...w,
            ...(patch.max_uses !== undefined ? { maxUses: patch.max_uses } : {}),
            ...(patch.per_buyer_limit !== undefined ? { perBuyerLimit: patch.per_buyer_limit } : {}),
            ...(patch.budget_amount !== undefined ? { budgetAmount: patch.budget_amount } : {}),
            ...(patch.active !== undefined ? { active: patch.active } : {}),
            updatedAt: clock.now(),
          })
          .where(eq(discountCodes.id, id))
          .returning();
        await auditUpdate(tx, 'discount_code', id, adminId, patch);
        return row!;
      });
    },

    async listCodes() {
      return db.select().from(discountCodes).orderBy(desc(discountCodes.createdAt), desc(discountCodes.id));
    },

    async getCode(id: string) {
      const [row] = await db.select().from(discountCodes).where(eq(discountCodes.id, id));
      if (!row) throw notFound('Discount code');
      const u = (await usage(db, incentiveBurns.codeId, [id], null)).get(id) ?? none;
      return {
        code: row,
        report: {
          uses: u.uses,
          unique_buyers: u.buyers,
          burned_amount: u.burned,
          budget_left: row.budgetAmount === null ? null : Math.max(0, row.budgetAmount - u.burned),
        },
      };
    },

    /** A code as entered by a buyer, if it exists (normalised). */
    async findCode(input: string) {
      const [row] = await db
        .select()
        .from(discountCodes)
        .where(eq(discountCodes.code, normalizeCode(input)));
      return row ?? null;
    },

    // ---------------------------------------------------------------- pricing inputs
    /**
     * Everything the pure engine needs beyond the lines: the promotions that could touch them
     * (including recently ended or soon starting ones, so the preview can say why they did not
     * apply), the code with its usage, and the buyer's points. The same for preview and checkout.
     */
    async pricingInput(
      tx: Database,
      q: {
        buyerId: string;
        lines: PricingLine[];
        code: string | null;
        requestedPoints: number;
        currency: string;
      },
    ): Promise<PricingInput> {
      const now = clock.now();
      const horizon = 30 * 24 * 3600_000;
      const candidates = q.lines.length
        ? await rawQuery<Record<string, unknown>>(tx, CANDIDATE_PROMOTIONS, [
            new Date(now.getTime() - horizon),
            new Date(now.getTime() + horizon),
            [...new Set(q.lines.flatMap((l) => l.categoryIds))],
            [...new Set(q.lines.map((l) => l.brandId).filter((b): b is string => b !== null))],
            [...new Set(q.lines.map((l) => l.productId))],
            [...new Set(q.lines.map((l) => l.skuId))],
          ])
        : [];
      const promos = typedRows(promotions, candidates);
      const promoUsage = await buyerUses(
        tx,
        incentiveBurns.promotionId,
        promos.filter((p) => p.perBuyerLimit !== null).map((p) => p.id),
        q.buyerId,
      );

      let code: PricingInput['code'] = null;
      if (q.code) {
        const [row] = await tx
          .select()
          .from(discountCodes)
          .where(eq(discountCodes.code, normalizeCode(q.code)));
        if (!row) code = { unknown: q.code };
        else
          code = toCodeRule(
            row,
            row.perBuyerLimit === null
              ? 0
              : ((await buyerUses(tx, incentiveBurns.codeId, [row.id], q.buyerId)).get(row.id) ?? 0),
          );
      }
      const balance = q.requestedPoints > 0 ? await loyaltyBalance(tx, q.buyerId) : 0;
      return {
        currency: q.currency,
        lines: q.lines,
        promotions: promos.map((p, i) =>
          toRule(p, Number(candidates[i]!.spent_amount), promoUsage.get(p.id) ?? 0),
        ),
        code,
        loyalty:
          q.requestedPoints > 0
            ? { balancePoints: balance, requestedPoints: q.requestedPoints, ...deps.loyalty }
            : null,
        now,
        unit: MONEY_UNIT,
      };
    },

    // ---------------------------------------------------------------- burning (checkout)
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

    // ---------------------------------------------------------------- loyalty
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

export type PromotionsService = ReturnType<typeof createPromotionsService>;
