// The notifications module wired from the config: its WhatsApp adapter, settings and callbacks,
// over identity's narrow reads of people. Kept beside the composition root so that file stays short.
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import { activeAdminIds, contactsOf, firstNameOf, userIdByPhone } from '../modules/identity/index.js';
import type { JobService } from '../modules/jobs/index.js';
import {
  createConsoleWhatsApp,
  createNotificationsModule,
  createWhatsAppCloud,
  notificationJobs,
  parseQuietHours,
  type SmsSender,
  type WhatsAppSender,
} from '../modules/notifications/index.js';
import { providerCallOutcomes } from '../modules/payments/index.js';
import type { Clock } from '../shared/clock.js';
import type { IdGenerator } from '../shared/ids.js';

type Log = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };

function whatsappFromConfig(config: Config, log: Log): WhatsAppSender | null {
  if (config.WHATSAPP_PROVIDER === 'console') return createConsoleWhatsApp(log);
  if (config.WHATSAPP_PROVIDER !== 'whatsapp_cloud') return null;
  return createWhatsAppCloud({
    baseUrl: config.WHATSAPP_BASE_URL,
    apiVersion: config.WHATSAPP_API_VERSION,
    phoneNumberId: config.WHATSAPP_PHONE_NUMBER_ID!,
    accessToken: config.WHATSAPP_ACCESS_TOKEN!,
    timeoutMs: config.WHATSAPP_TIMEOUT_MS,
    templateLanguage: { en: config.WHATSAPP_TEMPLATE_LANG_EN, sw: config.WHATSAPP_TEMPLATE_LANG_SW },
  });
}

/** Producers call `notifications.service.notify(tx, event)`; the composition registers its job handlers. */
export function wireNotifications(deps: {
  db: Database;
  config: Config;
  clock: Clock;
  ids: IdGenerator;
  jobs: JobService;
  sms: SmsSender;
  /** null: off; undefined: chosen from config */
  whatsapp: WhatsAppSender | null | undefined;
  log: Log;
}) {
  const { config } = deps;
  const whatsapp = deps.whatsapp !== undefined ? deps.whatsapp : whatsappFromConfig(config, deps.log);
  const notifications = createNotificationsModule({
    people: { contactsOf, activeAdminIds, userIdByPhone, firstNameOf },
    db: deps.db,
    clock: deps.clock,
    ids: deps.ids,
    jobs: deps.jobs.queue(notificationJobs),
    sms: deps.sms,
    whatsapp,
    log: deps.log,
    settings: {
      whatsappOn: whatsapp !== null,
      failoverSeconds: config.NOTIFY_FAILOVER_SECONDS,
      quietHours: parseQuietHours(config.NOTIFY_QUIET_HOURS),
      maxAttempts: config.NOTIFY_MAX_ATTEMPTS,
      refundPromiseHours: config.REFUND_PROMISE_HOURS,
      providerAlert: {
        percent: config.NOTIFY_PROVIDER_ALERT_PERCENT,
        windowMinutes: config.NOTIFY_PROVIDER_ALERT_WINDOW_MINUTES,
        minMessages: config.NOTIFY_PROVIDER_ALERT_MIN_MESSAGES,
      },
    },
    paymentOutcomes: providerCallOutcomes,
    paymentProviderAlert: {
      percent: config.PAYMENT_PROVIDER_ALERT_PERCENT,
      windowMinutes: config.PAYMENT_PROVIDER_ALERT_WINDOW_MINUTES,
      minCalls: config.PAYMENT_PROVIDER_ALERT_MIN_CALLS,
    },
    callbacks: {
      smsToken: config.NOTIFY_CALLBACK_TOKEN,
      allowedIps: config.NOTIFY_CALLBACK_ALLOWED_IPS,
      perMinute: config.NOTIFY_CALLBACKS_PER_MINUTE,
      whatsappAppSecret: config.WHATSAPP_APP_SECRET ?? null,
      whatsappVerifyToken: config.WHATSAPP_VERIFY_TOKEN ?? null,
    },
  });
  return notifications;
}
