import { and, asc, desc, type Placeholder, type SQL, sql } from 'drizzle-orm';
import { compileSelect } from '../../db/batch.js';
import type { Database } from '../../db/client.js';
import { categories, products, productVariants } from './schema.js';

// The buyer listing is the busiest read. Building its query with Drizzle on every request cost
// more CPU than PostgreSQL spent running it, so each *shape* of listing (sort × which filters are
// present) is compiled once, with placeholders, and run as a named prepared statement. One
// statement per page: the cover image comes from a correlated subquery, not a second round trip,
// and only the columns a listing item shows are read (never the tsvector or the description).

export type ListingSort = 'newest' | 'price_asc' | 'price_desc';

export interface ListingFilters {
  sort: ListingSort;
  category?: string | undefined;
  brand?: string | undefined;
  seller?: string | undefined;
  minPrice?: number | undefined;
  maxPrice?: number | undefined;
  q?: string | undefined;
  /** the sort key and id of the last row of the previous page */
  after?: { key: string | number; id: string } | undefined;
  limit: number;
}

const ph = (name: string) => sql.placeholder(name);
const outerProductId = sql.raw('"products"."id"');

const itemFields = {
  id: products.id,
  title: products.title,
  sellerId: products.sellerId,
  categoryId: products.categoryId,
  brandId: products.brandId,
  minPrice: products.minPrice,
  verifiedAt: products.verifiedAt,
  // Written out: Drizzle leaves columns of a one-table select unqualified, which inside a
  // correlated subquery would bind to the subquery's own table.
  coverMediaId: sql<string | null>`(select pm.media_id from product_media pm
    where pm.product_id = ${outerProductId} and pm.status = 'verified'
    order by pm.position limit 1)`,
};

export interface ListingRow {
  id: string;
  title: string;
  sellerId: string;
  categoryId: string;
  brandId: string | null;
  minPrice: number | null;
  verifiedAt: Date | null;
  coverMediaId: string | null;
}

/**
 * The row count a page without a text search asks PostgreSQL for, written into the statement as a
 * literal (a few sizes, so a handful of prepared statements per shape): with `limit $n` the planner
 * costs the generic plan for an unknown limit (a tenth of the table), so it never picks the generic
 * plan and re-plans every execution: 0.5 ms of planning for a 0.2 ms newest page (EXPLAIN ANALYZE on the
 * bench data, docs/benchmarks.md). With a literal limit the generic plan is the same plan and is kept.
 * A text search keeps `limit $n` and a fresh plan per search: its best plan depends on how common
 * the words are, and the generic one was 20–50 times slower. The caller slices the extra rows off.
 */
export function rowsFetched(f: Pick<ListingFilters, 'q' | 'limit'>): number | undefined {
  if (f.q !== undefined) return undefined;
  const want = f.limit + 1;
  return want <= 21 ? 21 : want <= 51 ? 51 : 101;
}

function shapeOf(f: ListingFilters): string {
  const has = (v: unknown) => (v === undefined ? '-' : '+');
  return `${f.sort}${has(f.category)}${has(f.brand)}${has(f.seller)}${has(f.minPrice)}${has(f.maxPrice)}${has(f.q)}${has(f.after)}${rowsFetched(f) ?? ''}`;
}

