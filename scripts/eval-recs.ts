// npm run eval:recs [-- --csv history.csv] [-- --seed 7]
//
// Offline evaluation of the recommendation blocks, honestly: the purchase history is split by
// time (everything before the split trains, each buyer's first order after it is the test), and
// for each test buyer the home page's blocks are ranked at the split instant with the production
// scoring functions (src/modules/recommendations/scoring.ts: coPurchaseScore through
// scoreBoughtTogether, decayWeight, smoothedShare through scorePopular, isConsumable through
// scoreBuyAgain, interleave, REC_SETTINGS). What is re-done here is only the counting the refresh
// job does in SQL (distinct buyers per product and per pair, decayed weights per zone, repeat
// statistics per category), in memory, with the same definitions. Sellability and delivery are
// not modelled: every product is assumed available.
//
// hit-rate@10: share of test buyers whose next order holds at least one of the 10 items shown.
// coverage: share of the catalogue shown to at least one test buyer, and share of test buyers
// for whom the block shows anything. The baseline is popularity only: the 10 products bought most
// often before the split, the same for everyone.
//
// With --csv, the file holds `buyer,product,time` rows (a header row is allowed; time is ISO 8601
// or epoch milliseconds). Rows with the same buyer and time are one order. Without categories and
// zones, the whole catalogue is one category and the city one zone.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import {
  decayWeight,
  interleave,
  type PairCounts,
  REC_SETTINGS,
  type Scored,
  scoreBoughtTogether,
  scoreBuyAgain,
  scorePopular,
} from '../src/modules/recommendations/index.js';

export interface Purchase {
  order: string;
  buyer: string;
  product: string;
  at: Date;
  category: string | null;
  zone: string | null;
}

// ---- the generated history ----------------------------------------------------------------------

/** mulberry32: a small seeded generator, so every run of the evaluation sees the same history. */
export function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const GENERATED = {
  categories: 20,
  productsPerCategory: 25,
  /** categories 0 … consumables−1 are bought again and again */
  consumables: 5,
  zones: ['Kariakoo', 'Kinondoni', 'Mikocheni', 'Mbezi'],
  /** each zone favours this many categories (its local taste) */
  zoneFavourites: 4,
  buyers: 3000,
  days: 180,
  /** chance that an order in a preferred category (rather than any) is made */
  preferredShare: 0.7,
  /** chance that a consumable order repeats a product the buyer bought before in that category */
  repeatShare: 0.6,
  /** chance that an order also holds the product's companion */
  companionShare: 0.35,
};

/**
 * Buyers with latent tastes: each lives in a zone and prefers two categories (drawn with their
 * zone's favourites weighted up); orders land at random over the period; within a category,
 * product popularity follows a Zipf law (1/rank); every product has one companion (in another
 * category) bought with it a third of the time; consumables are bought again.
 */
export function generateHistory(seed = 7, g = GENERATED): Purchase[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const weighted = (weights: readonly number[]) => {
    let x = r() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return i;
    }
    return weights.length - 1;
  };
  const product = (c: number, k: number) => `p${c}-${k}`;
  const zipf = Array.from({ length: g.productsPerCategory }, (_, k) => 1 / (k + 1));
  // Each category's popularity order is its own shuffle, so product k is not the best-seller everywhere.
  const order = Array.from({ length: g.categories }, () =>
    Array.from({ length: g.productsPerCategory }, (_, k) => k).sort(() => r() - 0.5),
  );
  const companion = new Map<string, string>();
  for (let c = 0; c < g.categories; c++)
    for (let k = 0; k < g.productsPerCategory; k++) {
      const other = (c + 1 + Math.floor(r() * (g.categories - 1))) % g.categories;
      companion.set(product(c, k), product(other, Math.floor(r() * g.productsPerCategory)));
    }
  const zoneTaste = new Map(
    g.zones.map((z) => [
      z,
      new Set(Array.from({ length: g.zoneFavourites }, () => Math.floor(r() * g.categories))),
    ]),
  );
  const start = Date.UTC(2026, 5, 1);
  const out: Purchase[] = [];
  let orderSeq = 0;
  for (let b = 0; b < g.buyers; b++) {
    const buyer = `b${b}`;
    const zone = pick(g.zones);
    const taste = zoneTaste.get(zone)!;
    const catWeights = Array.from({ length: g.categories }, (_, c) => (taste.has(c) ? 4 : 1));
    const preferred = [weighted(catWeights), weighted(catWeights)];
    const orders = 1 + Math.floor(r() * r() * 14);
    const times = Array.from({ length: orders }, () => start + r() * g.days * 86_400_000).sort(
      (x, y) => x - y,
    );
    const owned = new Map<number, string[]>();
    for (const t of times) {
      const c = r() < g.preferredShare ? pick(preferred) : weighted(catWeights);
      const before = owned.get(c) ?? [];
      const main =
        c < g.consumables && before.length && r() < g.repeatShare
          ? pick(before)
          : product(c, order[c]![weighted(zipf)]!);
      owned.set(c, [...before, main]);
      const items = [main];
      if (r() < g.companionShare) items.push(companion.get(main)!);
      const id = `o${orderSeq++}`;
      for (const p of new Set(items))
        out.push({ order: id, buyer, product: p, at: new Date(t), category: p.split('-')[0]!, zone });
    }
  }
  return out;
}

