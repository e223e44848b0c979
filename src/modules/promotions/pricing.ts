// The one pricing engine. Pure: no I/O, time passed in. The cart preview and the checkout call this
// same function, so what the buyer is shown is what the buyer is charged.
//
// Order of incentives: per line at most one promotion (no stacking), then at most one discount
// code on the whole cart, then loyalty points (capped share). Every discount is funded by the
// platform: a seller's amount is always the full base price of its lines.
//
// Rounding: percentages round *up* to the whole minor unit (the buyer's favour); order-level
// discounts are spread over lines by largest remainder, so line amounts always add up exactly.
// Lines are processed in a canonical order (by SKU id), so the result does not depend on the order
// in which the cart lists them — even when a promotion's budget runs out part-way through.

export type NotAppliedReason =
  | 'NOT_STARTED'
  | 'EXPIRED'
  | 'INACTIVE'
  | 'BUDGET_EXHAUSTED'
  | 'PER_BUYER_LIMIT_REACHED'
  | 'USAGE_LIMIT_REACHED'
  | 'MINIMUM_NOT_MET'
  | 'NOT_ELIGIBLE'
  | 'OUTRANKED'
  | 'NOT_FOUND'
  | 'INSUFFICIENT_POINTS'
  | 'MAX_SHARE_EXCEEDED';

export interface PricingLine {
  skuId: string;
  productId: string;
  sellerId: string;
  brandId: string | null;
  /** The product's category and all its ancestors, so a promotion on "Fashion" covers "Fashion > Kitenge". */
  categoryIds: string[];
  unitPrice: number;
  quantity: number;
}

export type PromotionScope =
  | { type: 'all' }
  | { type: 'category'; id: string }
  | { type: 'brand'; id: string }
  | { type: 'product'; id: string }
  | { type: 'sku'; id: string };

export type DiscountValue =
  | { kind: 'percentage'; percentBp: number; capAmount: number | null }
  | { kind: 'fixed'; amount: number };

export interface PromotionRule {
  id: string;
  name: string;
  /** percentage of the line, or a fixed amount off each unit */
  value: DiscountValue;
  scope: PromotionScope;
  startsAt: Date;
  endsAt: Date;
  priority: number;
  active: boolean;
  budgetAmount: number;
  /** every amount of the rule is in this currency; it never touches a cart in another */
  currency: string;
  /** money already burned by earlier checkouts */
  burnedAmount: number;
  perBuyerLimit: number | null;
  /** checkouts in which this buyer already used it */
  buyerUses: number;
  createdAt: Date;
}

export interface CodeRule {
  id: string;
  code: string;
  /** percentage of the cart (after promotions), or a fixed amount off the cart */
  value: DiscountValue;
  minOrderAmount: number;
  startsAt: Date;
  endsAt: Date;
  active: boolean;
  maxUses: number | null;
  uses: number;
  perBuyerLimit: number | null;
  buyerUses: number;
  budgetAmount: number | null;
  burnedAmount: number;
  currency: string;
}

export interface LoyaltyInput {
  balancePoints: number;
  requestedPoints: number;
  /** minor units one point is worth when redeemed */
  pointValue: number;
  /** the most of the cart (after promotions and code) payable in points, in basis points */
  maxShareBp: number;
  /** the currency a point's value is in */
  currency: string;
}

export interface PricingInput {
  /** the cart's currency: every line is priced in it */
  currency: string;
  lines: PricingLine[];
  promotions: PromotionRule[];
  /** null: no code entered; `{ unknown }`: a code was entered that does not exist */
  code: CodeRule | { unknown: string } | null;
  loyalty: LoyaltyInput | null;
  now: Date;
  /**
   * The smallest amount money moves in (100 minor units: a whole shilling, since mobile money moves
   * no cents). Percentages round up to it and cart-level discounts are spread in it, so with whole
   * prices every line, order and total stays payable. 1 when unset.
   */
  unit?: number;
}

export interface PricedLine {
  skuId: string;
  productId: string;
  sellerId: string;
  unitPrice: number;
  quantity: number;
  original: number;
  promotion: { id: string; name: string; amount: number } | null;
  codeDiscount: number;
  loyaltyDiscount: number;
  discountTotal: number;
  final: number;
  /** what the seller is credited: always the full base price */
  sellerAmount: number;
}

