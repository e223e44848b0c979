import { and, asc, eq, inArray, type Placeholder, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { compileSelect } from '../../db/batch.js';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, notFound } from '../../shared/errors.js';
import { isPlausibleInstant } from '../../shared/time.js';
import type { MediaService } from '../media/index.js';
import { createListingStatements, createProductPageStatement, type ListingSort } from './listing-query.js';
import type { Currency } from './model.js';
import { brands, categories, productMedia, products, productVariants } from './schema.js';

export interface ListingQuery {
  category?: string | undefined;
  brand?: string | undefined;
  seller?: string | undefined;
  minPrice?: number | undefined;
  maxPrice?: number | undefined;
  q?: string | undefined;
  sort: ListingSort;
  limit: number;
  cursor?: string | undefined;
}

/** What the pricing engine and the cart need to know about one SKU, and whether it can be sold now. */
export interface SellableSku {
  skuId: string;
  productId: string;
  sellerId: string;
  brandId: string | null;
  categoryIds: string[];
  title: string;
  attributes: Record<string, string>;
  unitPrice: number;
  currency: Currency;
  stock: number;
  /** null when it can be bought; otherwise why not */
  unavailable: null | 'PRODUCT_NOT_AVAILABLE' | 'SKU_INACTIVE';
}

// Listing cursors carry the sort key of the last row: a timestamp for newest, a price otherwise.
function encodeCursor(sort: ListingSort, key: string | number, id: string) {
  return Buffer.from(JSON.stringify([sort, key, id])).toString('base64url');
}
function decodeCursor(sort: ListingSort, raw: string): { key: string | number; id: string } {
  try {
    const [s, key, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as [
      string,
      string | number,
      string,
    ];
    if (s !== sort || !z.uuid().safeParse(id).success) throw new Error('bad cursor');
    if (sort === 'newest' ? !isPlausibleInstant(String(key)) : !Number.isSafeInteger(key))
      throw new Error('bad cursor');
    return { key, id };
  } catch {
    throw new AppError(
      'INVALID_CURSOR',
      400,
      'The cursor is not one this listing gave out (or the sort changed).',
      { field: 'cursor' },
    );
  }
}

/** Buyer-facing reads: only verified products of active, verified sellers; only verified media. */
export function createListingService(deps: {
  db: Database;
  clock: Clock;
  media: MediaService;
  sellerVisible: (
    sellerIdColumn: SQL | typeof products.sellerId,
    now: Date | Placeholder,
    opts?: { perRow?: boolean },
  ) => SQL;
}) {
  const { db, clock, media } = deps;
  const visible = (now: Date | Placeholder, opts?: { perRow?: boolean }) =>
    and(eq(products.status, 'verified'), deps.sellerVisible(products.sellerId, now, opts))!;
  const listingPage = createListingStatements(db, (now) => visible(now));
  const productPage = createProductPageStatement(db, (now) => visible(now));

  // The cart and checkout read SKUs on every call: compiled once per number of SKUs (an IN list
  // of exactly that many, so PostgreSQL soon keeps one plan for it instead of planning each run).
  // Checkout's variant locks the variants as it reads them, in id order like every other stock
  // writer, so two checkouts never deadlock and the price and stock it read stay true until commit.
  const sellableFields = {
    id: productVariants.id,
    attributes: productVariants.attributes,
    price: productVariants.price,
    currency: productVariants.currency,
    stock: productVariants.stock,
    active: productVariants.active,
    productId: products.id,
    sellerId: products.sellerId,
    brandId: products.brandId,
    title: products.title,
    categoryPath: categories.path,
    visible: sql<boolean>`(${visible(sql.placeholder('now'), { perRow: true })})`,
  };
  const sellableStatements = new Map<string, ReturnType<typeof compileSellable>>();
  function compileSellable(count: number, lock: boolean) {
    const q = db
      .select(sellableFields)
      .from(productVariants)
      .innerJoin(products, eq(products.id, productVariants.productId))
      .innerJoin(categories, eq(categories.id, products.categoryId))
      .where(
        inArray(
          productVariants.id,
          Array.from({ length: count }, (_, i) => sql.placeholder(`id${i}`)),
        ),
      );
    const name = `catalog-sellable-skus-${lock ? 'locked-' : ''}${count}`;
    return lock
      ? compileSelect(
          name,
          sellableFields,
          q.orderBy(asc(productVariants.id)).for('update', { of: productVariants }),
        )
      : compileSelect(name, sellableFields, q);
  }
  function sellableStatement(count: number, lock: boolean) {
    const key = `${lock}:${count}`;
    let run = sellableStatements.get(key);
    if (!run) {
      run = compileSellable(count, lock);
      sellableStatements.set(key, run);
    }
    return run;
  }

  return {
    async list(q: ListingQuery) {
      const after = q.cursor ? decodeCursor(q.sort, q.cursor) : undefined;
      const rows = await listingPage(
        {
          sort: q.sort,
          category: q.category,
          brand: q.brand,
          seller: q.seller,
          minPrice: q.minPrice,
          maxPrice: q.maxPrice,
          q: q.q,
          after: after && {
            key: q.sort === 'newest' ? new Date(String(after.key)).toISOString() : Number(after.key),
            id: after.id,
          },
          limit: q.limit,
        },
        clock.now(),
      );
      const items = rows.slice(0, q.limit);
      const last = items.at(-1);
      const next =
        rows.length > q.limit && last
          ? encodeCursor(
              q.sort,
              q.sort === 'newest' ? last.verifiedAt!.toISOString() : last.minPrice!,
              last.id,
            )
          : null;
      return { items, next_cursor: next };
    },

    async verifiedMedia(productIds: string[]) {
      const out = new Map<string, Array<typeof productMedia.$inferSelect>>();
      if (!productIds.length) return out;
      const rows = await db
        .select()
        .from(productMedia)
        .where(and(inArray(productMedia.productId, productIds), eq(productMedia.status, 'verified')))
        .orderBy(asc(productMedia.position));
      for (const r of rows) out.set(r.productId, [...(out.get(r.productId) ?? []), r]);
      return out;
    },

    /** What a buyer's product page shows, in one statement; 404 when buyers may not see it now. */
    async productPage(productId: string) {
      const page = await productPage(productId, clock.now());
      if (!page) throw notFound('Product');
      return page;
    },

    /** The bytes of a verified image of a product buyers can see. */
    async image(productId: string, mediaId: string) {
      const [row] = await db
        .select({ mediaId: productMedia.mediaId })
        .from(productMedia)
        .innerJoin(products, eq(products.id, productMedia.productId))
        .where(
          and(
            eq(productMedia.productId, productId),
            eq(productMedia.mediaId, mediaId),
            eq(productMedia.status, 'verified'),
            visible(clock.now()),
          ),
        );
      if (!row) throw notFound('Image');
      const [m] = await media.byIds(db, [mediaId]);
      if (!m) throw notFound('Image');
      return { media: m, bytes: await media.content(m) };
    },

    async exists(type: 'category' | 'brand' | 'product' | 'sku', id: string): Promise<boolean> {
      const table = { category: categories, brand: brands, product: products, sku: productVariants }[type];
      const [row] = await db.select({ id: table.id }).from(table).where(eq(table.id, id));
      return Boolean(row);
    },

    /** For the cart and checkout: every asked SKU that exists, with what pricing needs and whether it is sellable. */
    async sellableSkus(
      tx: Database,
      skuIds: string[],
      opts: { lock?: boolean } = {},
    ): Promise<Map<string, SellableSku>> {
      const out = new Map<string, SellableSku>();
      if (!skuIds.length) return out;
      const ids = [...new Set(skuIds)];
      const rows = await sellableStatement(ids.length, Boolean(opts.lock))(tx, {
        now: clock.now().toISOString(),
        ...Object.fromEntries(ids.map((id, i) => [`id${i}`, id])),
      });
      for (const r of rows) {
        out.set(r.id, {
          skuId: r.id,
          productId: r.productId,
          sellerId: r.sellerId,
          brandId: r.brandId,
          categoryIds: r.categoryPath.split('/'),
          title: r.title,
          attributes: r.attributes,
          unitPrice: r.price,
          currency: r.currency,
          stock: r.stock,
          unavailable: !r.visible ? 'PRODUCT_NOT_AVAILABLE' : !r.active ? 'SKU_INACTIVE' : null,
        });
      }
      return out;
    },
  };
}

export type ListingService = ReturnType<typeof createListingService>;
