// What the promotions use cases are built from: shared infrastructure, the loyalty rules
// (settings, passed by the caller) and two ports onto identity and the catalog.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { AuditService } from '../audit/index.js';

export interface LoyaltyRules {
  /** minor units a redeemed point is worth */
  pointValue: number;
  /** most of a cart (after promotions and code) payable in points, basis points */
  maxShareBp: number;
  /** minor units of completed spending that earn one point */
  earnPerPoint: number;
  /** the currency points are valued in */
  currency: string;
}

export interface PromotionsDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  loyalty: LoyaltyRules;
  /** throws 404 for an unknown user */
  requireUser: (userId: string) => Promise<unknown>;
  /** whether a promotion's scope target exists in the catalog */
  scopeExists: (type: 'category' | 'brand' | 'product' | 'sku', id: string) => Promise<boolean>;
}