export interface Totals {
  original: number;
  promotionDiscount: number;
  codeDiscount: number;
  loyaltyDiscount: number;
  discountTotal: number;
  final: number;
  sellerAmount: number;
  /** what the platform pays for: every discount */
  platformFunded: number;
}

export interface NotApplied {
  kind: 'promotion' | 'code' | 'loyalty';
  id: string | null;
  skuId: string | null;
  reason: NotAppliedReason;
}

export interface PricedCart {
  lines: PricedLine[];
  sellers: Array<Totals & { sellerId: string }>;
  totals: Totals;
  promotions: Array<{ id: string; name: string; amount: number; skuIds: string[] }>;
  code: { id: string; code: string; amount: number } | null;
  loyalty: { pointsUsed: number; amount: number } | null;
  notApplied: NotApplied[];
}

export class PricingError extends Error {}

/** ceil(amount × bp / 10 000) in exact integer arithmetic: the buyer's favour, never a float. */
export function percentOf(amount: number, bp: number): number {
  return Number((BigInt(amount) * BigInt(bp) + 9999n) / 10000n);
}

/** floor(amount × bp / 10 000): for caps, where rounding down limits what may be used. */
export function percentOfFloor(amount: number, bp: number): number {
  return Number((BigInt(amount) * BigInt(bp)) / 10000n);
}

/** Up to the next multiple of `unit`: still the buyer's favour. */
export function roundUpTo(amount: number, unit: number): number {
  const r = amount % unit;
  return r === 0 ? amount : amount + unit - r;
}

function discountFor(value: DiscountValue, base: number, units: number, unit: number): number {
  const raw =
    value.kind === 'percentage'
      ? Math.min(
          roundUpTo(percentOf(base, value.percentBp), unit),
          value.capAmount ?? Number.MAX_SAFE_INTEGER,
        )
      : value.amount * units;
  return Math.min(raw, base);
}

/** `allocate` in whole units when everything is whole, so no line gets a fraction of a shilling. */
function allocateIn(unit: number, total: number, weights: number[]): number[] {
  if (unit > 1 && total % unit === 0 && weights.every((w) => w % unit === 0))
    return allocate(
      total / unit,
      weights.map((w) => w / unit),
    ).map((p) => p * unit);
  return allocate(total, weights);
}

function scopeMatches(scope: PromotionScope, line: PricingLine): boolean {
  switch (scope.type) {
    case 'all':
      return true;
    case 'category':
      return line.categoryIds.includes(scope.id);
    case 'brand':
      return line.brandId === scope.id;
    case 'product':
      return line.productId === scope.id;
    case 'sku':
      return line.skuId === scope.id;
  }
}

function windowReason(
  r: { active: boolean; startsAt: Date; endsAt: Date },
  now: Date,
): NotAppliedReason | null {
  if (!r.active) return 'INACTIVE';
  if (now.getTime() < r.startsAt.getTime()) return 'NOT_STARTED';
  if (now.getTime() >= r.endsAt.getTime()) return 'EXPIRED';
  return null;
}

/**
 * Spread `total` over `weights` in proportion, by largest remainder. Never gives a line more than
 * its weight (total ≤ sum of weights is required), and the parts add up to `total` exactly.
 */
export function allocate(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (total > sum) throw new PricingError(`cannot spread ${total} over ${sum}`);
  if (total === 0 || sum === 0) return weights.map(() => 0);
  const T = BigInt(total);
  const S = BigInt(sum);
  const parts = weights.map((w) => (T * BigInt(w)) / S);
  const remainders = weights.map((w, i) => ({ i, r: (T * BigInt(w)) % S }));
  let left = total - parts.reduce((a, b) => a + Number(b), 0);
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of remainders) {
    if (left === 0) break;
    parts[i] = parts[i]! + 1n;
    left--;
  }
  return parts.map(Number);
}

function validate(lines: PricingLine[]) {
  const seen = new Set<string>();
  for (const l of lines) {
    if (seen.has(l.skuId)) throw new PricingError(`SKU ${l.skuId} appears twice`);
    seen.add(l.skuId);
    if (!Number.isSafeInteger(l.unitPrice) || l.unitPrice < 0)
      throw new PricingError(`bad unit price for ${l.skuId}`);
    if (!Number.isSafeInteger(l.quantity) || l.quantity < 1)
      throw new PricingError(`bad quantity for ${l.skuId}`);
    if (!Number.isSafeInteger(l.unitPrice * l.quantity))
      throw new PricingError(`line ${l.skuId} is too large`);
  }
}

