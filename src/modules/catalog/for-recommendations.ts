import { and, desc, eq, inArray, type Placeholder, type SQL, sql } from 'drizzle-orm';
import { compileSelect } from '../../db/batch.js';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { categories, products, productVariants } from './schema.js';

// What the recommendations module asks of the catalog, answered at read time so a ban, an
// unverified product or a stock-out hides an item on the very next request.

export interface ProductFacts {
  productId: string;
  title: string;
  sellerId: string;
  categoryId: string;
  categoryName: string;
  /** lowest active variant price, minor units (null when no active variant) */
  minPrice: number | null;
  currency: string | null;
  /** verified, of an active verified seller, with an active variant in stock */
  sellable: boolean;
}

type SellerVisible = (sellerIdColumn: SQL | typeof products.sellerId, now: Date | Placeholder) => SQL;

export function createRecommendationFacts(deps: {
  db: Database;
  clock: Clock;
  sellerVisible: SellerVisible;
}) {
  const { db, clock } = deps;
  const inStock = sql`exists (select 1 from ${productVariants} where ${productVariants.productId} = ${products.id}
    and ${productVariants.active} and ${productVariants.stock} > 0)`;
  const sellable = (now: Date | Placeholder) =>
    and(eq(products.status, 'verified'), deps.sellerVisible(products.sellerId, now), inStock)!;

  // Every recommendations read asks this once for its candidates: compiled once and run as a
  // named prepared statement (the ids as one jsonb array, so the text never varies), which spares
  // the query builder's CPU and PostgreSQL's planning on each request.
  const factFields = {
    id: products.id,
    title: products.title,
    sellerId: products.sellerId,
    categoryId: products.categoryId,
    categoryName: categories.name,
    minPrice: products.minPrice,
    currency: sql<string | null>`(select ${productVariants.currency} from ${productVariants}
      where ${productVariants.productId} = ${products.id} and ${productVariants.active}
      order by ${productVariants.price} limit 1)`,
    sellable: sql<boolean>`(${sellable(sql.placeholder('now'))})`,
  };
  const factsStatement = compileSelect(
    'catalog-recommendation-facts',
    factFields,
    db
      .select(factFields)
      .from(products)
      .innerJoin(categories, eq(categories.id, products.categoryId))
      .where(
        sql`${products.id} in (select value::uuid from jsonb_array_elements_text(${sql.placeholder('ids')}::jsonb))`,
      ),
  );

  return {
    /** Facts of each asked product that exists (unknown ids are simply absent). */
    async productFacts(productIds: readonly string[]): Promise<Map<string, ProductFacts>> {
      const out = new Map<string, ProductFacts>();
      if (!productIds.length) return out;
      const rows = await factsStatement(db, {
        ids: JSON.stringify([...new Set(productIds)]),
        now: clock.now().toISOString(),
      });
      for (const r of rows) {
        out.set(r.id, {
          productId: r.id,
          title: r.title,
          sellerId: r.sellerId,
          categoryId: r.categoryId,
          categoryName: r.categoryName,
          minPrice: r.minPrice === null ? null : Number(r.minPrice),
          currency: r.currency,
          sellable: r.sellable === true || (r.sellable as unknown) === 't',
        });
      }
      return out;
    },

    /** The newest sellable products, in the given categories when any are given (cold-start fallback). */
    async newestSellable(categoryIds: readonly string[] | null, limit: number): Promise<string[]> {
      const where = [sellable(clock.now())];
      if (categoryIds?.length) where.push(inArray(products.categoryId, [...categoryIds]));
      const rows = await db
        .select({ id: products.id })
        .from(products)
        .where(and(...where))
        .orderBy(desc(products.verifiedAt), desc(products.id))
        .limit(limit);
      return rows.map((r) => r.id);
    },
  };
}

export type RecommendationFacts = ReturnType<typeof createRecommendationFacts>;