export function readCsv(path: string): Purchase[] {
  const rows = parse(readFileSync(path, 'utf8'), { skip_empty_lines: true, trim: true }) as string[][];
  const out: Purchase[] = [];
  for (const [i, row] of rows.entries()) {
    const [buyer, product, time] = row;
    if (!buyer || !product || !time) throw new Error(`line ${i + 1}: expected buyer,product,time`);
    const at = /^\d+$/.test(time) ? new Date(Number(time)) : new Date(time);
    if (Number.isNaN(at.getTime())) {
      if (i === 0) continue; // a header row
      throw new Error(`line ${i + 1}: "${time}" is not a time`);
    }
    out.push({ order: `${buyer}@${at.getTime()}`, buyer, product, at, category: null, zone: null });
  }
  return out;
}

// ---- the counts the refresh job keeps, in memory ----------------------------------------------

const CITY = '';
const ONE_CATEGORY = '*';

function train(history: readonly Purchase[]) {
  const bought = new Map<string, Map<string, { orders: number; lastAt: Date; category: string }>>();
  const productBuyers = new Map<string, number>();
  const pairs = new Map<string, Map<string, number>>();
  const popularity = new Map<string, Map<string, { weight: number; category: string }>>();
  const totals = new Map<string, Map<string, number>>();
  const categoryStats = new Map<string, { pairs: number; repeats: number }>();
  const zoneOf = new Map<string, string>();
  const buys = new Map<string, number>();
  for (const p of history) {
    const category = p.category ?? ONE_CATEGORY;
    if (p.zone) zoneOf.set(p.buyer, p.zone);
    buys.set(p.product, (buys.get(p.product) ?? 0) + 1);
    const mine = bought.get(p.buyer) ?? new Map();
    bought.set(p.buyer, mine);
    const row = mine.get(p.product);
    const stats = categoryStats.get(category) ?? { pairs: 0, repeats: 0 };
    categoryStats.set(category, stats);
    if (!row) {
      for (const other of mine.keys()) {
        for (const [a, b] of [
          [p.product, other],
          [other, p.product],
        ] as const) {
          const m = pairs.get(a) ?? new Map<string, number>();
          pairs.set(a, m);
          m.set(b, (m.get(b) ?? 0) + 1);
        }
      }
      productBuyers.set(p.product, (productBuyers.get(p.product) ?? 0) + 1);
      mine.set(p.product, { orders: 1, lastAt: p.at, category });
      stats.pairs++;
    } else {
      if (row.orders === 1) stats.repeats++;
      row.orders++;
      if (p.at > row.lastAt) row.lastAt = p.at;
    }
    const w = decayWeight(p.at);
    for (const zone of p.zone ? [CITY, p.zone] : [CITY]) {
      const z = popularity.get(zone) ?? new Map();
      popularity.set(zone, z);
      const e = z.get(p.product) ?? { weight: 0, category };
      e.weight += w;
      z.set(p.product, e);
      const t = totals.get(zone) ?? new Map<string, number>();
      totals.set(zone, t);
      t.set(category, (t.get(category) ?? 0) + w);
    }
  }
  // What the SQL orders by: each zone's products by weight, descending.
  const sortedPopularity = new Map(
    [...popularity].map(([zone, m]) => [zone, [...m].sort((a, b) => b[1].weight - a[1].weight)] as const),
  );
  return { bought, productBuyers, pairs, popularity, sortedPopularity, totals, categoryStats, zoneOf, buys };
}

