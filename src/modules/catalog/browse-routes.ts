// What anyone may read without signing in: the listing, a product page, its images, the category
// tree and brands. Strangers call these, so each has a per-address cap, and the pages buyers see are
// revalidated by ETag (src/shared/http-cache.ts).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problems } from '../../shared/errors.js';
import { notModifiedResponse, revalidatedRead } from '../../shared/http-cache.js';
import { idParam, pageQuerySchema, pageSchema } from '../../shared/pagination.js';
import {
  brandSchema,
  categorySchema,
  listingItemSchema,
  productDetailSchema,
  toBrand,
  toCategory,
  toListingItemFromRow,
  toProductPage,
} from './dto.js';
import type { ListingService } from './listing.js';
import type { TaxonomyService } from './taxonomy.js';

export interface BrowseRouteDeps {
  taxonomy: TaxonomyService;
  listing: ListingService;
  lowStockThreshold: number;
  publicReadsPerMinute: number;
  /** public reads are revalidated by ETag after this many seconds */
  cacheMaxAgeSeconds: number;
}

export function browseRoutes(deps: BrowseRouteDeps): FastifyPluginAsyncZod {
  const { taxonomy, listing } = deps;
  return async (app) => {
    // ---- buyers (no sign-in needed to browse). Strangers call these: a per-address cap keeps scrapers polite.
    const publicReads = { rateLimit: { max: deps.publicReadsPerMinute, timeWindow: '1 minute' } };
    const revalidated = revalidatedRead(deps.cacheMaxAgeSeconds);
    app.get(
      '/products',
      {
        config: publicReads,
        schema: {
          tags: ['catalog'],
          summary: 'Browse verified products',
          querystring: z
            .strictObject({
              q: z
                .string()
                .trim()
                .min(1)
                .max(100)
                .optional()
                .describe('Full-text search on title and description'),
              category: z.uuid().optional().describe('Includes sub-categories'),
              brand: z.uuid().optional(),
              seller: z.uuid().optional(),
              min_price: z.coerce.number().int().min(0).optional(),
              max_price: z.coerce.number().int().min(0).optional(),
              sort: z.enum(['newest', 'price_asc', 'price_desc']).default('newest'),
              limit: pageQuerySchema.shape.limit,
              cursor: pageQuerySchema.shape.cursor,
            })
            .refine(
              (q) => q.min_price === undefined || q.max_price === undefined || q.min_price <= q.max_price,
              {
                message: 'min_price must not exceed max_price',
                path: ['min_price'],
              },
            ),
          response: { 200: pageSchema(listingItemSchema), ...notModifiedResponse, ...problems(400) },
        },
        onSend: revalidated,
      },
      async (request) => {
        const q = request.query;
        const r = await listing.list({
          q: q.q,
          category: q.category,
          brand: q.brand,
          seller: q.seller,
          minPrice: q.min_price,
          maxPrice: q.max_price,
          sort: q.sort,
          limit: q.limit,
          cursor: q.cursor,
        });
        return { items: r.items.map(toListingItemFromRow), next_cursor: r.next_cursor };
      },
    );

    app.get(
      '/products/:id',
      {
        config: publicReads,
        schema: {
          tags: ['catalog'],
          summary: 'A verified product with its variants and stock state',
          params: idParam,
          response: { 200: productDetailSchema, ...notModifiedResponse, ...problems(400, 404) },
        },
        onSend: revalidated,
      },
      async (request) => {
        return toProductPage(await listing.productPage(request.params.id), deps.lowStockThreshold);
      },
    );

    app.get(
      '/products/:id/images/:mediaId',
      {
        config: publicReads,
        schema: {
          tags: ['catalog'],
          summary: 'A verified image of a verified product',
          params: z.strictObject({ id: z.uuid(), mediaId: z.uuid() }),
          produces: ['image/jpeg', 'image/png', 'image/webp'],
          response: { 200: z.any().describe('The image bytes'), ...problems(400, 404) },
        },
      },
      async (request, reply) => {
        const r = await listing.image(request.params.id, request.params.mediaId);
        return reply
          .type(r.media.contentType)
          .header('x-content-type-options', 'nosniff')
          .header('cache-control', 'public, max-age=3600')
          .send(r.bytes);
      },
    );

    app.get(
      '/categories',
      {
        config: publicReads,
        schema: {
          tags: ['catalog'],
          summary: 'The category tree, flattened in tree order',
          response: { 200: z.object({ items: z.array(categorySchema) }), ...notModifiedResponse },
        },
        onSend: revalidated,
      },
      async () => ({ items: (await taxonomy.listCategories()).map(toCategory) }),
    );

    app.get(
      '/brands',
      {
        config: publicReads,
        schema: {
          tags: ['catalog'],
          summary: 'Verified brands',
          response: { 200: z.object({ items: z.array(brandSchema) }), ...notModifiedResponse },
        },
        onSend: revalidated,
      },
      async () => ({ items: (await taxonomy.listBrands('verified')).map(toBrand) }),
    );
  };
}
