// The notifications module's public face: other modules import only from here.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { JobHandlers, MessageHandlers } from '../jobs/index.js';
import { createNotificationAdmin } from './admin.js';
import { type ConsumedMessages, consumerHandlers } from './consumers.js';
import { createDispatcher } from './dispatch.js';
import type { NotificationJobQueue, NotificationJobs } from './jobs.js';
import { createPaymentProviderWatch, type PaymentProviderAlertRule } from './payment-provider-watch.js';
import type { PeoplePort } from './ports.js';
import { createProviderWatch } from './provider-watch.js';
import {
  adminNotificationRoutes,
  type NotificationRouteDeps,
  notificationCallbackRoutes,
  notificationRoutes,
} from './routes.js';
import { createNotificationService, type NotificationSettings } from './service.js';
import type { SmsSender } from './sms.js';
import type { WhatsAppSender } from './whatsapp.js';

export type { NotificationAdmin } from './admin.js';
export { type AfricasTalkingConfig, createAfricasTalkingSms } from './africastalking-sms.js';
export { CATALOGUE, TEMPLATE_KEYS, type TemplateKey } from './catalogue.js';
export { createConsoleSms } from './console-sms.js';
export { type NotificationEvent, type NotificationEventType, notificationEventSchema } from './events.js';
export { type NotificationJobs, notificationJobs } from './jobs.js';
export { languageOfSql } from './language-sql.js';
export type { PaymentProviderAlertRule, PaymentProviderWatch } from './payment-provider-watch.js';
export type { PeoplePort } from './ports.js';
export { whatsappSignature } from './routes.js';
export { maskPhone, parseQuietHours } from './rules.js';
export { CHANNELS, LANGUAGES, type Language, MESSAGE_STATUSES } from './schema.js';
export type { NotificationSettings } from './service.js';
export { ChannelError, SmsError, type SmsReceipt, type SmsSender } from './sms.js';
export { type SmsEnv, smsFromEnv } from './sms-choice.js';
export {
  createConsoleWhatsApp,
  createWhatsAppCloud,
  type WhatsAppCloudConfig,
  type WhatsAppSender,
} from './whatsapp.js';

export function createNotificationsModule(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  /** the notifications module's own job kinds only (jobs.ts) */
  jobs: NotificationJobQueue;
  sms: SmsSender;
  /** null: WhatsApp is off and everyone gets SMS */
  whatsapp: WhatsAppSender | null;
  settings: NotificationSettings;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  callbacks: NotificationRouteDeps['callbacks'];
  /** identity's narrow reads of people (contactsOf, activeAdminIds, userIdByPhone, firstNameOf) */
  people: PeoplePort;
  /** payments' count of a mobile-money provider's failed and total calls since a time */
  paymentOutcomes: (
    db: Database,
    provider: string,
    since: Date,
  ) => Promise<{ failed: number; total: number }>;
  /** null: mobile-money providers are not watched */
  paymentProviderAlert: PaymentProviderAlertRule | null;
}) {
  const service = createNotificationService(deps);
  const watch = createProviderWatch({
    db: deps.db,
    clock: deps.clock,
    rule: deps.settings.providerAlert,
    providerName: (channel) => (channel === 'sms' ? deps.sms.name : (deps.whatsapp?.name ?? 'whatsapp')),
    notify: service.notify,
    log: deps.log,
  });
  const dispatcher = createDispatcher({ ...deps, watch });
  const paymentProviderWatch = createPaymentProviderWatch({
    db: deps.db,
    clock: deps.clock,
    rule: deps.paymentProviderAlert,
    outcomes: deps.paymentOutcomes,
    notify: service.notify,
    log: deps.log,
  });
  const routeDeps = {
    service,
    dispatcher,
    admin: createNotificationAdmin(deps.db),
    callbacks: deps.callbacks,
  };
  return {
    /** under /api/v1: the caller's feed and preferences */
    routes: notificationRoutes(routeDeps),
    /** under /api/v1/admin: search and the delivery report */
    adminRoutes: adminNotificationRoutes(routeDeps),
    /** operators' reads (message search, delivery report), for the admin console */
    admin: routeDeps.admin,
    /** under /api/v1: provider delivery reports and webhooks */
    callbackRoutes: notificationCallbackRoutes(routeDeps),
    /** `notify(tx, event)` for producers, plus language and preferences (USSD sets the language too). */
    service,
    dispatcher,
    /** operations' watch over the mobile-money providers' failure rate: payments reports each call */
    paymentProviderWatch,
    /** its own sends and failover checks, and the other modules' messages people must hear of */
    jobHandlers: {
      ...dispatcher.jobHandlers,
      ...consumerHandlers({
        db: deps.db,
        notify: service.notify,
        people: deps.people,
        refundPromiseHours: deps.settings.refundPromiseHours,
      }),
    } satisfies JobHandlers<NotificationJobs> & MessageHandlers<ConsumedMessages>,
  };
}

export type NotificationsModule = ReturnType<typeof createNotificationsModule>;
