import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allocate,
  type CodeRule,
  type PricingInput,
  type PricingLine,
  type PromotionRule,
  percentOf,
  priceCart,
  roundUpTo,
} from './pricing.js';

const now = new Date('2026-11-25T09:00:00Z');
const past = new Date('2026-11-01T00:00:00Z');
const future = new Date('2026-12-31T00:00:00Z');

const line = (over: Partial<PricingLine> = {}): PricingLine => ({
  skuId: 'sku-a',
  productId: 'prod-a',
  sellerId: 'seller-1',
  brandId: 'brand-x',
  categoryIds: ['cat-fashion', 'cat-kitenge'],
  unitPrice: 10_000_00,
  quantity: 1,
  ...over,
});

const promo = (over: Partial<PromotionRule> = {}): PromotionRule => ({
  id: 'promo-1',
  name: 'Promo',
  value: { kind: 'percentage', percentBp: 1000, capAmount: null },
  scope: { type: 'all' },
  startsAt: past,
  endsAt: future,
  priority: 0,
  active: true,
  budgetAmount: 1_000_000_00,
  currency: 'TZS',
  burnedAmount: 0,
  perBuyerLimit: null,
  buyerUses: 0,
  createdAt: past,
  ...over,
});

const code = (over: Partial<CodeRule> = {}): CodeRule => ({
  id: 'code-1',
  code: 'KARIBU',
  value: { kind: 'fixed', amount: 2_000_00 },
  minOrderAmount: 0,
  startsAt: past,
  endsAt: future,
  active: true,
  maxUses: null,
  uses: 0,
  perBuyerLimit: null,
  buyerUses: 0,
  budgetAmount: null,
  burnedAmount: 0,
  currency: 'TZS',
  ...over,
});

const price = (over: Partial<PricingInput>) =>
  priceCart({ currency: 'TZS', lines: [line()], promotions: [], code: null, loyalty: null, now, ...over });

describe('arithmetic', () => {
  it('rounds percentages up to the whole minor unit', () => {
    expect(percentOf(999, 1000)).toBe(100); // 99.9 -> 100
    expect(percentOf(1000, 1000)).toBe(100);
    expect(percentOf(1, 1)).toBe(1);
    expect(percentOf(0, 5000)).toBe(0);
  });
  it('allocates exactly, in proportion, never beyond a weight', () => {
    expect(allocate(10, [10, 10, 10])).toEqual([4, 3, 3]);
    expect(allocate(7, [1, 2, 4])).toEqual([1, 2, 4]);
    expect(allocate(5, [1, 2, 4])).toEqual([1, 1, 3]);
    expect(allocate(10, [0, 5, 5])).toEqual([0, 5, 5]);
    expect(allocate(0, [3, 4])).toEqual([0, 0]);
    expect(() => allocate(11, [5, 5])).toThrow();
  });
});

