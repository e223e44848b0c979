// The admin console wired: the same module services the admin API uses, the home page's queues
// read by the modules that own them, and the console's settings from config.

import type { Services } from '../composition.js';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import { createAuditService } from '../modules/audit/index.js';
import { reviewAttention } from '../modules/catalog/index.js';
import {
  type AttentionQueue,
  adminApprovalRoutes,
  consoleRoutes,
  createConsoleApprovals,
  createFourEyes,
} from '../modules/console/index.js';
import { kycAttention } from '../modules/identity/index.js';
import { ordersAttention, searchOrders } from '../modules/orders/index.js';
import { moneyAttention } from '../modules/payments/index.js';
import { ridersAttention } from '../modules/riders/index.js';
import type { Clock } from '../shared/clock.js';
import type { IdGenerator } from '../shared/ids.js';
import { HOUR, MINUTE } from '../shared/time.js';

/** Queue thresholds of the home page: a dispute this old is overdue (a payout is stuck after PAYOUT_STUCK_MINUTES, the alert's setting). */
const DISPUTE_OVERDUE_AFTER = 48 * HOUR;
const ACCEPT_DEADLINE_WITHIN = 15 * MINUTE;

export function wireConsole(deps: {
  db: Database;
  config: Config;
  clock: Clock;
  ids: IdGenerator;
  services: Services;
}) {
  const { db, config, clock, ids, services } = deps;
  const audit = createAuditService({ db, clock, ids });

  async function attention(): Promise<AttentionQueue[]> {
    const now = clock.now();
    // Taken by a rider but not collected yet: not waiting for a rider (orders.rider_id is set at pickup).
    const heldByRider = await services.riders.service.awaitingPickupOrderIds();
    const [kyc, review, ord, money, riders] = await Promise.all([
      kycAttention(db),
      reviewAttention(db),
      ordersAttention(db, now, {
        disputeAgeMs: DISPUTE_OVERDUE_AFTER,
        acceptWithinMs: ACCEPT_DEADLINE_WITHIN,
        heldByRider,
      }),
      moneyAttention(db, now, config.PAYOUT_STUCK_MINUTES * MINUTE),
      ridersAttention(db),
    ]);
    return [
      { key: 'kyc', label: 'KYC submissions', href: '/admin/kyc', ...kyc },
      { key: 'products', label: 'Products pending review', href: '/admin/catalog', ...review },
      {
        key: 'disputes',
        label: 'Disputes open',
        href: '/admin/disputes',
        count: ord.disputes.count,
        oldest: ord.disputes.oldest,
        note: `${ord.disputes.overdue} open over ${DISPUTE_OVERDUE_AFTER / HOUR} h`,
      },
      {
        key: 'refunds',
        label: 'Refunds failed after the last attempt',
        href: '/admin/money?kind=refund&status=failed',
        ...money.failedRefunds,
      },
      {
        key: 'payouts',
        label: 'Payouts stuck or failed',
        href: '/admin/money?kind=payout',
        ...money.stuckPayouts,
      },
      {
        key: 'dispatch',
        label: 'Orders waiting for a rider',
        href: '/admin/orders?status=ready_for_pickup',
        ...ord.dispatch,
        note: 'ready for pickup, no rider',
      },
      {
        key: 'accept',
        label: 'Sellers near their accept deadline',
        href: '/admin/orders?status=paid',
        ...ord.acceptSoon,
        note: `within ${ACCEPT_DEADLINE_WITHIN / MINUTE} min`,
      },
      { key: 'riders', label: 'Riders pending verification', href: '/admin/riders', ...riders },
    ];
  }

  const approvals = createConsoleApprovals({
    db,
    clock,
    ids,
    audit,
    payments: services.payments.service,
    orders: services.orders.service,
    ledger: services.ledger,
    fourEyesAboveMinor: config.FOUR_EYES_ABOVE_MINOR,
  });
  // One gate for both doors: the console's forms and the admin API's money commands.
  const fourEyes = createFourEyes({
    approvals,
    payments: services.payments.service,
    orders: services.orders.service,
  });
  services.fourEyes.bind(fourEyes);

  const pages = consoleRoutes({
    db,
    clock,
    ids,
    identity: services.identity,
    media: services.media,
    catalog: services.catalog,
    promotions: services.promotions.service,
    orders: services.orders,
    payments: services.payments.service,
    riders: services.riders.service,
    referrals: services.referrals.service,
    audit,
    ledger: services.ledger,
    searchOrders: (q) => searchOrders(db, q),
    messages: services.notifications.admin,
    zones: services.zones.service,
    approvals,
    fourEyes,
    attention,
    analytics: services.analytics,
    settings: {
      idleMinutes: config.CONSOLE_IDLE_MINUTES,
      absoluteHours: config.CONSOLE_ABSOLUTE_HOURS,
      secret: config.OTP_HASH_SECRET,
      production: config.NODE_ENV === 'production',
      otpIpMaxPerHour: config.OTP_IP_MAX_PER_HOUR,
      fourEyesAboveMinor: config.FOUR_EYES_ABOVE_MINOR,
    },
  });
  /** under /admin: the console's pages; under /api/v1/admin: the four-eyes queue for API callers */
  return { pages, adminApi: adminApprovalRoutes(approvals) };
}
