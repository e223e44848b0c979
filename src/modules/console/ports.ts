// What the console needs from the other modules: the same services the admin API calls (so every
// rule and audit row is theirs), named by type only. Wired in src/composition/console.ts.

import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { AnalyticsModule } from '../analytics/index.js';
import type { AuditService } from '../audit/index.js';
import type { CatalogModule } from '../catalog/index.js';
import type { IdentityModule } from '../identity/index.js';
import type { LedgerService } from '../ledger/index.js';
import type { MediaService } from '../media/index.js';
import type { NotificationAdmin } from '../notifications/index.js';
import type { OrdersModule, searchOrders } from '../orders/index.js';
import type { PaymentsService } from '../payments/index.js';
import type { PromotionsService } from '../promotions/index.js';
import type { ReferralsService } from '../referrals/index.js';
import type { RidersModuleService } from '../riders/index.js';
import type { ZonesService } from '../zones/index.js';
import type { ConsoleApprovals } from './approvals-service.js';
import type { FourEyes } from './four-eyes.js';
import type { ConsoleSessionSettings } from './sessions.js';

/** One "needs attention" queue on the home page: how many, and since when the oldest waits. */
export interface AttentionQueue {
  key: string;
  label: string;
  /** The screen where it is worked (null until that screen exists). */
  href: string | null;
  count: number;
  oldest: Date | null;
  /** Optional second figure, e.g. disputes near their deadline. */
  note?: string;
}

export interface ConsoleDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  identity: Pick<IdentityModule, 'auth' | 'kyc' | 'governance'>;
  media: Pick<MediaService, 'getReadable' | 'content'>;
  catalog: Pick<CatalogModule, 'products' | 'taxonomy'>;
  promotions: PromotionsService;
  orders: Pick<OrdersModule, 'service'>;
  payments: PaymentsService;
  riders: Pick<
    RidersModuleService,
    | 'list'
    | 'verify'
    | 'reject'
    | 'adminAssign'
    | 'awaitingPickupOrderIds'
    | 'profileOf'
    | 'jobsInHand'
    | 'scorecard'
  >;
  /** The referrals module's admin use cases: the held queue, decisions, clawback, campaign, report. */
  referrals: Pick<
    ReferralsService,
    'listByState' | 'report' | 'getCampaign' | 'updateCampaign' | 'approve' | 'reject' | 'clawBack'
  >;
  approvals: ConsoleApprovals;
  /** every money command, gated by four eyes (the admin API passes the same gate) */
  fourEyes: FourEyes;
  /** list for the screens; record for the console's own reads that import data (statement.reconciled) */
  audit: Pick<AuditService, 'list' | 'record'>;
  ledger: Pick<LedgerService, 'transfersOf' | 'accountTransfers' | 'balance' | 'movementsOf'>;
  /** The orders module's admin search (a read). */
  searchOrders: (q: Parameters<typeof searchOrders>[1]) => ReturnType<typeof searchOrders>;
  /** zones (with their cells, for the map), fees and service hours for the Logistics screen, and their changes */
  zones: Pick<
    ZonesService,
    | 'listZones'
    | 'getZone'
    | 'feeTable'
    | 'serviceHours'
    | 'createZone'
    | 'updateZone'
    | 'replaceFees'
    | 'replaceServiceHours'
  >;
  /** The notifications module's admin search (the messages sent about an order). */
  messages: Pick<NotificationAdmin, 'search' | 'report'>;
  /** Every queue of the home page, read by the modules that own them. */
  attention: () => Promise<AttentionQueue[]>;
  /**
   * The analytics module: the page's figures and charts, and its service for drill-downs, CSV and
   * a promotion's own contribution.
   */
  analytics: Pick<AnalyticsModule, 'page' | 'service'>;
  settings: ConsoleSessionSettings & {
    production: boolean;
    otpIpMaxPerHour: number;
    fourEyesAboveMinor: number;
  };
}