describe('promotions', () => {
  it('applies a percentage to the line and funds it from the platform', () => {
    const r = price({ lines: [line({ quantity: 3 })], promotions: [promo()] });
    expect(r.lines[0]).toMatchObject({
      original: 30_000_00,
      promotion: { id: 'promo-1', amount: 3_000_00 },
      final: 27_000_00,
      sellerAmount: 30_000_00,
    });
    expect(r.totals).toMatchObject({
      original: 30_000_00,
      discountTotal: 3_000_00,
      final: 27_000_00,
      sellerAmount: 30_000_00,
      platformFunded: 3_000_00,
    });
  });

  it('rounds an odd percentage up, in the buyer’s favour', () => {
    // 10% of 999.99 is 99.999: the buyer gets 100.00 off, not 99.99.
    expect(
      price({ lines: [line({ unitPrice: 99_999 })], promotions: [promo()] }).lines[0]!.promotion!.amount,
    ).toBe(10_000);
    // 15% of 333.33 is 49.9995 → 50.00
    expect(
      price({
        lines: [line({ unitPrice: 33_333 })],
        promotions: [promo({ value: { kind: 'percentage', percentBp: 1500, capAmount: null } })],
      }).lines[0]!.promotion!.amount,
    ).toBe(5_000);
    expect(
      price({
        lines: [line({ unitPrice: 99_999 })],
        code: code({ value: { kind: 'percentage', percentBp: 1000, capAmount: null } }),
      }).code!.amount,
    ).toBe(10_000);
  });

  it('never applies a promotion, code or points across currencies', () => {
    const r = priceCart({
      currency: 'KES',
      lines: [line()],
      promotions: [promo({ value: { kind: 'fixed', amount: 300_00 } })],
      code: code(),
      loyalty: {
        ...{ balancePoints: 100, requestedPoints: 10, pointValue: 100, maxShareBp: 5000 },
        currency: 'TZS',
      },
      now,
    });
    expect(r.totals.discountTotal).toBe(0);
    expect(r.notApplied).toEqual([
      { kind: 'code', id: 'code-1', skuId: null, reason: 'NOT_ELIGIBLE' },
      { kind: 'loyalty', id: null, skuId: null, reason: 'NOT_ELIGIBLE' },
    ]);
  });

  it('caps a percentage discount', () => {
    const r = price({
      promotions: [promo({ value: { kind: 'percentage', percentBp: 5000, capAmount: 1_500_00 } })],
    });
    expect(r.lines[0]!.promotion!.amount).toBe(1_500_00);
  });

  it('takes a fixed amount off each unit, never more than the price', () => {
    expect(
      price({
        lines: [line({ quantity: 2 })],
        promotions: [promo({ value: { kind: 'fixed', amount: 500_00 } })],
      }).lines[0]!.promotion!.amount,
    ).toBe(1_000_00);
    expect(
      price({ promotions: [promo({ value: { kind: 'fixed', amount: 50_000_00 } })] }).lines[0]!.final,
    ).toBe(0);
  });

  it.each([
    ['category (an ancestor)', { type: 'category', id: 'cat-fashion' }, true],
    ['category (another)', { type: 'category', id: 'cat-phones' }, false],
    ['brand', { type: 'brand', id: 'brand-x' }, true],
    ['product', { type: 'product', id: 'prod-b' }, false],
    ['sku', { type: 'sku', id: 'sku-a' }, true],
  ] as const)('scope %s', (_what, scope, applies) => {
    expect(price({ promotions: [promo({ scope })] }).lines[0]!.promotion !== null).toBe(applies);
  });

  it('never stacks: the highest priority wins, the others are reported OUTRANKED', () => {
    const r = price({
      promotions: [
        promo({ id: 'big', value: { kind: 'percentage', percentBp: 5000, capAmount: null } }),
        promo({ id: 'prio', priority: 10 }),
      ],
    });
    expect(r.lines[0]!.promotion!.id).toBe('prio');
    expect(r.totals.promotionDiscount).toBe(1_000_00);
    expect(r.notApplied).toContainEqual({
      kind: 'promotion',
      id: 'big',
      skuId: 'sku-a',
      reason: 'OUTRANKED',
    });
  });

  it('breaks a priority tie by the larger discount, then by the older promotion', () => {
    // Ids and creation times point the other way, so only the amount can decide.
    const small = promo({
      id: 'a-small',
      value: { kind: 'percentage', percentBp: 500, capAmount: null },
      createdAt: new Date('2026-01-01'),
    });
    const large = promo({
      id: 'z-large',
      value: { kind: 'percentage', percentBp: 1500, capAmount: null },
      createdAt: new Date('2026-02-01'),
    });
    expect(price({ promotions: [small, large] }).lines[0]!.promotion!.id).toBe('z-large');
    expect(price({ promotions: [large, small] }).lines[0]!.promotion!.id).toBe('z-large');
    const older = promo({ id: 'z-older', createdAt: new Date('2026-01-01') });
    const newer = promo({ id: 'a-newer', createdAt: new Date('2026-02-01') });
    expect(price({ promotions: [newer, older] }).lines[0]!.promotion!.id).toBe('z-older');
  });

  it.each([
    ['NOT_STARTED', { startsAt: future }],
    ['EXPIRED', { endsAt: now }],
    ['BUDGET_EXHAUSTED', { budgetAmount: 1_000_00, burnedAmount: 1_000_00 }],
    ['PER_BUYER_LIMIT_REACHED', { perBuyerLimit: 1, buyerUses: 1 }],
  ] as const)('explains a promotion not applied: %s', (reason, over) => {
    const r = price({ promotions: [promo(over)] });
    expect(r.lines[0]!.promotion).toBeNull();
    expect(r.notApplied).toEqual([{ kind: 'promotion', id: 'promo-1', skuId: 'sku-a', reason }]);
  });

  it('says nothing of a promotion an admin switched off', () => {
    expect(price({ promotions: [promo({ active: false })] }).notApplied).toEqual([]);
  });

  it('never spends more than the budget left, across lines', () => {
    const r = price({
      lines: [line({ skuId: 'a' }), line({ skuId: 'b' })],
      promotions: [
        promo({ budgetAmount: 1_500_00, value: { kind: 'percentage', percentBp: 1000, capAmount: null } }),
      ],
    });
    expect(r.lines.map((l) => l.promotion?.amount ?? 0)).toEqual([1_000_00, 500_00]);
    expect(r.totals.promotionDiscount).toBe(1_500_00);
  });
});

