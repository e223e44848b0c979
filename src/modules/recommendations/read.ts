import { Placeholder, type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { rawQuery } from '../../db/batch.js';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { notFound } from '../../shared/errors.js';
import { type BlockKind, blocksFor, type RecContext } from './context.js';
import { ineligibility } from './eligibility.js';
import type { RecCartPort, RecCatalogPort, RecDeliveryPort } from './ports.js';
import { type Reason, type RecLanguage, reasonText } from './reasons.js';
import { CITY } from './refresh.js';
import {
  recBuyerProducts,
  recCartAdds,
  recCategoryStats,
  recPopularity,
  recPopularityTotals,
  recTogetherTop,
  recViews,
} from './schema.js';
import {
  decayWeight,
  REC_SETTINGS,
  type Scored,
  scoreBoughtTogether,
  scoreBuyAgain,
  scorePopular,
} from './scoring.js';
import type { ViewerKey } from './signals.js';

// GET /recommendations: candidates straight from the tables the refresh job keeps, ranked by the
// pure scoring functions, then filtered by what can be sold and delivered to this buyer right now.

export interface RecItem {
  product_id: string;
  title: string;
  min_price: number | null;
  currency: string | null;
  reason: string;
}

export interface RecBlock {
  kind: BlockKind;
  items: RecItem[];
}

interface Candidate extends Scored {
  reason: (titles: Map<string, string>) => Reason;
}

/** One row of the candidates statement: a..d and `at` mean what `block` says (read.ts, candidateRows). */
interface CandidateRow {
  block: 'anchor' | 'category' | BlockKind;
  product_id: string;
  anchor: string | null;
  a: number | null;
  b: number | null;
  c: number | null;
  d: number | null;
  at: string | Date | null;
}

interface CandidateShape {
  context: RecContext['kind'];
  kinds: readonly BlockKind[];
  buyer: boolean;
  viewer: boolean;
  zone: boolean;
}

/**
 * The candidates statement of one request shape (context; signed in or not; a viewer or not; a
 * zone or not), compiled once: its text never varies within a shape, so it runs as a named
 * prepared statement and PostgreSQL plans it once per connection. Inputs are placeholders.
 */
function compileCandidates(shape: CandidateShape): { text: string; params: unknown[] } {
  const pool = REC_SETTINGS.blockSize * 3;
  const want = (k: BlockKind) => shape.kinds.includes(k);
  const ph = (name: string) => sql.placeholder(name);
  const ids = (name: string) =>
    sql`select value::uuid as id from jsonb_array_elements_text(${ph(name)}::jsonb)`;
  const home = shape.context === 'home' && shape.buyer;
  const anchors = home
    ? sql`(select product_id as id from ${recBuyerProducts} where buyer_id = ${ph('buyer')}::uuid
          order by last_at desc limit 5)
        union (select product_id from ${recCartAdds} where buyer_id = ${ph('buyer')}::uuid order by added_at desc limit 3)`
    : ids('anchors');
  const cats = home
    ? sql`select category_id as id from ${recBuyerProducts} where buyer_id = ${ph('buyer')}::uuid
        and category_id is not null group by category_id order by sum(orders) desc limit 3`
    : ids('categories');
  const inCats = sql`(not exists (select 1 from cats) or category_id in (select id from cats))`;
  const topOf = (zone: SQL) => sql`(select product_id from ${recPopularity}
    where zone = ${zone} and ${inCats} order by weight desc limit ${sql.raw(String(pool))})`;
  const totalOf = (zone: SQL) => sql`(select coalesce(sum(weight), 0) from ${recPopularityTotals}
    where zone = ${zone} and ${inCats})`;
  const city = sql`${sql.raw(`'${CITY}'`)}::text`;
  const zone = sql`${ph('zone')}::text`;
  const parts: SQL[] = [
    sql`select 'anchor' as block, id as product_id, null::uuid as anchor, null::float8 as a, null::float8 as b,
      null::float8 as c, null::float8 as d, null::timestamptz as at from anchors`,
    sql`select 'category', id, null, null, null, null, null, null from cats`,
  ];
  if (want('bought_together'))
    parts.push(sql`select 'bought_together', t.other_product_id, t.anchor_product_id, t.together,
        t.anchor_buyers, t.other_buyers, null, null
      from anchors join ${recTogetherTop} t on t.anchor_product_id = anchors.id
        and t.rank <= ${sql.raw(String(REC_SETTINGS.pairsPerAnchor))}`);
  if (want('popular_near_you'))
    parts.push(sql`select 'popular_near_you', top.product_id, null,
        coalesce(max(p.weight) filter (where p.zone <> ${city}), 0),
        coalesce(max(p.weight) filter (where p.zone = ${city}), 0),
        ${shape.zone ? totalOf(zone) : sql`0`}, ${totalOf(city)}, null
      from (${shape.zone ? sql`${topOf(zone)} union ` : sql``}${topOf(city)}) top
        left join ${recPopularity} p on p.product_id = top.product_id
          and p.zone in (${shape.zone ? zone : city}, ${city})
      group by top.product_id`);
  if (want('buy_again') && shape.buyer)
    parts.push(sql`(select 'buy_again', b.product_id, null, b.orders, s.pairs, s.repeats, null, b.last_at
      from ${recBuyerProducts} b left join ${recCategoryStats} s on s.category_id = b.category_id
      where b.buyer_id = ${ph('buyer')}::uuid order by b.last_at desc limit ${sql.raw(String(pool * 4))})`);
  if (want('recently_viewed') && shape.viewer)
    parts.push(sql`(select 'recently_viewed', product_id, null, null, null, null, null, viewed_at
      from ${recViews} where viewer = ${ph('viewer')}::text order by viewed_at desc limit ${sql.raw(String(pool))})`);
  const query = dialect.sqlToQuery(sql`with anchors as (${anchors}), cats as (${cats})
    ${sql.join(parts, sql` union all `)}`);
  return { text: query.sql, params: query.params };
}

const dialect = new PgDialect();

export function createReader(deps: {
  db: Database;
  clock: Clock;
  catalog: RecCatalogPort;
  cart: RecCartPort;
  delivery: RecDeliveryPort;
}) {
  const { db, clock } = deps;
  const statements = new Map<string, { text: string; params: unknown[] }>();
  const size = REC_SETTINGS.blockSize;
  /** candidates read per block before filtering: room for a few unsellable or undeliverable ones */
  const pool = size * 3;

  /**
   * Every block's candidates in ONE statement over this module's own tables (it was nine round
   * trips): the anchors (given, or the buyer's recent purchases and cart adds on the home page),
   * the categories (given, or the buyer's favourites), then per block: each anchor's ranked
   * "bought together" list (an index range scan of rec_together_top), the zone's and the city's
   * top products with both weights and denominators, the buyer's past purchases with their
   * category's repeat statistics, the viewer's recent views. Rows are tagged by `block`.
   */
  async function candidateRows(q: {
    context: RecContext['kind'];
    kinds: readonly BlockKind[];
    buyerId: string | null;
    viewer: ViewerKey | null;
    anchors: readonly string[];
    categories: readonly string[] | null;
    zone: string | null;
  }): Promise<CandidateRow[]> {
    const shape: CandidateShape = {
      context: q.context,
      kinds: q.kinds,
      buyer: q.buyerId !== null,
      viewer: q.viewer !== null,
      zone: q.zone !== null,
    };
    const key = `rec-candidates-${shape.context}-${shape.buyer ? 'b' : ''}${shape.viewer ? 'v' : ''}${shape.zone ? 'z' : ''}`;
    let statement = statements.get(key);
    if (!statement) {
      statement = compileCandidates(shape);
      statements.set(key, statement);
    }
    const values: Record<string, unknown> = {
      buyer: q.buyerId,
      viewer: q.viewer,
      zone: q.zone,
      anchors: JSON.stringify(q.anchors),
      categories: JSON.stringify(q.categories ?? []),
    };
    const args = statement.params.map((p) => (p instanceof Placeholder ? values[p.name] : p));
    return rawQuery<CandidateRow>(db, { name: key, text: statement.text }, args);
  }

  /** The statement's rows, ranked per block by the pure scoring functions. */
  function candidatesOf(
    rows: readonly CandidateRow[],
    now: Date,
    zone: string | null,
  ): Map<BlockKind, Candidate[]> {
    const of = (block: string) => rows.filter((r) => r.block === block);
    const out = new Map<BlockKind, Candidate[]>();
    const together = of('bought_together');
    if (together.length)
      out.set(
        'bought_together',
        scoreBoughtTogether(
          together.map((r) => ({
            anchorId: r.anchor!,
            otherId: r.product_id,
            together: Number(r.a),
            anchorBuyers: Number(r.b),
            otherBuyers: Number(r.c),
          })),
        ).map((s) => ({
          ...s,
          reason: (titles) => ({
            kind: 'bought_together',
            anchorTitle: titles.get(s.anchorId!) ?? '',
            buyers: s.evidence,
          }),
        })),
      );
    const popular = of('popular_near_you');
    if (popular.length) {
      const t = { zone: Number(popular[0]!.c), city: Number(popular[0]!.d) };
      const place = t.zone > 0 ? zone : null;
      out.set(
        'popular_near_you',
        scorePopular(
          popular.map((r) => ({ productId: r.product_id, zoneWeight: Number(r.a), cityWeight: Number(r.b) })),
          t,
          decayWeight(now),
        ).map((s) => ({ ...s, reason: () => ({ kind: 'popular_near_you', place, buyers: s.evidence }) })),
      );
    }
    const bought = of('buy_again');
    if (bought.length)
      out.set(
        'buy_again',
        scoreBuyAgain(
          bought.map((r) => ({
            productId: r.product_id,
            orders: Number(r.a),
            lastAt: new Date(r.at!),
            category: r.b === null || r.c === null ? null : { pairs: Number(r.b), repeats: Number(r.c) },
          })),
          now,
        ).map((s) => ({ ...s, reason: () => ({ kind: 'buy_again', orders: s.evidence }) })),
      );
    const viewed = of('recently_viewed').sort(
      (x, y) => new Date(y.at!).getTime() - new Date(x.at!).getTime(),
    );
    if (viewed.length)
      out.set(
        'recently_viewed',
        viewed.map((r, i) => ({
          productId: r.product_id,
          score: viewed.length - i,
          evidence: 1,
          reason: () => ({ kind: 'recently_viewed' }),
        })),
      );
    return out;
  }
  return {
    async recommend(input: {
      context: RecContext;
      buyerId: string | null;
      viewer: ViewerKey | null;
      /** may still be on its way: it is awaited only when the reasons are written */
      language: RecLanguage | Promise<RecLanguage>;
    }): Promise<RecBlock[]> {
      const { context, buyerId } = input;
      const now = clock.now();
      // The cart, the buyer's place and (product page) the product's own facts, side by side.
      const [inCart, place, contextFacts] = await Promise.all([
        buyerId ? deps.cart.productIdsIn(buyerId) : [],
        buyerId ? deps.delivery.buyerPlace(buyerId) : null,
        context.kind === 'product' ? deps.catalog.productFacts([context.productId]) : null,
      ]);
      let anchors: string[] = [];
      let categories: string[] | null = null;
      if (context.kind === 'product') {
        const product = contextFacts?.get(context.productId);
        if (!product) throw notFound('Product');
        anchors = [context.productId];
        categories = [product.categoryId];
      } else if (context.kind === 'cart') {
        anchors = inCart;
        const facts = await deps.catalog.productFacts(inCart);
        categories = facts.size ? [...new Set([...facts.values()].map((f) => f.categoryId))] : null;
      }

      const kinds = blocksFor(context);
      const zone = place?.zone ?? null;
      const rows = await candidateRows({
        context: context.kind,
        kinds,
        buyerId,
        viewer: input.viewer,
        anchors,
        categories,
        zone,
      });
      if (context.kind === 'home') {
        anchors = rows.filter((r) => r.block === 'anchor').map((r) => r.product_id);
        const cats = rows.filter((r) => r.block === 'category').map((r) => r.product_id);
        categories = cats.length ? cats : null;
      }
      // Only the head of each ranked block goes to the facts query: room for a few unsellable or
      // undeliverable ones, not the hundreds of pairs of several anchors.
      const candidates = new Map(
        [...candidatesOf(rows, now, zone)].map(([k, list]) => [k, list.slice(0, pool)] as const),
      );
      const language = await input.language;
      const filled = await fill(candidates, anchors);
      // Cold start: nothing learned applies to this buyer here; the newest products of the context's
      // categories (or of the whole shop) stand in.
      const learned = ['bought_together', 'popular_near_you', 'buy_again'] as const;
      if (kinds.includes('category_fallback') && learned.every((k) => !filled.get(k)?.length)) {
        const ids = await deps.catalog.newestSellable(categories, pool);
        const fallback = await fill(
          new Map([
            [
              'category_fallback',
              ids.map((id, i) => ({
                productId: id,
                score: -i,
                evidence: 0,
                reason: () => ({ kind: 'category_fallback' as const, category: '' }),
              })),
            ],
          ]),
          [],
        );
        for (const [k, v] of fallback) filled.set(k, v);
      }
      return kinds.map((kind) => ({ kind, items: filled.get(kind) ?? [] })).filter((b) => b.items.length > 0);

      async function fill(byKind: Map<BlockKind, Candidate[]>, titlesOf: string[]) {
        const ids = [...new Set([...[...byKind.values()].flat().map((c) => c.productId), ...titlesOf])];
        const facts = await deps.catalog.productFacts(ids);
        const sellers = [...new Set([...facts.values()].filter((f) => f.sellable).map((f) => f.sellerId))];
        const deliverable = await deps.delivery.deliverableSellers(sellers, place, now);
        const titles = new Map([...facts.values()].map((f) => [f.productId, f.title]));
        const cart = new Set(inCart);
        const out = new Map<BlockKind, RecItem[]>();
        for (const [kind, list] of byKind) {
          const items: RecItem[] = [];
          for (const c of list) {
            if (items.length >= size) break;
            const f = facts.get(c.productId);
            if (!f) continue;
            const refused = ineligibility({
              sellable: f.sellable,
              deliverable: deliverable === null || deliverable.has(f.sellerId),
              inCart: cart.has(c.productId),
              isContextProduct: context.kind === 'product' && context.productId === c.productId,
            });
            if (refused) continue;
            const reason = c.reason(titles);
            items.push({
              product_id: f.productId,
              title: f.title,
              min_price: f.minPrice,
              currency: f.currency,
              reason: reasonText(
                reason.kind === 'category_fallback' ? { ...reason, category: f.categoryName } : reason,
                language,
              ),
            });
          }
          out.set(kind, items);
        }
        return out;
      }
    },
  };
}

export type Reader = ReturnType<typeof createReader>;
