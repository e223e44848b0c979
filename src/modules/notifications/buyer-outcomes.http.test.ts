import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type Actor,
  category,
  demoZones,
  nextPhone,
  sellerAt,
  verifiedProduct,
} from '../../../test/support/fixtures.js';
import { DAR_DEMO_ZONES } from '../../demo-zones.js';
import { ManualClock } from '../../shared/clock.js';
import { notificationMessages as m } from './schema.js';

// End to end through the API, the zone quotes and the payment simulator: what a buyer hears when
// the order goes wrong for them. Late: sorry, with the points already credited, and the delivery
// fee's refund sent. Cancelled by the buyer while paid: the amount, the paying number and the
// REFUND_PROMISE_HOURS deadline, then the refund sent, and the seller told to stop preparing it.
// Each once per channel, in each reader's language, however often the jobs run again.

const TOKEN = 'cbtoken0123456789abcdefghijklmnopqrstuv';
const LATE_POINTS = 75;
const PROMISE_HOURS = 12;
let t: TestApp;
let admin: Actor;
let seller: Actor;
let skuId: string;
const centre = (name: string) => DAR_DEMO_ZONES.find((z) => z.name === name)!.centre;

beforeAll(async () => {
  t = await createTestApp(
    {
      DELIVERY_QUOTES: 'zones',
      SIMULATOR_DELAY_MS: '5000',
      PAYMENT_FIRST_QUERY_SECONDS: '60',
      PAYMENT_CALLBACK_TOKEN: TOKEN,
      PAYMENT_PUSHES_PER_HOUR: '100000',
      // not the defaults: what the buyer reads must follow the settings
      LATE_DELIVERY_POINTS: String(LATE_POINTS),
      REFUND_PROMISE_HOURS: String(PROMISE_HOURS),
      NOTIFY_QUIET_HOURS: 'off',
    },
    // Wednesday 12:00 in Dar es Salaam, inside the zones' service hours.
    { clock: new ManualClock('2026-11-25T09:00:00Z') },
  );
  admin = await t.loginAdmin('+255754350001');
  await demoZones(t, admin);
  seller = await sellerAt(t, admin, 'Duka la Matokeo', centre('Kariakoo'));
  const cat = await category(t, admin, 'Matokeo');
  skuId = (
    await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'BO-KANGA', price: 10_000_00, stock: 100 }],
    })
  ).skuIds[0]!;
}, 240_000);
afterAll(() => t.close());

const api = (method: 'GET' | 'POST' | 'PUT', url: string, auth: Record<string, string>, payload?: object) =>
  t.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
async function elapse(seconds: number) {
  t.clock.advanceSeconds(seconds);
  await t.app.services.jobs.drain();
}

/** A new buyer (reading `language`) pays for one kanga delivered to Mikocheni, from their own phone. */
async function paidOrder(language: 'sw' | 'en') {
  const phone = nextPhone();
  const buyer = await t.login(phone);
  if (language !== 'sw') {
    const prefs = await api('PUT', '/api/v1/me/notification-preferences', buyer.auth, { language });
    expect(prefs.statusCode, prefs.body).toBe(200);
  }
  await api('POST', '/api/v1/cart/items', buyer.auth, { sku_id: skuId, quantity: 1 });
  const addr = await api('POST', '/api/v1/me/addresses', buyer.auth, {
    label: 'Home',
    ward: 'Mikocheni',
    landmark: 'Blue gate',
    location: centre('Mikocheni'),
  });
  const preview = (await api('GET', '/api/v1/cart', buyer.auth)).json();
  const co = await t.app.inject({
    method: 'POST',
    url: '/api/v1/orders/checkout',
    headers: { ...buyer.auth, 'idempotency-key': `bo-${crypto.randomUUID()}` },
    payload: { address_id: addr.json().id, payer_phone: phone, preview_token: preview.preview_token },
  });
  expect(co.statusCode, co.body).toBe(201);
  const { checkout_id, orders, total } = co.json() as {
    checkout_id: string;
    total: number;
    orders: Array<{ id: string; delivery_fee: number }>;
  };
  const push = await api('POST', `/api/v1/payments/checkouts/${checkout_id}/collections`, buyer.auth, {});
  expect(push.statusCode, push.body).toBe(202);
  await elapse(5);
  const orderId = orders[0]!.id;
  expect((await api('GET', `/api/v1/orders/${orderId}`, buyer.auth)).json().status).toBe('paid');
  return { buyer, phone, orderId, total, deliveryFee: orders[0]!.delivery_fee };
}

