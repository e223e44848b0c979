import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { ManualClock } from '../../shared/clock.js';
import type { PaymentProvider, ProviderCallRecorder } from '../payments/index.js';
import { CHECK_EVERY_MS } from './provider-watch.js';
import { notificationMessages as m } from './schema.js';

// The composed path, not the watch alone: a call the payments module records (through the recorder
// it hands its real adapter) reaches operations' failure-rate watch. Without the composition's
// onProviderCall wiring no admin would ever hear of a failing mobile-money provider.

let t: TestApp;
let record: ProviderCallRecorder | null = null;

beforeAll(async () => {
  t = await createTestApp(
    {
      NOTIFY_QUIET_HOURS: 'off',
      PAYMENT_PROVIDER: 'daraja',
      // Required by the config check; the adapter is the stand-in below, which only hands out the recorder.
      DARAJA_CONSUMER_KEY: 'x',
      DARAJA_CONSUMER_SECRET: 'x',
      DARAJA_SHORTCODE: '174379',
      DARAJA_PASSKEY: 'x',
      DARAJA_INITIATOR_NAME: 'x',
      DARAJA_INITIATOR_PASSWORD: 'x',
      DARAJA_CERT_PATH: '/dev/null',
      PAYMENT_PROVIDER_ALERT_PERCENT: '50',
      PAYMENT_PROVIDER_ALERT_MIN_CALLS: '3',
      PAYMENT_PROVIDER_ALERT_WINDOW_MINUTES: '15',
    },
    {
      clock: new ManualClock('2026-11-25T09:00:00Z'),
      paymentProvider: (recorder) => {
        record = recorder;
        return { name: 'daraja', currency: 'TZS' } as PaymentProvider;
      },
    },
  );
  await t.loginAdmin('+255754340101');
  await t.app.services.jobs.drain();
});
afterAll(() => t.close());

const failedCall = (i: number) => ({
  provider: 'daraja' as const,
  operation: 'stk_push',
  method: 'POST',
  url: 'https://provider.test/stk',
  requestBody: {},
  responseStatus: 503,
  responseBody: null,
  error: null,
  durationMs: 12,
  reference: `wiring-${i}`,
});

describe('payments → operations alert wiring', () => {
  it('failed calls recorded by the payments module alert every admin once', async () => {
    expect(record).not.toBeNull();
    // The first failure counts too few calls; the watch counts again at most every CHECK_EVERY_MS.
    for (let i = 0; i < 3; i++) await record!(failedCall(i));
    (t.clock as ManualClock).advanceSeconds(CHECK_EVERY_MS / 1000);
    await record!(failedCall(3));
    await t.app.services.jobs.drain();
    const alerts = await t.handle.db
      .select({ channel: m.channel })
      .from(m)
      .where(
        and(
          eq(m.templateKey, 'ops.provider_failing'),
          eq(m.channel, 'in_app'),
          like(m.eventId, 'payment-provider-rate:daraja:%'),
        ),
      );
    expect(alerts).toHaveLength(1);
  });
});
