import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeAfricasTalking, startFakeAfricasTalking } from '../../../test/fakes/africastalking.js';
import { type FakeWhatsApp, startFakeWhatsApp } from '../../../test/fakes/whatsapp.js';
import { createTestDatabase } from '../../../test/support/db.js';
import { nextPhone } from '../../../test/support/fixtures.js';
import { buildApp, loggerOptions } from '../../app.js';
import { loadConfig } from '../../config.js';
import type { DatabaseHandle } from '../../db/client.js';
import { ManualClock } from '../../shared/clock.js';
import { createLocalStorage } from '../media/index.js';
import { createAfricasTalkingSms } from './africastalking-sms.js';
import { notificationMessages as m } from './schema.js';
import { createWhatsAppCloud } from './whatsapp.js';

// The real adapters against local fakes of Africa's Talking and the WhatsApp Cloud API, the app
// listening on 127.0.0.1 so the fakes post delivery reports and signed webhooks to it.

const TOKEN = 'dlr0123456789abcdef0123456789abcdef';
const APP_SECRET = 'wa-app-secret-0123456789';
const VERIFY = 'wa-verify-token-0123456789';
const at = { username: 'kkoo', apiKey: 'atsk_test_key_123' };
const wa = { accessToken: 'EAAG-test-token', appSecret: APP_SECRET, phoneNumberId: '1234567890' };

let app: FastifyInstance;
let handle: DatabaseHandle;
let fakeAt: FakeAfricasTalking;
let fakeWa: FakeWhatsApp;
let base: string;
let dataDir: string;
const clock = new ManualClock('2026-11-25T09:00:00Z'); // Wednesday, 12:00 in Dar es Salaam
const logs: string[] = [];

interface Person {
  userId: string;
  phone: string;
  auth: { authorization: string };
}
let buyer: Person;
let seller: Person;
let admin: Person;

async function login(phone: string): Promise<Person> {
  const req = await app.inject({ method: 'POST', url: '/api/v1/auth/otp/request', payload: { phone } });
  expect(req.statusCode, req.body).toBe(202);
  const code = fakeAt.requests
    .filter((r) => r.form.to === phone)
    .at(-1)!
    .form.message!.match(/\b(\d{6})\b/)![1];
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/otp/verify', payload: { phone, code } });
  expect(res.statusCode, res.body).toBe(200);
  clock.advanceSeconds(61);
  return { userId: res.json().user.id, phone, auth: { authorization: `Bearer ${res.json().token}` } };
}

const notify = (event: Parameters<FastifyInstance['services']['notifications']['service']['notify']>[1]) =>
  handle.db.transaction((tx) => app.services.notifications.service.notify(tx, event));
const drain = () => app.services.jobs.drain();
const rowsOf = (eventId: string) => handle.db.select().from(m).where(eq(m.eventId, eventId));
const digits = (p: string) => p.slice(1);

const newOrder = () => ({
  type: 'order.paid' as const,
  id: randomUUID(),
  order_id: randomUUID(),
  buyer_id: buyer.userId,
  seller_id: seller.userId,
  amount: 2_000_000,
  seller_amount: 1_800_000,
  accept_by: new Date(clock.now().getTime() + 30 * 60_000),
  ready_by: new Date(clock.now().getTime() + 3 * 3600_000),
});