/** Every message of this template about this order, whoever it went to. */
const rowsAbout = (orderId: string, template: string) =>
  t.handle.db
    .select()
    .from(m)
    .where(and(eq(m.orderId, orderId), eq(m.templateKey, template)));
/** The channels a template went on about this order, each only to `userId`. */
async function channelsTo(userId: string, orderId: string, template: string) {
  const rows = await rowsAbout(orderId, template);
  expect(rows.every((r) => r.recipientId === userId)).toBe(true);
  return rows.map((r) => r.channel).sort();
}
const smsBody = async (orderId: string, template: string) =>
  (await rowsAbout(orderId, template)).filter((r) => r.channel === 'sms').map((r) => r.body);
/** What the SMS provider was actually asked to send to `phone`, matching `text`. */
const smsSent = (phone: string, text: string) =>
  t.sms.sent.filter((s) => s.to === phone && s.message.includes(text));

/**
 * The order's messages and their producers run again, as after a worker died before recording them.
 * Due on the test's clock, not the database's: `now()` is the wall clock, later than the ManualClock's date.
 */
async function rerunAll() {
  await t.handle.db.execute(
    `update jobs set status = 'pending', run_at = '${t.clock.now().toISOString()}', attempts = 0
      where kind in ('order.status_changed', 'order.refund_owed', 'payment.disbursement_sent', 'notifications.send')`,
  );
  await t.app.services.jobs.drain();
}

const ref = (orderId: string) => `K-${orderId.replaceAll('-', '').slice(0, 8).toUpperCase()}`;
const masked = (phone: string) => `${phone.slice(0, 5)}*****${phone.slice(-3)}`;
const tzs = (minor: number) => `TZS ${(minor / 100).toLocaleString('en-US')}`;
/** `HH:MM DD/MM/YYYY` on the Dar es Salaam clock (UTC+3), as a reader there expects. */
function darTime(at: Date) {
  const d = new Date(at.getTime() + 3 * 3_600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())} ${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}
const both = ['in_app', 'sms'];

describe('a late delivery', () => {
  it('the buyer hears "sorry, late" with the points already credited, and that the delivery fee came back; once each', async () => {
    const { buyer, phone, orderId, deliveryFee } = await paidOrder('sw');
    for (const step of ['accept', 'ready', 'pick-up'])
      expect(
        (await api('POST', `/api/v1/seller/orders/${orderId}/${step}`, seller.auth, {})).statusCode,
      ).toBe(200);
    const order = (await api('GET', `/api/v1/orders/${orderId}`, buyer.auth)).json();
    // Delivered ten minutes after the promise.
    t.clock.set(new Date(new Date(order.promised_by).getTime() + 10 * 60_000));
    const del = await api('POST', `/api/v1/seller/orders/${orderId}/deliver`, seller.auth, {
      code: order.delivery_code,
      location: centre('Mikocheni'),
    });
    expect(del.statusCode, del.body).toBe(200);
    await t.app.services.jobs.drain();
    await elapse(5); // the simulator sends the delivery fee back

    expect(await channelsTo(buyer.userId, orderId, 'buyer.order_late')).toEqual(both);
    expect(await channelsTo(buyer.userId, orderId, 'buyer.order_delivered')).toEqual(both);
    const late = `K'KOO: Samahani, oda ${ref(orderId)} imechelewa. Tumeshakuwekea pointi ${LATE_POINTS} za uaminifu kama fidia.`;
    expect(await smsBody(orderId, 'buyer.order_late')).toEqual([late]);
    expect(smsSent(phone, 'imechelewa')).toEqual([{ to: phone, message: late }]);
    // "already": the points are in the buyer's balance when the message is read.
    expect((await api('GET', '/api/v1/me/loyalty', buyer.auth)).json().balance).toBe(LATE_POINTS);
    const feed = (await api('GET', '/api/v1/me/notifications', buyer.auth)).json();
    expect(feed.items.filter((i: { title: string }) => i.title === 'Samahani, oda imechelewa')).toEqual([
      expect.objectContaining({ body: late }),
    ]);
    // The other half of the compensation, the delivery fee, is sent back and told as such.
    expect(deliveryFee).toBeGreaterThan(0);
    expect(await channelsTo(buyer.userId, orderId, 'buyer.refund_sent')).toEqual(both);
    expect(await smsBody(orderId, 'buyer.refund_sent')).toEqual([
      `K'KOO: Marejesho yametumwa: ${tzs(deliveryFee)} ya oda ${ref(orderId)} yametumwa kwa ${masked(phone)}.`,
    ]);

    const sent = t.sms.sent.length;
    const rows = (await rowsAbout(orderId, 'buyer.order_late')).length;
    await rerunAll();
    expect((await rowsAbout(orderId, 'buyer.order_late')).length).toBe(rows);
    expect(await channelsTo(buyer.userId, orderId, 'buyer.refund_sent')).toEqual(both);
    expect(smsSent(phone, 'imechelewa')).toHaveLength(1);
    expect(t.sms.sent.length).toBe(sent);
  });

  it('an order delivered before its promise: no "late" message', async () => {
    const { buyer, orderId } = await paidOrder('sw');
    for (const step of ['accept', 'ready', 'pick-up'])
      expect(
        (await api('POST', `/api/v1/seller/orders/${orderId}/${step}`, seller.auth, {})).statusCode,
      ).toBe(200);
    const code = (await api('GET', `/api/v1/orders/${orderId}`, buyer.auth)).json().delivery_code;
    const del = await api('POST', `/api/v1/seller/orders/${orderId}/deliver`, seller.auth, {
      code,
      location: centre('Mikocheni'),
    });
    expect(del.statusCode, del.body).toBe(200);
    await elapse(5);
    expect(await channelsTo(buyer.userId, orderId, 'buyer.order_delivered')).toEqual(both);
    expect(await rowsAbout(orderId, 'buyer.order_late')).toEqual([]);
  });
});

