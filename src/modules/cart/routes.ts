import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuth } from '../../shared/auth.js';
import { problems } from '../../shared/errors.js';
import { stockState } from '../catalog/index.js';
import type { Totals } from '../promotions/index.js';
import type { CartService, CartView } from './service.js';

const totalsSchema = z.object({
  original: z.number().int(),
  promotion_discount: z.number().int(),
  code_discount: z.number().int(),
  loyalty_discount: z.number().int(),
  discount_total: z.number().int(),
  final: z.number().int(),
  seller_amount: z.number().int().describe('What the seller is credited: always the full base price'),
  platform_funded: z.number().int().describe('Discounts the platform pays for'),
});
const toTotals = (t: Totals) => ({
  original: t.original,
  promotion_discount: t.promotionDiscount,
  code_discount: t.codeDiscount,
  loyalty_discount: t.loyaltyDiscount,
  discount_total: t.discountTotal,
  final: t.final,
  seller_amount: t.sellerAmount,
  platform_funded: t.platformFunded,
});

const lineSchema = z.object({
  sku_id: z.uuid(),
  product_id: z.uuid().nullable(),
  title: z.string().nullable(),
  attributes: z.record(z.string(), z.string()),
  quantity: z.number().int(),
  unit_price: z.number().int().nullable(),
  stock_state: z.enum(['in_stock', 'low', 'out']).nullable(),
  problem: z
    .string()
    .nullable()
    .describe('Why this line cannot be bought now (checkout refuses the cart until it is fixed)'),
  pricing: z
    .object({
      original: z.number().int(),
      promotion: z.object({ id: z.uuid(), name: z.string(), amount: z.number().int() }).nullable(),
      code_discount: z.number().int(),
      loyalty_discount: z.number().int(),
      discount_total: z.number().int(),
      final: z.number().int(),
    })
    .nullable(),
});

export const cartSchema = z
  .object({
    currency: z.string(),
    ready: z.boolean().describe('Every line can be bought as shown'),
    preview_token: z
      .string()
      .describe('Send it back at checkout: checkout refuses if the cart would now be priced differently'),
    sellers: z.array(z.object({ seller_id: z.uuid(), lines: z.array(lineSchema), totals: totalsSchema })),
    totals: totalsSchema,
    code: z.object({ code: z.string(), applied: z.boolean(), amount: z.number().int() }).nullable(),
    loyalty: z.object({
      requested_points: z.number().int(),
      points_used: z.number().int(),
      amount: z.number().int(),
    }),
    not_applied: z.array(
      z.object({
        kind: z.enum(['promotion', 'code', 'loyalty']),
        id: z.uuid().nullable(),
        sku_id: z.uuid().nullable(),
        reason: z
          .string()
          .describe(
            'EXPIRED, NOT_STARTED, BUDGET_EXHAUSTED, MINIMUM_NOT_MET, PER_BUYER_LIMIT_REACHED, USAGE_LIMIT_REACHED, OUTRANKED, …',
          ),
      }),
    ),
  })
  .meta({ id: 'Cart' });

export function toCart(v: CartView, lowStock: number) {
  const pricedBySku = new Map(v.priced.lines.map((l) => [l.skuId, l]));
  const sellerTotals = new Map(v.priced.sellers.map((s) => [s.sellerId, s]));
  const sellers = new Map<string, z.infer<typeof lineSchema>[]>();
  const empty: Totals = {
    original: 0,
    promotionDiscount: 0,
    codeDiscount: 0,
    loyaltyDiscount: 0,
    discountTotal: 0,
    final: 0,
    sellerAmount: 0,
    platformFunded: 0,
  };
  for (const l of v.lines) {
    const p = pricedBySku.get(l.skuId);
    const sellerId = l.sku?.sellerId ?? '00000000-0000-0000-0000-000000000000';
    sellers.set(sellerId, [
      ...(sellers.get(sellerId) ?? []),
      {
        sku_id: l.skuId,
        product_id: l.sku?.productId ?? null,
        title: l.sku?.title ?? null,
        attributes: l.sku?.attributes ?? {},
        quantity: l.quantity,
        unit_price: l.sku?.unitPrice ?? null,
        stock_state: l.sku ? stockState(l.sku.stock, lowStock) : null,
        problem: l.problem,
        pricing: p
          ? {
              original: p.original,
              promotion: p.promotion,
              code_discount: p.codeDiscount,
              loyalty_discount: p.loyaltyDiscount,
              discount_total: p.discountTotal,
              final: p.final,
            }
          : null,
      },
    ]);
  }
  return {
    currency: v.currency,
    ready: v.ready,
    preview_token: v.previewToken,
    sellers: [...sellers].map(([sellerId, lines]) => ({
      seller_id: sellerId,
      lines,
      totals: toTotals(sellerTotals.get(sellerId) ?? empty),
    })),
    totals: toTotals(v.priced.totals),
    code: v.code
      ? { code: v.code, applied: v.priced.code !== null, amount: v.priced.code?.amount ?? 0 }
      : null,
    loyalty: {
      requested_points: v.loyaltyPoints,
      points_used: v.priced.loyalty?.pointsUsed ?? 0,
      amount: v.priced.loyalty?.amount ?? 0,
    },
    not_applied: v.priced.notApplied.map((n) => ({
      kind: n.kind,
      id: n.id,
      sku_id: n.skuId,
      reason: n.reason,
    })),
  };
}