beforeAll(async () => {
  fakeAt = await startFakeAfricasTalking(at);
  fakeWa = await startFakeWhatsApp({ ...wa, now: () => clock.now() });
  handle = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'kkoo-notify-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    OTP_HASH_SECRET: 'test-secret-test-secret-test-secret-0001',
    OTP_IP_MAX_PER_HOUR: '100000',
    NOTIFY_CALLBACK_TOKEN: TOKEN,
    NOTIFY_FAILOVER_SECONDS: '300',
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: VERIFY,
  });
  app = await buildApp({
    db: handle.db,
    config,
    clock,
    sms: createAfricasTalkingSms({ baseUrl: fakeAt.baseUrl, ...at, timeoutMs: 2000 }),
    whatsapp: createWhatsAppCloud({
      baseUrl: fakeWa.baseUrl,
      apiVersion: 'v21.0',
      phoneNumberId: wa.phoneNumberId,
      accessToken: wa.accessToken,
      timeoutMs: 2000,
      templateLanguage: { en: 'en_US', sw: 'sw' },
    }),
    storage: createLocalStorage(join(dataDir, 'media')),
    // The production logger (its masking included), writing into `logs`.
    logger: { ...loggerOptions(config), stream: { write: (line: string) => void logs.push(line) } },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  base = `http://127.0.0.1:${port}/api/v1`;
  fakeAt.reportUrl = `${base}/notifications/callbacks/africastalking/delivery/${TOKEN}`;
  fakeWa.webhookUrl = `${base}/notifications/callbacks/whatsapp`;

  buyer = await login(nextPhone());
  seller = await login(nextPhone());
  const adminPhone = nextPhone();
  await app.services.identity.governance.createAdmin(adminPhone);
  admin = await login(adminPhone);
  const prefs = await app.inject({
    method: 'PUT',
    url: '/api/v1/me/notification-preferences',
    headers: seller.auth,
    payload: { language: 'en', whatsapp_opt_in: true },
  });
  expect(prefs.statusCode, prefs.body).toBe(200);
}, 240_000); // a fresh migrated database takes long on a loaded two-core machine

afterAll(async () => {
  await app.close();
  await handle.close();
  await fakeAt.close();
  await fakeWa.close();
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await drain();
  fakeWa.failFor.clear();
});

