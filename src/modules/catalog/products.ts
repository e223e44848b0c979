import { and, asc, desc, eq, gt, lt, min, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { isUniqueViolation } from '../../db/columns.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, conflict, notFound } from '../../shared/errors.js';
import type { IdGenerator } from '../../shared/ids.js';
import { type Cursor, pageOf } from '../../shared/pagination.js';
import type { AuditService } from '../audit/index.js';
import type { MediaService } from '../media/index.js';
import type { CatalogJobQueue } from './jobs.js';
import type { Currency, ProductStatus } from './model.js';
import { nextStatus, type ProductAction, statusAfterEdit } from './rules.js';
import { productMedia, products, productVariants } from './schema.js';
import type { TaxonomyService } from './taxonomy.js';

export type Product = typeof products.$inferSelect;
export type Variant = typeof productVariants.$inferSelect;
export type ProductMediaRow = typeof productMedia.$inferSelect;

export interface ProductInput {
  title: string;
  description: string;
  category_id: string;
  brand_id?: string | null | undefined;
  specs?: Record<string, string | number | boolean> | undefined;
}

export interface VariantInput {
  seller_sku: string;
  attributes: Record<string, string>;
  price: number;
  currency?: Currency | undefined;
  stock: number;
}

/** Sellers' products, variants and media, and the admin verification workflow over them. */
export function createProductService(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  media: MediaService;
  taxonomy: TaxonomyService;
  jobs: CatalogJobQueue;
  assertActiveVerifiedSeller: (userId: string, tx?: Database) => Promise<void>;
}) {
  const { db, clock, ids, audit, media, taxonomy } = deps;

  /** The seller's own product, locked for the change; another seller's id is a 404. */
  async function lockOwn(tx: Database, sellerId: string, productId: string) {
    const [row] = await tx
      .select()
      .from(products)
      .where(and(eq(products.id, productId), eq(products.sellerId, sellerId)))
      .for('update');
    if (!row) throw notFound('Product');
    return row;
  }

  async function refreshMinPrice(tx: Database, productId: string) {
    const [r] = await tx
      .select({ p: min(productVariants.price) })
      .from(productVariants)
      .where(and(eq(productVariants.productId, productId), eq(productVariants.active, true)));
    await tx
      .update(products)
      .set({ minPrice: r?.p ?? null })
      .where(eq(products.id, productId));
  }

  /** Apply the review rule after an edit and record the change of status, if any. */
  async function afterEdit(tx: Database, actorId: string, product: Product, changed: string[]) {
    const to = statusAfterEdit(product.status, changed);
    const now = clock.now();
    await tx
      .update(products)
      .set({
        status: to,
        updatedAt: now,
        ...(to !== product.status ? { submittedAt: now, statusReason: null } : {}),
      })
      .where(eq(products.id, product.id));
    if (to !== product.status) {
      await audit.record(tx, {
        actorUserId: actorId,
        action: 'product.back_to_review',
        targetType: 'product',
        targetId: product.id,
        data: { from: product.status, changed },
      });
    }
  }

  async function detail(tx: Database, productId: string) {
    const [product] = await tx.select().from(products).where(eq(products.id, productId));
    if (!product) throw notFound('Product');
    const variants = await tx
      .select()
      .from(productVariants)
      .where(eq(productVariants.productId, productId))
      .orderBy(asc(productVariants.createdAt), asc(productVariants.id));
    const mediaRows = await tx
      .select()
      .from(productMedia)
      .where(eq(productMedia.productId, productId))
      .orderBy(asc(productMedia.position));
    return { product, variants, media: mediaRows };
  }

  async function insertVariant(tx: Database, product: Product, v: VariantInput) {
    const now = clock.now();
    // One currency per product, so "price from", price sorting and price filters compare like with like.
    const [other] = await tx
      .select({ currency: productVariants.currency })
      .from(productVariants)
      .where(eq(productVariants.productId, product.id))
      .limit(1);
    if (other && other.currency !== (v.currency ?? 'TZS')) {
      throw new AppError(
        'CURRENCY_MISMATCH',
        422,
        `This product is priced in ${other.currency}; every variant must be.`,
        { field: 'currency' },
      );
    }
    try {
      // A savepoint, so a duplicate SKU can be reported without aborting the caller's transaction.
      return await tx.transaction(async (sp) => {
        const [row] = await sp
          .insert(productVariants)
          .values({
            id: ids.newId(),
            productId: product.id,
            sellerId: product.sellerId,
            sellerSku: v.seller_sku,
            attributes: v.attributes,
            price: v.price,
            currency: v.currency ?? 'TZS',
            stock: v.stock,
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        return row!;
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new AppError('SELLER_SKU_TAKEN', 409, `You already use the SKU code "${v.seller_sku}".`, {
          field: 'seller_sku',
        });
      }
      throw err;
    }
  }

  return {
    detail: (productId: string) => detail(db, productId),

    async create(sellerId: string, input: ProductInput & { variants?: VariantInput[] | undefined }) {
      const now = clock.now();
      return db.transaction(async (tx) => {
        await taxonomy.requireCategory(tx, input.category_id);
        if (input.brand_id) await taxonomy.usableBrand(tx, input.brand_id);
        const [product] = await tx
          .insert(products)
          .values({
            id: ids.newId(),
            sellerId,
            title: input.title,
            description: input.description,
            categoryId: input.category_id,
            brandId: input.brand_id ?? null,
            specs: input.specs ?? {},
            status: 'draft',
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        for (const v of input.variants ?? []) await insertVariant(tx, product!, v);
        await refreshMinPrice(tx, product!.id);
        await audit.record(tx, {
          actorUserId: sellerId,
          action: 'product.created',
          targetType: 'product',
          targetId: product!.id,
        });
        return detail(tx, product!.id);
      });
    },

    async listOwn(
      sellerId: string,
      q: { status?: ProductStatus | undefined; limit: number; cursor?: Cursor | undefined },
    ) {
      const rows = await db
        .select()
        .from(products)
        .where(
          and(
            eq(products.sellerId, sellerId),
            q.status ? eq(products.status, q.status) : undefined,
            q.cursor
              ? or(
                  lt(products.createdAt, q.cursor.at),
                  and(eq(products.createdAt, q.cursor.at), lt(products.id, q.cursor.id)),
                )
              : undefined,
          ),
        )
        .orderBy(desc(products.createdAt), desc(products.id))
        .limit(q.limit + 1);
      return pageOf(rows, q.limit, (r) => ({ at: r.createdAt, id: r.id }));
    },

    async getOwn(sellerId: string, productId: string) {
      const d = await detail(db, productId).catch(() => null);
      if (!d || d.product.sellerId !== sellerId) throw notFound('Product');
      return d;
    },

    async update(sellerId: string, productId: string, patch: Partial<ProductInput>) {
      return db.transaction(async (tx) => {
        const product = await lockOwn(tx, sellerId, productId);
        if (patch.category_id) await taxonomy.requireCategory(tx, patch.category_id);
        if (patch.brand_id) await taxonomy.usableBrand(tx, patch.brand_id);
        const changed: string[] = [];
        const set: Partial<Product> = {};
        const change = <K extends keyof Product>(
          field: string,
          key: K,
          value: Product[K] | undefined,
          same: boolean,
        ) => {
          if (value === undefined || same) return;
          set[key] = value;
          changed.push(field);
        };
        change('title', 'title', patch.title, patch.title === product.title);
        change('description', 'description', patch.description, patch.description === product.description);
        change('category_id', 'categoryId', patch.category_id, patch.category_id === product.categoryId);
        change('brand_id', 'brandId', patch.brand_id, patch.brand_id === product.brandId);
        change('specs', 'specs', patch.specs, JSON.stringify(patch.specs) === JSON.stringify(product.specs));
        if (Object.keys(set).length) await tx.update(products).set(set).where(eq(products.id, productId));
        await afterEdit(tx, sellerId, product, changed);
        return detail(tx, productId);
      });
    },

    /** Seller asks for review. Only an active seller with verified KYC may, and only with something to sell. */
    async submit(sellerId: string, productId: string) {
      return db.transaction(async (tx) => {
        await deps.assertActiveVerifiedSeller(sellerId, tx);
        const product = await lockOwn(tx, sellerId, productId);
        const to = nextStatus(product.status, 'submit');
        if (!to)
          throw new AppError('INVALID_TRANSITION', 409, `A ${product.status} product cannot be submitted.`);
        const [live] = await tx
          .select({ id: productVariants.id })
          .from(productVariants)
          .where(and(eq(productVariants.productId, productId), eq(productVariants.active, true)))
          .limit(1);
        if (!live)
          throw new AppError(
            'VARIANT_REQUIRED',
            422,
            'Add at least one active variant (SKU) before submitting.',
            { field: 'variants' },
          );
        const now = clock.now();
        await tx
          .update(products)
          .set({ status: to, submittedAt: now, updatedAt: now, statusReason: null })
          .where(eq(products.id, productId));
        await audit.record(tx, {
          actorUserId: sellerId,
          action: 'product.submitted',
          targetType: 'product',
          targetId: productId,
          data: { from: product.status },
        });
        return detail(tx, productId);
      });
    },

    async addVariant(sellerId: string, productId: string, input: VariantInput) {
      return db.transaction(async (tx) => {
        const product = await lockOwn(tx, sellerId, productId);
        await insertVariant(tx, product, input);
        await refreshMinPrice(tx, productId);
        await afterEdit(tx, sellerId, product, ['new_variant']);
        return detail(tx, productId);
      });
    },

    async updateVariant(
      sellerId: string,
      productId: string,
      variantId: string,
      patch: {
        attributes?: Record<string, string> | undefined;
        price?: number | undefined;
        stock?: number | undefined;
        active?: boolean | undefined;
      },
    ) {
      return db.transaction(async (tx) => {
        const product = await lockOwn(tx, sellerId, productId);
        const [variant] = await tx
          .select()
          .from(productVariants)
          .where(and(eq(productVariants.id, variantId), eq(productVariants.productId, productId)))
          .for('update');
        if (!variant) throw notFound('Variant');
        const changed: string[] = [];
        if (
          patch.attributes !== undefined &&
          JSON.stringify(patch.attributes) !== JSON.stringify(variant.attributes)
        )
          changed.push('attributes');
        if (patch.price !== undefined && patch.price !== variant.price) changed.push('price');
        await tx
          .update(productVariants)
          .set({
            ...(patch.attributes !== undefined ? { attributes: patch.attributes } : {}),
            ...(patch.price !== undefined ? { price: patch.price } : {}),
            ...(patch.stock !== undefined ? { stock: patch.stock } : {}),
            ...(patch.active !== undefined ? { active: patch.active } : {}),
            updatedAt: clock.now(),
          })
          .where(eq(productVariants.id, variantId));
        await refreshMinPrice(tx, productId);
        await afterEdit(tx, sellerId, product, changed);
        if (patch.price !== undefined && patch.price !== variant.price) {
          await audit.record(tx, {
            actorUserId: sellerId,
            action: 'variant.price_changed',
            targetType: 'variant',
            targetId: variantId,
            data: { from: variant.price, to: patch.price },
          });
        }
        return detail(tx, productId);
      });
    },

    async attachMedia(sellerId: string, productId: string, mediaId: string) {
      return db.transaction(async (tx) => {
        const product = await lockOwn(tx, sellerId, productId);
        await media.requireOwned(tx, sellerId, [mediaId], 'product_image', 'media_id');
        const [{ n } = { n: 0 }] = await tx
          .select({ n: sql<number>`count(*)::int` })
          .from(productMedia)
          .where(eq(productMedia.productId, productId));
        if (n >= 10) throw conflict('MEDIA_LIMIT', 'A product has at most 10 images.');
        const inserted = await tx
          .insert(productMedia)
          .values({ productId, mediaId, position: n, status: 'pending', createdAt: clock.now() })
          .onConflictDoNothing()
          .returning();
        if (!inserted.length)
          throw conflict('MEDIA_ALREADY_ATTACHED', 'This image is already on the product.');
        await afterEdit(tx, sellerId, product, ['media']);
        return detail(tx, productId);
      });
    },

    async detachMedia(sellerId: string, productId: string, mediaId: string) {
      return db.transaction(async (tx) => {
        const product = await lockOwn(tx, sellerId, productId);
        const removed = await tx
          .delete(productMedia)
          .where(and(eq(productMedia.productId, productId), eq(productMedia.mediaId, mediaId)))
          .returning();
        if (!removed.length) throw notFound('Product image');
        await afterEdit(tx, sellerId, product, ['media']);
        return detail(tx, productId);
      });
    },

    /** Admin review queue (oldest submission first), with media to look at. */
    async queue(q: { status: ProductStatus; limit: number; cursor?: Cursor | undefined }) {
      const at = q.status === 'pending_review' ? products.submittedAt : products.updatedAt;
      const rows = await db
        .select()
        .from(products)
        .where(
          and(
            eq(products.status, q.status),
            q.cursor
              ? or(gt(at, q.cursor.at), and(eq(at, q.cursor.at), gt(products.id, q.cursor.id)))
              : undefined,
          ),
        )
        .orderBy(asc(at), asc(products.id))
        .limit(q.limit + 1);
      return pageOf(rows, q.limit, (r) => ({
        at: (q.status === 'pending_review' ? r.submittedAt : r.updatedAt) ?? r.createdAt,
        id: r.id,
      }));
    },

    /** Admin actions of the workflow; a reason is required for reject and suspend. */
    async act(adminId: string, productId: string, action: Exclude<ProductAction, 'submit'>, reason?: string) {
      return db.transaction(async (tx) => {
        const [product] = await tx.select().from(products).where(eq(products.id, productId)).for('update');
        if (!product) throw notFound('Product');
        const to = nextStatus(product.status, action);
        if (!to)
          throw new AppError('INVALID_TRANSITION', 409, `Cannot ${action} a ${product.status} product.`);
        const now = clock.now();
        await tx
          .update(products)
          .set({
            status: to,
            statusReason: action === 'reject' || action === 'suspend' ? (reason ?? null) : null,
            updatedAt: now,
            ...(to === 'verified' ? { verifiedAt: now } : {}),
            ...(to === 'pending_review' ? { submittedAt: now } : {}),
          })
          .where(eq(products.id, productId));
        await audit.record(tx, {
          actorUserId: adminId,
          action: `product.${to === 'pending_review' ? 'reinstated' : to}`,
          targetType: 'product',
          targetId: productId,
          reason: reason ?? null,
          data: { from: product.status },
        });
        // A decision on a product under review reaches its seller, in this transaction.
        if (to === 'verified' || to === 'rejected') {
          const decisionId = ids.newId();
          await deps.jobs.enqueue(tx, {
            kind: 'product.decided',
            payload: {
              decisionId,
              productId,
              sellerId: product.sellerId,
              title: product.title,
              outcome: to,
              reason: to === 'rejected' ? (reason ?? null) : null,
            },
            dedupeKey: `product.decided:${decisionId}`,
          });
        }
        return detail(tx, productId);
      });
    },

    async reviewMedia(
      adminId: string,
      productId: string,
      mediaId: string,
      approve: boolean,
      reason?: string,
    ) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(productMedia)
          .set({
            status: approve ? 'verified' : 'rejected',
            rejectionReason: approve ? null : (reason ?? null),
            reviewedBy: adminId,
            reviewedAt: clock.now(),
          })
          .where(
            and(
              eq(productMedia.productId, productId),
              eq(productMedia.mediaId, mediaId),
              eq(productMedia.status, 'pending'),
            ),
          )
          .returning();
        if (!row) {
          const [exists] = await tx
            .select()
            .from(productMedia)
            .where(and(eq(productMedia.productId, productId), eq(productMedia.mediaId, mediaId)));
          if (!exists) throw notFound('Product image');
          throw new AppError('INVALID_TRANSITION', 409, `This image is already ${exists.status}.`);
        }
        await audit.record(tx, {
          actorUserId: adminId,
          action: approve ? 'product_media.verified' : 'product_media.rejected',
          targetType: 'product',
          targetId: productId,
          reason: reason ?? null,
          data: { media_id: mediaId },
        });
        return detail(tx, productId);
      });
    },
  };
}

export type ProductService = ReturnType<typeof createProductService>;
