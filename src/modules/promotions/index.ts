// The promotions module's public face: admin incentives, burn tracking, loyalty, and the one pricing engine.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { AuditService } from '../audit/index.js';
import { adminPromotionRoutes, promotionRoutes } from './routes.js';

export { promotionInputSchemas } from './routes.js';

import { createPromotionsService, type LoyaltyRules } from './service.js';

export { splitBudget } from './budget-slices.js';
// The pricing engine, named one by one (no `export *`: what other modules may use is chosen here).
export {
  allocate,
  type CodeRule,
  type DiscountValue,
  type LoyaltyInput,
  type NotApplied,
  type NotAppliedReason,
  type PricedCart,
  type PricedLine,
  PricingError,
  type PricingInput,
  type PricingLine,
  type PromotionRule,
  type PromotionScope,
  percentOf,
  percentOfFloor,
  priceCart,
  roundUpTo,
  type Totals,
} from './pricing.js';
export { type LoyaltyRules, NoFreeBudgetSlice, normalizeCode, type PromotionsService } from './service.js';

export function createPromotionsModule(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  loyalty: LoyaltyRules;
  requireUser: (userId: string) => Promise<unknown>;
  scopeExists: (type: 'category' | 'brand' | 'product' | 'sku', id: string) => Promise<boolean>;
}) {
  const service = createPromotionsService(deps);
  return {
    service,
    routes: promotionRoutes({ promotions: service }),
    adminRoutes: adminPromotionRoutes({ promotions: service }),
  };
}

export type PromotionsModule = ReturnType<typeof createPromotionsModule>;
