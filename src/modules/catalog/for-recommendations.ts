import { and, eq, type Placeholder, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { categories, products, productVariants } from './schema.js';

// What the recommendations module asks of the catalog, as SQL fragments it folds into its one
// statement per read: answered at read time, so a ban, an unverified product or a stock-out hides
// an item on the very next request.

type SellerVisible = (
  sellerIdColumn: SQL | typeof products.sellerId,
  now: Date | Placeholder,
  opts?: { perRow?: boolean },
) => SQL;

export function createRecommendationFacts(deps: { db: Database; sellerVisible: SellerVisible }) {
  const inStock = sql`exists (select 1 from ${productVariants} where ${productVariants.productId} = ${products.id}
    and ${productVariants.active} and ${productVariants.stock} > 0)`;
  const sellable = (now: Date | Placeholder, opts?: { perRow?: boolean }) =>
    and(eq(products.status, 'verified'), deps.sellerVisible(products.sellerId, now, opts), inStock)!;

  return {
    /** The category of each product that exists (the refresh job files purchases under it). */
    async categoriesOf(productIds: readonly string[]): Promise<Map<string, string>> {
      if (!productIds.length) return new Map();
      const rows = await deps.db
        .select({ id: products.id, categoryId: products.categoryId })
        .from(products)
        .where(
          sql`${products.id} in (select value::uuid from jsonb_array_elements_text(${JSON.stringify([...new Set(productIds)])}::jsonb))`,
        );
      return new Map(rows.map((r) => [r.id, r.categoryId]));
    },

    /**
     * The facts of the products `ids` selects, as an SQL subquery with the columns id, title,
     * seller_id, category_id, category_name, min_price, currency, sellable (verified, of an active
     * verified seller, with an active variant in stock, at `now`). Recommendations fold it into
     * their one statement per read, so a ban, an unverified product or a stock-out hides an item
     * on the very next request, while the catalog's tables stay private to it. A few hundred ids
     * at most: `= any(array(…))` and the per-row seller check make PostgreSQL probe the primary
     * keys (a hash semi-join scanned all products and all variants on every read).
     */
    factsSql(ids: SQL, now: Placeholder): SQL {
      return sql`select ${products.id} as id, ${products.title} as title, ${products.sellerId} as seller_id,
        ${products.categoryId} as category_id, ${categories.name} as category_name, ${products.minPrice} as min_price,
        (select ${productVariants.currency} from ${productVariants} where ${productVariants.productId} = ${products.id}
          and ${productVariants.active} order by ${productVariants.price} limit 1) as currency,
        (${sellable(now, { perRow: true })}) as sellable
        from ${products} join ${categories} on ${categories.id} = ${products.categoryId}
        where ${products.id} = any(array(${ids}))`;
    },

    /** The products of the SKUs `skuIds` selects, as an SQL subquery (column product_id). */
    productIdsOfSkusSql(skuIds: SQL): SQL {
      return sql`select ${productVariants.productId} as product_id from ${productVariants} where ${productVariants.id} in (${skuIds})`;
    },

    /**
     * The newest sellable products, in the categories `categoryIds` selects when it selects any, as
     * a subquery (column id), newest first (the cold-start fallback; its order is the rank).
     */
    newestSellableSql(categoryIds: SQL, now: Placeholder, limit: number): SQL {
      // The rank is computed here, in the order the page is cut: an outer row_number() over () would
      // count in whatever order the rows happen to come back.
      return sql`select ${products.id} as id,
          row_number() over (order by ${products.verifiedAt} desc, ${products.id} desc) as rank
        from ${products}
        where ${sellable(now)} and (not exists (${categoryIds}) or ${products.categoryId} in (${categoryIds}))
        order by ${products.verifiedAt} desc, ${products.id} desc limit ${sql.raw(String(Math.trunc(limit)))}`;
    },
  };
}

export type RecommendationFacts = ReturnType<typeof createRecommendationFacts>;
