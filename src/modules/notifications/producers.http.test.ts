import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeAfricasTalking, startFakeAfricasTalking } from '../../../test/fakes/africastalking.js';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type Actor,
  category,
  nextPhone,
  verifiedProduct,
  verifiedSeller,
} from '../../../test/support/fixtures.js';
import { ManualClock } from '../../shared/clock.js';
import { createAfricasTalkingSms } from './africastalking-sms.js';
import { notificationMessages as m } from './schema.js';

// End to end: a buyer checks out and pays through the payment simulator; the producing use cases
// write their typed messages in their own transactions, the worker drains, and notifications sends
// through the real Africa's Talking adapter to a fake AT server on 127.0.0.1. Each person hears
// each thing once, however often the callback is replayed or the jobs run again.

const TOKEN = 'cbtoken0123456789abcdefghijklmnopqrstuv';
const at = { username: 'kkoo', apiKey: 'atsk_test_key_123' };
let fakeAt: FakeAfricasTalking;
let t: TestApp;
let admin: Actor;
let seller: Actor;
let product: { id: string; skuIds: string[] };
let sellerPhone = '';

beforeAll(async () => {
  fakeAt = await startFakeAfricasTalking(at);
  t = await createTestApp(
    {
      CHECKOUT_TTL_MINUTES: '30',
      SIMULATOR_DELAY_MS: '5000',
      PAYMENT_FIRST_QUERY_SECONDS: '60',
      PAYMENT_CALLBACK_TOKEN: TOKEN,
      PAYMENT_PUSHES_PER_HOUR: '100000',
      DELIVERY_FEE: '300000',
    },
    {
      // Wednesday 12:00 in Dar es Salaam: outside the quiet hours, so every message goes at once.
      clock: new ManualClock('2026-11-25T09:00:00Z'),
      sms: createAfricasTalkingSms({ baseUrl: fakeAt.baseUrl, ...at, timeoutMs: 2000 }),
    },
  );
  admin = await t.loginAdmin('+255754320001');
  seller = await verifiedSeller(t, admin, 'Duka la Habari');
  const cat = await category(t, admin, 'Habari');
  product = await verifiedProduct(t, admin, seller, {
    categoryId: cat,
    variants: [{ seller_sku: 'N-KANGA', price: 12_500_00, stock: 50 }],
  });
  // The seller reads English; the buyer keeps the default, Swahili.
  const prefs = await t.app.inject({
    method: 'PUT',
    url: '/api/v1/me/notification-preferences',
    headers: seller.auth,
    payload: { language: 'en' },
  });
  expect(prefs.statusCode, prefs.body).toBe(200);
}, 240_000);

afterAll(async () => {
  await t.close();
  await fakeAt.close();
});

const api = (method: 'GET' | 'POST', url: string, auth: Record<string, string>, payload?: object) =>
  t.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });

const messagesOf = (userId: string, template: string) =>
  t.handle.db
    .select()
    .from(m)
    .where(and(eq(m.recipientId, userId), eq(m.templateKey, template)));
const smsTo = (phone: string, text: RegExp) =>
  fakeAt.requests.filter((r) => r.form.to === phone && text.test(r.form.message ?? ''));