describe('discount code', () => {
  it('applies once to the cart after promotions and spreads over the lines exactly', () => {
    const r = price({
      lines: [
        line({ skuId: 'a', unitPrice: 3_000_00 }),
        line({ skuId: 'b', unitPrice: 6_000_00, sellerId: 'seller-2' }),
      ],
      promotions: [promo({ scope: { type: 'sku', id: 'b' } })],
      code: code({ value: { kind: 'percentage', percentBp: 1000, capAmount: null } }),
    });
    // after promotion: 3 000 + 5 400 = 8 400; 10% = 840
    expect(r.code).toEqual({ id: 'code-1', code: 'KARIBU', amount: 840_00 });
    expect(r.lines.map((l) => l.codeDiscount)).toEqual([300_00, 540_00]);
    expect(r.sellers.map((s) => [s.sellerId, s.sellerAmount, s.final])).toEqual([
      ['seller-1', 3_000_00, 2_700_00],
      ['seller-2', 6_000_00, 4_860_00],
    ]);
  });

  it.each([
    ['MINIMUM_NOT_MET', { minOrderAmount: 20_000_00 }],
    ['EXPIRED', { endsAt: past }],
    ['NOT_STARTED', { startsAt: future }],
    ['INACTIVE', { active: false }],
    ['USAGE_LIMIT_REACHED', { maxUses: 10, uses: 10 }],
    ['PER_BUYER_LIMIT_REACHED', { perBuyerLimit: 1, buyerUses: 1 }],
    ['BUDGET_EXHAUSTED', { budgetAmount: 5_000_00, burnedAmount: 5_000_00 }],
  ] as const)('explains a code not applied: %s', (reason, over) => {
    const r = price({ code: code(over) });
    expect(r.code).toBeNull();
    expect(r.notApplied).toEqual([{ kind: 'code', id: 'code-1', skuId: null, reason }]);
    expect(r.totals.final).toBe(10_000_00);
  });

  it('reports an unknown code', () => {
    expect(price({ code: { unknown: 'NOPE' } }).notApplied).toEqual([
      { kind: 'code', id: null, skuId: null, reason: 'NOT_FOUND' },
    ]);
  });

  it('spends only what is left of the code budget', () => {
    expect(price({ code: code({ budgetAmount: 5_000_00, burnedAmount: 4_500_00 }) }).code!.amount).toBe(
      500_00,
    );
  });
});

describe('loyalty points', () => {
  const loyalty = {
    balancePoints: 1000,
    requestedPoints: 100,
    pointValue: 10_00,
    maxShareBp: 2000,
    currency: 'TZS',
  };
  it('turns points into money after promotions and code', () => {
    const r = price({ loyalty });
    expect(r.loyalty).toEqual({ pointsUsed: 100, amount: 1_000_00 });
    expect(r.totals.final).toBe(9_000_00);
  });
  it('caps points at the allowed share of the cart and says so', () => {
    const r = price({ loyalty: { ...loyalty, requestedPoints: 1000 } });
    expect(r.loyalty).toEqual({ pointsUsed: 200, amount: 2_000_00 }); // 20% of 10 000
    expect(r.notApplied).toContainEqual({
      kind: 'loyalty',
      id: null,
      skuId: null,
      reason: 'MAX_SHARE_EXCEEDED',
    });
  });
  it('caps points at the balance and says so', () => {
    const r = price({ loyalty: { ...loyalty, balancePoints: 30 } });
    expect(r.loyalty!.pointsUsed).toBe(30);
    expect(r.notApplied).toContainEqual({
      kind: 'loyalty',
      id: null,
      skuId: null,
      reason: 'INSUFFICIENT_POINTS',
    });
  });
});

