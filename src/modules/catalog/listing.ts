import {
  and,
  asc,
  desc,
  eq,
  gt,
  gte,
  inArray,
  like,
  lt,
  lte,
  or,
  type Placeholder,
  type SQL,
  sql,
} from 'drizzle-orm';
import { z } from 'zod';
import { compileSelect } from '../../db/batch.js';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, notFound } from '../../shared/errors.js';
import { isPlausibleInstant } from '../../shared/time.js';
import type { MediaService } from '../media/index.js';
import type { Currency } from './model.js';
import { brands, categories, productMedia, products, productVariants } from './schema.js';

export type ListingSort = 'newest' | 'price_asc' | 'price_desc';

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
      const now = clock.now();
      const where: SQL[] = [visible(now), sql`${products.minPrice} is not null`];
      if (q.category) {
        const [cat] = await db.select().from(categories).where(eq(categories.id, q.category));
        if (!cat) return { items: [], next_cursor: null };
        const sub = db
          .select({ id: categories.id })
          .from(categories)
          .where(or(eq(categories.id, cat.id), like(categories.path, `${cat.path}/%`)));
        where.push(inArray(products.categoryId, sub));
      }
      if (q.brand) where.push(eq(products.brandId, q.brand));
      if (q.seller) where.push(eq(products.sellerId, q.seller));
      // A product matches a price range when any of its active variants does.
      if (q.minPrice !== undefined || q.maxPrice !== undefined) {
        const conds = [eq(productVariants.productId, products.id), eq(productVariants.active, true)];
        if (q.minPrice !== undefined) conds.push(gte(productVariants.price, q.minPrice));
        if (q.maxPrice !== undefined) conds.push(lte(productVariants.price, q.maxPrice));
        where.push(sql`exists (select 1 from ${productVariants} where ${and(...conds)})`);
      }
      if (q.q) where.push(sql`${products.search} @@ websearch_to_tsquery('simple', ${q.q})`);

      let order: SQL[];
      if (q.sort === 'newest') {
        order = [desc(products.verifiedAt), desc(products.id)];
        if (q.cursor) {
          const c = decodeCursor('newest', q.cursor);
          const at = new Date(String(c.key));
          where.push(
            or(lt(products.verifiedAt, at), and(eq(products.verifiedAt, at), lt(products.id, c.id)))!,
          );
        }
      } else {
        const up = q.sort === 'price_asc';
        order = up
          ? [asc(products.minPrice), asc(products.id)]
          : [desc(products.minPrice), desc(products.id)];
        if (q.cursor) {
          const c = decodeCursor(q.sort, q.cursor);
          const key = Number(c.key);
          where.push(
            up
              ? or(gt(products.minPrice, key), and(eq(products.minPrice, key), gt(products.id, c.id)))!
              : or(lt(products.minPrice, key), and(eq(products.minPrice, key), lt(products.id, c.id)))!,
          );
        }
      }
      const rows = await db
        .select()
        .from(products)
        .where(and(...where))
        .orderBy(...order)
        .limit(q.limit + 1);
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
      const covers = await this.verifiedMedia(items.map((p) => p.id));
      return { items: items.map((p) => ({ product: p, media: covers.get(p.id) ?? [] })), next_cursor: next };
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

    async detail(productId: string) {
      const [product] = await db
        .select()
        .from(products)
        .where(and(eq(products.id, productId), visible(clock.now())));
      if (!product) throw notFound('Product');
      const variants = await db
        .select()
        .from(productVariants)
        .where(and(eq(productVariants.productId, productId), eq(productVariants.active, true)))
        .orderBy(asc(productVariants.price), asc(productVariants.id));
      const images = (await this.verifiedMedia([productId])).get(productId) ?? [];
      return { product, variants, media: images };
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