type Model = ReturnType<typeof train>;
const pool = REC_SETTINGS.blockSize * 3;

/** The home page's learned blocks for one buyer at `now`, as read.ts builds them. */
function homeBlocks(m: Model, buyer: string, now: Date) {
  const mine = m.bought.get(buyer) ?? new Map<string, { orders: number; lastAt: Date; category: string }>();
  const past = [...mine].sort((a, b) => b[1].lastAt.getTime() - a[1].lastAt.getTime());
  const buyAgain = scoreBuyAgain(
    past.slice(0, pool * 4).map(([productId, r]) => ({
      productId,
      orders: r.orders,
      lastAt: r.lastAt,
      category: m.categoryStats.get(r.category) ?? null,
    })),
    now,
  );
  const anchors = past.slice(0, 5).map(([id]) => id);
  const rows: PairCounts[] = [];
  // As read.ts: each anchor's strongest pairs (by distinct buyers), from the minimum support up.
  for (const a of anchors) {
    const strongest = [...(m.pairs.get(a) ?? [])]
      .filter(([, together]) => together >= REC_SETTINGS.minSupport)
      .sort((x, y) => y[1] - x[1])
      .slice(0, REC_SETTINGS.pairsPerAnchor);
    for (const [o, together] of strongest)
      rows.push({
        anchorId: a,
        otherId: o,
        together,
        anchorBuyers: m.productBuyers.get(a) ?? 0,
        otherBuyers: m.productBuyers.get(o) ?? 0,
      });
  }
  const boughtTogether = scoreBoughtTogether(rows);

  const perCategory = new Map<string, number>();
  for (const [, r] of mine) perCategory.set(r.category, (perCategory.get(r.category) ?? 0) + r.orders);
  const favourites = [...perCategory]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([c]) => c);
  const cats = favourites.length ? new Set(favourites) : null;
  const zone = m.zoneOf.get(buyer) ?? null;
  const zones = zone ? [zone, CITY] : [CITY];
  const ids = new Set<string>();
  for (const z of zones) {
    let n = 0;
    for (const [id, e] of m.sortedPopularity.get(z) ?? []) {
      if (n >= pool) break;
      if (cats && !cats.has(e.category)) continue;
      ids.add(id);
      n++;
    }
  }
  const sum = (z: string) =>
    [...(m.totals.get(z) ?? new Map<string, number>())].reduce(
      (s, [c, w]) => s + (!cats || cats.has(c) ? w : 0),
      0,
    );
  const popular = scorePopular(
    [...ids].map((id) => ({
      productId: id,
      zoneWeight: zone ? (m.popularity.get(zone)?.get(id)?.weight ?? 0) : 0,
      cityWeight: m.popularity.get(CITY)?.get(id)?.weight ?? 0,
    })),
    { zone: zone ? sum(zone) : 0, city: sum(CITY) },
    decayWeight(now),
  );
  const top = (s: Scored[]) => s.slice(0, REC_SETTINGS.blockSize);
  return { buy_again: top(buyAgain), bought_together: top(boughtTogether), popular_near_you: top(popular) };
}

// ---- the evaluation ------------------------------------------------------------------------------

export interface EvalResult {
  purchases: number;
  products: number;
  buyersTested: number;
  returning: number;
  splitAt: Date;
  rows: Array<{
    name: string;
    hitRate: number;
    hitRateReturning: number;
    catalogCoverage: number;
    buyerCoverage: number;
  }>;
}

