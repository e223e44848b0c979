import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { nextPhone } from '../../../test/support/fixtures.js';
import type { Job } from '../jobs/index.js';
import { jobs as jobsTable } from '../jobs/schema.js';
import { notificationMessages as m } from './schema.js';
import { SmsError } from './sms.js';

let t: TestApp;
let buyer: { userId: string; phone: string };
let seller: { userId: string; phone: string };

const svc = () => t.app.services.notifications.service;
const db = () => t.handle.db;
const notify = (event: Parameters<ReturnType<typeof svc>['notify']>[1]) =>
  db().transaction((tx) => svc().notify(tx, event));
const messagesOf = (eventId: string) => db().select().from(m).where(eq(m.eventId, eventId));

beforeAll(async () => {
  t = await createTestApp();
  const b = nextPhone();
  const s = nextPhone();
  buyer = { userId: (await t.login(b)).userId, phone: b };
  seller = { userId: (await t.login(s)).userId, phone: s };
  await svc().setLanguage(seller.userId, 'en');
});
afterAll(() => t.close());

const paid = (id = randomUUID(), orderId = randomUUID()) => ({
  type: 'order.paid' as const,
  id,
  order_id: orderId,
  buyer_id: buyer.userId,
  seller_id: seller.userId,
  amount: 1_550_000,
  seller_amount: 1_250_000,
  accept_by: new Date(t.clock.now().getTime() + 30 * 60_000),
  ready_by: new Date(t.clock.now().getTime() + 180 * 60_000),
});

