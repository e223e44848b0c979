import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { money, tz } from '../../db/columns.js';
import { BRAND_STATUSES, CURRENCIES, MEDIA_REVIEW_STATUSES, PRODUCT_STATUSES } from './model.js';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

export const brands = pgTable(
  'brands',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    status: text('status', { enum: BRAND_STATUSES }).notNull(),
    proposedBy: uuid('proposed_by'),
    createdAt: tz('created_at').notNull(),
    reviewedAt: tz('reviewed_at'),
    reviewedBy: uuid('reviewed_by'),
  },
  (t) => [uniqueIndex('brands_name_idx').on(sql`lower(${t.name})`)],
);

export const categories = pgTable(
  'categories',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    parentId: uuid('parent_id'),
    /** ids from the root down to this category, '/'-joined: sub-tree queries are one prefix match */
    path: text('path').notNull(),
    createdAt: tz('created_at').notNull(),
  },
  (t) => [
    index('categories_path_idx').on(t.path),
    uniqueIndex('categories_sibling_name_idx').on(
      sql`coalesce(${t.parentId}::text, '')`,
      sql`lower(${t.name})`,
    ),
  ],
);

export const products = pgTable(
  'products',
  {
    id: uuid('id').primaryKey(),
    sellerId: uuid('seller_id').notNull(),
    title: text('title').notNull(),
    description: text('description').notNull(),
    categoryId: uuid('category_id')
      .notNull()
      .references(() => categories.id),
    brandId: uuid('brand_id').references(() => brands.id),
    specs: jsonb('specs').$type<Record<string, string | number | boolean>>().notNull(),
    status: text('status', { enum: PRODUCT_STATUSES }).notNull(),
    statusReason: text('status_reason'),
    /** lowest active variant price: listing filters and sorts on it without a join */
    minPrice: money('min_price'),
    search: tsvector('search').generatedAlwaysAs(
      (): ReturnType<typeof sql> =>
        sql`setweight(to_tsvector('simple', coalesce(title, '')), 'A') || setweight(to_tsvector('simple', coalesce(description, '')), 'B')`,
    ),
    createdAt: tz('created_at').notNull(),
    updatedAt: tz('updated_at').notNull(),
    submittedAt: tz('submitted_at'),
    verifiedAt: tz('verified_at'),
  },
  (t) => [
    index('products_seller_idx').on(t.sellerId, t.createdAt),
    index('products_listing_idx').on(t.status, t.verifiedAt, t.id),
    index('products_category_idx').on(t.categoryId),
    index('products_search_idx').using('gin', t.search),
  ],
);

export const productVariants = pgTable(
  'product_variants',
  {
    id: uuid('id').primaryKey(),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id),
    sellerId: uuid('seller_id').notNull(),
    sellerSku: text('seller_sku').notNull(),
    attributes: jsonb('attributes').$type<Record<string, string>>().notNull(),
    price: money('price').notNull(),
    currency: text('currency', { enum: CURRENCIES }).notNull(),
    stock: integer('stock').notNull(),
    active: boolean('active').notNull().default(true),
    createdAt: tz('created_at').notNull(),
    updatedAt: tz('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('product_variants_seller_sku_idx').on(t.sellerId, sql`lower(${t.sellerSku})`),
    index('product_variants_product_idx').on(t.productId),
    check('product_variants_price_positive', sql`${t.price} > 0`),
    check('product_variants_stock_non_negative', sql`${t.stock} >= 0`),
  ],
);

export const productMedia = pgTable(
  'product_media',
  {
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id),
    mediaId: uuid('media_id').notNull(),
    position: integer('position').notNull(),
    status: text('status', { enum: MEDIA_REVIEW_STATUSES }).notNull(),
    rejectionReason: text('rejection_reason'),
    reviewedBy: uuid('reviewed_by'),
    reviewedAt: tz('reviewed_at'),
    createdAt: tz('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.productId, t.mediaId] })],
);
