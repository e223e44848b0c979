// The scoring rules of every block, pure: the read path (read.ts) ranks what the SQL tables hold
// with these functions, and the offline evaluation (scripts/eval-recs.ts) ranks its in-memory
// counts with the very same ones, so the figures in docs/recommendations.md measure this code.

export const REC_SETTINGS = {
  /** items per block */
  blockSize: 10,
  /** a co-purchase pair needs this many distinct buyers before it is shown */
  minSupport: 3,
  /** popularity halves every this many days */
  halfLifeDays: 14,
  /** how many city-wide purchases a zone's share is pulled toward (Bayesian prior strength) */
  cityPriorStrength: 20,
  /** a category is consumable when this share of its (buyer, product) pairs were bought again… */
  consumableRepeatShare: 0.15,
  /** …over at least this many (buyer, product) pairs */
  consumableMinPairs: 5,
  /** co-purchase rows read per anchor (its strongest by distinct buyers) */
  pairsPerAnchor: 60,
  /** views kept per viewer, cart adds kept per buyer */
  signalsPerViewer: 50,
} as const;

export type RecSettings = typeof REC_SETTINGS;

const DAY_MS = 86_400_000;
/** The decay epoch: weights are 2^((t − epoch)/half-life); any fixed instant works, this keeps them small. */
export const DECAY_EPOCH_MS = Date.UTC(2026, 0, 1);

/** One purchase's popularity weight, relative to the epoch (only ratios between weights matter). */
export function decayWeight(at: Date, halfLifeDays: number = REC_SETTINGS.halfLifeDays): number {
  return 2 ** ((at.getTime() - DECAY_EPOCH_MS) / DAY_MS / halfLifeDays);
}

/** Ranked candidate: higher score first; ties by more evidence, then by id so the order is stable. */
export interface Scored {
  productId: string;
  score: number;
  /** the count shown in the reason (buyers, orders) */
  evidence: number;
  /** the product the item is explained by (bought together: the anchor) */
  anchorId?: string;
}

export function rank(items: readonly Scored[], limit = Number.POSITIVE_INFINITY): Scored[] {
  return [...items]
    .sort((a, b) => b.score - a.score || b.evidence - a.evidence || (a.productId < b.productId ? -1 : 1))
    .slice(0, limit);
}

/** One row of co-purchase counts: anchor and other product, buyers of both, buyers of each. */
export interface PairCounts {
  anchorId: string;
  otherId: string;
  together: number;
  anchorBuyers: number;
  otherBuyers: number;
}

/**
 * Item-to-item co-purchase with a popularity correction: cosine similarity
 * together / √(anchorBuyers · otherBuyers), so a best-seller bought by everyone does not pair with
 * everything. Below the minimum support: null (not shown at all).
 */
export function coPurchaseScore(c: PairCounts, minSupport: number = REC_SETTINGS.minSupport): number | null {
  if (c.together < minSupport || c.anchorBuyers <= 0 || c.otherBuyers <= 0) return null;
  return c.together / Math.sqrt(c.anchorBuyers * c.otherBuyers);
}

/**
 * "Bought together" over several anchors (the product on screen, the cart's products, a buyer's
 * recent purchases): each other product keeps its best anchor; anchors themselves are not shown.
 */
export function scoreBoughtTogether(rows: readonly PairCounts[], minSupport?: number): Scored[] {
  const anchors = new Set(rows.map((r) => r.anchorId));
  const best = new Map<string, Scored>();
  for (const r of rows) {
    if (anchors.has(r.otherId)) continue;
    const score = coPurchaseScore(r, minSupport);
    if (score === null) continue;
    const was = best.get(r.otherId);
    if (!was || score > was.score || (score === was.score && r.together > was.evidence))
      best.set(r.otherId, { productId: r.otherId, score, evidence: r.together, anchorId: r.anchorId });
  }
  return rank([...best.values()]);
}

/** A popularity candidate: its decayed weight in the buyer's zone and in the whole city. */
export interface PopularityCounts {
  productId: string;
  zoneWeight: number;
  cityWeight: number;
}

/**
 * "Popular near you": the product's share of the zone's (decayed) purchases, smoothed toward its
 * share of the city's: (zone + m · cityShare) / (zoneTotal + m). A zone with few purchases borrows
 * the city's taste; a busy zone speaks for itself. No zone known: the city share alone.
 */
export function smoothedShare(
  c: PopularityCounts,
  totals: { zone: number; city: number },
  priorStrength: number = REC_SETTINGS.cityPriorStrength,
): number {
  const cityShare = totals.city > 0 ? c.cityWeight / totals.city : 0;
  if (totals.zone <= 0) return cityShare;
  return (c.zoneWeight + priorStrength * cityShare) / (totals.zone + priorStrength);
}

export function scorePopular(
  candidates: readonly PopularityCounts[],
  totals: { zone: number; city: number },
  /** decayed weight of one purchase made now: turns weights back into "about n recent purchases" */
  unitNow: number,
  priorStrength?: number,
): Scored[] {
  return rank(
    candidates
      .filter((c) => c.zoneWeight > 0 || c.cityWeight > 0)
      .map((c) => ({
        productId: c.productId,
        score: smoothedShare(c, totals, priorStrength),
        evidence: Math.max(1, Math.round((totals.zone > 0 ? c.zoneWeight : c.cityWeight) / unitNow)),
      })),
  );
}

/** Is a category consumable (bought again and again: soap, rice, airtime) rather than durable? Learned from repeats. */
export function isConsumable(
  stats: { pairs: number; repeats: number },
  s: Pick<RecSettings, 'consumableRepeatShare' | 'consumableMinPairs'> = REC_SETTINGS,
): boolean {
  return stats.pairs >= s.consumableMinPairs && stats.repeats / stats.pairs >= s.consumableRepeatShare;
}

/** One product the buyer bought before, with its category's repeat statistics. */
export interface PastPurchase {
  productId: string;
  orders: number;
  lastAt: Date;
  category: { pairs: number; repeats: number } | null;
}

/**
 * "Buy again": consumables bought before, the more often and the more recently the higher
 * (orders / (1 + weeks since the last one)). Durable goods are never suggested again.
 */
export function scoreBuyAgain(rows: readonly PastPurchase[], now: Date): Scored[] {
  return rank(
    rows
      .filter((r) => r.category && isConsumable(r.category))
      .map((r) => ({
        productId: r.productId,
        score: r.orders / (1 + Math.max(0, now.getTime() - r.lastAt.getTime()) / (7 * DAY_MS)),
        evidence: r.orders,
      })),
  );
}

/**
 * One list from several ranked blocks, taking one item from each in turn (as a client scrolling
 * the blocks would see them), without repeats. Used by the offline evaluation's "engine" figure.
 */
export function interleave(blocks: ReadonlyArray<readonly Scored[]>, limit: number): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; out.length < limit && blocks.some((b) => i < b.length); i++) {
    for (const b of blocks) {
      const item = b[i];
      if (item && !seen.has(item.productId) && out.length < limit) {
        seen.add(item.productId);
        out.push(item.productId);
      }
    }
  }
  return out;
}
