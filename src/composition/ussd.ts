// The USSD module (feature phones) wired: it reaches orders, identity, the language and SMS only
// through its ports. Kept beside the composition root so that file stays short.
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { IdentityModule } from '../modules/identity/index.js';
import type { JobService } from '../modules/jobs/index.js';
import type { NotificationsModule } from '../modules/notifications/index.js';
import { buyerOrderSummaries, type OrdersModule } from '../modules/orders/index.js';
import { createUssdModule, type UssdOrdersPort, UssdRefused, ussdJobs } from '../modules/ussd/index.js';
import type { Clock } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';

export function wireUssd(deps: {
  db: Database;
  config: Config;
  clock: Clock;
  log: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
  };
  orders: OrdersModule;
  identity: IdentityModule;
  notifications: NotificationsModule;
  jobs: Pick<JobService, 'queue'>;
}) {
  const { orders, config, notifications, log } = deps;
  const ussdBuyer = (userId: string) => ({ userId, role: 'buyer' as const });
  /** The order module's refusal, with the order's status now, as the USSD port reports it. */
  const refusedAs = async (err: unknown, orderId: string, userId: string): Promise<never> => {
    if (!(err instanceof AppError) || err.status >= 500) throw err;
    const now = await orders.service.view(orderId, ussdBuyer(userId)).catch(() => null);
    throw new UssdRefused(err.code, now?.order.status);
  };
  const ussdOrders: UssdOrdersPort = {
    ...buyerOrderSummaries(orders.service),
    confirmReceipt: (orderId, actor, within) =>
      orders.service.act(orderId, 'confirm_receipt', actor, undefined, within).then(
        () => undefined,
        (err) => refusedAs(err, orderId, actor.userId),
      ),
    openDispute: (orderId, actor, input, within) =>
      orders.service
        .openDispute(
          orderId,
          actor.userId,
          { reason: input.reason, description: input.statement, evidence_media_ids: [] },
          within,
        )
        .then(
          () => undefined,
          (err) => refusedAs(err, orderId, actor.userId),
        ),
  };
  const queue = deps.jobs.queue(ussdJobs);
  return createUssdModule({
    db: deps.db,
    clock: deps.clock,
    log,
    orders: ussdOrders,
    users: { findActiveBuyerByPhone: deps.identity.findActiveBuyerByPhone },
    // The language the user chose, shared with every channel: the notifications module keeps it.
    language: {
      getLanguage: (userId) => notifications.service.getLanguage(userId),
      setLanguage: (userId, language) => notifications.service.setLanguage(userId, language),
    },
    // Receipts: a typed message notifications turns into the buyer's SMS (the screen never waits on it).
    receipts: queue,
    jobs: queue,
    settings: {
      recentOrders: 4,
      requestsPerMinute: config.USSD_REQUESTS_PER_MINUTE,
      retentionDays: config.USSD_RETENTION_DAYS,
      callbackToken: config.USSD_CALLBACK_TOKEN,
      allowedIps: config.USSD_ALLOWED_IPS,
      bodyLimit: 4096,
    },
  });
}