describe('a paid order cancelled by its buyer', () => {
  it('the buyer hears the amount, the paying number and the REFUND_PROMISE_HOURS deadline in English, then the refund sent; once each', async () => {
    const { buyer, phone, orderId, total } = await paidOrder('en');
    const cancelledAt = t.clock.now();
    const cancel = await api('POST', `/api/v1/orders/${orderId}/cancel`, buyer.auth);
    expect(cancel.statusCode, cancel.body).toBe(200);
    await t.app.services.jobs.drain();
    await elapse(5); // the simulator sends the refund

    const by = new Date(cancelledAt.getTime() + PROMISE_HOURS * 3_600_000);
    const cancelled = `K'KOO: Order ${ref(orderId)} was cancelled. ${tzs(total)} will be refunded to ${masked(phone)} by ${darTime(by)}.`;
    expect(await channelsTo(buyer.userId, orderId, 'buyer.order_cancelled')).toEqual(both);
    expect(await smsBody(orderId, 'buyer.order_cancelled')).toEqual([cancelled]);
    expect(smsSent(phone, 'was cancelled')).toEqual([{ to: phone, message: cancelled }]);
    // The buyer's own cancellation is not told as the seller's refusal, and the seller gets no strike notice.
    expect(await rowsAbout(orderId, 'buyer.order_rejected')).toEqual([]);
    expect(await rowsAbout(orderId, 'seller.order_auto_cancelled')).toEqual([]);
    expect(await channelsTo(buyer.userId, orderId, 'buyer.refund_sent')).toEqual(both);
    expect(await smsBody(orderId, 'buyer.refund_sent')).toEqual([
      `K'KOO: Refund sent: ${tzs(total)} for order ${ref(orderId)} went to ${masked(phone)}.`,
    ]);

    // The seller hears of it at once (they may be packing it), by SMS and in-app, in their language.
    expect(await channelsTo(seller.userId, orderId, 'seller.order_cancelled_by_buyer')).toEqual(both);
    const [toSeller] = (await rowsAbout(orderId, 'seller.order_cancelled_by_buyer')).filter(
      (r) => r.channel === 'sms',
    );
    expect(toSeller!.critical).toBe(true);
    const sellerText = `K'KOO: Mnunuzi ameghairi oda ${ref(orderId)}. Usiiandae wala kuikabidhi; mnunuzi anarudishiwa pesa.`;
    expect(toSeller!.body).toBe(sellerText);
    expect(smsSent(toSeller!.address!, ref(orderId)).filter((s) => s.message === sellerText)).toHaveLength(1);

    const sent = t.sms.sent.length;
    await rerunAll();
    expect(await channelsTo(seller.userId, orderId, 'seller.order_cancelled_by_buyer')).toEqual(both);
    expect(smsSent(toSeller!.address!, 'Mnunuzi ameghairi')).toHaveLength(1);
    expect(await channelsTo(buyer.userId, orderId, 'buyer.order_cancelled')).toEqual(both);
    expect(await channelsTo(buyer.userId, orderId, 'buyer.refund_sent')).toEqual(both);
    expect(smsSent(phone, 'was cancelled')).toHaveLength(1);
    expect(t.sms.sent.length).toBe(sent);
  });
});
