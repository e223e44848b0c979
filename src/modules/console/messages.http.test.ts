import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { type ConsoleSession, consoleSignIn, rowsOf } from '../../../test/support/console.js';
import { nextPhone } from '../../../test/support/fixtures.js';
import { toDarTime } from '../../shared/time.js';

// Messages: the notifications module's admin search (by recipient phone, order, status, channel: the
// title, never the body; the phone masked) and its per-channel, per-day delivery report.

const EVIL = '<script>alert(1)</script>"onmouseover=alert(2) x="';
let t: TestApp;
let admin: ConsoleSession;
let buyer: { userId: string; phone: string };
const orderId = randomUUID();

beforeAll(async () => {
  t = await createTestApp({ CONSOLE_IDLE_MINUTES: '1440', CONSOLE_ABSOLUTE_HOURS: '168' });
  await t.app.services.identity.governance.createAdmin('+255754960001');
  admin = await consoleSignIn(t, '+255754960001');
  const phone = nextPhone();
  buyer = { userId: (await t.login(phone)).userId, phone };
  await t.handle.db.transaction((tx) =>
    t.app.services.notifications.service.notify(tx, {
      type: 'order.ready',
      id: randomUUID(),
      order_id: orderId,
      buyer_id: buyer.userId,
    }),
  );
  await t.app.services.jobs.drain();
});
afterAll(() => t.close());

const messagesOf = (where: ReturnType<typeof sql>) =>
  rowsOf<{ id: string; body: string; status: string; channel: string }>(
    t,
    sql`select id, body, status, channel from notification_messages where ${where}`,
  );
const shown = (body: string) => [...body.matchAll(/data-message="([0-9a-f-]{36})"/g)].map((m) => m[1]).sort();

describe('the message search', () => {
  it('finds a recipient’s messages by phone and an order’s by id, without their bodies', async () => {
    const mine = await messagesOf(sql`recipient_id = ${buyer.userId}`);
    expect(mine.length).toBeGreaterThan(0);
    const byPhone = await admin.get(`/admin/messages?phone=${encodeURIComponent(buyer.phone)}`);
    expect(byPhone.statusCode).toBe(200);
    expect(shown(byPhone.body)).toEqual(mine.map((m) => m.id).sort());
    for (const m of mine) if (m.body.length > 10) expect(byPhone.body).not.toContain(m.body);
    const byOrder = await admin.get(`/admin/messages?order=${orderId}`);
    expect(shown(byOrder.body)).toEqual(
      (await messagesOf(sql`order_id = ${orderId}`)).map((m) => m.id).sort(),
    );
    const channel = mine[0]!.channel;
    const filtered = await admin.get(
      `/admin/messages?order=${orderId}&channel=${channel}&status=${mine[0]!.status}`,
    );
    expect(shown(filtered.body)).toEqual(
      (await messagesOf(sql`order_id = ${orderId} and channel = ${channel} and status = ${mine[0]!.status}`))
        .map((m) => m.id)
        .sort(),
    );
  });

  it('shows an error text inert, says when no user has the phone, and refuses a bad order id (422)', async () => {
    const [m] = await messagesOf(sql`recipient_id = ${buyer.userId}`);
    await rowsOf(t, sql`update notification_messages set last_error = ${EVIL} where id = ${m!.id}`);
    const res = await admin.get(`/admin/messages?order=${orderId}`);
    expect(res.body).not.toContain('<script>alert(1)');
    expect(res.body).not.toMatch(/"onmouseover=/);
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover&#61;alert(2)');
    const nobody = await admin.get(`/admin/messages?phone=${encodeURIComponent(nextPhone())}`);
    expect(nobody.statusCode).toBe(200);
    expect(nobody.body).toContain('No user has this phone.');
    expect(shown(nobody.body)).toEqual([]);
    expect((await admin.get('/admin/messages?order=%3Cscript%3E')).statusCode).toBe(422);
    expect((await admin.get('/admin/messages?cursor=garbage')).statusCode).toBe(400);
  });
});

describe('the delivery report', () => {
  it('shows the notifications module’s report for the days asked', async () => {
    const today = toDarTime(t.clock.now()).slice(0, 10);
    const res = await admin.get(`/admin/messages/report?from=${today}&to=${today}`);
    expect(res.statusCode).toBe(200);
    const from = new Date(`${today}T00:00:00+03:00`);
    const expected = await t.app.services.notifications.admin.report({
      from,
      to: new Date(from.getTime() + 86_400_000),
    });
    expect(expected.length).toBeGreaterThan(0);
    for (const r of expected) {
      const row = new RegExp(`<tr data-report="${r.day}.${r.channel}">(.*?)</tr>`, 's').exec(res.body)![1]!;
      const cells = [...row.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((c) => c[1]);
      expect(cells.slice(2, 5)).toEqual([String(r.sent), String(r.delivered), String(r.failed)]);
    }
    // The default range is the last seven days, today included.
    expect((await admin.get('/admin/messages/report')).body).toContain(`value="${today}"`);
  });

  it('refuses a range that is not dates, backwards, or longer than 92 days (400), never a 500', async () => {
    for (const q of [
      'from=2026-13-01&to=2026-12-01',
      'from=yesterday&to=2026-12-01',
      'to=%3Cb%3E',
      'from=2026-12-05&to=2026-12-01',
      'from=2026-01-01&to=2026-12-01',
    ]) {
      const res = await admin.get(`/admin/messages/report?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.headers['content-type']).toMatch(/text\/html/);
    }
  });
});
