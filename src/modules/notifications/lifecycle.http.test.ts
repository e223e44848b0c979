import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type Actor,
  category,
  nextPhone,
  upload,
  verifiedProduct,
  verifiedSeller,
} from '../../../test/support/fixtures.js';
import { ManualClock } from '../../shared/clock.js';
import { notificationMessages as m } from './schema.js';

// Around the payment, end to end through the API and the payment simulator: what the buyer and the
// seller hear as the order moves (accepted, ready, delivered, points earned, payout sent; rejected
// with the refund's promise, refund sent; a prompt not completed; a dispute opened and resolved),
// each once per channel, however often every job reruns.

const TOKEN = 'cbtoken0123456789abcdefghijklmnopqrstuv';
let t: TestApp;
let admin: Actor;
let seller: Actor;
let kanga: { id: string; skuIds: string[] };

beforeAll(async () => {
  t = await createTestApp(
    {
      DELIVERY_FEE: '300000',
      SIMULATOR_DELAY_MS: '5000',
      PAYMENT_FIRST_QUERY_SECONDS: '60',
      PAYMENT_CALLBACK_TOKEN: TOKEN,
      PAYMENT_PUSHES_PER_HOUR: '100000',
      PAYOUT_MINIMUM: '1000000',
      // not the default 24: the promise the buyer reads must follow the setting
      REFUND_PROMISE_HOURS: '6',
      LOYALTY_EARN_PER_POINT: '100000',
      NOTIFY_QUIET_HOURS: 'off',
    },
    // Wednesday 12:00 in Dar es Salaam.
    { clock: new ManualClock('2026-11-25T09:00:00Z') },
  );
  admin = await t.loginAdmin('+255754340001');
  seller = await verifiedSeller(t, admin, 'Duka la Safari');
  const cat = await category(t, admin, 'Safari');
  kanga = await verifiedProduct(t, admin, seller, {
    categoryId: cat,
    variants: [{ seller_sku: 'LC-KANGA', price: 10_000_00, stock: 100 }],
  });
  // The seller reads English; buyers keep the default, Swahili.
  const prefs = await t.app.inject({
    method: 'PUT',
    url: '/api/v1/me/notification-preferences',
    headers: seller.auth,
    payload: { language: 'en' },
  });
  expect(prefs.statusCode, prefs.body).toBe(200);
}, 240_000);
afterAll(() => t.close());

const api = (method: 'GET' | 'POST', url: string, auth: Record<string, string>, payload?: object) =>
  t.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
async function elapse(seconds: number) {
  t.clock.advanceSeconds(seconds);
  await t.app.services.jobs.drain();
}

/** A buyer's checkout of one kanga and its payment prompt to `payerPhone` (the simulator answers in 5 s). */
async function paidOrder(payerPhone = '0754 123 456') {
  const buyer = await t.login(nextPhone());
  await api('POST', '/api/v1/cart/items', buyer.auth, { sku_id: kanga.skuIds[0]!, quantity: 1 });
  const addr = await api('POST', '/api/v1/me/addresses', buyer.auth, {
    label: 'Home',
    ward: 'Mikocheni',
    landmark: 'Blue gate',
  });
  const preview = (await api('GET', '/api/v1/cart', buyer.auth)).json();
  const co = await t.app.inject({
    method: 'POST',
    url: '/api/v1/orders/checkout',
    headers: { ...buyer.auth, 'idempotency-key': `lc-${crypto.randomUUID()}` },
    payload: {
      address_id: addr.json().id,
      payer_phone: payerPhone,
      preview_token: preview.preview_token,
    },
  });
  expect(co.statusCode, co.body).toBe(201);
  const { checkout_id, orders, total } = co.json() as {
    checkout_id: string;
    total: number;
    orders: Array<{ id: string }>;
  };
  await api('POST', `/api/v1/payments/checkouts/${checkout_id}/collections`, buyer.auth, {});
  await elapse(5);
  return { buyer, orderId: orders[0]!.id, total };
}