describe('notify(tx, event)', () => {
  it("writes the buyer's and the seller's messages, in each one's language, once however often it is called", async () => {
    const event = paid();
    await notify(event);
    await notify(event); // a retried producer job
    const rows = await messagesOf(event.id);
    expect(
      rows
        .map((r) => `${r.recipientId === buyer.userId ? 'buyer' : 'seller'}:${r.channel}:${r.language}`)
        .sort(),
    ).toEqual(['buyer:in_app:sw', 'buyer:sms:sw', 'seller:in_app:en', 'seller:sms:en']);
    const sellerSms = rows.find((r) => r.recipientId === seller.userId && r.channel === 'sms')!;
    expect(sellerSms.body).toContain('TZS 12,500');
    expect(sellerSms.critical).toBe(true);
    expect(sellerSms.address).toBe(seller.phone);
    const sendJobs = await db().select().from(jobsTable).where(eq(jobsTable.kind, 'notifications.send'));
    expect(
      sendJobs.filter((j) => rows.some((r) => r.id === (j.payload as { message_id: string }).message_id)),
    ).toHaveLength(2);
  });

  it('sends each SMS exactly once, even when the send job runs twice', async () => {
    await t.app.services.jobs.drain(); // what earlier tests left
    const event = paid();
    await notify(event);
    const before = t.sms.sent.length;
    await t.app.services.jobs.drain();
    const sent = t.sms.sent.slice(before);
    expect(sent.map((s) => s.to).sort()).toEqual([buyer.phone, seller.phone].sort());
    // The same job again (a worker died after the call, the sweeper handed it out again).
    const sms = (await messagesOf(event.id)).find((r) => r.channel === 'sms')!;
    const handler = t.app.services.notifications.jobHandlers['notifications.send'];
    await handler({ message_id: sms.id }, {
      id: randomUUID(),
      payload: { message_id: sms.id },
      attempts: 2,
      maxAttempts: 5,
    } as unknown as Job);
    expect(t.sms.sent.length).toBe(before + 2);
    const after = (await messagesOf(event.id)).find((r) => r.id === sms.id)!;
    expect(after.status).toBe('sent');
    expect(after.attempts).toBe(1);
    expect(after.statusHistory.map((h) => h.status)).toEqual(['queued', 'sending', 'sent']);
  });

  it('retries a retryable provider failure and never sends twice once it went through', async () => {
    const event = { ...paid(), type: 'refund.sent' as const, amount: 500_000, refund_phone: '+255754111222' };
    const { seller_id: _s, accept_by: _a, ready_by: _r, seller_amount: _sa, ...refund } = event;
    await notify(refund);
    const before = t.sms.sent.length;
    t.sms.failWith = new SmsError(
      'REJECTED',
      "Africa's Talking refused the recipient: 405 InsufficientBalance",
      true,
      405,
    );
    await t.app.services.jobs.runDue();
    let row = (await messagesOf(refund.id)).find((r) => r.channel === 'sms')!;
    expect(row.status).toBe('queued');
    expect(row.lastError).toBe('REJECTED 405');
    t.sms.failWith = null;
    t.clock.advanceSeconds(60);
    await t.app.services.jobs.drain();
    t.clock.advanceSeconds(3600);
    await t.app.services.jobs.drain();
    row = (await messagesOf(refund.id)).find((r) => r.channel === 'sms')!;
    expect(row.status).toBe('sent');
    expect(row.attempts).toBe(2);
    expect(t.sms.sent.slice(before)).toHaveLength(1);
    expect(t.sms.sent.at(-1)!.message).toContain('+2557*****222');
  });

  it('marks a non-retryable failure failed, without retrying it', async () => {
    const e = {
      type: 'order.ready' as const,
      id: randomUUID(),
      order_id: randomUUID(),
      buyer_id: buyer.userId,
    };
    await notify(e);
    t.sms.failWith = new SmsError('REJECTED', 'refused: 403 InvalidPhoneNumber', false, 403);
    await t.app.services.jobs.drain();
    t.sms.failWith = null;
    const row = (await messagesOf(e.id)).find((r) => r.channel === 'sms')!;
    expect(row.status).toBe('failed');
    expect(row.lastError).toBe('REJECTED 403');
  });

  it('keeps the delivery code in the buyer’s own messages only', async () => {
    const e = {
      type: 'order.delivery_code_issued' as const,
      id: randomUUID(),
      order_id: randomUUID(),
      buyer_id: buyer.userId,
      code: '4821',
    };
    await notify(e);
    const rows = await messagesOf(e.id);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.recipientId === buyer.userId)).toBe(true);
    expect(rows.every((r) => r.body.includes('4821'))).toBe(true);
  });

  it('refuses an event that does not match its schema, writing nothing', async () => {
    const id = randomUUID();
    await expect(
      notify({
        type: 'order.accepted',
        id,
        order_id: randomUUID(),
        buyer_id: 'not-a-uuid',
        ready_by: new Date(),
      }),
    ).rejects.toThrow();
    expect(await messagesOf(id)).toEqual([]);
  });

  it('holds non-critical messages through quiet hours and sends critical ones at once', async () => {
    t.clock.set('2026-11-25T20:00:00Z'); // 23:00 in Dar es Salaam
    const event = paid();
    await notify(event);
    await notify({
      type: 'order.accepted',
      id: randomUUID(),
      order_id: event.order_id,
      buyer_id: buyer.userId,
      ready_by: new Date('2026-11-26T09:00:00Z'),
    });
    const rows = await db().select().from(m).where(eq(m.orderId, event.order_id));
    const at = (key: string) =>
      rows.find((r) => r.templateKey === key && r.channel === 'sms')!.sendAfter.toISOString();
    expect(at('seller.new_order')).toBe('2026-11-25T20:00:00.000Z');
    expect(at('buyer.payment_received')).toBe('2026-11-26T04:00:00.000Z'); // 07:00 Dar
    expect(at('buyer.order_accepted')).toBe('2026-11-26T04:00:00.000Z');
    // The in-app feed is not held: it is not a phone ringing at night.
    expect(rows.filter((r) => r.channel === 'in_app').every((r) => r.status === 'delivered')).toBe(true);
    t.clock.set('2026-11-26T09:00:00Z');
  });

  it('sends marketing only to those who opted in, and only in business hours on business days', async () => {
    const e = {
      type: 'promotion.announced' as const,
      id: randomUUID(),
      recipient_ids: [buyer.userId, seller.userId],
      headline: 'Wiki ya punguzo',
      promo: 'SIKU10',
    };
    await svc().updatePreferences(buyer.userId, { marketing_opt_in: true });
    t.clock.set('2026-11-28T10:00:00Z'); // Saturday 13:00 Dar
    await notify(e);
    const rows = await messagesOf(e.id);
    expect(rows.every((r) => r.recipientId === buyer.userId)).toBe(true);
    expect(rows.find((r) => r.channel === 'sms')!.sendAfter.toISOString()).toBe('2026-11-30T06:00:00.000Z'); // Mon 09:00
    t.clock.set('2026-11-26T09:00:00Z');
  });

  it('skips the phone for categories a user switched off, but keeps the feed', async () => {
    await svc().updatePreferences(buyer.userId, { opted_out: ['loyalty'] });
    const e = {
      type: 'loyalty.points_earned' as const,
      id: randomUUID(),
      order_id: randomUUID(),
      buyer_id: buyer.userId,
      points: 40,
    };
    await notify(e);
    expect((await messagesOf(e.id)).map((r) => r.channel)).toEqual(['in_app']);
    await expect(
      svc().updatePreferences(buyer.userId, { opted_out: ['transactional'] }),
    ).rejects.toMatchObject({
      code: 'CATEGORY_REQUIRED',
    });
    await svc().updatePreferences(buyer.userId, { opted_out: [] });
  });

  it('tells every active admin about operations events', async () => {
    const admin = await t.loginAdmin(nextPhone());
    const e = {
      type: 'refund.failed' as const,
      id: randomUUID(),
      order_id: randomUUID(),
      amount: 100_000,
      reason: 'B2C 2001',
    };
    await notify(e);
    const rows = await messagesOf(e.id);
    expect(rows.some((r) => r.recipientId === admin.userId && r.channel === 'sms')).toBe(true);
    expect(rows.some((r) => r.recipientId === buyer.userId)).toBe(false);
  });
});