describe('bad input', () => {
  it.each([
    ['a negative price', [line({ unitPrice: -1 })]],
    ['a fractional price', [line({ unitPrice: 1.5 })]],
    ['a zero quantity', [line({ quantity: 0 })]],
    ['a fractional quantity', [line({ quantity: 1.5 })]],
    ['one SKU twice', [line(), line()]],
  ])('refuses %s', (_what, lines) => {
    expect(() => price({ lines })).toThrow();
  });
});

// ---- properties over random carts
const ids = ['s1', 's2', 's3', 's4', 's5', 's6'];
const arbLine = fc.record({
  skuId: fc.constantFrom(...ids),
  productId: fc.constantFrom('p1', 'p2', 'p3'),
  sellerId: fc.constantFrom('seller-1', 'seller-2', 'seller-3'),
  brandId: fc.option(fc.constantFrom('b1', 'b2'), { nil: null }),
  categoryIds: fc.subarray(['c1', 'c2', 'c3']),
  unitPrice: fc.integer({ min: 0, max: 5_000_000_00 }),
  quantity: fc.integer({ min: 1, max: 20 }),
});
const arbLines = fc.uniqueArray(arbLine, { selector: (l) => l.skuId, minLength: 1, maxLength: 6 });
const arbValue = fc.oneof(
  fc.record({
    kind: fc.constant('percentage' as const),
    percentBp: fc.integer({ min: 1, max: 10000 }),
    capAmount: fc.option(fc.integer({ min: 1, max: 1_000_000_00 }), { nil: null }),
  }),
  fc.record({ kind: fc.constant('fixed' as const), amount: fc.integer({ min: 1, max: 1_000_000_00 }) }),
);
const arbScope = fc.oneof(
  fc.constant({ type: 'all' as const }),
  fc.record({ type: fc.constant('category' as const), id: fc.constantFrom('c1', 'c2', 'c3') }),
  fc.record({ type: fc.constant('brand' as const), id: fc.constantFrom('b1', 'b2') }),
  fc.record({ type: fc.constant('product' as const), id: fc.constantFrom('p1', 'p2', 'p3') }),
  fc.record({ type: fc.constant('sku' as const), id: fc.constantFrom(...ids) }),
);
const arbPromotions = fc.uniqueArray(
  fc.record({
    id: fc.constantFrom('pa', 'pb', 'pc', 'pd'),
    name: fc.constant('P'),
    value: arbValue,
    scope: arbScope,
    startsAt: fc.constantFrom(past, future),
    endsAt: fc.constantFrom(future, now),
    priority: fc.integer({ min: 0, max: 3 }),
    active: fc.boolean(),
    budgetAmount: fc.integer({ min: 0, max: 10_000_000_00 }),
    currency: fc.constant('TZS'),
    burnedAmount: fc.integer({ min: 0, max: 10_000_000_00 }),
    perBuyerLimit: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
    buyerUses: fc.integer({ min: 0, max: 3 }),
    createdAt: fc.constantFrom(past, new Date('2026-10-01')),
  }),
  { selector: (p) => p.id, maxLength: 4 },
);
const arbCode = fc.option(
  fc.record({
    id: fc.constant('code'),
    code: fc.constant('CODE'),
    value: arbValue,
    minOrderAmount: fc.integer({ min: 0, max: 10_000_000_00 }),
    startsAt: fc.constantFrom(past, future),
    endsAt: fc.constantFrom(future, now),
    active: fc.boolean(),
    maxUses: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }),
    uses: fc.integer({ min: 0, max: 5 }),
    perBuyerLimit: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
    buyerUses: fc.integer({ min: 0, max: 3 }),
    budgetAmount: fc.option(fc.integer({ min: 0, max: 10_000_000_00 }), { nil: null }),
    burnedAmount: fc.integer({ min: 0, max: 1_000_000_00 }),
    currency: fc.constant('TZS'),
  }),
  { nil: null },
);
const arbLoyalty = fc.option(
  fc.record({
    balancePoints: fc.integer({ min: 0, max: 1_000_000 }),
    requestedPoints: fc.integer({ min: 0, max: 1_000_000 }),
    pointValue: fc.integer({ min: 1, max: 100_00 }),
    maxShareBp: fc.integer({ min: 0, max: 10000 }),
    currency: fc.constant('TZS'),
  }),
  { nil: null },
);
const arbInput = fc.record({
  lines: arbLines,
  promotions: arbPromotions,
  code: arbCode,
  loyalty: arbLoyalty,
});

