import { z } from 'zod';
import { MONEY_UNIT, WHOLE_SHILLINGS } from '../../shared/money.js';
import { toDarTime, toDarTimeOrNull } from '../../shared/time.js';
import type { ProductPageRow } from './listing-query.js';
import {
  BRAND_STATUSES,
  CURRENCIES,
  type Currency,
  MEDIA_REVIEW_STATUSES,
  PRODUCT_STATUSES,
} from './model.js';
import type { Product, ProductMediaRow, Variant } from './products.js';
import { stockState } from './rules.js';
import type { Brand, Category } from './taxonomy.js';

const text = (max: number) => z.string().trim().min(1).max(max);

/** Specs are a flat object of short keys to short values: enough for "RAM: 4 GB", not a document store. */
export const specsSchema = z
  .record(z.string().trim().min(1).max(40), z.union([z.string().max(300), z.number().finite(), z.boolean()]))
  .refine((s) => Object.keys(s).length <= 40, 'at most 40 specs');

export const attributesSchema = z
  .record(z.string().trim().min(1).max(30), z.string().trim().min(1).max(60))
  .refine((a) => Object.keys(a).length <= 8, 'at most 8 attributes');

/** Prices are integers in the currency's minor unit (TZS 12,500.00 is 1250000). */
// At most TZS 100,000,000.00 a unit: 50 lines of 1,000 units stay far below 2^53.
export const priceSchema = z
  .number()
  .int()
  .min(1)
  .max(10_000_000_000)
  .multipleOf(MONEY_UNIT, WHOLE_SHILLINGS)
  .describe('Minor units (cents); integer; whole shillings');
export const stockSchema = z.number().int().min(0).max(1_000_000);

export const variantBody = z.strictObject({
  seller_sku: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._-]{1,40}$/, 'letters, digits, . _ - (at most 40)'),
  attributes: attributesSchema,
  price: priceSchema,
  currency: z.enum(CURRENCIES).optional(),
  stock: stockSchema,
});
export const variantPatchBody = z
  .strictObject({
    attributes: attributesSchema.optional(),
    price: priceSchema.optional(),
    stock: stockSchema.optional(),
    active: z.boolean().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'send at least one field');

const productFields = {
  title: text(140),
  description: text(5000),
  category_id: z.uuid(),
  brand_id: z.uuid().nullable().optional(),
  specs: specsSchema.optional(),
};
export const productBody = z.strictObject({
  ...productFields,
  variants: z.array(variantBody).max(50).optional(),
});
export const productPatchBody = z
  .strictObject({
    title: productFields.title.optional(),
    description: productFields.description.optional(),
    category_id: productFields.category_id.optional(),
    brand_id: productFields.brand_id,
    specs: productFields.specs,
  })
  .refine((v) => Object.keys(v).length > 0, 'send at least one field');

export const brandSchema = z
  .object({ id: z.uuid(), name: z.string(), status: z.enum(BRAND_STATUSES), created_at: z.string() })
  .meta({ id: 'Brand' });
export const toBrand = (b: Brand) => ({
  id: b.id,
  name: b.name,
  status: b.status,
  created_at: toDarTime(b.createdAt),
});

export const categorySchema = z
  .object({ id: z.uuid(), name: z.string(), parent_id: z.uuid().nullable(), depth: z.number().int() })
  .meta({ id: 'Category' });
export const toCategory = (c: Category) => ({
  id: c.id,
  name: c.name,
  parent_id: c.parentId,
  depth: c.path.split('/').length - 1,
});

export const variantSchema = z
  .object({
    id: z.uuid(),
    seller_sku: z.string(),
    attributes: z.record(z.string(), z.string()),
    price: z.number().int(),
    currency: z.enum(CURRENCIES),
    stock: z.number().int(),
    active: z.boolean(),
  })
  .meta({ id: 'SellerVariant' });
export const toVariant = (v: Variant) => ({
  id: v.id,
  seller_sku: v.sellerSku,
  attributes: v.attributes,
  price: v.price,
  currency: v.currency,
  stock: v.stock,
  active: v.active,
});

const productMediaSchema = z.object({
  media_id: z.uuid(),
  position: z.number().int(),
  status: z.enum(MEDIA_REVIEW_STATUSES),
  rejection_reason: z.string().nullable(),
});
const toProductMedia = (m: ProductMediaRow) => ({
  media_id: m.mediaId,
  position: m.position,
  status: m.status,
  rejection_reason: m.rejectionReason,
});

/** The seller's (and admin's) full view of a product: every status, every variant, every image. */
export const sellerProductSchema = z
  .object({
    id: z.uuid(),
    seller_id: z.uuid(),
    title: z.string(),
    description: z.string(),
    category_id: z.uuid(),
    brand_id: z.uuid().nullable(),
    specs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    status: z.enum(PRODUCT_STATUSES),
    status_reason: z.string().nullable(),
    variants: z.array(variantSchema),
    media: z.array(productMediaSchema),
    created_at: z.string(),
    updated_at: z.string(),
    submitted_at: z.string().nullable(),
    verified_at: z.string().nullable(),
  })
  .meta({ id: 'SellerProduct' });

export const toSellerProduct = (d: { product: Product; variants: Variant[]; media: ProductMediaRow[] }) => ({
  id: d.product.id,
  seller_id: d.product.sellerId,
  title: d.product.title,
  description: d.product.description,
  category_id: d.product.categoryId,
  brand_id: d.product.brandId,
  specs: d.product.specs,
  status: d.product.status,
  status_reason: d.product.statusReason,
  variants: d.variants.map(toVariant),
  media: d.media.map(toProductMedia),
  created_at: toDarTime(d.product.createdAt),
  updated_at: toDarTime(d.product.updatedAt),
  submitted_at: toDarTimeOrNull(d.product.submittedAt),
  verified_at: toDarTimeOrNull(d.product.verifiedAt),
});

// ---- buyer-facing shapes: no stock counts, no status, only verified images
const imageUrl = (productId: string, mediaId: string) => `/api/v1/products/${productId}/images/${mediaId}`;

export const listingItemSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    seller_id: z.uuid(),
    category_id: z.uuid(),
    brand_id: z.uuid().nullable(),
    price_from: z.number().int(),
    image_url: z.string().nullable(),
  })
  .meta({ id: 'ProductListItem' });
