// The pricing engine's inputs: the promotions that could touch a cart, the code with its usage,
// and the buyer's points. The same for the cart preview and the checkout, so the preview never lies.
import { getTableColumns } from 'drizzle-orm';
import { rawQuery, typedRows } from '../../db/batch.js';
import type { Database } from '../../db/client.js';
import { MONEY_UNIT } from '../../shared/money.js';
import type { PromotionsDeps } from './deps.js';
import type { Loyalty } from './loyalty.js';
import type { CodeRule, PricingInput, PricingLine, PromotionRule } from './pricing.js';
import { type DiscountCode, discountValueOf, normalizeCode, type Promotion, scopeOf } from './rows.js';
import { discountCodes, incentiveBurns, promotions } from './schema.js';
import { buyerUses } from './usage.js';

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
 * The cart's code, by its normalised text. Prepared, like the candidates: building the query with
 * Drizzle on every preview cost more CPU than PostgreSQL spent answering it (docs/benchmarks.md).
 */
const CODE_BY_TEXT = {
  name: 'promotion-code-by-text',
  text: `select ${Object.values(getTableColumns(discountCodes))
    .map((c) => `"${c.name}"`)
    .join(', ')} from discount_codes where code = $1`,
};

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

export function createCandidates(deps: PromotionsDeps, loyalty: Pick<Loyalty, 'loyaltyBalance'>) {
  const { clock } = deps;
  const { loyaltyBalance } = loyalty;
  return {
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
        const [row] = typedRows(
          discountCodes,
          await rawQuery<Record<string, unknown>>(tx, CODE_BY_TEXT, [normalizeCode(q.code)]),
        );
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
  };
}