export function evaluate(history: readonly Purchase[], splitQuantile = 0.8): EvalResult {
  const sorted = [...history].sort((a, b) => a.at.getTime() - b.at.getTime());
  const splitAt = sorted[Math.floor(sorted.length * splitQuantile)]!.at;
  const trainSet = sorted.filter((p) => p.at < splitAt);
  const model = train(trainSet);
  // Each buyer's next order after the split: its products.
  const next = new Map<string, { order: string; products: Set<string> }>();
  for (const p of sorted) {
    if (p.at < splitAt) continue;
    const n = next.get(p.buyer);
    if (!n) next.set(p.buyer, { order: p.order, products: new Set([p.product]) });
    else if (n.order === p.order) n.products.add(p.product);
  }
  const baseline = [...model.buys]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, REC_SETTINGS.blockSize)
    .map(([id]) => id);
  const names = [
    'engine (blocks interleaved)',
    'buy_again',
    'bought_together',
    'popular_near_you',
    'baseline: popularity only',
  ];
  const acc = new Map(
    names.map((n) => [n, { hits: 0, hitsReturning: 0, nonEmpty: 0, shown: new Set<string>() }]),
  );
  let returning = 0;
  for (const [buyer, want] of next) {
    const isReturning = model.bought.has(buyer);
    if (isReturning) returning++;
    const b = homeBlocks(model, buyer, splitAt);
    const lists: Record<string, string[]> = {
      'engine (blocks interleaved)': interleave(
        [b.buy_again, b.bought_together, b.popular_near_you],
        REC_SETTINGS.blockSize,
      ),
      buy_again: b.buy_again.map((s) => s.productId),
      bought_together: b.bought_together.map((s) => s.productId),
      popular_near_you: b.popular_near_you.map((s) => s.productId),
      'baseline: popularity only': baseline,
    };
    for (const [name, list] of Object.entries(lists)) {
      const a = acc.get(name)!;
      if (list.length) a.nonEmpty++;
      for (const id of list) a.shown.add(id);
      if (list.some((id) => want.products.has(id))) {
        a.hits++;
        if (isReturning) a.hitsReturning++;
      }
    }
  }
  const products = new Set(history.map((p) => p.product)).size;
  return {
    purchases: history.length,
    products,
    buyersTested: next.size,
    returning,
    splitAt,
    rows: names.map((name) => {
      const a = acc.get(name)!;
      return {
        name,
        hitRate: a.hits / next.size,
        hitRateReturning: returning ? a.hitsReturning / returning : 0,
        catalogCoverage: a.shown.size / products,
        buyerCoverage: a.nonEmpty / next.size,
      };
    }),
  };
}

export function markdown(r: EvalResult, title: string) {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return [
    `### ${title}`,
    '',
    `${r.purchases} purchases of ${r.products} products; split at ${r.splitAt.toISOString()}; ${r.buyersTested} buyers tested on their next order (${r.returning} with history before the split).`,
    '',
    '| list | hit-rate@10 (all) | hit-rate@10 (returning) | catalogue coverage | buyers shown anything |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...r.rows.map(
      (x) =>
        `| ${x.name} | ${pct(x.hitRate)} | ${pct(x.hitRateReturning)} | ${pct(x.catalogCoverage)} | ${pct(x.buyerCoverage)} |`,
    ),
    '',
  ].join('\n');
}

function main() {
  const args = process.argv.slice(2);
  const arg = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const csv = arg('--csv');
  const seed = Number(arg('--seed') ?? 7);
  if (csv) {
    console.log(markdown(evaluate(readCsv(csv)), `CSV ${csv}`));
    return;
  }
  const r = evaluate(generateHistory(seed));
  console.log(markdown(r, `Generated history (seed ${seed})`));
  const engine = r.rows[0]!.hitRate;
  const base = r.rows.at(-1)!.hitRate;
  console.log(
    `engine − baseline: ${((engine - base) * 100).toFixed(1)} points (${(engine / base).toFixed(2)}× the baseline)`,
  );
  if (engine <= base) {
    console.error('the engine does not beat the popularity baseline on the generated history');
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) main();
