import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
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
  recPairs,
  recPopularity,
  recPopularityTotals,
  recProductStats,
  recViews,
} from './schema.js';
import {
  decayWeight,
  type PairCounts,
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

export function createReader(deps: {
  db: Database;
  clock: Clock;
  catalog: RecCatalogPort;
  cart: RecCartPort;
  delivery: RecDeliveryPort;
}) {
  const { db, clock } = deps;
  const size = REC_SETTINGS.blockSize;
  /** candidates read per block before filtering: room for a few unsellable or undeliverable ones */
  const pool = size * 3;

  async function boughtTogether(anchors: string[]): Promise<Candidate[]> {
    if (!anchors.length) return [];
    const rows = rowsOf<{ anchor: string; other: string; together: number; na: number; nb: number }>(
      // Each anchor's strongest pairs through the (product_id, buyers desc) index, before any join:
      // a best-seller has thousands of pairs, and only its top few can reach the block.
      await db.execute(sql`select p.product_id as anchor, p.other_id as other, p.buyers as together,
          a.buyers as na, b.buyers as nb
        from ${recProductStats} a
        cross join lateral (select product_id, other_id, buyers from ${recPairs}
          where product_id = a.product_id and buyers >= ${REC_SETTINGS.minSupport}
          order by buyers desc limit ${REC_SETTINGS.pairsPerAnchor}) p
        join ${recProductStats} b on b.product_id = p.other_id
        where a.product_id in ${anchors}`),
    );
    const counts: PairCounts[] = rows.map((r) => ({
      anchorId: r.anchor,
      otherId: r.other,
      together: Number(r.together),
      anchorBuyers: Number(r.na),
      otherBuyers: Number(r.nb),
    }));
    return scoreBoughtTogether(counts).map((s) => ({
      ...s,
      reason: (titles) => ({
        kind: 'bought_together',
        anchorTitle: titles.get(s.anchorId!) ?? '',
        buyers: s.evidence,
      }),
    }));
  }

  /**
   * One statement: the zone's and the city's top products (through the (zone, category, weight)
   * indexes), their weights in both, and both denominators. It was four round trips per request.
   */
  async function popular(zone: string | null, categories: string[] | null, now: Date): Promise<Candidate[]> {
    const inCats = (col: SQL | AnyPgColumn) =>
      categories?.length ? sql`and ${col} in ${categories}` : sql``;
    const topOf = (z: string) => sql`(select ${recPopularity.productId} as product_id from ${recPopularity}
      where ${recPopularity.zone} = ${z} ${inCats(recPopularity.categoryId)}
      order by ${recPopularity.weight} desc limit ${pool})`;
    const totalOf = (z: string) => sql`(select coalesce(sum(${recPopularityTotals.weight}), 0)
      from ${recPopularityTotals} where ${recPopularityTotals.zone} = ${z} ${inCats(recPopularityTotals.categoryId)})`;
    const zoneName = zone ?? CITY;
    const rows = rowsOf<{
      product_id: string;
      zone_weight: number;
      city_weight: number;
      zone_total: number;
      city_total: number;
    }>(
      await db.execute(sql`with top as (${zone ? sql`${topOf(zone)} union ` : sql``}${topOf(CITY)})
        select top.product_id,
          coalesce(max(p.weight) filter (where p.zone <> ${CITY}), 0) as zone_weight,
          coalesce(max(p.weight) filter (where p.zone = ${CITY}), 0) as city_weight,
          ${zone ? totalOf(zoneName) : sql`0`} as zone_total,
          ${totalOf(CITY)} as city_total
        from top left join ${recPopularity} p
          on p.product_id = top.product_id and p.zone in (${zoneName}, ${CITY})
        group by top.product_id`),
    );
    if (!rows.length) return [];
    const t = { zone: Number(rows[0]!.zone_total), city: Number(rows[0]!.city_total) };
    const place = t.zone > 0 ? zone : null;
    const counts = rows.map((r) => ({
      productId: r.product_id,
      zoneWeight: Number(r.zone_weight),
      cityWeight: Number(r.city_weight),
    }));
    return scorePopular(counts, t, decayWeight(now)).map((s) => ({
      ...s,
      reason: () => ({ kind: 'popular_near_you', place, buyers: s.evidence }),
    }));
  }

  async function buyAgain(buyerId: string, now: Date): Promise<Candidate[]> {
    const rows = await db
      .select({
        productId: recBuyerProducts.productId,
        orders: recBuyerProducts.orders,
        lastAt: recBuyerProducts.lastAt,
        pairs: recCategoryStats.pairs,
        repeats: recCategoryStats.repeats,
      })
      .from(recBuyerProducts)
      .leftJoin(recCategoryStats, eq(recCategoryStats.categoryId, recBuyerProducts.categoryId))
      .where(eq(recBuyerProducts.buyerId, buyerId))
      .orderBy(desc(recBuyerProducts.lastAt))
      .limit(pool * 4);
    return scoreBuyAgain(
      rows.map((r) => ({
        productId: r.productId,
        orders: r.orders,
        lastAt: r.lastAt,
        category: r.pairs === null || r.repeats === null ? null : { pairs: r.pairs, repeats: r.repeats },
      })),
      now,
    ).map((s) => ({ ...s, reason: () => ({ kind: 'buy_again', orders: s.evidence }) }));
  }

  async function recentlyViewed(viewer: ViewerKey | null): Promise<Candidate[]> {
    if (!viewer) return [];
    const rows = await db
      .select({ productId: recViews.productId })
      .from(recViews)
      .where(eq(recViews.viewer, viewer))
      .orderBy(desc(recViews.viewedAt))
      .limit(pool);
    return rows.map((r, i) => ({
      productId: r.productId,
      score: rows.length - i,
      evidence: 1,
      reason: () => ({ kind: 'recently_viewed' }),
    }));
  }

  /** The buyer's recent purchases and cart adds: the anchors of "bought together" on the home page. */
  async function homeAnchors(buyerId: string): Promise<string[]> {
    const [bought, added] = await Promise.all([
      db
        .select({ id: recBuyerProducts.productId })
        .from(recBuyerProducts)
        .where(eq(recBuyerProducts.buyerId, buyerId))
        .orderBy(desc(recBuyerProducts.lastAt))
        .limit(5),
      db
        .select({ id: recCartAdds.productId })
        .from(recCartAdds)
        .where(eq(recCartAdds.buyerId, buyerId))
        .orderBy(desc(recCartAdds.addedAt))
        .limit(3),
    ]);
    return [...new Set([...bought, ...added].map((r) => r.id))];
  }

  async function favouriteCategories(buyerId: string): Promise<string[] | null> {
    const rows = await db
      .select({ id: recBuyerProducts.categoryId })
      .from(recBuyerProducts)
      .where(and(eq(recBuyerProducts.buyerId, buyerId), sql`${recBuyerProducts.categoryId} is not null`))
      .groupBy(recBuyerProducts.categoryId)
      .orderBy(desc(sql`sum(${recBuyerProducts.orders})`))
      .limit(3);
    return rows.length ? rows.map((r) => r.id!) : null;
  }

  return {
    async recommend(input: {
      context: RecContext;
      buyerId: string | null;
      viewer: ViewerKey | null;
      language: RecLanguage;
    }): Promise<RecBlock[]> {
      const { context, buyerId } = input;
      const now = clock.now();
      const [inCart, place] = buyerId
        ? await Promise.all([deps.cart.productIdsIn(buyerId), deps.delivery.buyerPlace(buyerId)])
        : [[], null];
      let anchors: string[] = [];
      let categories: string[] | null = null;
      if (context.kind === 'product') {
        const facts = await deps.catalog.productFacts([context.productId]);
        const product = facts.get(context.productId);
        if (!product) throw notFound('Product');
        anchors = [context.productId];
        categories = [product.categoryId];
      } else if (context.kind === 'cart') {
        anchors = inCart;
        const facts = await deps.catalog.productFacts(inCart);
        categories = facts.size ? [...new Set([...facts.values()].map((f) => f.categoryId))] : null;
      } else if (buyerId) {
        [anchors, categories] = await Promise.all([homeAnchors(buyerId), favouriteCategories(buyerId)]);
      }

      const kinds = blocksFor(context);
      const candidates = new Map<BlockKind, Candidate[]>();
      await Promise.all(
        kinds.map(async (kind) => {
          if (kind === 'bought_together') candidates.set(kind, await boughtTogether(anchors));
          if (kind === 'popular_near_you')
            candidates.set(kind, await popular(place?.zone ?? null, categories, now));
          if (kind === 'buy_again' && buyerId) candidates.set(kind, await buyAgain(buyerId, now));
          if (kind === 'recently_viewed') candidates.set(kind, await recentlyViewed(input.viewer));
        }),
      );
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
                input.language,
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

/** db.execute answers rows directly on PGlite and as `{ rows }` on pg. */
function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

export type Reader = ReturnType<typeof createReader>;
