// Pure: a priced cart becomes one order draft per seller, each with its immutable snapshot.
import type { PricedCart } from '../promotions/index.js';

export interface SnapshotLine {
  sku_id: string;
  product_id: string;
  title: string;
  attributes: Record<string, string>;
  quantity: number;
  unit_price: number;
  original: number;
  promotion: { id: string; name: string; amount: number } | null;
  code_discount: number;
  loyalty_discount: number;
  discount_total: number;
  final: number;
  seller_amount: number;
}

export interface DeliveryAddress {
  label: string;
  district: string | null;
  ward: string;
  street: string | null;
  landmark: string;
  location: { lat: number; lng: number } | null;
  contact_phone: string;
}

/** The delivery promised for one seller's order, frozen at checkout. */
export interface DeliveryQuote {
  fee: number;
  /** ISO instant (UTC); null when delivery is quoted flat (no zones configured) */
  promised_by: string | null;
  from_zone: string | null;
  to_zone: string | null;
  duration_minutes: number | null;
}

/** The delivery of an order when DELIVERY_QUOTES=flat: the one fee, no route, no promise. */
export const flatDelivery = (fee: number): DeliveryQuote => ({
  fee,
  promised_by: null,
  from_zone: null,
  to_zone: null,
  duration_minutes: null,
});

export interface OrderSnapshot {
  currency: string;
  lines: SnapshotLine[];
  code: { code: string; amount: number } | null;
  loyalty_points_used: number;
  original: number;
  promotion_discount: number;
  code_discount: number;
  loyalty_discount: number;
  discount_total: number;
  final: number;
  /** what the seller is credited on completion: always the full base price */
  seller_amount: number;
  /** discounts the platform funds */
  platform_funded: number;
  delivery_fee: number;
  /** what the buyer pays for this order */
  total: number;
  delivery_address: DeliveryAddress;
  /** fee, promised time and route of this order's delivery (absent on orders made before zones) */
  delivery?: DeliveryQuote;
}

export interface OrderDraft {
  sellerId: string;
  snapshot: OrderSnapshot;
}

/** Split a priced cart by seller. Amounts are copied, never recomputed, so the snapshot is exactly what was previewed. */
export function draftOrders(
  priced: PricedCart,
  meta: {
    currency: string;
    titles: Map<string, { title: string; attributes: Record<string, string> }>;
    code: string | null;
    address: DeliveryAddress;
    /** the delivery of each seller's order */
    delivery: (sellerId: string) => DeliveryQuote;
  },
): OrderDraft[] {
  const points = priced.loyalty?.pointsUsed ?? 0;
  const loyaltyTotal = priced.totals.loyaltyDiscount;
  return priced.sellers.map((s) => {
    const lines = priced.lines.filter((l) => l.sellerId === s.sellerId);
    const delivery = meta.delivery(s.sellerId);
    return {
      sellerId: s.sellerId,
      snapshot: {
        currency: meta.currency,
        lines: lines.map((l) => ({
          sku_id: l.skuId,
          product_id: l.productId,
          title: meta.titles.get(l.skuId)?.title ?? '',
          attributes: meta.titles.get(l.skuId)?.attributes ?? {},
          quantity: l.quantity,
          unit_price: l.unitPrice,
          original: l.original,
          promotion: l.promotion,
          code_discount: l.codeDiscount,
          loyalty_discount: l.loyaltyDiscount,
          discount_total: l.discountTotal,
          final: l.final,
          seller_amount: l.sellerAmount,
        })),
        code: meta.code && s.codeDiscount > 0 ? { code: meta.code, amount: s.codeDiscount } : null,
        // Informational share of the points; the ledger of points keeps the exact per-order split.
        loyalty_points_used: loyaltyTotal > 0 ? Math.round((points * s.loyaltyDiscount) / loyaltyTotal) : 0,
        original: s.original,
        promotion_discount: s.promotionDiscount,
        code_discount: s.codeDiscount,
        loyalty_discount: s.loyaltyDiscount,
        discount_total: s.discountTotal,
        final: s.final,
        seller_amount: s.sellerAmount,
        platform_funded: s.platformFunded,
        delivery_fee: delivery.fee,
        total: s.final + delivery.fee,
        delivery_address: meta.address,
        delivery,
      },
    };
  });
}