const emptyTotals = (): Totals => ({
  original: 0,
  promotionDiscount: 0,
  codeDiscount: 0,
  loyaltyDiscount: 0,
  discountTotal: 0,
  final: 0,
  sellerAmount: 0,
  platformFunded: 0,
});

export function priceCart(input: PricingInput): PricedCart {
  validate(input.lines);
  const now = input.now;
  const unit = input.unit ?? 1;
  if (!Number.isSafeInteger(unit) || unit < 1) throw new PricingError(`bad unit ${unit}`);
  const notApplied: NotApplied[] = [];
  const lines = [...input.lines].sort((a, b) => (a.skuId < b.skuId ? -1 : a.skuId > b.skuId ? 1 : 0));

  // ---- 1. promotions: at most one per line
  const remainingBudget = new Map(
    input.promotions.map((p) => [p.id, Math.max(0, p.budgetAmount - p.burnedAmount)]),
  );
  const chosen: Array<PricedLine['promotion']> = [];
  for (const line of lines) {
    const original = line.unitPrice * line.quantity;
    const candidates: Array<{ p: PromotionRule; amount: number }> = [];
    for (const p of input.promotions) {
      if (p.currency !== input.currency || !scopeMatches(p.scope, line)) continue;
      const closed = windowReason(p, now);
      if (closed === 'INACTIVE') continue; // switched off by an admin: not the buyer's business
      let reason: NotAppliedReason | null = closed;
      if (!reason && p.perBuyerLimit !== null && p.buyerUses >= p.perBuyerLimit)
        reason = 'PER_BUYER_LIMIT_REACHED';
      const amount = Math.min(
        discountFor(p.value, original, line.quantity, unit),
        remainingBudget.get(p.id)!,
      );
      if (!reason && amount <= 0)
        reason = remainingBudget.get(p.id)! <= 0 ? 'BUDGET_EXHAUSTED' : 'NOT_ELIGIBLE';
      if (reason) notApplied.push({ kind: 'promotion', id: p.id, skuId: line.skuId, reason });
      else candidates.push({ p, amount });
    }
    candidates.sort(
      (a, b) =>
        b.p.priority - a.p.priority ||
        b.amount - a.amount ||
        a.p.createdAt.getTime() - b.p.createdAt.getTime() ||
        (a.p.id < b.p.id ? -1 : a.p.id > b.p.id ? 1 : 0),
    );
    const [winner, ...losers] = candidates;
    for (const l of losers)
      notApplied.push({ kind: 'promotion', id: l.p.id, skuId: line.skuId, reason: 'OUTRANKED' });
    if (winner) {
      remainingBudget.set(winner.p.id, remainingBudget.get(winner.p.id)! - winner.amount);
      chosen.push({ id: winner.p.id, name: winner.p.name, amount: winner.amount });
    } else chosen.push(null);
  }
  const afterPromotion = lines.map((l, i) => l.unitPrice * l.quantity - (chosen[i]?.amount ?? 0));
  const subtotal = afterPromotion.reduce((a, b) => a + b, 0);

  // ---- 2. one discount code on the whole cart
  let codeApplied: PricedCart['code'] = null;
  let codeParts = lines.map(() => 0);
  const code = input.code;
  if (code && 'unknown' in code) {
    notApplied.push({ kind: 'code', id: null, skuId: null, reason: 'NOT_FOUND' });
  } else if (code) {
    const remaining =
      code.budgetAmount === null
        ? Number.MAX_SAFE_INTEGER
        : Math.max(0, code.budgetAmount - code.burnedAmount);
    const closed = windowReason(code, now);
    let reason: NotAppliedReason | null = code.currency !== input.currency ? 'NOT_ELIGIBLE' : closed;
    if (!reason && code.maxUses !== null && code.uses >= code.maxUses) reason = 'USAGE_LIMIT_REACHED';
    if (!reason && code.perBuyerLimit !== null && code.buyerUses >= code.perBuyerLimit)
      reason = 'PER_BUYER_LIMIT_REACHED';
    if (!reason && remaining <= 0) reason = 'BUDGET_EXHAUSTED';
    if (!reason && (subtotal < code.minOrderAmount || subtotal === 0)) reason = 'MINIMUM_NOT_MET';
    if (reason) {
      notApplied.push({ kind: 'code', id: code.id, skuId: null, reason });
    } else {
      const amount = Math.min(discountFor(code.value, subtotal, 1, unit), remaining);
      codeParts = allocateIn(unit, amount, afterPromotion);
      codeApplied = { id: code.id, code: code.code, amount };
    }
  }
  const afterCode = afterPromotion.map((a, i) => a - codeParts[i]!);

  // ---- 3. loyalty points, capped by balance and by the configured share of the cart
  let loyaltyApplied: PricedCart['loyalty'] = null;
  let loyaltyParts = lines.map(() => 0);
  const loyalty = input.loyalty;
  if (loyalty && loyalty.requestedPoints > 0 && loyalty.currency !== input.currency) {
    notApplied.push({ kind: 'loyalty', id: null, skuId: null, reason: 'NOT_ELIGIBLE' });
  } else if (loyalty && loyalty.requestedPoints > 0) {
    const base = afterCode.reduce((a, b) => a + b, 0);
    const maxByShare =
      loyalty.pointValue > 0 ? Math.floor(percentOfFloor(base, loyalty.maxShareBp) / loyalty.pointValue) : 0;
    const points = Math.min(loyalty.requestedPoints, loyalty.balancePoints, maxByShare);
    if (loyalty.requestedPoints > loyalty.balancePoints)
      notApplied.push({ kind: 'loyalty', id: null, skuId: null, reason: 'INSUFFICIENT_POINTS' });
    if (loyalty.requestedPoints > maxByShare && maxByShare < loyalty.balancePoints) {
      notApplied.push({ kind: 'loyalty', id: null, skuId: null, reason: 'MAX_SHARE_EXCEEDED' });
    }
    if (points > 0) {
      const amount = points * loyalty.pointValue;
      loyaltyParts = allocateIn(unit, amount, afterCode);
      loyaltyApplied = { pointsUsed: points, amount };
    }
  }

  // ---- totals, per line, per seller, overall
  const priced: PricedLine[] = lines.map((l, i) => {
    const original = l.unitPrice * l.quantity;
    const promo = chosen[i]?.amount ?? 0;
    const discountTotal = promo + codeParts[i]! + loyaltyParts[i]!;
    return {
      skuId: l.skuId,
      productId: l.productId,
      sellerId: l.sellerId,
      unitPrice: l.unitPrice,
      quantity: l.quantity,
      original,
      promotion: chosen[i] ?? null,
      codeDiscount: codeParts[i]!,
      loyaltyDiscount: loyaltyParts[i]!,
      discountTotal,
      final: original - discountTotal,
      sellerAmount: original,
    };
  });
  priced.sort((a, b) =>
    a.sellerId === b.sellerId ? (a.skuId < b.skuId ? -1 : 1) : a.sellerId < b.sellerId ? -1 : 1,
  );

  const add = (t: Totals, l: PricedLine) => {
    t.original += l.original;
    t.promotionDiscount += l.promotion?.amount ?? 0;
    t.codeDiscount += l.codeDiscount;
    t.loyaltyDiscount += l.loyaltyDiscount;
    t.discountTotal += l.discountTotal;
    t.final += l.final;
    t.sellerAmount += l.sellerAmount;
    t.platformFunded += l.discountTotal;
  };
  const totals = emptyTotals();
  const bySeller = new Map<string, Totals & { sellerId: string }>();
  for (const l of priced) {
    add(totals, l);
    if (!bySeller.has(l.sellerId)) bySeller.set(l.sellerId, { sellerId: l.sellerId, ...emptyTotals() });
    add(bySeller.get(l.sellerId)!, l);
  }

  const promoSummary = new Map<string, { id: string; name: string; amount: number; skuIds: string[] }>();
  for (const l of priced) {
    if (!l.promotion) continue;
    const s = promoSummary.get(l.promotion.id) ?? {
      id: l.promotion.id,
      name: l.promotion.name,
      amount: 0,
      skuIds: [],
    };
    s.amount += l.promotion.amount;
    s.skuIds.push(l.skuId);
    promoSummary.set(s.id, s);
  }

  notApplied.sort((a, b) =>
    `${a.kind}|${a.skuId}|${a.id}|${a.reason}`.localeCompare(`${b.kind}|${b.skuId}|${b.id}|${b.reason}`),
  );
  return {
    lines: priced,
    sellers: [...bySeller.values()],
    totals,
    promotions: [...promoSummary.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
    code: codeApplied,
    loyalty: loyaltyApplied,
    notApplied,
  };
}