describe('a paid checkout, end to end', () => {
  it('the buyer hears "payment received" and the seller "new paid order (accept by …)" exactly once each', async () => {
    const buyerPhone = nextPhone();
    const buyer = await t.login(buyerPhone);
    await api('POST', '/api/v1/cart/items', buyer.auth, { sku_id: product.skuIds[0]!, quantity: 1 });
    const addr = await api('POST', '/api/v1/me/addresses', buyer.auth, {
      label: 'Home',
      ward: 'Mikocheni',
      landmark: 'Blue gate',
    });
    const preview = (await api('GET', '/api/v1/cart', buyer.auth)).json();
    const co = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orders/checkout',
      headers: { ...buyer.auth, 'idempotency-key': 'notify-e2e-1' },
      payload: { address_id: addr.json().id, payer_phone: buyerPhone, preview_token: preview.preview_token },
    });
    expect(co.statusCode, co.body).toBe(201);
    const checkout = co.json() as { checkout_id: string; total: number; orders: Array<{ id: string }> };
    const push = await api(
      'POST',
      `/api/v1/payments/checkouts/${checkout.checkout_id}/collections`,
      buyer.auth,
      {},
    );
    expect(push.statusCode, push.body).toBe(202);
    t.clock.advanceSeconds(5); // the simulated customer approves; the callback settles it
    await t.app.services.jobs.drain();
    const order = (await api('GET', `/api/v1/orders/${checkout.orders[0]!.id}`, buyer.auth)).json();
    expect(order.status).toBe('paid');

    sellerPhone = (await messagesOf(seller.userId, 'seller.new_order')).find((r) => r.channel === 'sms')!
      .address!;
    const counts = async () => ({
      checkoutCreated: (await messagesOf(buyer.userId, 'buyer.checkout_created'))
        .map((r) => r.channel)
        .sort(),
      paymentReceived: (await messagesOf(buyer.userId, 'buyer.payment_received'))
        .map((r) => r.channel)
        .sort(),
      newOrder: (await messagesOf(seller.userId, 'seller.new_order')).map((r) => r.channel).sort(),
      deliveryCode: (await messagesOf(buyer.userId, 'buyer.delivery_code')).map((r) => r.channel).sort(),
      // what reached the fake AT server, over HTTP, by the real adapter
      buyerSms: smsTo(buyerPhone, /Tumepokea/).length,
      sellerSms: smsTo(sellerPhone, /New paid order/).length,
      codeSms: smsTo(buyerPhone, /Namba ya kupokea/).length,
      atRequests: fakeAt.requests.length,
    });
    const first = await counts();
    expect(first).toMatchObject({
      checkoutCreated: ['in_app', 'sms'],
      paymentReceived: ['in_app', 'sms'],
      newOrder: ['in_app', 'sms'],
      deliveryCode: ['in_app', 'sms'],
      buyerSms: 1,
      sellerSms: 1,
      codeSms: 1,
    });
    // In each person's language, with the seller's deadline shown in Dar es Salaam time.
    const [sellerSms] = smsTo(sellerPhone, /New paid order/);
    expect(sellerSms!.form.message).toContain('TZS 12,500');
    // Paid at about 12:00 in Dar es Salaam (09:00 UTC): the accept-by instant is shown in local time.
    expect(sellerSms!.form.message).toMatch(
      /Accept it by 12:\d\d 25\/11\/2026 and have it ready by \d\d:\d\d/,
    );
    const feed = (await api('GET', '/api/v1/me/notifications', buyer.auth)).json();
    expect(feed.items.map((i: { title: string }) => i.title)).toContain('Malipo yamepokelewa');

    // The provider replays its callback; then every message job of this checkout runs again, as
    // after a worker died before recording it: nothing new is written or sent.
    const cb = (await api('GET', '/api/v1/admin/payments/callbacks', admin.auth)).json().items;
    const original = cb.find((c: { collection_id: string }) => c.collection_id === push.json().id);
    const replay = await t.app.inject({
      method: 'POST',
      url: `/api/v1/payments/callbacks/simulator/collection/${TOKEN}`,
      payload: original.body,
    });
    expect(replay.statusCode).toBe(200);
    await t.app.services.jobs.drain();
    await t.handle.db.execute(
      `update jobs set status = 'pending', run_at = '${t.clock.now().toISOString()}', attempts = 0
        where kind in ('order.status_changed', 'checkout.created', 'payment.collection_settled', 'notifications.send')`,
    );
    await t.app.services.jobs.drain();
    expect(await counts()).toEqual(first);
  });
});

describe('a seller verified by an admin', () => {
  it('hears it once, in their language, in the feed and by SMS', async () => {
    await t.app.services.jobs.drain();
    const rows = await messagesOf(seller.userId, 'seller.kyc_verified');
    expect(rows.map((r) => r.channel).sort()).toEqual(['in_app', 'sms']);
    const sms = fakeAt.requests.filter((r) => r.form.to === rows.find((x) => x.channel === 'sms')!.address);
    // (the product verified in the set-up is a message of its own)
    expect(sms.filter((r) => /identity documents are verified/.test(r.form.message ?? ''))).toHaveLength(1);
  });
});

describe('the message rows are unique per event, recipient, channel and template', () => {
  it('a direct second insert of the same key is refused by the database', async () => {
    const [row] = await t.handle.db
      .select()
      .from(m)
      .where(inArray(m.channel, ['in_app']))
      .limit(1);
    await expect(t.handle.db.insert(m).values({ ...row!, id: crypto.randomUUID() })).rejects.toThrow();
  });
});
