// The catalog module's public face: other modules import only from here.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { AuditService } from '../audit/index.js';
import { activeVerifiedSellerCondition } from '../identity/index.js';
import type { MediaService } from '../media/index.js';
import { createRecommendationFacts } from './for-recommendations.js';
import type { CatalogJobQueue } from './jobs.js';
import { createListingService } from './listing.js';
import { createProductService } from './products.js';
import { adminCatalogRoutes, catalogRoutes } from './routes.js';
import { createStockService } from './stock.js';
import { createTaxonomyService } from './taxonomy.js';

export { reviewAttention } from './attention.js';
export type { RecommendationFacts } from './for-recommendations.js';
export { type CatalogJobs, catalogJobs } from './jobs.js';
export type { SellableSku } from './listing.js';
export { CURRENCIES, type Currency } from './model.js';
export { stockState } from './rules.js';
export type { StockItem, StockService } from './stock.js';

export function createCatalogModule(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  media: MediaService;
  /** the catalog's own job kinds only (jobs.ts): a product decision reaches its seller */
  jobs: CatalogJobQueue;
  assertActiveVerifiedSeller: (userId: string, tx?: Database) => Promise<void>;
  lowStockThreshold: number;
  publicReadsPerMinute: number;
  cacheMaxAgeSeconds: number;
}) {
  const taxonomy = createTaxonomyService(deps);
  const products = createProductService({ ...deps, taxonomy });
  const listing = createListingService({ ...deps, sellerVisible: activeVerifiedSellerCondition });
  const routeDeps = {
    taxonomy,
    products,
    listing,
    lowStockThreshold: deps.lowStockThreshold,
    publicReadsPerMinute: deps.publicReadsPerMinute,
    cacheMaxAgeSeconds: deps.cacheMaxAgeSeconds,
  };
  return {
    stock: createStockService(),
    taxonomy,
    products,
    listing,
    /** For the cart and checkout: what each SKU costs now and whether it can be sold. */
    sellableSkus: listing.sellableSkus,
    /** Does a promotion scope target exist (category, brand, product or SKU)? */
    scopeExists: (type: 'category' | 'brand' | 'product' | 'sku', id: string) => listing.exists(type, id),
    /** For recommendations: whether products can be sold now, and the newest that can. */
    forRecommendations: createRecommendationFacts({ ...deps, sellerVisible: activeVerifiedSellerCondition }),
    routes: catalogRoutes(routeDeps),
    adminRoutes: adminCatalogRoutes(routeDeps),
  };
}

export type CatalogModule = ReturnType<typeof createCatalogModule>;
