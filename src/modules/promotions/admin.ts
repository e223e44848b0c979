// Admin use cases for promotions and discount codes: create, change (always with a reason, audited),
// list and report. A promotion's budget is split into slices here and re-split on a change.
import { desc, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { isUniqueViolation } from '../../db/columns.js';
import { AppError, notFound, unprocessable } from '../../shared/errors.js';
import { lockSlices, oneSlice, sliceState } from './budget.js';
import { BUDGET_SLICES, reslice, splitBudget } from './budget-slices.js';
import { type DayBurn, daysToExhaustion } from './burn.js';
import type { PromotionsDeps } from './deps.js';
import { normalizeCode } from './rows.js';
import { discountCodes, incentiveBurns, promotionBudgetSlices, promotions } from './schema.js';
import { burnByDay, none, promotionTotals, usage } from './usage.js';

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

const valueColumns = (v: ValueInput) =>
  v.type === 'percentage'
    ? {
        valueKind: 'percentage' as const,
        percentBp: v.percent_bp,
        capAmount: v.cap_amount ?? null,
        fixedAmount: null,
      }
    : { valueKind: 'fixed' as const, percentBp: null, capAmount: null, fixedAmount: v.amount };

function validWindow(startsAt: string | Date, endsAt: string | Date) {
  const s = new Date(startsAt);
  const e = new Date(endsAt);
  if (e.getTime() <= s.getTime())
    throw unprocessable('INVALID_WINDOW', 'ends_at', 'ends_at must be after starts_at.');
  return { startsAt: s, endsAt: e };
}

async function requireScope(
  exists: (type: 'category' | 'brand' | 'product' | 'sku', id: string) => Promise<boolean>,
  scope: ScopeInput | undefined,
) {
  if (scope && scope.type !== 'all' && !(await exists(scope.type, scope.id))) {
    throw unprocessable('SCOPE_NOT_FOUND', 'scope.id', `No ${scope.type} has the id ${scope.id}.`);
  }
}

export function createPromotionsAdmin(deps: PromotionsDeps) {
  const { db, clock, ids, audit } = deps;

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

  return {
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

    /**
     * Money burned per Dar es Salaam day over the last `days` days (today last, empty days as 0)
     * and the days the budget left lasts at the last week's pace (null: no burn to project from).
     */
    async promotionBurn(id: string, days = 30) {
      const [row] = await db.select().from(promotions).where(eq(promotions.id, id));
      if (!row) throw notFound('Promotion');
      const DAY_MS = 86_400_000;
      const localDay = (ms: number) => new Date(ms + 3 * 3_600_000).toISOString().slice(0, 10);
      const today = Date.parse(`${localDay(clock.now().getTime())}T00:00:00+03:00`);
      const first = today - (days - 1) * DAY_MS;
      const burned = await burnByDay(db, id, new Date(first));
      const perDay: DayBurn[] = Array.from({ length: days }, (_, i) => {
        const day = localDay(first + i * DAY_MS);
        return { day, amount: burned.get(day) ?? 0 };
      });
      const t = (await promotionTotals(db, [id])).get(id) ?? { burned: 0 };
      const left = Math.max(0, row.budgetAmount - t.burned);
      return { per_day: perDay, budget_left: left, days_to_exhaustion: daysToExhaustion(left, perDay) };
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
  };
}
