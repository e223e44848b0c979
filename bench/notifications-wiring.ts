import { JOB_DEFINITIONS } from '../src/composition/jobs.js';
import type { Database } from '../src/db/client.js';
import { activeAdminIds, contactsOf, firstNameOf, userIdByPhone } from '../src/modules/identity/index.js';
import { createJobService } from '../src/modules/jobs/index.js';
import {
  createAfricasTalkingSms,
  createNotificationsModule,
  createWhatsAppCloud,
  notificationJobs,
} from '../src/modules/notifications/index.js';
import { systemClock } from '../src/shared/clock.js';
import { randomIds } from '../src/shared/ids.js';

// What the notifications bench builds in each process: the jobs service and the notifications
// module through its index.ts, with the real AT and WhatsApp Cloud adapters pointed at the fakes.
// Nothing else of the app: the bench measures notify → send job → provider call, not the app.

/** Shared by the parent and its workers (the fakes check them). */
export const BENCH_PROVIDERS = {
  atUsername: 'kkoo-bench',
  atApiKey: 'bench-at-key',
  waToken: 'bench-wa-token',
  waSecret: 'bench-wa-secret',
  waPhoneNumberId: '100200300',
} as const;

const quiet = { info() {}, warn() {}, error() {} };

export function buildNotifications(db: Database, providers: { atBaseUrl: string; waBaseUrl: string }) {
  const jobs = createJobService({ db, clock: systemClock, ids: randomIds, log: quiet });
  const notifications = createNotificationsModule({
    db,
    clock: systemClock,
    ids: randomIds,
    jobs: jobs.queue(notificationJobs),
    sms: createAfricasTalkingSms({
      baseUrl: providers.atBaseUrl,
      username: BENCH_PROVIDERS.atUsername,
      apiKey: BENCH_PROVIDERS.atApiKey,
      timeoutMs: 10_000,
    }),
    whatsapp: createWhatsAppCloud({
      baseUrl: providers.waBaseUrl,
      apiVersion: 'v21.0',
      phoneNumberId: BENCH_PROVIDERS.waPhoneNumberId,
      accessToken: BENCH_PROVIDERS.waToken,
      timeoutMs: 10_000,
      templateLanguage: { en: 'en_US', sw: 'sw' },
    }),
    // Failover and quiet hours off: every message is due at once, so latency is the pipeline's own.
    settings: {
      whatsappOn: true,
      failoverSeconds: 3600,
      quietHours: null,
      maxAttempts: 5,
      refundPromiseHours: 24,
      // the defaults: the fakes never fail, so the check never runs
      providerAlert: { percent: 20, windowMinutes: 15, minMessages: 20 },
    },
    // no mobile-money calls in this bench
    paymentOutcomes: async () => ({ failed: 0, total: 0 }),
    paymentProviderAlert: null,
    log: quiet,
    callbacks: {
      smsToken: 'bench-callbacks-unused',
      allowedIps: null,
      perMinute: 600,
      whatsappAppSecret: BENCH_PROVIDERS.waSecret,
      whatsappVerifyToken: null,
    },
    people: { contactsOf, activeAdminIds, userIdByPhone, firstNameOf },
  });
  jobs.register(JOB_DEFINITIONS, notifications.jobHandlers);
  return { jobs, notifications };
}