/** A listing row (its cover image read with it) as a buyer sees it. */
export const toListingItemFromRow = (r: {
  id: string;
  title: string;
  sellerId: string;
  categoryId: string;
  brandId: string | null;
  minPrice: number | null;
  coverMediaId: string | null;
}) => ({
  id: r.id,
  title: r.title,
  seller_id: r.sellerId,
  category_id: r.categoryId,
  brand_id: r.brandId,
  price_from: r.minPrice ?? 0,
  image_url: r.coverMediaId ? imageUrl(r.id, r.coverMediaId) : null,
});
export const toListingItem = (p: Product, media: ProductMediaRow[]) => ({
  id: p.id,
  title: p.title,
  seller_id: p.sellerId,
  category_id: p.categoryId,
  brand_id: p.brandId,
  price_from: p.minPrice ?? 0,
  image_url: media[0] ? imageUrl(p.id, media[0].mediaId) : null,
});

export const productDetailSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    description: z.string(),
    seller_id: z.uuid(),
    category_id: z.uuid(),
    brand: z.object({ id: z.uuid(), name: z.string(), verified: z.boolean() }).nullable(),
    specs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    variants: z.array(
      z.object({
        sku_id: z.uuid(),
        attributes: z.record(z.string(), z.string()),
        price: z.number().int(),
        currency: z.enum(CURRENCIES),
        stock_state: z.enum(['in_stock', 'low', 'out']),
      }),
    ),
    image_urls: z.array(z.string()),
  })
  .meta({ id: 'ProductDetail' });
/** The one-statement product page (listing-query.ts) as a buyer sees it. */
export const toProductPage = (p: ProductPageRow, lowStock: number) => ({
  id: p.id,
  title: p.title,
  description: p.description,
  seller_id: p.sellerId,
  category_id: p.categoryId,
  brand: p.brand ? { id: p.brand.id, name: p.brand.name, verified: p.brand.status === 'verified' } : null,
  specs: p.specs,
  variants: p.variants.map((v) => ({
    sku_id: v.id,
    attributes: v.attributes,
    price: v.price,
    currency: v.currency as Currency,
    stock_state: stockState(v.stock, lowStock),
  })),
  image_urls: p.mediaIds.map((m) => imageUrl(p.id, m)),
});
