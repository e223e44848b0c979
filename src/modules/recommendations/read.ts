import { Placeholder, type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { rawQuery } from '../../db/batch.js';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { notFound } from '../../shared/errors.js';
import { type BlockKind, blocksFor, type RecContext } from './context.js';
import { ineligibility } from './eligibility.js';
import type { RecCartPort, RecCatalogPort, RecDeliveryPort, RecLanguagePort } from './ports.js';
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

const dialect = new PgDialect();

// GET /recommendations: candidates straight from the tables the refresh job keeps, with the live
// facts of the catalog and the cart in the same statement, ranked by the pure scoring functions,
// then filtered by what can be sold and delivered to this buyer right now.

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

/**
 * One row of the read's statement (an element of its one json array). `block` says what a..d and `at` mean (see compileRead); the
 * facts (title … sellable) are the catalog's, live at `now`; `in_cart` is the cart's, live.
 * 'meta' carries the buyer's language; 'anchor' and 'category' rows are inputs, not items.
 */
interface ReadRow {
  block: 'meta' | 'anchor' | 'category' | BlockKind;
  product_id: string | null;
  anchor: string | null;
  a: number | null;
  b: number | null;
  c: number | null;
  d: number | null;
  at: string | Date | null;
  title: string | null;
  seller_id: string | null;
  category_name: string | null;
  min_price: number | null;
  currency: string | null;
  sellable: boolean | null;
  in_cart: boolean | null;
  lang: RecLanguage | null;
}

interface ReadShape {
  /** 'fallback': the cold-start statement (newest sellable products of the categories) */
  context: RecContext['kind'] | 'fallback';
  kinds: readonly BlockKind[];
  buyer: boolean;
  viewer: boolean;
  zone: boolean;
}

export function createReader(deps: {
  db: Database;
  clock: Clock;
  catalog: RecCatalogPort;
  cart: RecCartPort;
  delivery: RecDeliveryPort;
  language: RecLanguagePort;
}) {
  const { db, clock } = deps;
  const statements = new Map<string, { text: string; params: unknown[] }>();
  const size = REC_SETTINGS.blockSize;
  /** candidates read per block before filtering: room for a few unsellable or undeliverable ones */
  const pool = size * 3;

  /**
   * The whole read of one request shape (context; signed in or not; a viewer or not; a zone or
   * not) as ONE statement, compiled once and run as a named prepared statement (planned once per
   * connection; inputs are placeholders). It used to be six or seven round trips (cart lines, their
   * SKUs, the language, the product's facts, the candidates, the candidates' facts); each owner
   * module still writes its own part (ports.ts) and keeps its tables private.
   *
   *  - cart: the products in the buyer's cart, live (the cart's and the catalog's fragments);
   *  - anchors: given (the product on screen), the cart's products, or on the home page the
   *    buyer's recent purchases and cart adds; their facts give the "bought with X" titles and
   *    the categories of a product or cart page (home: the buyer's favourite categories);
   *  - cand: per block, each anchor's ranked "bought together" list (an index range scan of
   *    rec_together_top), the zone's and the city's top products with
   *    both weights and denominators, past purchases with their category's repeat statistics,
   *    recent views; the fallback statement: the newest sellable products of the categories;
   *  - every candidate with the catalog's live facts and whether it is in the cart.
   * Ranking stays in the pure scoring functions (the offline evaluation runs the same ones), and
   * what may be shown stays eligibility.ts's decision, on the facts returned here.
   */
  function compileRead(shape: ReadShape): { text: string; params: unknown[] } {
    const want = (k: BlockKind) => shape.kinds.includes(k);
    const ph = (name: string) => sql.placeholder(name);
    const buyer = sql`${ph('buyer')}::uuid`;
    const now = ph('now');
    const none = sql`select null::uuid as id where false`;
    const cart = shape.buyer
      ? sql`select product_id as id from (${deps.catalog.productIdsOfSkusSql(deps.cart.skuIdsSql(buyer))}) c`
      : none;
    const home = shape.context === 'home' && shape.buyer;
    let anchors: SQL;
    if (home)
      anchors = sql`(select product_id as id from ${recBuyerProducts} where buyer_id = ${buyer}
          order by last_at desc limit 5)
        union (select product_id from ${recCartAdds} where buyer_id = ${buyer} order by added_at desc limit 3)`;
    else if (shape.context === 'product') anchors = sql`select ${ph('product')}::uuid as id`;
    else if (shape.context === 'cart') anchors = sql`select distinct id from cart`;
    else anchors = none;
    let cats: SQL;
    if (home)
      cats = sql`select category_id as id from ${recBuyerProducts} where buyer_id = ${buyer}
        and category_id is not null group by category_id order by sum(orders) desc limit 3`;
    else if (shape.context === 'fallback')
      cats = sql`select value::uuid as id from jsonb_array_elements_text(${ph('categories')}::jsonb)`;
    else if (shape.context === 'home') cats = none;
    else cats = sql`select distinct category_id as id from anchor_facts`;
    const inCats = sql`(not exists (select 1 from cats) or category_id in (select id from cats))`;
    const topOf = (zone: SQL) => sql`(select product_id from ${recPopularity}
      where zone = ${zone} and ${inCats} order by weight desc limit ${sql.raw(String(pool))})`;
    const totalOf = (zone: SQL) => sql`(select coalesce(sum(weight), 0) from ${recPopularityTotals}
      where zone = ${zone} and ${inCats})`;
    const city = sql`${sql.raw(`'${CITY}'`)}::text`;
    const zone = sql`${ph('zone')}::text`;
    const parts: SQL[] = [];
    if (shape.context === 'fallback')
      parts.push(sql`select 'category_fallback', n.id, null, n.rank::float8, null, null, null, null
        from (${deps.catalog.newestSellableSql(sql`select id from cats`, now, pool)}) n`);
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
        where b.buyer_id = ${buyer} order by b.last_at desc limit ${sql.raw(String(pool * 4))})`);
    if (want('recently_viewed') && shape.viewer)
      parts.push(sql`(select 'recently_viewed', product_id, null, null, null, null, null, viewed_at
        from ${recViews} where viewer = ${ph('viewer')}::text order by viewed_at desc limit ${sql.raw(String(pool))})`);
    // A typed empty first branch: the union's column types never depend on which blocks a shape has.
    const candidates = sql.join(
      [
        sql`select null::text as block, null::uuid as product_id, null::uuid as anchor, null::float8 as a,
          null::float8 as b, null::float8 as c, null::float8 as d, null::timestamptz as at where false`,
        ...parts,
      ],
      sql` union all `,
    );
    const noFacts = sql`null::text as title, null::uuid as seller_id, null::text as category_name,
      null::bigint as min_price, null::text as currency, null::boolean as sellable, null::boolean as in_cart`;
    const language = shape.buyer ? deps.language.languageSql(buyer) : sql`null::text`;
    const query = dialect.sqlToQuery(sql`with cart as materialized (${cart}),
      anchors as materialized (${anchors}),
      anchor_facts as materialized (${deps.catalog.factsSql(sql`select id from anchors`, now)}),
      cats as materialized (${cats}),
      cand as materialized (${candidates}),
      facts as materialized (${deps.catalog.factsSql(sql`select product_id from cand`, now)})
    select coalesce(json_agg(r), '[]'::json) as rows from (
    select 'meta' as block, null::uuid as product_id, null::uuid as anchor, null::float8 as a, null::float8 as b,
      null::float8 as c, null::float8 as d, null::timestamptz as at, ${noFacts}, ${language}::text as lang
    union all select 'anchor', a.id, null, null, null, null, null, null, f.title, f.seller_id, f.category_name,
      null, null, null, null, null
      from anchors a left join anchor_facts f on f.id = a.id
    union all select 'category', id, null, null, null, null, null, null, null, null, null, null, null, null, null, null
      from cats
    union all select c.block, c.product_id, c.anchor, c.a, c.b, c.c, c.d, c.at, f.title, f.seller_id,
      f.category_name, f.min_price, f.currency, f.sellable, c.product_id in (select id from cart), null
      from cand c join facts f on f.id = c.product_id) r`);
    return { text: query.sql, params: query.params };
  }

  async function read(shape: ReadShape, values: Record<string, unknown>): Promise<ReadRow[]> {
    const key = `rec-read-${shape.context}-${shape.buyer ? 'b' : ''}${shape.viewer ? 'v' : ''}${shape.zone ? 'z' : ''}`;
    let statement = statements.get(key);
    if (!statement) {
      statement = compileRead(shape);
      statements.set(key, statement);
    }
    const args = statement.params.map((p) => (p instanceof Placeholder ? (values[p.name] ?? null) : p));
    // One json value, not ~200 rows of 16 cells: parsed by the native JSON.parse instead of the
    // driver's row parser in JS (profiled: row parsing, buffer slicing and their garbage were a
    // fifth of the API's CPU per read). Numbers keep their exact float8 value (shortest exact form).
    const [row] = await rawQuery<{ rows: ReadRow[] | string }>(db, { name: key, text: statement.text }, args);
    const rows = row?.rows ?? [];
    return typeof rows === 'string' ? (JSON.parse(rows) as ReadRow[]) : rows;
  }

  /** The statement's rows, split by block in one pass, each learned block ranked by the pure scoring functions. */
  function candidatesOf(byBlock: Map<string, ReadRow[]>, now: Date, zone: string | null) {
    const out = new Map<BlockKind, Candidate[]>();
    const together = byBlock.get('bought_together');
    if (together)
      out.set(
        'bought_together',
        scoreBoughtTogether(
          together.map((r) => ({
            anchorId: r.anchor!,
            otherId: r.product_id!,
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
    const popular = byBlock.get('popular_near_you');
    if (popular) {
      const t = { zone: Number(popular[0]!.c), city: Number(popular[0]!.d) };
      const place = t.zone > 0 ? zone : null;
      out.set(
        'popular_near_you',
        scorePopular(
          popular.map((r) => ({
            productId: r.product_id!,
            zoneWeight: Number(r.a),
            cityWeight: Number(r.b),
          })),
          t,
          decayWeight(now),
        ).map((s) => ({ ...s, reason: () => ({ kind: 'popular_near_you', place, buyers: s.evidence }) })),
      );
    }
    const bought = byBlock.get('buy_again');
    if (bought)
      out.set(
        'buy_again',
        scoreBuyAgain(
          bought.map((r) => ({
            productId: r.product_id!,
            orders: Number(r.a),
            lastAt: new Date(r.at!),
            category: r.b === null || r.c === null ? null : { pairs: Number(r.b), repeats: Number(r.c) },
          })),
          now,
        ).map((s) => ({ ...s, reason: () => ({ kind: 'buy_again', orders: s.evidence }) })),
      );
    const viewed = byBlock.get('recently_viewed');
    if (viewed) {
      const newestFirst = viewed
        .map((r) => ({ r, t: new Date(r.at!).getTime() }))
        .sort((x, y) => y.t - x.t)
        .map((x) => x.r);
      out.set(
        'recently_viewed',
        newestFirst.map((r, i) => ({
          productId: r.product_id!,
          score: newestFirst.length - i,
          evidence: 1,
          reason: () => ({ kind: 'recently_viewed' }),
        })),
      );
    }
    const fallback = byBlock.get('category_fallback');
    if (fallback)
      out.set(
        'category_fallback',
        [...fallback]
          .sort((x, y) => Number(x.a) - Number(y.a))
          .map((r, i) => ({
            productId: r.product_id!,
            score: -i,
            evidence: 0,
            reason: () => ({ kind: 'category_fallback' as const, category: '' }),
          })),
      );
    return out;
  }

  function byBlock(rows: readonly ReadRow[]) {
    const out = new Map<string, ReadRow[]>();
    for (const r of rows) {
      const list = out.get(r.block);
      if (list) list.push(r);
      else out.set(r.block, [r]);
    }
    return out;
  }

  return {
    /**
     * The blocks of one screen, and the language their reasons are in (`language` when given,
     * else the signed-in buyer's, read in the same statement).
     */
    async recommend(input: {
      context: RecContext;
      buyerId: string | null;
      viewer: ViewerKey | null;
      /** null: the signed-in buyer's own (anonymous callers always give one) */
      language: RecLanguage | null;
    }): Promise<{ blocks: RecBlock[]; language: RecLanguage }> {
      const { context, buyerId } = input;
      const now = clock.now();
      // The buyer's place decides the zone (with DELIVERY_QUOTES=zones; flat delivery reads nothing).
      const place = buyerId ? await deps.delivery.buyerPlace(buyerId) : null;
      const zone = place?.zone ?? null;
      const kinds = blocksFor(context);
      const shape: ReadShape = {
        context: context.kind,
        kinds,
        buyer: buyerId !== null,
        viewer: input.viewer !== null,
        zone: zone !== null,
      };
      const values = {
        buyer: buyerId,
        viewer: input.viewer,
        zone,
        product: context.kind === 'product' ? context.productId : null,
        now: now.toISOString(),
      };
      const rows = byBlock(await read(shape, values));
      const anchorRows = rows.get('anchor') ?? [];
      if (context.kind === 'product' && !anchorRows[0]?.title) throw notFound('Product');
      const language: RecLanguage = input.language ?? rows.get('meta')?.[0]?.lang ?? 'sw';
      const titles = new Map(
        anchorRows.filter((r) => r.title !== null).map((r) => [r.product_id!, r.title!]),
      );
      const categories = (rows.get('category') ?? []).map((r) => r.product_id!);
      // Only the head of each ranked block is considered: room for a few unsellable or
      // undeliverable ones, as many as before the read was folded into one statement.
      const candidates = new Map(
        [...candidatesOf(rows, now, zone)].map(([k, list]) => [k, list.slice(0, pool)] as const),
      );
      const filled = await fill(candidates, rows);
      // Cold start: nothing learned applies to this buyer here; the newest products of the context's
      // categories (or of the whole shop) stand in.
      const learned = ['bought_together', 'popular_near_you', 'buy_again'] as const;
      if (kinds.includes('category_fallback') && learned.every((k) => !filled.get(k)?.length)) {
        const fallbackRows = byBlock(
          await read(
            { context: 'fallback', kinds: [], buyer: buyerId !== null, viewer: false, zone: false },
            { ...values, categories: JSON.stringify(categories) },
          ),
        );
        const fallback = await fill(candidatesOf(fallbackRows, now, zone), fallbackRows);
        for (const [k, v] of fallback) filled.set(k, v);
      }
      return {
        blocks: kinds
          .map((kind) => ({ kind, items: filled.get(kind) ?? [] }))
          .filter((b) => b.items.length > 0),
        language,
      };

      /** Each block's candidates that may be shown (eligibility.ts), with their reason, up to the block size. */
      async function fill(byKind: Map<BlockKind, Candidate[]>, rows: Map<string, ReadRow[]>) {
        const facts = new Map<string, ReadRow>();
        for (const [block, list] of rows)
          if (block !== 'meta' && block !== 'anchor' && block !== 'category')
            for (const r of list) facts.set(r.product_id!, r);
        const considered = new Set([...byKind.values()].flatMap((list) => list.map((c) => c.productId)));
        const sellers = new Set<string>();
        for (const id of considered) {
          const f = facts.get(id);
          if (f?.sellable) sellers.add(f.seller_id!);
        }
        const deliverable = await deps.delivery.deliverableSellers([...sellers], place, now);
        const out = new Map<BlockKind, RecItem[]>();
        for (const [kind, list] of byKind) {
          const items: RecItem[] = [];
          for (const c of list) {
            if (items.length >= size) break;
            const f = facts.get(c.productId);
            if (!f) continue;
            const refused = ineligibility({
              sellable: f.sellable === true,
              deliverable: deliverable === null || deliverable.has(f.seller_id!),
              inCart: f.in_cart === true,
              isContextProduct: context.kind === 'product' && context.productId === c.productId,
            });
            if (refused) continue;
            const reason = c.reason(titles);
            items.push({
              product_id: c.productId,
              title: f.title!,
              min_price: f.min_price === null ? null : Number(f.min_price),
              currency: f.currency,
              reason: reasonText(
                reason.kind === 'category_fallback' ? { ...reason, category: f.category_name ?? '' } : reason,
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
