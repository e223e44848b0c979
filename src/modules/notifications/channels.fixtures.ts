import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
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

// Shared setup of the channels-*.http.test.ts files (not a test file: vitest collects only *.test.ts).
// Each file that calls useChannelsApp() gets its own app, database and fakes; `app`, `handle`, the
// fakes and the people are live bindings set by its beforeAll.

export const TOKEN = 'dlr0123456789abcdef0123456789abcdef';
export const APP_SECRET = 'wa-app-secret-0123456789';
export const VERIFY = 'wa-verify-token-0123456789';
export const at = { username: 'kkoo', apiKey: 'atsk_test_key_123' };
export const wa = { accessToken: 'EAAG-test-token', appSecret: APP_SECRET, phoneNumberId: '1234567890' };

export let app: FastifyInstance;
export let handle: DatabaseHandle;
export let fakeAt: FakeAfricasTalking;
export let fakeWa: FakeWhatsApp;
export let base: string;
export let dataDir: string;
export const clock = new ManualClock('2026-11-25T09:00:00Z'); // Wednesday, 12:00 in Dar es Salaam
export const logs: string[] = [];

export interface Person {
  userId: string;
  phone: string;
  auth: { authorization: string };
}
export let buyer: Person;
export let seller: Person;
export let admin: Person;

export async function login(phone: string): Promise<Person> {
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

export const notify = (
  event: Parameters<FastifyInstance['services']['notifications']['service']['notify']>[1],
) => handle.db.transaction((tx) => app.services.notifications.service.notify(tx, event));
export const drain = () => app.services.jobs.drain();
export const rowsOf = (eventId: string) => handle.db.select().from(m).where(eq(m.eventId, eventId));
export const digits = (p: string) => p.slice(1);

export const newOrder = () => ({
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

/** The app listening on a real port with the Africa's Talking and WhatsApp fakes, and a buyer, a seller and an admin signed in, for the calling test file. */
export function useChannelsApp(): void {
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
}
