import { randomUUID } from 'node:crypto';
import { and, eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import type { Actor } from '../../../test/support/fixtures.js';
import { ManualClock } from '../../shared/clock.js';
import { CHECK_EVERY_MS } from './provider-watch.js';
import { notificationMessages as m } from './schema.js';

// Operations hear of a mobile-money provider failing: its recorded calls (payment_provider_calls) of
// the last PAYMENT_PROVIDER_ALERT_WINDOW_MINUTES, at least PAYMENT_PROVIDER_ALERT_MIN_CALLS of them,
// failed PAYMENT_PROVIDER_ALERT_PERCENT or more → every admin in-app and by SMS, once per window.

let t: TestApp;
let admin: Actor;
const PROVIDER = 'daraja';

beforeAll(async () => {
  t = await createTestApp(
    {
      NOTIFY_QUIET_HOURS: 'off',
      PAYMENT_PROVIDER_ALERT_PERCENT: '50',
      PAYMENT_PROVIDER_ALERT_MIN_CALLS: '4',
      PAYMENT_PROVIDER_ALERT_WINDOW_MINUTES: '15',
    },
    // 09:00 UTC: a window boundary (spans of 15 minutes), so the test's minutes stay in one span.
    { clock: new ManualClock('2026-11-25T09:00:00Z') },
  );
  admin = await t.loginAdmin('+255754340001');
  await t.app.services.jobs.drain();
});
afterAll(() => t.close());

const watch = () => t.app.services.notifications.paymentProviderWatch;
/** Calls recorded now: `ok` answered, `failed` with no answer or a 5xx (alternately). Written as
 * payments records them (its table, by SQL: its schema is its own module's). */
async function calls(ok: number, failed: number) {
  const rows = [
    ...Array.from({ length: ok }, (_, i) => ({ i, bad: false })),
    ...Array.from({ length: failed }, (_, i) => ({ i, bad: true })),
  ];
  for (const { i, bad } of rows) {
    const status = bad ? (i % 2 ? null : 503) : 200;
    const error = bad && i % 2 ? 'timeout' : null;
    await t.handle.db.execute(sql`
      insert into payment_provider_calls
        (id, provider, operation, method, url, reference, response_status, error, duration_ms, created_at)
      values (${randomUUID()}, ${PROVIDER}, 'stk_push', 'POST', 'https://provider.test/stk', ${`ref-${i}`},
        ${status}, ${error}, 10, ${t.clock.now().toISOString()})`);
  }
}
const alerts = () =>
  t.handle.db
    .select()
    .from(m)
    .where(
      and(eq(m.templateKey, 'ops.provider_failing'), like(m.eventId, `payment-provider-rate:${PROVIDER}:%`)),
    );
const alertSms = () =>
  t.sms.sent.filter(
    (s) =>
      s.message.includes(`Provider ${PROVIDER} is failing`) ||
      s.message.includes(`huduma ${PROVIDER} anashindwa`),
  );

describe('payment provider failure rate', () => {
  it('says nothing below the minimum number of calls, however many of them failed', async () => {
    await calls(0, 3);
    expect(await watch().check(PROVIDER)).toBe(false);
    expect(await alerts()).toEqual([]);
  });

  it('says nothing below the threshold', async () => {
    await calls(4, 0); // 3 failed of 7: 43 % < 50 %
    expect(await watch().check(PROVIDER)).toBe(false);
    await watch().callRecorded({ provider: PROVIDER, failed: true });
    expect(await alerts()).toEqual([]);
  });

  it('alerts every admin once, in-app and by SMS, when the window crosses; more failures and replays add nothing', async () => {
    t.clock.advanceSeconds(CHECK_EVERY_MS / 1000);
    await calls(0, 2); // 5 failed of 9: 56 %
    await watch().callRecorded({ provider: PROVIDER, failed: true });
    await t.app.services.jobs.drain();
    const rows = await alerts();
    expect(rows.map((r) => `${r.recipientId === admin.userId}:${r.channel}`).sort()).toEqual([
      'true:in_app',
      'true:sms',
    ]);
    expect(rows[0]!.body).toContain('55.6%'); // 5 of 9
    expect(alertSms()).toHaveLength(1);

    // The outage goes on inside the same window: more failures, checks from another process, a replay.
    t.clock.advanceSeconds(CHECK_EVERY_MS / 1000);
    await calls(0, 5);
    await watch().callRecorded({ provider: PROVIDER, failed: true });
    expect(await watch().check(PROVIDER)).toBe(true);
    await t.handle.db.execute(
      `update jobs set status = 'pending', run_at = '${t.clock.now().toISOString()}', attempts = 0 where kind = 'notifications.send'`,
    );
    await t.app.services.jobs.drain();
    expect(await alerts()).toHaveLength(2);
    expect(alertSms()).toHaveLength(1);
  });

  it('an answered call never triggers a count, and a still failing provider alerts again in the next window', async () => {
    t.clock.advanceSeconds(15 * 60);
    await calls(0, 4);
    await watch().callRecorded({ provider: PROVIDER, failed: false });
    expect(await alerts()).toHaveLength(2);
    await watch().callRecorded({ provider: PROVIDER, failed: true });
    await t.app.services.jobs.drain();
    expect(await alerts()).toHaveLength(4);
    expect(alertSms()).toHaveLength(2);
  });
});