export function cartRoutes(deps: {
  cart: CartService;
  lowStockThreshold: number;
  maxQuantity: number;
}): FastifyPluginAsyncZod {
  const { cart } = deps;
  const reply200 = { 200: cartSchema, ...problems(400, 401, 403, 404, 409, 422) };
  const quantity = z.number().int().min(1).max(deps.maxQuantity);
  const out = (v: CartView) => toCart(v, deps.lowStockThreshold);
  return async (app) => {
    app.addHook('preHandler', requireAuth('buyer'));
    const s = { tags: ['cart'], security: bearerSecurity };

    app.get(
      '/cart',
      {
        schema: { ...s, summary: 'My cart, priced live with every incentive explained', response: reply200 },
      },
      async (request) => out(await cart.view(caller(request).userId)),
    );
    app.post(
      '/cart/items',
      {
        schema: {
          ...s,
          summary: 'Add an item (adding the same SKU again adds to its line)',
          body: z.strictObject({ sku_id: z.uuid(), quantity }),
          response: reply200,
        },
      },
      async (request) =>
        out(await cart.addItem(caller(request).userId, request.body.sku_id, request.body.quantity)),
    );
    app.patch(
      '/cart/items/:skuId',
      {
        schema: {
          ...s,
          summary: 'Set the quantity of a line',
          params: z.strictObject({ skuId: z.uuid() }),
          body: z.strictObject({ quantity }),
          response: reply200,
        },
      },
      async (request) =>
        out(await cart.setQuantity(caller(request).userId, request.params.skuId, request.body.quantity)),
    );
    app.delete(
      '/cart/items/:skuId',
      {
        schema: {
          ...s,
          summary: 'Remove a line',
          params: z.strictObject({ skuId: z.uuid() }),
          response: reply200,
        },
      },
      async (request) => out(await cart.removeItem(caller(request).userId, request.params.skuId)),
    );
    app.delete(
      '/cart',
      { schema: { ...s, summary: 'Empty the cart (lines, code and points)', response: reply200 } },
      async (request) => out((await cart.clear(caller(request).userId))!),
    );
    app.put(
      '/cart/code',
      {
        schema: {
          ...s,
          summary: 'Apply a discount code (at most one; case and spaces do not matter)',
          body: z.strictObject({ code: z.string().trim().min(1).max(40) }),
          response: reply200,
        },
      },
      async (request) => out(await cart.applyCode(caller(request).userId, request.body.code)),
    );
    app.delete(
      '/cart/code',
      { schema: { ...s, summary: 'Remove the discount code', response: reply200 } },
      async (request) => out(await cart.removeCode(caller(request).userId)),
    );
    app.put(
      '/cart/loyalty',
      {
        schema: {
          ...s,
          summary: 'Choose how many loyalty points to use (capped by balance and the allowed share)',
          body: z.strictObject({ points: z.number().int().min(0).max(10_000_000) }),
          response: reply200,
        },
      },
      async (request) => out(await cart.setLoyaltyPoints(caller(request).userId, request.body.points)),
    );
  };
}