/** Each template this person was sent, with the channels it went on. */
async function heard(userId: string) {
  const rows = await t.handle.db.select().from(m).where(eq(m.recipientId, userId));
  const out: Record<string, string[]> = {};
  for (const r of rows) out[r.templateKey] = [...(out[r.templateKey] ?? []), r.channel];
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}
const bodyOf = async (userId: string, template: string) =>
  (
    await t.handle.db
      .select()
      .from(m)
      .where(and(eq(m.recipientId, userId), eq(m.templateKey, template), eq(m.channel, 'sms')))
  ).map((r) => r.body);
/** Every job of these kinds runs again, as after a worker died before recording them. */
async function rerunAll() {
  await t.handle.db.execute(
    `update jobs set status = 'pending', run_at = '${t.clock.now().toISOString()}', attempts = 0
      where kind in ('order.status_changed', 'payment.disbursement_sent', 'payment.collection_settled', 'notifications.send')`,
  );
  await t.app.services.jobs.drain();
}

const both = ['in_app', 'sms'];

describe('after the payment', () => {
  it('accepted, ready, delivered, points earned; then the seller’s payout sent: each heard once', async () => {
    const { buyer, orderId, total } = await paidOrder();
    for (const step of ['accept', 'ready', 'pick-up'])
      expect(
        (await api('POST', `/api/v1/seller/orders/${orderId}/${step}`, seller.auth, {})).statusCode,
      ).toBe(200);
    const code = (await api('GET', `/api/v1/orders/${orderId}`, buyer.auth)).json().delivery_code;
    const del = await api('POST', `/api/v1/seller/orders/${orderId}/deliver`, seller.auth, {
      code,
      location: { lat: -6.77, lng: 39.27 },
    });
    expect(del.statusCode, del.body).toBe(200);
    const confirm = await api('POST', `/api/v1/orders/${orderId}/confirm-receipt`, buyer.auth, {});
    expect(confirm.statusCode, confirm.body).toBe(200);
    await t.app.services.jobs.drain();

    const buyerHeard = await heard(buyer.userId);
    expect(buyerHeard).toMatchObject({
      'buyer.order_accepted': both,
      'buyer.order_ready': both,
      'buyer.order_delivered': both,
      'buyer.loyalty_earned': both,
    });
    // One point per TZS 1,000 of the goods (LOYALTY_EARN_PER_POINT; the delivery fee earns none),
    // in the buyer's language.
    expect(total).toBe(13_000_00);
    expect(await bodyOf(buyer.userId, 'buyer.loyalty_earned')).toEqual([
      expect.stringContaining('Umepata pointi 10 za uaminifu'),
    ]);
    const feed = (await api('GET', '/api/v1/me/notifications', buyer.auth)).json();
    expect(feed.items.map((i: { title: string }) => i.title)).toContain('Umepata pointi');

    const payout = await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
      seller_id: seller.userId,
      reason: 'weekly',
    });
    expect(payout.statusCode, payout.body).toBe(201);
    await t.app.services.jobs.drain();
    await elapse(5);
    expect((await heard(seller.userId))['payee.payout_sent']).toEqual(both);
    const amount = (payout.json().amount as number) / 100;
    expect(await bodyOf(seller.userId, 'payee.payout_sent')).toEqual([
      `K'KOO: Payout sent: TZS ${amount.toLocaleString('en-US')} to +2557*****999.`,
    ]);

    const before = { buyer: buyerHeard, seller: await heard(seller.userId) };
    await rerunAll();
    expect({ buyer: await heard(buyer.userId), seller: await heard(seller.userId) }).toEqual(before);
  });

  it('a seller rejection: the buyer hears the amount, the paying number and the REFUND_PROMISE_HOURS deadline, then that the refund was sent', async () => {
    const { buyer, orderId, total } = await paidOrder();
    const rejectedAt = t.clock.now();
    const rej = await api('POST', `/api/v1/seller/orders/${orderId}/reject`, seller.auth, {
      reason: 'out of stock',
    });
    expect(rej.statusCode, rej.body).toBe(200);
    await t.app.services.jobs.drain();
    await elapse(5);

    const h = await heard(buyer.userId);
    expect(h['buyer.order_rejected']).toEqual(both);
    expect(h['buyer.refund_sent']).toEqual(both);
    // 6 h after the rejection, on the Dar es Salaam clock (UTC+3).
    const by = new Date(rejectedAt.getTime() + (6 + 3) * 3_600_000);
    const hhmm = `${String(by.getUTCHours()).padStart(2, '0')}:${String(by.getUTCMinutes()).padStart(2, '0')}`;
    const [rejected] = await bodyOf(buyer.userId, 'buyer.order_rejected');
    expect(rejected).toContain(`TZS ${(total / 100).toLocaleString('en-US')}`);
    expect(rejected).toContain('+2557*****456');
    expect(rejected).toContain(`kabla ya ${hhmm} 25/11/2026`);
    expect(await bodyOf(buyer.userId, 'buyer.refund_sent')).toHaveLength(1);

    await rerunAll();
    expect(await heard(buyer.userId)).toEqual(h);
  });

  it('a payment prompt the payer could not complete: the buyer hears why and to push again, once', async () => {
    // The simulator refuses a number ending 903 for insufficient funds.
    const { buyer } = await paidOrder('0754 123 903');
    const h = await heard(buyer.userId);
    expect(h['buyer.payment_failed']).toEqual(both);
    expect(h['buyer.payment_received']).toBeUndefined();
    const [text] = await bodyOf(buyer.userId, 'buyer.payment_failed');
    expect(text).toContain('Malipo ya TZS 13,000 hayakufanikiwa');
    expect(text).toContain('Tuma tena');
    await rerunAll();
    expect(await heard(buyer.userId)).toEqual(h);
  });

  it('a dispute: buyer and seller hear it opened, the buyer hears it resolved with the amount refunded', async () => {
    const { buyer, orderId } = await paidOrder();
    for (const step of ['accept', 'ready', 'pick-up'])
      expect(
        (await api('POST', `/api/v1/seller/orders/${orderId}/${step}`, seller.auth, {})).statusCode,
      ).toBe(200);
    const code = (await api('GET', `/api/v1/orders/${orderId}`, buyer.auth)).json().delivery_code;
    const del = await api('POST', `/api/v1/seller/orders/${orderId}/deliver`, seller.auth, {
      code,
      location: { lat: -6.77, lng: 39.27 },
    });
    expect(del.statusCode, del.body).toBe(200);
    const evidence = await upload(t, buyer.auth, 'dispute_evidence');
    const opened = await api('POST', `/api/v1/orders/${orderId}/disputes`, buyer.auth, {
      reason: 'damaged',
      description: 'The kanga is torn',
      evidence_media_ids: [evidence],
    });
    expect(opened.statusCode, opened.body).toBe(201);
    await t.app.services.jobs.drain();
    expect((await heard(buyer.userId))['buyer.dispute_opened']).toEqual(both);
    const sellerOpened = async () =>
      (
        await t.handle.db
          .select()
          .from(m)
          .where(and(eq(m.templateKey, 'seller.dispute_opened'), eq(m.orderId, orderId)))
      )
        .map((r) => r.channel)
        .sort();
    expect(await sellerOpened()).toEqual(both);

    const resolved = await api('POST', `/api/v1/admin/disputes/${opened.json().id}/resolve`, admin.auth, {
      resolution: 'partial_refund',
      fault: 'seller',
      amount: 4_000_00,
      note: 'torn on one side',
    });
    expect(resolved.statusCode, resolved.body).toBe(200);
    await t.app.services.jobs.drain();
    await elapse(5);
    const h = await heard(buyer.userId);
    expect(h['buyer.dispute_resolved']).toEqual(both);
    expect((await bodyOf(buyer.userId, 'buyer.dispute_resolved'))[0]).toContain('TZS 4,000');
    await rerunAll();
    expect(await heard(buyer.userId)).toEqual(h);
    expect(await sellerOpened()).toEqual(both);
  });
});