describe('properties (fast-check)', () => {
  const run = (i: Omit<PricingInput, 'now' | 'currency'>) => priceCart({ ...i, currency: 'TZS', now });

  it('with whole-shilling inputs and unit 100, every line, order and total is whole shillings (payable by M-Pesa)', () => {
    const whole = (n: number) => Math.round(n / 100) * 100;
    const wholeValue = (v: typeof arbValue extends fc.Arbitrary<infer V> ? V : never) =>
      v.kind === 'fixed'
        ? { ...v, amount: Math.max(100, whole(v.amount)) }
        : { ...v, capAmount: v.capAmount === null ? null : Math.max(100, whole(v.capAmount)) };
    fc.assert(
      fc.property(arbInput, (input) => {
        const r = priceCart({
          currency: 'TZS',
          now,
          unit: 100,
          lines: input.lines.map((l) => ({ ...l, unitPrice: whole(l.unitPrice) })),
          promotions: input.promotions.map((p) => ({
            ...p,
            value: wholeValue(p.value),
            budgetAmount: whole(p.budgetAmount),
            burnedAmount: whole(p.burnedAmount),
          })),
          code: input.code && {
            ...input.code,
            value: wholeValue(input.code.value),
            minOrderAmount: whole(input.code.minOrderAmount),
            budgetAmount: input.code.budgetAmount === null ? null : whole(input.code.budgetAmount),
            burnedAmount: whole(input.code.burnedAmount),
          },
          loyalty: input.loyalty && {
            ...input.loyalty,
            pointValue: Math.max(100, whole(input.loyalty.pointValue)),
          },
        });
        for (const l of r.lines) {
          for (const part of [l.promotion?.amount ?? 0, l.codeDiscount, l.loyaltyDiscount, l.final])
            expect(part % 100).toBe(0);
          expect(l.final).toBe(l.original - l.discountTotal);
          expect(l.discountTotal).toBeLessThanOrEqual(l.original);
        }
        for (const t of [...r.sellers, r.totals]) expect(t.final % 100).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it("a percentage rounds up to the whole shilling, in the buyer's favour", () => {
    const r = priceCart({
      currency: 'TZS',
      now,
      unit: 100,
      lines: [
        {
          skuId: 's1',
          productId: 'p1',
          sellerId: 'x',
          brandId: null,
          categoryIds: [],
          unitPrice: 12_345_00,
          quantity: 1,
        },
      ],
      promotions: [
        {
          id: 'pa',
          name: '10%',
          value: { kind: 'percentage', percentBp: 1000, capAmount: null },
          scope: { type: 'all' },
          startsAt: past,
          endsAt: future,
          priority: 0,
          active: true,
          budgetAmount: 1_000_000_00,
          currency: 'TZS',
          burnedAmount: 0,
          perBuyerLimit: null,
          buyerUses: 0,
          createdAt: past,
        },
      ],
      code: null,
      loyalty: null,
    });
    // 10% of TZS 12,345 is 1,234.50: the buyer gets 1,235 off and pays a payable 11,110.
    expect(r.totals.discountTotal).toBe(1_235_00);
    expect(r.totals.final).toBe(11_110_00);
    expect(percentOf(12_345_00, 1000)).toBe(1_234_50);
    expect(roundUpTo(1_234_50, 100)).toBe(1_235_00);
    expect(roundUpTo(1_234_00, 100)).toBe(1_234_00);
  });

  it('final = original − discounts, per line, per seller and overall, and never below zero', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const r = run(input);
        for (const l of r.lines) {
          expect(l.final).toBe(l.original - l.discountTotal);
          expect(l.discountTotal).toBe((l.promotion?.amount ?? 0) + l.codeDiscount + l.loyaltyDiscount);
          expect(l.final).toBeGreaterThanOrEqual(0);
        }
        for (const t of [...r.sellers, r.totals]) {
          expect(t.final).toBe(t.original - t.discountTotal);
          expect(t.discountTotal).toBe(t.promotionDiscount + t.codeDiscount + t.loyaltyDiscount);
          expect(t.platformFunded).toBe(t.discountTotal);
        }
        expect(r.totals.final).toBe(r.sellers.reduce((a, s) => a + s.final, 0));
      }),
      { numRuns: 500 },
    );
  });

  it('sellers are credited exactly the base price of their lines', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const r = run(input);
        for (const s of r.sellers) {
          const base = input.lines
            .filter((l) => l.sellerId === s.sellerId)
            .reduce((a, l) => a + l.unitPrice * l.quantity, 0);
          expect(s.sellerAmount).toBe(base);
          expect(s.original).toBe(base);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('no discount exceeds its line, and every amount is a whole non-negative minor unit', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        for (const l of run(input).lines) {
          for (const v of [
            l.promotion?.amount ?? 0,
            l.codeDiscount,
            l.loyaltyDiscount,
            l.discountTotal,
            l.final,
          ]) {
            expect(Number.isSafeInteger(v) && v >= 0).toBe(true);
          }
          expect(l.discountTotal).toBeLessThanOrEqual(l.original);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the result does not depend on the order of the lines', () => {
    fc.assert(
      fc.property(arbInput, fc.func(fc.integer()), (input, key) => {
        const lines = [...input.lines].sort((a, b) => key(a.skuId) - key(b.skuId));
        const promotions = [...input.promotions].sort((a, b) => key(a.id) - key(b.id));
        expect(run({ ...input, lines, promotions })).toEqual(run(input));
      }),
      { numRuns: 300 },
    );
  });

  it('budgets, usage limits and the loyalty share are never exceeded', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const r = run(input);
        for (const p of input.promotions) {
          const spent = r.lines
            .filter((l) => l.promotion?.id === p.id)
            .reduce((a, l) => a + l.promotion!.amount, 0);
          expect(spent).toBeLessThanOrEqual(Math.max(0, p.budgetAmount - p.burnedAmount));
          if (spent > 0) {
            expect(p.active && p.startsAt <= now && p.endsAt > now).toBe(true);
            expect(p.perBuyerLimit === null || p.buyerUses < p.perBuyerLimit).toBe(true);
          }
        }
        const c = input.code;
        if (c && r.code) {
          if (c.budgetAmount !== null)
            expect(r.code.amount).toBeLessThanOrEqual(Math.max(0, c.budgetAmount - c.burnedAmount));
          expect(c.maxUses === null || c.uses < c.maxUses).toBe(true);
          expect(c.perBuyerLimit === null || c.buyerUses < c.perBuyerLimit).toBe(true);
          expect(c.active && c.startsAt <= now && c.endsAt > now).toBe(true);
        }
        if (input.loyalty && r.loyalty) {
          expect(r.loyalty.pointsUsed).toBeLessThanOrEqual(
            Math.min(input.loyalty.balancePoints, input.loyalty.requestedPoints),
          );
          const afterCode = r.totals.original - r.totals.promotionDiscount - r.totals.codeDiscount;
          expect(r.loyalty.amount * 10000).toBeLessThanOrEqual(afterCode * input.loyalty.maxShareBp);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('on one line, the winner has the top priority and, among equals, the largest discount', () => {
    fc.assert(
      fc.property(arbLine, arbPromotions, (l, promotions) => {
        const r = run({ lines: [l], promotions, code: null, loyalty: null });
        const winner = r.lines[0]!.promotion;
        const standalone = (p: PromotionRule) =>
          run({ lines: [l], promotions: [p], code: null, loyalty: null }).lines[0]!.promotion?.amount ?? 0;
        const eligible = promotions.filter((p) => standalone(p) > 0);
        if (!winner) {
          expect(eligible).toEqual([]);
          return;
        }
        const w = promotions.find((p) => p.id === winner.id)!;
        for (const p of eligible) {
          expect(w.priority).toBeGreaterThanOrEqual(p.priority);
          if (p.priority === w.priority) expect(winner.amount).toBeGreaterThanOrEqual(standalone(p));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('at most one promotion per line, and it is the best-ranked eligible one', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const r = run({ ...input, code: null, loyalty: null });
        for (const l of r.lines) {
          const outranked = r.notApplied.filter((n) => n.skuId === l.skuId && n.reason === 'OUTRANKED');
          if (!l.promotion) expect(outranked).toEqual([]);
          for (const o of outranked) {
            const loser = input.promotions.find((p) => p.id === o.id)!;
            const winner = input.promotions.find((p) => p.id === l.promotion!.id)!;
            expect(winner.priority).toBeGreaterThanOrEqual(loser.priority);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