describe('WhatsApp first, SMS as the fallback, proven by delivery reports', () => {
  it('WhatsApp failing → SMS fallback → AT delivery report → the admin report counts it', async () => {
    fakeWa.failFor.set(digits(seller.phone), { status: 400, code: 131026, message: 'Message undeliverable' });
    const event = newOrder();
    await notify(event);
    await drain();
    const rows = await rowsOf(event.id);
    const waRow = rows.find((r) => r.recipientId === seller.userId && r.channel === 'whatsapp')!;
    expect(waRow.status).toBe('failed');
    expect(waRow.lastError).toBe('REJECTED 131026');
    const smsRow = rows.find((r) => r.recipientId === seller.userId && r.channel === 'sms')!;
    expect(smsRow.failoverOf).toBe(waRow.id);
    expect(smsRow.status).toBe('sent');
    expect(smsRow.costMinor).toBe(2500);
    expect(smsRow.costCurrency).toBe('TZS');
    expect(
      fakeAt.requests.filter((r) => r.form.to === seller.phone && /New paid order/.test(r.form.message!)),
    ).toHaveLength(1);

    clock.advanceSeconds(40);
    expect(await fakeAt.report(smsRow.providerMessageId!, 'Success')).toBe(200);
    const delivered = (await rowsOf(event.id)).find((r) => r.id === smsRow.id)!;
    expect(delivered.status).toBe('delivered');

    const report = await app.inject({
      method: 'GET',
      url: '/api/v1/admin/notifications/report?from=2026-11-25&to=2026-11-25',
      headers: admin.auth,
    });
    expect(report.statusCode, report.body).toBe(200);
    const sms = report.json().items.find((i: { channel: string }) => i.channel === 'sms');
    expect(sms.delivered).toBeGreaterThanOrEqual(1);
    expect(sms.cost_minor).toBeGreaterThanOrEqual(2500);
    expect(sms.p50_latency_ms).toBeGreaterThan(0);
    const whatsapp = report.json().items.find((i: { channel: string }) => i.channel === 'whatsapp');
    expect(whatsapp.failed).toBeGreaterThanOrEqual(1);
  });

  it('sends the approved template outside the 24-hour window and free text inside it', async () => {
    const e1 = newOrder();
    await notify(e1);
    await drain();
    const template = fakeWa.sends.at(-1)!;
    expect(template).toMatchObject({ to: digits(seller.phone), type: 'template' });
    expect(template.template).toMatchObject({ name: 'kkoo_seller_new_order', language: 'en_US' });
    expect(template.template!.params[1]).toBe('TZS 18,000');

    // The seller writes to us: the window opens (recorded from the signed inbound webhook).
    const inbound = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'W',
          changes: [
            {
              field: 'messages',
              value: {
                messages: [
                  {
                    from: digits(seller.phone),
                    id: 'wamid.IN1',
                    timestamp: String(clock.now().getTime() / 1000),
                    type: 'text',
                    text: { body: 'Habari' },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    fakeWa.inbound(digits(seller.phone));
    expect(await fakeWa.post(inbound, fakeWa.sign(inbound))).toBe(200);
    const e2 = newOrder();
    await notify(e2);
    await drain();
    expect(fakeWa.sends.at(-1)).toMatchObject({ type: 'text', to: digits(seller.phone) });
    expect(fakeWa.sends.at(-1)!.text).toContain('New paid order');
  });

  it('a critical WhatsApp message only "sent" after the failover time also goes by SMS, once', async () => {
    const event = newOrder();
    await notify(event);
    await drain();
    const waRow = (await rowsOf(event.id)).find((r) => r.channel === 'whatsapp')!;
    expect(await fakeWa.deliver([{ wamid: waRow.providerMessageId!, status: 'sent' }])).toEqual([200]);
    clock.advanceSeconds(301);
    await drain();
    await app.services.notifications.jobHandlers['notifications.check_failover']({ message_id: waRow.id }, {
      payload: { message_id: waRow.id },
    } as never); // a second check (retried job) adds nothing
    await drain();
    const sms = (await rowsOf(event.id)).filter(
      (r) => r.recipientId === seller.userId && r.channel === 'sms',
    );
    expect(sms).toHaveLength(1);
    expect(sms[0]!.status).toBe('sent');
  });

  it('a critical WhatsApp message delivered in time does not go by SMS', async () => {
    const event = newOrder();
    await notify(event);
    await drain();
    const waRow = (await rowsOf(event.id)).find((r) => r.channel === 'whatsapp')!;
    expect(
      await fakeWa.deliver([
        { wamid: waRow.providerMessageId!, status: 'sent' },
        { wamid: waRow.providerMessageId!, status: 'delivered' },
      ]),
    ).toEqual([200, 200]);
    clock.advanceSeconds(301);
    await drain();
    const rows = (await rowsOf(event.id)).filter((r) => r.recipientId === seller.userId);
    expect(rows.map((r) => r.channel).sort()).toEqual(['in_app', 'whatsapp']);
    expect(rows.find((r) => r.channel === 'whatsapp')!.status).toBe('delivered');
  });
});

describe('webhooks and delivery reports: replays, forgeries, disorder', () => {
  it('WhatsApp statuses arriving duplicated and out of order never move a message backwards', async () => {
    const event = newOrder();
    await notify(event);
    await drain();
    const waRow = (await rowsOf(event.id)).find((r) => r.channel === 'whatsapp')!;
    const t0 = Math.floor(clock.now().getTime() / 1000);
    const answers = await fakeWa.deliver(
      [
        { wamid: waRow.providerMessageId!, status: 'sent', timestamp: t0 },
        { wamid: waRow.providerMessageId!, status: 'delivered', timestamp: t0 + 5 },
        { wamid: waRow.providerMessageId!, status: 'read', timestamp: t0 + 60 },
      ],
      { reorder: true, duplicate: true },
    );
    expect(answers).toEqual([200, 200, 200, 200, 200, 200]);
    const row = (await rowsOf(event.id)).find((r) => r.id === waRow.id)!;
    expect(row.status).toBe('read');
    expect(row.statusHistory.map((h) => h.status)).toEqual(['queued', 'sending', 'sent', 'read']);
    expect(row.deliveredAt!.getTime()).toBe((t0 + 60) * 1000);
    // A late "failed" after the read changes nothing and sends no SMS.
    expect(await fakeWa.deliver([{ wamid: waRow.providerMessageId!, status: 'failed' }])).toEqual([200]);
    await drain();
    expect(
      (await rowsOf(event.id)).filter((r) => r.recipientId === seller.userId && r.channel === 'sms'),
    ).toEqual([]);
  });

  it('a forged WhatsApp webhook (wrong secret, no signature, re-serialised body) changes nothing', async () => {
    const event = newOrder();
    await notify(event);
    await drain();
    const waRow = (await rowsOf(event.id)).find((r) => r.channel === 'whatsapp')!;
    const forged = [{ wamid: waRow.providerMessageId!, status: 'failed' as const }];
    expect(await fakeWa.deliver(forged, { signWith: 'not-the-app-secret-000' })).toEqual([401]);
    const body = JSON.stringify({
      entry: [
        {
          changes: [
            { value: { statuses: [{ id: waRow.providerMessageId, status: 'failed', timestamp: '1' }] } },
          ],
        },
      ],
    });
    expect(await fakeWa.post(body, null)).toBe(401);
    // Signed, then altered in transit (one space added): the signature no longer matches.
    expect(await fakeWa.post(`${body} `, fakeWa.sign(body))).toBe(401);
    // Signed garbage is a 400, never a 500.
    expect(await fakeWa.post('{not json', fakeWa.sign('{not json'))).toBe(400);
    await drain();
    const rows = await rowsOf(event.id);
    expect(rows.find((r) => r.id === waRow.id)!.status).toBe('sent');
    expect(rows.filter((r) => r.recipientId === seller.userId && r.channel === 'sms')).toEqual([]);
  });

  it("answers Meta's verification only with the right token", async () => {
    const ok = await fetch(
      `${base}/notifications/callbacks/whatsapp?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=1158201444`,
    );
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    const bad = await fetch(
      `${base}/notifications/callbacks/whatsapp?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1`,
    );
    expect(bad.status).toBe(403);
    expect(logs.filter((l) => l.includes(VERIFY))).toEqual([]);
  });

  it('a forged, replayed or regressing AT delivery report changes nothing and is never a 5xx', async () => {
    const event = {
      type: 'order.ready' as const,
      id: randomUUID(),
      order_id: randomUUID(),
      buyer_id: buyer.userId,
    };
    await notify(event);
    await drain();
    const smsRow = (await rowsOf(event.id)).find((r) => r.channel === 'sms')!;
    const id = smsRow.providerMessageId!;
    const wrongToken = `${base}/notifications/callbacks/africastalking/delivery/${'x'.repeat(TOKEN.length)}`;
    expect(await fakeAt.report(id, 'Failed', { url: wrongToken, failureReason: 'UserInBlackList' })).toBe(
      404,
    );
    expect((await rowsOf(event.id)).find((r) => r.id === smsRow.id)!.status).toBe('sent');
    expect(await fakeAt.report('ATXid_unknown', 'Success')).toBe(200);
    expect(await fakeAt.report(id, 'Success')).toBe(200);
    expect(await fakeAt.report(id, 'Success')).toBe(200); // replay
    expect(await fakeAt.report(id, 'Failed', { failureReason: 'InsufficientCredit' })).toBe(200); // late, backwards
    expect(await fakeAt.report(id, 'Buffered')).toBe(200);
    const row = (await rowsOf(event.id)).find((r) => r.id === smsRow.id)!;
    expect(row.status).toBe('delivered');
    expect(row.statusHistory.map((h) => h.status)).toEqual(['queued', 'sending', 'sent', 'delivered']);
    const garbage = await fetch(fakeAt.reportUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'nothing=here',
    });
    expect(garbage.status).toBe(400);
    expect(logs.filter((l) => l.includes(TOKEN))).toEqual([]);
  });
});

describe('the in-app feed, preferences and the admin views', () => {
  it('lists my notifications newest first with the unread count; mark one, then all, read', async () => {
    const e1 = {
      type: 'order.ready' as const,
      id: randomUUID(),
      order_id: randomUUID(),
      buyer_id: buyer.userId,
    };
    await notify(e1);
    clock.advanceSeconds(1);
    const e2 = {
      type: 'loyalty.points_earned' as const,
      id: randomUUID(),
      order_id: e1.order_id,
      buyer_id: buyer.userId,
      points: 12,
    };
    await notify(e2);
    const feed = await app.inject({
      method: 'GET',
      url: '/api/v1/me/notifications?limit=2',
      headers: buyer.auth,
    });
    expect(feed.statusCode, feed.body).toBe(200);
    const body = feed.json();
    expect(body.items[0].body).toContain('pointi 12'); // Swahili by default, newest first
    expect(body.items[1].title).toBe('Oda iko tayari');
    expect(body.unread).toBeGreaterThanOrEqual(2);
    expect(body.next_cursor).toEqual(expect.any(String));

    const next = await app.inject({
      method: 'GET',
      url: `/api/v1/me/notifications?limit=2&cursor=${body.next_cursor}`,
      headers: buyer.auth,
    });
    expect(next.statusCode).toBe(200);
    expect(next.json().items.map((i: { id: string }) => i.id)).not.toContain(body.items[0].id);

    const one = await app.inject({
      method: 'POST',
      url: `/api/v1/me/notifications/${body.items[0].id}/read`,
      headers: buyer.auth,
    });
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json().read_at).toEqual(expect.any(String));
    const notMine = await app.inject({
      method: 'POST',
      url: `/api/v1/me/notifications/${body.items[1].id}/read`,
      headers: seller.auth,
    });
    expect(notMine.statusCode).toBe(404);
    const all = await app.inject({
      method: 'POST',
      url: '/api/v1/me/notifications/read-all',
      headers: buyer.auth,
    });
    expect(all.json().marked).toBeGreaterThanOrEqual(1);
    const after = await app.inject({ method: 'GET', url: '/api/v1/me/notifications', headers: buyer.auth });
    expect(after.json().unread).toBe(0);

    const forged = await app.inject({
      method: 'GET',
      url: '/api/v1/me/notifications?cursor=abc',
      headers: buyer.auth,
    });
    expect(forged.statusCode).toBe(400);
    expect(forged.json().code).toBe('INVALID_CURSOR');
    expect((await app.inject({ method: 'GET', url: '/api/v1/me/notifications' })).statusCode).toBe(401);
  });

  it('refuses to switch transactional messages off, with a problem+json 422', async () => {
    const res = await app.inject({
      method: 'PUT',
      url: '/api/v1/me/notification-preferences',
      headers: buyer.auth,
      payload: { opted_out: ['transactional'] },
    });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json().code).toBe('CATEGORY_REQUIRED');
    const bad = await app.inject({
      method: 'PUT',
      url: '/api/v1/me/notification-preferences',
      headers: buyer.auth,
      payload: { language: 'fr' },
    });
    expect(bad.statusCode).toBe(400);
    const get = await app.inject({
      method: 'GET',
      url: '/api/v1/me/notification-preferences',
      headers: buyer.auth,
    });
    expect(get.json()).toMatchObject({
      language: 'sw',
      whatsapp_opt_in: false,
      marketing_opt_in: false,
      opted_out: [],
    });
  });

  it('lets admins search messages with phones masked and without bodies; others get 403', async () => {
    const event = {
      type: 'order.delivery_code_issued' as const,
      id: randomUUID(),
      order_id: randomUUID(),
      buyer_id: buyer.userId,
      code: '7391',
    };
    await notify(event);
    await drain();
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/admin/notifications?order_id=${event.order_id}`,
      headers: admin.auth,
    });
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items;
    expect(items.map((i: { channel: string }) => i.channel).sort()).toEqual(['in_app', 'sms']);
    const sms = items.find((i: { channel: string }) => i.channel === 'sms');
    expect(sms.address).toBe(`${buyer.phone.slice(0, 5)}*****${buyer.phone.slice(-3)}`);
    expect(res.body).not.toContain('7391');
    expect(res.body).not.toContain(buyer.phone);
    const byStatus = await app.inject({
      method: 'GET',
      url: `/api/v1/admin/notifications?user_id=${buyer.userId}&status=sent&channel=sms`,
      headers: admin.auth,
    });
    expect(
      byStatus
        .json()
        .items.every(
          (i: { status: string; recipient_id: string }) =>
            i.status === 'sent' && i.recipient_id === buyer.userId,
        ),
    ).toBe(true);
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/admin/notifications', headers: buyer.auth }))
        .statusCode,
    ).toBe(403);
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/api/v1/admin/notifications/report?from=2026-13-01&to=2026-11-25',
          headers: admin.auth,
        })
      ).statusCode,
    ).toBe(400);
    // The code went only to the buyer, and never into a log line.
    expect(fakeAt.requests.filter((r) => r.form.message?.includes('7391')).map((r) => r.form.to)).toEqual([
      buyer.phone,
    ]);
    // (as a number of its own: log timestamps are digits too, and request ids are UUIDv7, whose
    // third group is "7" and three hex digits, so 1 id in 4,096 reads "-7391-")
    expect(logs.join('\n')).not.toMatch(/(?<![\w.-])7391(?![\w-])/);
    expect(logs.join('\n')).not.toContain(buyer.phone);
  });
});