export function createListingStatements(db: Database, visibleToBuyers: (now: Placeholder) => SQL) {
  function compile(f: ListingFilters) {
    const fetched = rowsFetched(f);
    const where: SQL[] = [visibleToBuyers(ph('now')), sql`${products.minPrice} is not null`];
    if (f.category !== undefined)
      // The category and everything under it, in one statement (an unknown category matches nothing).
      where.push(sql`${products.categoryId} in (select ${categories.id} from ${categories}
        where ${categories.id} = ${ph('category')}::uuid
           or ${categories.path} like (select ${categories.path} from ${categories} where ${categories.id} = ${ph('category')}::uuid) || '/%')`);
    if (f.brand !== undefined) where.push(sql`${products.brandId} = ${ph('brand')}::uuid`);
    if (f.seller !== undefined) where.push(sql`${products.sellerId} = ${ph('seller')}::uuid`);
    // A product matches a price range when any of its active variants does.
    if (f.minPrice !== undefined || f.maxPrice !== undefined) {
      const conds = [sql`${productVariants.productId} = ${outerProductId}`, sql`${productVariants.active}`];
      if (f.minPrice !== undefined) conds.push(sql`${productVariants.price} >= ${ph('minPrice')}::bigint`);
      if (f.maxPrice !== undefined) conds.push(sql`${productVariants.price} <= ${ph('maxPrice')}::bigint`);
      where.push(sql`exists (select 1 from ${productVariants} where ${and(...conds)})`);
    }
    if (f.q !== undefined) where.push(sql`${products.search} @@ websearch_to_tsquery('simple', ${ph('q')})`);
    let order: SQL[];
    if (f.sort === 'newest') {
      order = [desc(products.verifiedAt), desc(products.id)];
      if (f.after)
        where.push(sql`(${products.verifiedAt} < ${ph('afterKey')}::timestamptz
          or (${products.verifiedAt} = ${ph('afterKey')}::timestamptz and ${products.id} < ${ph('afterId')}::uuid))`);
    } else {
      const up = f.sort === 'price_asc';
      order = up ? [asc(products.minPrice), asc(products.id)] : [desc(products.minPrice), desc(products.id)];
      if (f.after)
        where.push(
          up
            ? sql`(${products.minPrice} > ${ph('afterKey')}::bigint
                or (${products.minPrice} = ${ph('afterKey')}::bigint and ${products.id} > ${ph('afterId')}::uuid))`
            : sql`(${products.minPrice} < ${ph('afterKey')}::bigint
                or (${products.minPrice} = ${ph('afterKey')}::bigint and ${products.id} < ${ph('afterId')}::uuid))`,
        );
    }
    const q = db
      .select(itemFields)
      .from(products)
      .where(and(...where))
      .orderBy(...order)
      // Drizzle writes an SQL chunk as it is (a number would become a parameter).
      .limit((fetched === undefined ? ph('limit') : sql.raw(String(fetched))) as Placeholder);
    return compileSelect(`catalog-listing-${shapeOf(f)}`, itemFields, q);
  }

  const compiled = new Map<string, ReturnType<typeof compile>>();
  /**
   * One page: limit + 1 rows, so the caller knows whether there is a next one (at most; a few more
   * may be read, see rowsFetched, and are cut off here).
   */
  return async function listingPage(f: ListingFilters, now: Date): Promise<ListingRow[]> {
    const key = shapeOf(f);
    let run = compiled.get(key);
    if (!run) {
      run = compile(f);
      compiled.set(key, run);
    }
    const rows = (await run(db, {
      now: now.toISOString(),
      category: f.category,
      brand: f.brand,
      seller: f.seller,
      minPrice: f.minPrice,
      maxPrice: f.maxPrice,
      q: f.q,
      afterKey: f.after?.key,
      afterId: f.after?.id,
      limit: f.limit + 1,
    })) as ListingRow[];
    return rows.length > f.limit + 1 ? rows.slice(0, f.limit + 1) : rows;
  };
}

export interface ProductPageRow {
  id: string;
  title: string;
  description: string;
  sellerId: string;
  categoryId: string;
  specs: Record<string, string | number | boolean>;
  brand: { id: string; name: string; status: string } | null;
  variants: Array<{
    id: string;
    attributes: Record<string, string>;
    price: number;
    currency: string;
    stock: number;
  }>;
  mediaIds: string[];
}

/**
 * A product page in one prepared statement: the product (if buyers may see it now), its brand, its
 * active variants cheapest first, and its verified images in order, where it took four round trips.
 */
export function createProductPageStatement(db: Database, visibleToBuyers: (now: Placeholder) => SQL) {
  const fields = {
    id: products.id,
    title: products.title,
    description: products.description,
    sellerId: products.sellerId,
    categoryId: products.categoryId,
    specs: products.specs,
    brand: sql<
      ProductPageRow['brand']
    >`(select json_build_object('id', b.id, 'name', b.name, 'status', b.status)
      from brands b where b.id = "products"."brand_id")`,
    variants: sql<ProductPageRow['variants']>`coalesce((select json_agg(json_build_object(
        'id', v.id, 'attributes', v.attributes, 'price', v.price, 'currency', v.currency, 'stock', v.stock)
        order by v.price, v.id)
      from product_variants v where v.product_id = ${outerProductId} and v.active), '[]'::json)`,
    mediaIds: sql<string[]>`coalesce((select json_agg(m.media_id order by m.position)
      from product_media m where m.product_id = ${outerProductId} and m.status = 'verified'), '[]'::json)`,
  };
  const run = compileSelect(
    'catalog-product-page',
    fields,
    db
      .select(fields)
      .from(products)
      .where(and(sql`${products.id} = ${ph('id')}::uuid`, visibleToBuyers(ph('now')))),
  );
  return async (productId: string, now: Date): Promise<ProductPageRow | undefined> =>
    ((await run(db, { id: productId, now: now.toISOString() })) as ProductPageRow[])[0];
}
