import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuthOnEveryRoute } from '../../shared/auth.js';
import { problems } from '../../shared/errors.js';
import { toDarTimeOrNull } from '../../shared/time.js';
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

/** One seller order's delivery to the chosen address, exactly as checkout will charge it. */
export interface DeliveryPreview {
  fee: number;
  /** ISO instant (UTC); null when delivery is quoted flat */
  promised_by: string | null;
  from_zone: string | null;
  to_zone: string | null;
  duration_minutes: number | null;
}

/** Quotes each seller order of the cart to one of the buyer's addresses (wired in app.ts to orders). */
export type PreviewDelivery = (q: {
  buyerId: string;
  addressId: string;
  sellerIds: readonly string[];
}) => Promise<{ quotes: 'zones' | 'flat'; bySeller: Map<string, DeliveryPreview> }>;

const sellerDeliverySchema = z.object({
  fee: z.number().int().describe('Delivery fee of this seller order (minor units)'),
  promised_by: z
    .string()
    .nullable()
    .describe('Promised delivery time, ISO 8601 in UTC (as frozen in the order snapshot); null when flat'),
  promised_by_local: z.string().nullable().describe('The same instant in Africa/Dar_es_Salaam (+03:00)'),
  from_zone: z.string().nullable(),
  to_zone: z.string().nullable(),
  duration_minutes: z.number().int().nullable().describe('Promised duration in service-hour minutes'),
  total: z.number().int().describe('What this seller order costs the buyer: goods (final) plus delivery'),
});

export const cartSchema = z
  .object({
    currency: z.string(),
    ready: z.boolean().describe('Every line can be bought as shown'),
    preview_token: z
      .string()
      .describe('Send it back at checkout: checkout refuses if the cart would now be priced differently'),
    sellers: z.array(
      z.object({
        seller_id: z.uuid(),
        lines: z.array(lineSchema),
        totals: totalsSchema,
        delivery: sellerDeliverySchema
          .nullable()
          .describe('With ?address_id=: this seller order’s delivery fee and promised time; else null'),
      }),
    ),
    totals: totalsSchema,
    delivery: z
      .object({
        address_id: z.uuid(),
        quotes: z
          .enum(['zones', 'flat'])
          .describe('zones: priced and promised by the zone table; flat: one fee, no promise'),
        fee_total: z.number().int().describe('Sum of the delivery fees of the seller orders'),
        total: z.number().int().describe('What checkout will ask for: goods (totals.final) plus delivery'),
      })
      .nullable()
      .describe(
        'With ?address_id=: the delivery to that address, re-quoted at checkout (the promise moves with the clock; preview_token does not cover delivery)',
      ),
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
      delivery: null as z.infer<typeof sellerDeliverySchema> | null,
    })),
    totals: toTotals(v.priced.totals),
    delivery: null as z.infer<typeof cartSchema>['delivery'],
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

/** The cart reply with each seller order's delivery to the chosen address, and the totals with it. */
export function withDelivery(
  reply: ReturnType<typeof toCart>,
  addressId: string,
  quoted: Awaited<ReturnType<PreviewDelivery>>,
): ReturnType<typeof toCart> {
  let feeTotal = 0;
  const sellers = reply.sellers.map((s) => {
    const d = quoted.bySeller.get(s.seller_id);
    if (!d) return s;
    feeTotal += d.fee;
    return {
      ...s,
      delivery: {
        fee: d.fee,
        promised_by: d.promised_by,
        promised_by_local: toDarTimeOrNull(d.promised_by === null ? null : new Date(d.promised_by)),
        from_zone: d.from_zone,
        to_zone: d.to_zone,
        duration_minutes: d.duration_minutes,
        total: s.totals.final + d.fee,
      },
    };
  });
  return {
    ...reply,
    sellers,
    delivery: {
      address_id: addressId,
      quotes: quoted.quotes,
      fee_total: feeTotal,
      total: reply.totals.final + feeTotal,
    },
  };
}

export function cartRoutes(deps: {
  cart: CartService;
  lowStockThreshold: number;
  maxQuantity: number;
  previewDelivery?: PreviewDelivery | undefined;
}): FastifyPluginAsyncZod {
  const { cart } = deps;
  const reply200 = { 200: cartSchema, ...problems(400, 401, 403, 404, 409, 422) };
  const quantity = z.number().int().min(1).max(deps.maxQuantity);
  const out = (v: CartView) => toCart(v, deps.lowStockThreshold);
  return async (app) => {
    requireAuthOnEveryRoute(app, 'buyer');
    const s = { tags: ['cart'], security: bearerSecurity };

    app.get(
      '/cart',
      {
        schema: {
          ...s,
          summary: 'My cart, priced live with every incentive explained (and delivered, with ?address_id=)',
          description:
            'With `address_id` (one of my addresses; another buyer’s is 404), each seller order shows its delivery fee and promised time to that address, computed by the same quote checkout uses, and `delivery.total` is what checkout will ask for. Refusals are checkout’s: 422 ADDRESS_OUTSIDE_ZONES or ADDRESS_LOCATION_REQUIRED (field address_id), 409 SELLER_LOCATION_MISSING, NO_FEE_FOR_ROUTE, NO_SERVICE_HOURS.',
          querystring: z.strictObject({
            address_id: z.uuid().optional().describe('One of my delivery addresses: quote delivery to it'),
          }),
          response: reply200,
        },
      },
      async (request) => {
        const buyerId = caller(request).userId;
        const addressId = request.query.address_id;
        const v = await cart.view(buyerId);
        const reply = out(v);
        if (addressId === undefined || !deps.previewDelivery) return reply;
        // Only seller orders checkout would make (lines that can be bought) are quoted.
        const quoted = await deps.previewDelivery({
          buyerId,
          addressId,
          sellerIds: v.priced.sellers.map((s) => s.sellerId),
        });
        return withDelivery(reply, addressId, quoted);
      },
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
