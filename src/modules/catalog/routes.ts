import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuth, requireAuthOnEveryRoute } from '../../shared/auth.js';
import { problems } from '../../shared/errors.js';
import { decodeCursor, idParam, pageQuerySchema, pageSchema } from '../../shared/pagination.js';
import { browseRoutes } from './browse-routes.js';
import {
  brandSchema,
  categorySchema,
  productBody,
  productPatchBody,
  sellerProductSchema,
  toBrand,
  toCategory,
  toSellerProduct,
  variantBody,
  variantPatchBody,
} from './dto.js';
import type { ListingService } from './listing.js';
import { BRAND_STATUSES, PRODUCT_STATUSES } from './model.js';
import type { ProductService } from './products.js';
import type { TaxonomyService } from './taxonomy.js';

const reasonText = z.string().trim().min(1).max(500);
const reasonBody = z.strictObject({ reason: reasonText });
const optionalReason = z.strictObject({ reason: reasonText.optional() });

export interface CatalogRouteDeps {
  taxonomy: TaxonomyService;
  products: ProductService;
  listing: ListingService;
  lowStockThreshold: number;
  publicReadsPerMinute: number;
  /** Public reads are revalidated by ETag after this many seconds. */
  cacheMaxAgeSeconds: number;
}

/** Public browsing and the seller's own catalog. */
export function catalogRoutes(deps: CatalogRouteDeps): FastifyPluginAsyncZod {
  const { taxonomy, products } = deps;
  return async (app) => {
    // ---- buyers: browsing (browse-routes.ts)
    await app.register(browseRoutes(deps));

    // ---- sellers: their own catalog only
    const seller = { preHandler: requireAuth('seller'), security: bearerSecurity };

    app.post(
      '/seller/brands',
      {
        preHandler: seller.preHandler,
        schema: {
          tags: ['seller'],
          summary: 'Propose a brand (unverified until an admin verifies it)',
          security: bearerSecurity,
          body: z.strictObject({ name: z.string().trim().min(1).max(80) }),
          response: { 201: brandSchema, ...problems(400, 401, 403, 409) },
        },
      },
      async (request, reply) =>
        reply.code(201).send(toBrand(await taxonomy.proposeBrand(caller(request).userId, request.body.name))),
    );

    app.post(
      '/seller/products',
      {
        preHandler: seller.preHandler,
        schema: {
          tags: ['seller'],
          summary: 'Create a product (draft)',
          security: bearerSecurity,
          body: productBody,
          response: { 201: sellerProductSchema, ...problems(400, 401, 403, 409, 422) },
        },
      },
      async (request, reply) =>
        reply.code(201).send(toSellerProduct(await products.create(caller(request).userId, request.body))),
    );

    app.get(
      '/seller/products',
      {
        preHandler: seller.preHandler,
        schema: {
          tags: ['seller'],
          summary: 'My products, newest first',
          security: bearerSecurity,
          querystring: pageQuerySchema.extend({ status: z.enum(PRODUCT_STATUSES).optional() }).strict(),
          response: { 200: pageSchema(sellerProductSchema), ...problems(400, 401, 403) },
        },
      },
      async (request) => {
        const r = await products.listOwn(caller(request).userId, {
          status: request.query.status,
          limit: request.query.limit,
          cursor: decodeCursor(request.query.cursor),
        });
        const details = await Promise.all(r.items.map((p) => products.detail(p.id)));
        return { items: details.map(toSellerProduct), next_cursor: r.next_cursor };
      },
    );

    app.get(
      '/seller/products/:id',
      {
        preHandler: seller.preHandler,
        schema: {
          tags: ['seller'],
          summary: 'One of my products',
          security: bearerSecurity,
          params: idParam,
          response: { 200: sellerProductSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => toSellerProduct(await products.getOwn(caller(request).userId, request.params.id)),
    );

    app.patch(
      '/seller/products/:id',
      {
        preHandler: seller.preHandler,
        schema: {
          tags: ['seller'],
          summary: 'Edit a product (a verified product goes back to review when its content changes)',
          security: bearerSecurity,
          params: idParam,
          body: productPatchBody,
          response: { 200: sellerProductSchema, ...problems(400, 401, 403, 404, 422) },
        },
      },
      async (request) =>
        toSellerProduct(await products.update(caller(request).userId, request.params.id, request.body)),
    );

    app.post(
      '/seller/products/:id/submit',
      {
        preHandler: seller.preHandler,
        schema: {
          tags: ['seller'],
          summary: 'Send a draft or rejected product for review (needs verified KYC)',
          security: bearerSecurity,
          params: idParam,
          response: { 200: sellerProductSchema, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request) => toSellerProduct(await products.submit(caller(request).userId, request.params.id)),
    );

    app.post(
      '/seller/products/:id/variants',
      {
        preHandler: seller.preHandler,
        schema: {
          tags: ['seller'],
          summary: 'Add a SKU variant',
          security: bearerSecurity,
          params: idParam,
          body: variantBody,
          response: { 201: sellerProductSchema, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(
            toSellerProduct(
              await products.addVariant(caller(request).userId, request.params.id, request.body),
            ),
          ),
    );

    app.patch(
      '/seller/products/:id/variants/:variantId',
      {
        preHandler: seller.preHandler,
        schema: {
          tags: ['seller'],
          summary:
            'Change a variant: price and stock keep the product verified; attributes send it back to review',
          security: bearerSecurity,
          params: z.strictObject({ id: z.uuid(), variantId: z.uuid() }),
          body: variantPatchBody,
          response: { 200: sellerProductSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) =>
        toSellerProduct(
          await products.updateVariant(
            caller(request).userId,
            request.params.id,
            request.params.variantId,
            request.body,
          ),
        ),
    );

    app.post(
      '/seller/products/:id/media',
      {
        preHandler: seller.preHandler,
        schema: {
          tags: ['seller'],
          summary: 'Attach an uploaded image (purpose product_image); it waits for admin review',
          security: bearerSecurity,
          params: idParam,
          body: z.strictObject({ media_id: z.uuid() }),
          response: { 201: sellerProductSchema, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(
            toSellerProduct(
              await products.attachMedia(caller(request).userId, request.params.id, request.body.media_id),
            ),
          ),
    );

    app.delete(
      '/seller/products/:id/media/:mediaId',
      {
        preHandler: seller.preHandler,
        schema: {
          tags: ['seller'],
          summary: 'Remove an image from a product',
          security: bearerSecurity,
          params: z.strictObject({ id: z.uuid(), mediaId: z.uuid() }),
          response: { 200: sellerProductSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) =>
        toSellerProduct(
          await products.detachMedia(caller(request).userId, request.params.id, request.params.mediaId),
        ),
    );
  };
}

/** Admin side of the catalog: brands, categories, the product review queue, media review. */
export function adminCatalogRoutes(deps: CatalogRouteDeps): FastifyPluginAsyncZod {
  const { taxonomy, products } = deps;
  return async (app) => {
    requireAuthOnEveryRoute(app, 'admin');
    const s = { security: bearerSecurity, tags: ['admin'] };

    app.get(
      '/brands',
      {
        schema: {
          ...s,
          summary: 'All brands, by status',
          querystring: z.strictObject({ status: z.enum(BRAND_STATUSES).optional() }),
          response: { 200: z.object({ items: z.array(brandSchema) }), ...problems(400, 401, 403) },
        },
      },
      async (request) => ({ items: (await taxonomy.listBrands(request.query.status)).map(toBrand) }),
    );
    app.post(
      '/brands',
      {
        schema: {
          ...s,
          summary: 'Create a verified brand',
          body: z.strictObject({ name: z.string().trim().min(1).max(80) }),
          response: { 201: brandSchema, ...problems(400, 401, 403, 409) },
        },
      },
      async (request, reply) =>
        reply.code(201).send(toBrand(await taxonomy.createBrand(caller(request).userId, request.body.name))),
    );
    app.post(
      '/brands/:id/verify',
      {
        schema: {
          ...s,
          summary: 'Verify a proposed brand',
          params: idParam,
          body: optionalReason,
          response: { 200: brandSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        toBrand(
          await taxonomy.reviewBrand(caller(request).userId, request.params.id, true, request.body.reason),
        ),
    );
    app.post(
      '/brands/:id/reject',
      {
        schema: {
          ...s,
          summary: 'Reject a proposed brand',
          params: idParam,
          body: reasonBody,
          response: { 200: brandSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        toBrand(
          await taxonomy.reviewBrand(caller(request).userId, request.params.id, false, request.body.reason),
        ),
    );

    app.post(
      '/categories',
      {
        schema: {
          ...s,
          summary: 'Add a category (optionally under a parent)',
          body: z.strictObject({
            name: z.string().trim().min(1).max(80),
            parent_id: z.uuid().nullable().optional(),
          }),
          response: { 201: categorySchema, ...problems(400, 401, 403, 409, 422) },
        },
      },
      async (request, reply) =>
        reply.code(201).send(toCategory(await taxonomy.createCategory(caller(request).userId, request.body))),
    );
    app.patch(
      '/categories/:id',
      {
        schema: {
          ...s,
          summary: 'Rename a category (the reason, if given, goes to the audit row)',
          params: idParam,
          body: z.strictObject({ name: z.string().trim().min(1).max(80), reason: reasonText.optional() }),
          response: { 200: categorySchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        toCategory(
          await taxonomy.renameCategory(
            caller(request).userId,
            request.params.id,
            request.body.name,
            request.body.reason,
          ),
        ),
    );
    app.patch(
      '/brands/:id',
      {
        schema: {
          ...s,
          summary: 'Rename a brand (the reason, if given, goes to the audit row)',
          params: idParam,
          body: z.strictObject({ name: z.string().trim().min(1).max(80), reason: reasonText.optional() }),
          response: { 200: brandSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        toBrand(
          await taxonomy.renameBrand(
            caller(request).userId,
            request.params.id,
            request.body.name,
            request.body.reason,
          ),
        ),
    );

    app.get(
      '/products',
      {
        schema: {
          ...s,
          summary: 'Products by status; pending_review is the review queue (oldest first), with media',
          querystring: pageQuerySchema
            .extend({ status: z.enum(PRODUCT_STATUSES).default('pending_review') })
            .strict(),
          response: { 200: pageSchema(sellerProductSchema), ...problems(400, 401, 403) },
        },
      },
      async (request) => {
        const r = await products.queue({
          status: request.query.status,
          limit: request.query.limit,
          cursor: decodeCursor(request.query.cursor),
        });
        const details = await Promise.all(r.items.map((p) => products.detail(p.id)));
        return { items: details.map(toSellerProduct), next_cursor: r.next_cursor };
      },
    );
    app.get(
      '/products/:id',
      {
        schema: {
          ...s,
          summary: 'Any product, any status',
          params: idParam,
          response: { 200: sellerProductSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => toSellerProduct(await products.detail(request.params.id)),
    );
    for (const action of ['verify', 'reject', 'suspend', 'reinstate'] as const) {
      const needsReason = action === 'reject' || action === 'suspend';
      app.post(
        `/products/:id/${action}`,
        {
          schema: {
            ...s,
            summary: `${action[0]!.toUpperCase()}${action.slice(1)} a product${needsReason ? ' (reason required)' : ''}`,
            params: idParam,
            body: needsReason ? reasonBody : optionalReason,
            response: { 200: sellerProductSchema, ...problems(400, 401, 403, 404, 409) },
          },
        },
        async (request) =>
          toSellerProduct(
            await products.act(caller(request).userId, request.params.id, action, request.body.reason),
          ),
      );
    }
    for (const [action, approve] of [
      ['verify', true],
      ['reject', false],
    ] as const) {
      app.post(
        `/products/:id/media/:mediaId/${action}`,
        {
          schema: {
            ...s,
            summary: `${approve ? 'Verify' : 'Reject'} a product image`,
            params: z.strictObject({ id: z.uuid(), mediaId: z.uuid() }),
            body: approve ? optionalReason : reasonBody,
            response: { 200: sellerProductSchema, ...problems(400, 401, 403, 404, 409) },
          },
        },
        async (request) =>
          toSellerProduct(
            await products.reviewMedia(
              caller(request).userId,
              request.params.id,
              request.params.mediaId,
              approve,
              request.body.reason,
            ),
          ),
      );
    }
  };
}
