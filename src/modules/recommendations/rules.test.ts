import { describe, expect, it } from 'vitest';
import { blocksFor, parseContext } from './context.js';
import { ineligibility } from './eligibility.js';
import { reasonText } from './reasons.js';
import {
  coPurchaseScore,
  DECAY_EPOCH_MS,
  decayWeight,
  interleave,
  isConsumable,
  rank,
  scoreBoughtTogether,
  scoreBuyAgain,
  scorePopular,
  smoothedShare,
} from './scoring.js';

const DAY = 86_400_000;

describe('co-purchase', () => {
  it('below the minimum support nothing is shown; at it, the cosine', () => {
    expect(
      coPurchaseScore({ anchorId: 'a', otherId: 'b', together: 2, anchorBuyers: 4, otherBuyers: 4 }, 3),
    ).toBeNull();
    expect(
      coPurchaseScore({ anchorId: 'a', otherId: 'b', together: 3, anchorBuyers: 4, otherBuyers: 9 }, 3),
    ).toBeCloseTo(3 / 6);
  });

  it('corrects for popularity: a best-seller bought with everything ranks below a true companion', () => {
    const ranked = scoreBoughtTogether([
      { anchorId: 'phone', otherId: 'bread', together: 20, anchorBuyers: 40, otherBuyers: 2000 },
      { anchorId: 'phone', otherId: 'case', together: 15, anchorBuyers: 40, otherBuyers: 30 },
    ]);
    expect(ranked.map((r) => r.productId)).toEqual(['case', 'bread']);
  });

  it('several anchors: each product keeps its best anchor, anchors are never recommended', () => {
    const ranked = scoreBoughtTogether([
      { anchorId: 'a', otherId: 'x', together: 3, anchorBuyers: 9, otherBuyers: 9 },
      { anchorId: 'b', otherId: 'x', together: 6, anchorBuyers: 9, otherBuyers: 9 },
      { anchorId: 'a', otherId: 'b', together: 9, anchorBuyers: 9, otherBuyers: 9 },
    ]);
    expect(ranked).toEqual([expect.objectContaining({ productId: 'x', anchorId: 'b', evidence: 6 })]);
  });
});

describe('popularity', () => {
  it('decay: a purchase a half-life older weighs half', () => {
    const now = new Date(DECAY_EPOCH_MS + 100 * DAY);
    expect(decayWeight(new Date(now.getTime() - 14 * DAY), 14) / decayWeight(now, 14)).toBeCloseTo(0.5);
  });

  it('a quiet zone is pulled toward the city; a busy zone speaks for itself', () => {
    const c = { productId: 'x', zoneWeight: 1, cityWeight: 10 };
    // city share 10 %; the quiet zone (2 purchases) saw it once: 50 % raw, smoothed near the city
    const quiet = smoothedShare(c, { zone: 2, city: 100 }, 20);
    expect(quiet).toBeCloseTo((1 + 20 * 0.1) / 22);
    const busy = smoothedShare({ ...c, zoneWeight: 500 }, { zone: 1000, city: 10000 }, 20);
    expect(busy).toBeCloseTo((500 + 20 * 0.001) / 1020);
    expect(smoothedShare(c, { zone: 0, city: 100 })).toBeCloseTo(0.1);
  });

  it('ranks by the smoothed share; evidence counts purchases decayed to now', () => {
    const ranked = scorePopular(
      [
        { productId: 'a', zoneWeight: 0, cityWeight: 50 },
        { productId: 'b', zoneWeight: 5, cityWeight: 10 },
        { productId: 'none', zoneWeight: 0, cityWeight: 0 },
      ],
      { zone: 5, city: 60 },
      1,
      20,
    );
    expect(ranked.map((r) => r.productId)).toEqual(['a', 'b']);
    expect(ranked[1]!.evidence).toBe(5);
  });
});

describe('buy again', () => {
  it('a category is consumable when enough of its buyers bought the same product again', () => {
    expect(isConsumable({ pairs: 4, repeats: 4 })).toBe(false);
    expect(isConsumable({ pairs: 20, repeats: 2 })).toBe(false);
    expect(isConsumable({ pairs: 20, repeats: 3 })).toBe(true);
  });

  it('only consumables, more orders and more recent first', () => {
    const now = new Date('2026-11-25T09:00:00Z');
    const soap = { pairs: 10, repeats: 5 };
    const ranked = scoreBuyAgain(
      [
        { productId: 'tv', orders: 3, lastAt: now, category: { pairs: 10, repeats: 0 } },
        { productId: 'old', orders: 3, lastAt: new Date(now.getTime() - 70 * DAY), category: soap },
        { productId: 'rice', orders: 2, lastAt: new Date(now.getTime() - DAY), category: soap },
        { productId: 'unknown', orders: 5, lastAt: now, category: null },
      ],
      now,
    );
    expect(ranked.map((r) => r.productId)).toEqual(['rice', 'old']);
  });
});

describe('ranking helpers', () => {
  it('rank is stable on ties: more evidence, then id', () => {
    expect(
      rank([
        { productId: 'b', score: 1, evidence: 1 },
        { productId: 'a', score: 1, evidence: 1 },
        { productId: 'c', score: 1, evidence: 2 },
      ]).map((r) => r.productId),
    ).toEqual(['c', 'a', 'b']);
  });

  it('interleave takes one from each block in turn, without repeats, up to the limit', () => {
    const s = (...ids: string[]) => ids.map((productId) => ({ productId, score: 0, evidence: 0 }));
    expect(interleave([s('a', 'b', 'c'), s('a', 'x'), s()], 4)).toEqual(['a', 'b', 'x', 'c']);
  });
});

describe('eligibility', () => {
  const ok = { sellable: true, deliverable: true, inCart: false, isContextProduct: false };
  it('each condition alone refuses', () => {
    expect(ineligibility(ok)).toBeNull();
    expect(ineligibility({ ...ok, sellable: false })).toBe('NOT_SELLABLE');
    expect(ineligibility({ ...ok, deliverable: false })).toBe('NOT_DELIVERABLE');
    expect(ineligibility({ ...ok, inCart: true })).toBe('IN_CART');
    expect(ineligibility({ ...ok, isContextProduct: true })).toBe('CONTEXT_PRODUCT');
  });
});

describe('reasons in the buyer’s language', () => {
  it.each([
    [
      { kind: 'bought_together', anchorTitle: 'Sabuni', buyers: 12 },
      'Bought with Sabuni by 12 buyers',
      'Hununuliwa pamoja na Sabuni na wanunuzi 12',
    ],
    [
      { kind: 'bought_together', anchorTitle: 'Sabuni', buyers: 1 },
      'Bought with Sabuni by 1 buyer',
      'Hununuliwa pamoja na Sabuni na wanunuzi 1',
    ],
    [
      { kind: 'popular_near_you', place: 'Kinondoni', buyers: 3 },
      'Popular in Kinondoni',
      'Maarufu Kinondoni',
    ],
    [
      { kind: 'popular_near_you', place: null, buyers: 3 },
      'Popular in Dar es Salaam',
      'Maarufu Dar es Salaam',
    ],
    [{ kind: 'buy_again', orders: 1 }, 'You bought this once', 'Umenunua hii mara 1'],
    [{ kind: 'recently_viewed' }, 'You viewed this recently', 'Uliitazama hivi karibuni'],
    [{ kind: 'category_fallback', category: 'Chakula' }, 'New in Chakula', 'Mpya katika Chakula'],
  ] as const)('%o', (reason, en, sw) => {
    expect(reasonText(reason, 'en')).toBe(en);
    expect(reasonText(reason, 'sw')).toBe(sw);
  });
});

describe('context', () => {
  it('parses home, cart and product:{uuid}; anything else is null', () => {
    const id = '01a2426b-9ad6-73a8-b231-2bd6ab38c7a0';
    expect(parseContext('home')).toEqual({ kind: 'home' });
    expect(parseContext('cart')).toEqual({ kind: 'cart' });
    expect(parseContext(`product:${id.toUpperCase()}`)).toEqual({ kind: 'product', productId: id });
    for (const bad of ['', 'Home', 'product:', 'product:123', `product:${id}x`, 'cart ', 'category:1'])
      expect(parseContext(bad)).toBeNull();
    expect(blocksFor({ kind: 'product', productId: id })).not.toContain('buy_again');
  });
});
