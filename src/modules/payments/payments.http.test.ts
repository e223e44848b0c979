import { inArray } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type Actor,
  category,
  nextPhone,
  upload,
  verifiedProduct,
  verifiedSeller,
} from '../../../test/support/fixtures.js';
import { paymentSimulatorTxns } from './schema.js';

// Payments end to end through the API with the simulator: it posts its callbacks to our real
// webhook route, and the reconciler's status queries read its answers.

const TOKEN = 'cbtoken0123456789abcdefghijklmnopqrstuv';
let t: TestApp;
let admin: Actor;
let seller: Actor;
let kanga: { id: string; skuIds: string[] };

beforeAll(async () => {
  t = await createTestApp({
    DELIVERY_FEE: '300000',
    CHECKOUT_TTL_MINUTES: '30',
    SIMULATOR_DELAY_MS: '5000',
    PAYMENT_FIRST_QUERY_SECONDS: '60',
    PAYMENT_GIVE_UP_MINUTES: '5',
    PAYMENT_CALLBACK_TOKEN: TOKEN,
    PAYOUT_MINIMUM: '1000000',
    PAYOUT_HOLD_HOURS_AFTER_PHONE_CHANGE: '48',
    PAYMENT_PUSHES_PER_HOUR: '100000',
  });
  admin = await t.loginAdmin('+255754310001');
  seller = await verifiedSeller(t, admin, 'Mama Pesa');
  const cat = await category(t, admin, 'Payments');
  kanga = await verifiedProduct(t, admin, seller, {
    categoryId: cat,
    variants: [{ seller_sku: 'P-KANGA', price: 10_000_00, stock: 500 }],
  });
});
afterAll(() => t.close());

afterEach(async () => {
  expect(await t.app.services.orders.service.reconcile()).toEqual([]);
});

const api = (
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  auth: Record<string, string> = {},
  payload?: unknown,
  headers: Record<string, string> = {},
) =>
  t.app.inject({
    method,
    url,
    headers: { ...auth, ...headers },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
const pay = () => t.app.services.payments.service;
const jobs = () => t.app.services.jobs;
/** Let time pass and run whatever became due (callbacks, queries, sends). */
async function elapse(seconds: number) {
  t.clock.advanceSeconds(seconds);
  await jobs().drain();
}
let keys = 0;
/** Push the simulated customer's answer `seconds` into the future. */
const slowProvider = (reference: string, seconds: number) =>
  t.handle.db.execute(
    `update payment_simulator_txns set decides_at = '${new Date(t.clock.now().getTime() + seconds * 1000).toISOString()}' where reference = '${reference}'`,
  );

async function checkoutFor(phone = '0754 123 456', quantity = 1) {
  const b = await t.login(nextPhone());
  await api('POST', '/api/v1/cart/items', b.auth, { sku_id: kanga.skuIds[0], quantity });
  const addr = await api('POST', '/api/v1/me/addresses', b.auth, {
    label: 'Home',
    ward: 'Mikocheni',
    landmark: 'Blue gate',
  });
  const preview = (await api('GET', '/api/v1/cart', b.auth)).json();
  const res = await api(
    'POST',
    '/api/v1/orders/checkout',
    b.auth,
    { address_id: addr.json().id, payer_phone: phone, preview_token: preview.preview_token },
    { 'idempotency-key': `pay-key-${keys++}` },
  );
  expect(res.statusCode, res.body).toBe(201);
  return {
    buyer: b,
    checkout: res.json() as { checkout_id: string; total: number; orders: Array<{ id: string }> },
  };
}

const startPush = (b: Actor, checkoutId: string, body: object = {}) =>
  api('POST', `/api/v1/payments/checkouts/${checkoutId}/collections`, b.auth, body);
const paymentOf = async (b: Actor, checkoutId: string) =>
  (await api('GET', `/api/v1/payments/checkouts/${checkoutId}`, b.auth)).json();
const orderOf = async (b: Actor, id: string) => (await api('GET', `/api/v1/orders/${id}`, b.auth)).json();
const callbackUrl = (kind = 'collection', token = TOKEN) =>
  `/api/v1/payments/callbacks/simulator/${kind}/${token}`;

describe('collection with the simulator', () => {
  it('push → simulator calls back → status query confirms → orders paid and escrow held, exactly once', async () => {
    const { buyer, checkout } = await checkoutFor();
    const push = await startPush(buyer, checkout.checkout_id);
    expect(push.statusCode, push.body).toBe(202);
    expect(push.json()).toMatchObject({ status: 'pending', amount: checkout.total, phone: '+255754123456' });
    expect((await orderOf(buyer, checkout.orders[0]!.id)).status).toBe('pending_payment');

    await elapse(5);
    const p = await paymentOf(buyer, checkout.checkout_id);
    expect(p.status).toBe('paid');
    expect(p.collections).toEqual([
      expect.objectContaining({
        status: 'succeeded',
        used_for: 'funded_checkout',
        receipt: expect.stringMatching(/^SIM/),
      }),
    ]);
    const order = await orderOf(buyer, checkout.orders[0]!.id);
    expect(order.status).toBe('paid');
    expect(order.delivery_code).toMatch(/^\d{4}$/);
    const holds = await t.app.services.ledger.transfersOf({ orderId: checkout.orders[0]!.id });
    expect(holds.filter((x) => x.kind === 'ESCROW_HOLD')).toHaveLength(1);

    // The reconciler's later query and a replayed callback change nothing.
    await elapse(120);
    const cb = (await api('GET', '/api/v1/admin/payments/callbacks', admin.auth)).json().items;
    const original = cb.find((c: { collection_id: string }) => c.collection_id === push.json().id);
    const replay = await api('POST', callbackUrl(), {}, original.body);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual({ ResultCode: 0, ResultDesc: 'Accepted' });
    await jobs().drain();
    const again = await t.app.services.ledger.transfersOf({ orderId: checkout.orders[0]!.id });
    expect(again.filter((x) => x.kind === 'ESCROW_HOLD')).toHaveLength(1);
    const verdicts = (
      await api('GET', '/api/v1/admin/payments/callbacks?verdict=duplicate', admin.auth)
    ).json();
    expect(verdicts.items.some((c: { collection_id: string }) => c.collection_id === push.json().id)).toBe(
      true,
    );
  });

  it.each([
    ['cancelled', '0754 123 901', 'cancelled', '1032'],
    ['timeout', '0754 123 902', 'timeout', '1037'],
    ['insufficient funds', '0754 123 903', 'failed', '1'],
    ['wrong PIN', '0754 123 904', 'failed', '2001'],
  ])(
    '%s: the checkout stays payable and the buyer can push again from another number',
    async (_n, phone, status, code) => {
      const { buyer, checkout } = await checkoutFor(phone);
      expect((await startPush(buyer, checkout.checkout_id)).statusCode).toBe(202);
      await elapse(5);
      let p = await paymentOf(buyer, checkout.checkout_id);
      expect(p.status).toBe('pending_payment');
      expect(p.collections).toEqual([expect.objectContaining({ status, result_code: code, used_for: null })]);
      expect((await orderOf(buyer, checkout.orders[0]!.id)).status).toBe('pending_payment');

      const retry = await startPush(buyer, checkout.checkout_id, { phone: '0754 555 111' });
      expect(retry.statusCode, retry.body).toBe(202);
      await elapse(5);
      p = await paymentOf(buyer, checkout.checkout_id);
      expect(p.status).toBe('paid');
      expect(p.collections.map((c: { status: string }) => c.status)).toEqual([status, 'succeeded']);
    },
  );

  it('a simulator that never calls back is found by the reconciler’s status query', async () => {
    const { buyer, checkout } = await checkoutFor('0754 123 905');
    await startPush(buyer, checkout.checkout_id);
    await elapse(30);
    expect((await paymentOf(buyer, checkout.checkout_id)).status).toBe('pending_payment');
    await elapse(60);
    const p = await paymentOf(buyer, checkout.checkout_id);
    expect(p.status).toBe('paid');
    expect(p.collections[0]).toMatchObject({ status: 'succeeded', used_for: 'funded_checkout' });
  });

  it('a checkout rings a phone a bounded number of times', async () => {
    const { buyer, checkout } = await checkoutFor('0754 123 901');
    for (let i = 0; i < 5; i++) {
      expect((await startPush(buyer, checkout.checkout_id)).statusCode).toBe(202);
      await elapse(5);
    }
    const sixth = await startPush(buyer, checkout.checkout_id);
    expect(sixth.statusCode).toBe(429);
    expect(sixth.json().code).toBe('TOO_MANY_PUSHES');
  });

  it('the outcome can be chosen per request', async () => {
    const { buyer, checkout } = await checkoutFor();
    await startPush(buyer, checkout.checkout_id, { simulate: 'insufficient_funds' });
    await elapse(5);
    expect((await paymentOf(buyer, checkout.checkout_id)).collections[0]).toMatchObject({
      status: 'failed',
      result_code: '1',
    });
  });

  it('one push in flight per checkout; a paid or expired checkout takes no push', async () => {
    const { buyer, checkout } = await checkoutFor();
    expect((await startPush(buyer, checkout.checkout_id)).statusCode).toBe(202);
    const second = await startPush(buyer, checkout.checkout_id);
    expect(second.statusCode).toBe(409);
    expect(second.json().code).toBe('COLLECTION_IN_PROGRESS');
    await elapse(5);
    const paid = await startPush(buyer, checkout.checkout_id);
    expect(paid.json().code).toBe('CHECKOUT_ALREADY_PAID');

    const other = await checkoutFor();
    t.clock.advanceSeconds(31 * 60);
    await jobs().drain();
    const late = await startPush(other.buyer, other.checkout.checkout_id);
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('CHECKOUT_NOT_PAYABLE');
  });

  it('bad input: wrong types, unknown fields, a stranger’s checkout, a bad phone, no sign-in', async () => {
    const { buyer, checkout } = await checkoutFor();
    const stranger = await t.login(nextPhone());
    const url = `/api/v1/payments/checkouts/${checkout.checkout_id}/collections`;
    expect((await api('POST', url, {}, {})).statusCode).toBe(401);
    const notMine = await api('POST', url, stranger.auth, {});
    expect(notMine.statusCode).toBe(404);
    expect(
      (await api('GET', `/api/v1/payments/checkouts/${checkout.checkout_id}`, stranger.auth)).statusCode,
    ).toBe(404);
    const wrongType = await api('POST', url, buyer.auth, { phone: 754123456 });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await api('POST', url, buyer.auth, { amount: 5 })).statusCode).toBe(400);
    expect((await api('POST', url, buyer.auth, { simulate: 'rich' })).statusCode).toBe(400);
    const badPhone = await api('POST', url, buyer.auth, { phone: '+1 202 555 0100' });
    expect(badPhone.statusCode).toBe(422);
    expect(badPhone.json().field).toBe('phone');
    expect(
      (await api('POST', '/api/v1/payments/checkouts/not-a-uuid/collections', buyer.auth, {})).statusCode,
    ).toBe(400);
    expect((await pay().collectionsOfCheckout(checkout.checkout_id)).length).toBe(0);
  });
});

describe('money that buys nothing goes back at once', () => {
  it('a push answered just after expiry still pays: expiry waits for a prompt on the phone', async () => {
    const { buyer, checkout } = await checkoutFor();
    t.clock.advanceSeconds(30 * 60 - 3);
    expect((await startPush(buyer, checkout.checkout_id)).statusCode).toBe(202);
    t.clock.advanceSeconds(3);
    await t.app.services.orders.service.expireCheckout(checkout.checkout_id);
    expect((await paymentOf(buyer, checkout.checkout_id)).status).toBe('pending_payment');
    await elapse(5);
    const p = await paymentOf(buyer, checkout.checkout_id);
    expect(p.status).toBe('paid');
    expect(p.collections[0]).toMatchObject({ status: 'succeeded', used_for: 'funded_checkout' });
    expect((await orderOf(buyer, checkout.orders[0]!.id)).status).toBe('paid');
  });

  it('late: money for a push we gave up on arrives after the checkout expired → found by the sweep, refunded automatically', async () => {
    const { buyer, checkout } = await checkoutFor();
    await startPush(buyer, checkout.checkout_id, { simulate: 'no_callback' });
    const c = (await pay().collectionsOfCheckout(checkout.checkout_id))[0]!;
    await slowProvider(c.reference, 2 * 24 * 3600);
    for (const s of [60, 120, 240]) await elapse(s);
    expect(await pay().collection(c.id)).toMatchObject({ status: 'timeout', resultCode: 'UNCONFIRMED' });
    // Nothing on the phone any more: the checkout expires and its orders are cancelled.
    await elapse(30 * 60);
    expect((await paymentOf(buyer, checkout.checkout_id)).status).toBe('expired');
    expect((await orderOf(buyer, checkout.orders[0]!.id)).status).toBe('cancelled');
    // Two days later the provider says the money did move; the sweep asks again and finds it.
    t.clock.advanceSeconds(2 * 24 * 3600);
    await pay().sweep();
    await jobs().drain();
    const p = await paymentOf(buyer, checkout.checkout_id);
    expect(p.collections[0]).toMatchObject({ status: 'succeeded', used_for: 'refunded_late' });
    await elapse(5);
    const refunds = (await api('GET', '/api/v1/payments/refunds', buyer.auth)).json().items;
    expect(refunds).toEqual([
      expect.objectContaining({
        kind: 'refund',
        status: 'succeeded',
        amount: checkout.total,
        phone: '+255754123456',
      }),
    ]);
    expect((await t.app.services.ledger.balance(`buyer:${buyer.userId}:refunds_payable`)).posted).toBe(0);
  });

  it('twice: a push we gave up on pays after a second push paid → the second money is refunded', async () => {
    const { buyer, checkout } = await checkoutFor();
    // The first push answers only after 10 minutes; we give up on it after 5.
    await startPush(buyer, checkout.checkout_id, { simulate: 'no_callback' });
    const first = (await pay().collectionsOfCheckout(checkout.checkout_id))[0]!;
    // Make the provider slow: the simulator decides later than our give-up.
    await slowProvider(first.reference, 10 * 60);
    await elapse(60);
    await elapse(120);
    await elapse(240);
    expect((await pay().collection(first.id))!).toMatchObject({
      status: 'timeout',
      resultCode: 'UNCONFIRMED',
    });
    const second = await startPush(buyer, checkout.checkout_id);
    expect(second.statusCode).toBe(202);
    await elapse(5);
    expect((await paymentOf(buyer, checkout.checkout_id)).status).toBe('paid');
    // Now the first money turns up: its late callback is verified by a status query, and it is owed back.
    await elapse(5 * 60);
    const late = await api(
      'POST',
      callbackUrl(),
      {},
      {
        simulator: true,
        kind: 'collection',
        reference: first.reference,
        result_code: '0',
        result_desc: 'ok',
        receipt: 'SIMLATE0001',
        amount: first.amount,
        msisdn: first.msisdn,
      },
    );
    expect(late.statusCode).toBe(200);
    await jobs().drain();
    await elapse(5);
    expect(await pay().collection(first.id)).toMatchObject({
      status: 'succeeded',
      usedFor: 'refunded_duplicate',
    });
    const refunds = (await api('GET', '/api/v1/payments/refunds', buyer.auth)).json().items;
    expect(refunds).toEqual([expect.objectContaining({ status: 'succeeded', amount: checkout.total })]);
    const holds = await t.app.services.ledger.transfersOf({ orderId: checkout.orders[0]!.id });
    expect(holds.filter((x) => x.kind === 'ESCROW_HOLD')).toHaveLength(1);
  });
});

describe('callbacks are not trusted', () => {
  async function pendingPush() {
    const { buyer, checkout } = await checkoutFor();
    await startPush(buyer, checkout.checkout_id, { simulate: 'no_callback' });
    const c = (await pay().collectionsOfCheckout(checkout.checkout_id))[0]!;
    // The simulated customer is slow to answer: every status query says "still processing".
    await slowProvider(c.reference, 24 * 3600);
    const body = {
      simulator: true,
      kind: 'collection',
      reference: c.reference,
      result_code: '0',
      result_desc: 'ok',
      receipt: 'FORGED0001',
      amount: c.amount,
      msisdn: c.msisdn,
    };
    return { buyer, checkout, c, body };
  }
  const verdictOf = async (collectionId: string | null, verdict: string) =>
    (await pay().callbacksList({})).filter((x) => x.collectionId === collectionId && x.verdict === verdict);

  it('a wrong path token is a 404, logged, and changes nothing', async () => {
    const { c, body } = await pendingPush();
    const res = await api('POST', callbackUrl('collection', 'x'.repeat(TOKEN.length)), {}, body);
    expect(res.statusCode).toBe(404);
    expect(
      (await api('POST', `/api/v1/payments/callbacks/daraja/collection/${TOKEN}`, {}, body)).statusCode,
    ).toBe(404);
    expect((await pay().callbacksList({ verdict: 'bad_token' })).length).toBeGreaterThanOrEqual(2);
    await jobs().drain();
    expect((await pay().collection(c.id))!.status).toBe('pending');
  });

  it('a forged success for a push that did not pay is refused by the status query', async () => {
    const { buyer, checkout, c, body } = await pendingPush();
    // The simulated customer has not answered yet: the provider says "still processing".
    const res = await api('POST', callbackUrl(), {}, body);
    expect(res.statusCode).toBe(200);
    await jobs().drain();
    expect((await pay().collection(c.id))!.status).toBe('pending');
    expect((await paymentOf(buyer, checkout.checkout_id)).status).toBe('pending_payment');
  });

  it('unknown reference, wrong amount, wrong phone, a receipt already used: logged, nothing changes', async () => {
    const { c, body } = await pendingPush();
    await api('POST', callbackUrl(), {}, { ...body, reference: 'f'.repeat(32) });
    expect((await pay().callbacksList({ verdict: 'unknown_reference' })).length).toBeGreaterThan(0);
    await api('POST', callbackUrl(), {}, { ...body, amount: c.amount - 100 });
    expect(await verdictOf(c.id, 'amount_mismatch')).toHaveLength(1);
    await api('POST', callbackUrl(), {}, { ...body, msisdn: '+255754999999' });
    expect(await verdictOf(c.id, 'phone_mismatch')).toHaveLength(1);
    // A receipt that already paid another collection.
    const other = await checkoutFor();
    await startPush(other.buyer, other.checkout.checkout_id);
    await elapse(5);
    const paidReceipt = (await pay().collectionsOfCheckout(other.checkout.checkout_id))[0]!.receipt!;
    await api('POST', callbackUrl(), {}, { ...body, receipt: paidReceipt });
    expect(await verdictOf(c.id, 'receipt_reused')).toHaveLength(1);
    expect((await pay().collection(c.id))!.status).toBe('pending');
  });

  it('malformed bodies, wrong content type and huge bodies are clear errors, never a 500', async () => {
    const { c } = await pendingPush();
    for (const bad of [[], { simulator: true }, { simulator: true, kind: 'collection', reference: 5 }])
      expect((await api('POST', callbackUrl(), {}, bad)).statusCode).toBe(400);
    const jsonString = await t.app.inject({
      method: 'POST',
      url: callbackUrl(),
      headers: { 'content-type': 'application/json' },
      payload: '"text"',
    });
    expect(jsonString.statusCode).toBe(400);
    const form = await t.app.inject({
      method: 'POST',
      url: callbackUrl(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'a=b',
    });
    expect(form.statusCode).toBe(415);
    const broken = await t.app.inject({
      method: 'POST',
      url: callbackUrl(),
      headers: { 'content-type': 'application/json' },
      payload: '{"simulator": tru',
    });
    expect(broken.statusCode).toBe(400);
    const huge = await api('POST', callbackUrl(), {}, { pad: 'x'.repeat(200_000) });
    expect(huge.statusCode).toBe(413);
    expect(
      (await api('POST', `/api/v1/payments/callbacks/simulator/refund/${TOKEN}`, {}, {})).statusCode,
    ).toBe(400);
    expect((await pay().collection(c.id))!.status).toBe('pending');
  });

  it('junk that once made a 500: deep nesting, lone surrogates — with or without the token', async () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    for (const token of [TOKEN, 'y'.repeat(TOKEN.length)]) {
      const res = await t.app.inject({
        method: 'POST',
        url: callbackUrl('collection', token),
        headers: { 'content-type': 'application/json' },
        payload: deep,
      });
      expect(res.statusCode).toBeLessThan(500);
      const sur = await t.app.inject({
        method: 'POST',
        url: callbackUrl('collection', token),
        headers: { 'content-type': 'application/json' },
        payload: '{"simulator":true,"kind":"collection","reference":"\\ud800","x":"\\udfff"}',
      });
      expect(sur.statusCode).toBeLessThan(500);
    }
    // A stranger's bytes are not kept.
    const strangers = await pay().callbacksList({ verdict: 'bad_token' });
    expect(strangers.every((c) => c.body === null)).toBe(true);
  });

  it('the path token never reaches a stored provider call or a log line', async () => {
    const { maskCallbackToken } = await import('../../app.js');
    expect(maskCallbackToken(`/api/v1/payments/callbacks/daraja/collection/${TOKEN}`)).toBe(
      '/api/v1/payments/callbacks/daraja/collection/***',
    );
    expect(maskCallbackToken('/api/v1/orders/123')).toBe('/api/v1/orders/123');
    const { maskSecrets } = await import('./http.js');
    expect(
      JSON.stringify(
        maskSecrets({
          CallBackURL: `https://x/${TOKEN}`,
          ResultURL: `https://x/${TOKEN}`,
          QueueTimeOutURL: TOKEN,
        }),
      ),
    ).not.toContain(TOKEN);
  });

  it('an IP allow-list, when set, refuses other addresses (after the token check)', async () => {
    const t2 = await createTestApp({
      PAYMENT_CALLBACK_TOKEN: TOKEN,
      PAYMENT_CALLBACK_ALLOWED_IPS: '196.201.214.200',
    });
    try {
      const res = await t2.app.inject({
        method: 'POST',
        url: callbackUrl(),
        payload: {},
        remoteAddress: '10.1.1.1',
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('CALLBACK_FORBIDDEN');
      const allowed = await t2.app.inject({
        method: 'POST',
        url: callbackUrl(),
        payload: {},
        remoteAddress: '196.201.214.200',
      });
      expect(allowed.statusCode).toBe(400); // past the IP check, refused as malformed
    } finally {
      await t2.close();
    }
  });
});

describe('refunds', () => {
  async function paidCheckout() {
    const { buyer, checkout } = await checkoutFor();
    await startPush(buyer, checkout.checkout_id);
    await elapse(5);
    expect((await paymentOf(buyer, checkout.checkout_id)).status).toBe('paid');
    return { buyer, checkout, orderId: checkout.orders[0]!.id };
  }

  it('a seller rejection refunds the buyer in full to the phone that paid; ledger: owed, then sent', async () => {
    const { buyer, checkout, orderId } = await paidCheckout();
    const rej = await api('POST', `/api/v1/seller/orders/${orderId}/reject`, seller.auth, {
      reason: 'out of stock',
    });
    expect(rej.statusCode, rej.body).toBe(200);
    expect((await t.app.services.ledger.balance(`buyer:${buyer.userId}:refunds_payable`)).posted).toBe(
      checkout.total,
    );
    await jobs().drain();
    let refunds = (await api('GET', '/api/v1/payments/refunds', buyer.auth)).json().items;
    expect(refunds).toEqual([
      expect.objectContaining({ status: 'sending', order_id: orderId, amount: checkout.total }),
    ]);
    await elapse(5);
    refunds = (await api('GET', '/api/v1/payments/refunds', buyer.auth)).json().items;
    expect(refunds[0]).toMatchObject({ status: 'succeeded', receipt: expect.stringMatching(/^SIM/) });
    expect((await t.app.services.ledger.balance(`buyer:${buyer.userId}:refunds_payable`)).posted).toBe(0);
    const admins = (
      await api('GET', `/api/v1/admin/payments/disbursements?order_id=${orderId}`, admin.auth)
    ).json();
    expect(admins.items).toHaveLength(1);
  });

  it('a failed refund is retried with a new reference; an unknown outcome is queried, never resent', async () => {
    const { buyer, orderId } = await paidCheckout();
    // The refund goes to the paying phone; make the simulator refuse the first send.
    await api('POST', `/api/v1/orders/${orderId}/cancel`, buyer.auth, {});
    await jobs().drain();
    const [d] = await pay().disbursementsOf({ orderId });
    const firstRef = d!.reference;
    await t.handle.db.execute(
      `update payment_simulator_txns set outcome = 'insufficient_funds' where reference = '${firstRef}'`,
    );
    await elapse(5);
    const retried = (await pay().disbursement(d!.id))!;
    expect(retried).toMatchObject({ status: 'queued', attempts: 1, resultCode: '1' });
    expect(retried.reference).not.toBe(firstRef);
    await elapse(600);
    expect((await pay().disbursement(d!.id))!).toMatchObject({ status: 'sending', attempts: 2 });
    // The second attempt's callback never comes: only its own chain of status queries can settle it.
    await t.handle.db.execute(
      `delete from jobs where kind = 'payments.simulator_callback' and status = 'pending'`,
    );
    await elapse(5);
    expect((await pay().disbursement(d!.id))!.status).toBe('sending');
    await elapse(60);
    expect((await pay().disbursement(d!.id))!).toMatchObject({ status: 'succeeded', attempts: 2 });
    // One send per reference at the provider: two attempts, two references, never the same one twice.
    const sends = await t.handle.db
      .select()
      .from(paymentSimulatorTxns)
      .where(inArray(paymentSimulatorTxns.reference, [firstRef, retried.reference]));
    expect(sends.map((x) => x.kind)).toEqual(['disbursement', 'disbursement']);
  });

  it('two refunds racing for one order make one disbursement; more than was paid is refused', async () => {
    const { checkout, orderId, buyer } = await paidCheckout();
    const req = {
      purposeKey: `refund:order:${orderId}`,
      orderId,
      checkoutId: checkout.checkout_id,
      buyerId: buyer.userId,
      amount: checkout.total,
      currency: 'TZS',
      payerPhone: null,
      reason: 'test',
    };
    const [a, b] = await Promise.allSettled([pay().requestOrderRefund(req), pay().requestOrderRefund(req)]);
    expect([a.status, b.status]).toEqual(['fulfilled', 'fulfilled']);
    expect(await pay().disbursementsOf({ orderId })).toHaveLength(1);
    await expect(
      pay().requestOrderRefund({ ...req, purposeKey: `refund:order:${orderId}:extra`, amount: 100 }),
    ).rejects.toMatchObject({ code: 'REFUND_EXCEEDS_PAYMENT' });
    // Undo the test-only refund request so the ledger stays matched to the orders.
    await t.handle.db.execute(`delete from payment_disbursements where order_id = '${orderId}'`);
    await t.handle.db.execute(`delete from jobs where kind = 'payments.send'`);
  });

  it('an admin retries a refund that ran out of attempts; only failed refunds', async () => {
    const { buyer, orderId } = await paidCheckout();
    await api('POST', `/api/v1/orders/${orderId}/cancel`, buyer.auth, {});
    await jobs().drain();
    const [d] = await pay().disbursementsOf({ orderId });
    const early = await api('POST', `/api/v1/admin/payments/refunds/${d!.id}/retry`, admin.auth, {
      reason: 'x',
    });
    expect(early.statusCode).toBe(409);
    await t.handle.db.execute(`update payment_disbursements set attempts = 5 where id = '${d!.id}'`);
    await t.handle.db.execute(
      `update payment_simulator_txns set outcome = 'wrong_pin' where reference = '${d!.reference}'`,
    );
    await elapse(5);
    expect((await pay().disbursement(d!.id))!.status).toBe('failed');
    expect(
      (await api('POST', `/api/v1/admin/payments/refunds/${d!.id}/retry`, buyer.auth, { reason: 'x' }))
        .statusCode,
    ).toBe(403);
    expect(
      (await api('POST', `/api/v1/admin/payments/refunds/${d!.id}/retry`, admin.auth, {})).statusCode,
    ).toBe(400);
    const ok = await api('POST', `/api/v1/admin/payments/refunds/${d!.id}/retry`, admin.auth, {
      reason: 'buyer called support',
    });
    expect(ok.statusCode, ok.body).toBe(200);
    await jobs().drain();
    await elapse(5);
    expect((await pay().disbursement(d!.id))!.status).toBe('succeeded');
  });
});

describe('seller payouts', () => {
  async function completedSale(quantity = 2, confirm = true) {
    const { buyer, checkout } = await checkoutFor('0754 123 456', quantity);
    await startPush(buyer, checkout.checkout_id);
    await elapse(5);
    const id = checkout.orders[0]!.id;
    for (const step of ['accept', 'ready', 'pick-up'])
      expect((await api('POST', `/api/v1/seller/orders/${id}/${step}`, seller.auth, {})).statusCode).toBe(
        200,
      );
    const code = (await orderOf(buyer, id)).delivery_code;
    const del = await api('POST', `/api/v1/seller/orders/${id}/deliver`, seller.auth, {
      code,
      location: { lat: -6.77, lng: 39.27 },
    });
    expect(del.statusCode, del.body).toBe(200);
    if (confirm)
      expect((await api('POST', `/api/v1/orders/${id}/confirm-receipt`, buyer.auth, {})).statusCode).toBe(
        200,
      );
    return { buyer, checkout };
  }

  it('pay → deliver → dispute → partial refund: the buyer gets the refund on the paying phone, the seller the rest of the base price', async () => {
    const { buyer, checkout } = await completedSale(2, false);
    const orderId = checkout.orders[0]!.id;
    const before = await balance(seller);
    const evidence = await upload(t, buyer.auth, 'dispute_evidence');
    const opened = await api('POST', `/api/v1/orders/${orderId}/disputes`, buyer.auth, {
      reason: 'damaged',
      description: 'One kanga is torn',
      evidence_media_ids: [evidence],
    });
    expect(opened.statusCode, opened.body).toBe(201);
    const resolved = await api('POST', `/api/v1/admin/disputes/${opened.json().id}/resolve`, admin.auth, {
      resolution: 'partial_refund',
      fault: 'seller',
      amount: 10_000_00,
      note: 'one of two items damaged',
    });
    expect(resolved.statusCode, resolved.body).toBe(200);
    await jobs().drain();
    await elapse(5);
    const refunds = (await api('GET', '/api/v1/payments/refunds', buyer.auth)).json().items;
    expect(refunds).toEqual([
      expect.objectContaining({
        status: 'succeeded',
        amount: 10_000_00,
        order_id: orderId,
        phone: '+255754123456',
      }),
    ]);
    expect((await t.app.services.ledger.balance(`buyer:${buyer.userId}:refunds_payable`)).posted).toBe(0);
    // The seller is credited the base price (2 × 10,000) less the refund.
    expect((await balance(seller)).available - before.available).toBe(10_000_00);
  });
  const balance = async (who: Actor) => (await api('GET', '/api/v1/seller/balance', who.auth)).json();

  it('pay → deliver → complete → payout: the seller is paid the full base price; one payout in flight', async () => {
    await completedSale();
    const before = await balance(seller);
    expect(before.available).toBeGreaterThanOrEqual(20_000_00);
    const res = await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
      seller_id: seller.userId,
      reason: 'weekly',
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ kind: 'payout', amount: before.available, phone: '+255754000999' });
    const mid = await balance(seller);
    expect(mid).toMatchObject({ available: 0, in_payout: before.available });
    const twice = await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
      seller_id: seller.userId,
      reason: 'again',
    });
    expect(twice.statusCode).toBe(409);
    await jobs().drain();
    await elapse(5);
    expect(await balance(seller)).toMatchObject({
      available: 0,
      in_payout: 0,
      paid_out: before.paid_out + before.available,
    });
    const mine = (await api('GET', '/api/v1/seller/payouts', seller.auth)).json().items;
    expect(mine[0]).toMatchObject({ status: 'succeeded', amount: before.available });
  });

  it('a payout failure only a callback reported keeps the reserve until an admin settles it from the statement', async () => {
    await completedSale();
    const before = await balance(seller);
    const res = await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
      seller_id: seller.userId,
      reason: 'weekly',
    });
    await jobs().drain();
    const id = res.json().id as string;
    await pay().settleDisbursement(
      id,
      {
        outcome: 'failed',
        providerRef: null,
        receipt: null,
        amount: null,
        msisdn: null,
        code: '2001',
        message: 'x',
      },
      'callback',
    );
    expect(await balance(seller)).toMatchObject({ available: 0, in_payout: before.available });
    // The next payout cannot pay the reserved money again.
    const again = await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
      seller_id: seller.userId,
      reason: 'x',
    });
    expect(again.statusCode).toBe(422);
    const url = `/api/v1/admin/payments/payouts/${id}/resolve`;
    expect((await api('POST', url, seller.auth, { sent: false, reason: 'x' })).statusCode).toBe(403);
    expect((await api('POST', url, admin.auth, { sent: 'no', reason: 'x' })).statusCode).toBe(400);
    const ok = await api('POST', url, admin.auth, { sent: false, reason: 'not on the M-Pesa statement' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(await balance(seller)).toMatchObject({ available: before.available, in_payout: 0 });
    expect((await api('POST', url, admin.auth, { sent: true, reason: 'twice' })).statusCode).toBe(409);
  });

  it('a failed payout returns the money to available', async () => {
    await completedSale();
    const before = await balance(seller);
    const res = await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
      seller_id: seller.userId,
      reason: 'weekly',
    });
    await jobs().drain();
    await t.handle.db.execute(
      `update payment_simulator_txns set outcome = 'insufficient_funds' where reference = '${res.json().id.replaceAll('-', '')}'`,
    );
    await elapse(5);
    expect((await pay().disbursement(res.json().id))!.status).toBe('failed');
    expect(await balance(seller)).toMatchObject({ available: before.available, in_payout: 0 });
  });

  it('refused: below the minimum, soon after the payout number changed, a banned seller, a non-seller, a non-admin', async () => {
    const fresh = await verifiedSeller(t, admin, 'New Duka');
    const low = await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
      seller_id: fresh.userId,
      reason: 'x',
    });
    expect(low.statusCode).toBe(422);
    expect(low.json().code).toBe('BELOW_PAYOUT_MINIMUM');

    await completedSale();
    const change = await api('PATCH', '/api/v1/me/seller-profile', seller.auth, {
      payout_phone: '0754 777 888',
    });
    expect(change.statusCode, change.body).toBe(200);
    const held = await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
      seller_id: seller.userId,
      reason: 'x',
    });
    expect(held.statusCode).toBe(409);
    expect(held.json().code).toBe('PAYOUT_ON_HOLD');
    t.clock.advanceSeconds(49 * 3600);
    await jobs().drain();

    const doc = await upload(t, admin.auth, 'kyc_document');
    void doc;
    const ban = await api('POST', `/api/v1/admin/users/${seller.userId}/ban`, admin.auth, {
      reason: 'fraud',
    });
    expect(ban.statusCode, ban.body).toBe(200);
    const banned = await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
      seller_id: seller.userId,
      reason: 'x',
    });
    expect(banned.statusCode).toBe(403);
    const buyer = await t.login(nextPhone());
    expect(
      (
        await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
          seller_id: buyer.userId,
          reason: 'x',
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await api('POST', '/api/v1/admin/payments/payouts', buyer.auth, {
          seller_id: seller.userId,
          reason: 'x',
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (await api('POST', '/api/v1/admin/payments/payouts', admin.auth, { seller_id: 'nope', reason: 'x' }))
        .statusCode,
    ).toBe(400);
    const reinstate = await api('POST', `/api/v1/admin/users/${seller.userId}/reinstate`, admin.auth, {
      reason: 'cleared',
    });
    expect(reinstate.statusCode, reinstate.body).toBe(200);
  });
});

describe('schedules of long-running processes', () => {
  it('the payment sweep, the payout run and the riders’ housekeeping each run and schedule their next turn, once across processes', async () => {
    await t.app.services.startSchedules();
    await t.app.services.startSchedules(); // a second process: the same deduplicated jobs
    const { jobs: jobsTable } = await import('../jobs/schema.js');
    const { inArray: inA } = await import('drizzle-orm');
    const pendingOf = async () =>
      (
        await t.handle.db
          .select()
          .from(jobsTable)
          .where(inA(jobsTable.kind, ['payments.sweep', 'payments.payout_run', 'riders.sweep']))
      ).filter((j) => j.status === 'pending');
    const before = await pendingOf();
    expect(before.map((j) => j.kind).sort()).toEqual([
      'payments.payout_run',
      'payments.sweep',
      'riders.sweep',
    ]);
    t.clock.advanceSeconds(11 * 60);
    await jobs().drain();
    const after = await pendingOf();
    const sweeps = after.filter((j) => j.kind !== 'payments.payout_run');
    expect(sweeps).toHaveLength(2);
    for (const s of sweeps) expect(s.runAt.getTime()).toBeGreaterThan(t.clock.now().getTime());
  });
});

describe('strangers are rate-limited', () => {
  it('payment prompts per client address per hour (each one rings someone’s phone)', async () => {
    const t2 = await createTestApp({ PAYMENT_PUSHES_PER_HOUR: '2' });
    try {
      const b = await t2.login(nextPhone());
      const url = '/api/v1/payments/checkouts/01a212ef-0000-7000-8000-000000000099/collections';
      const codes: number[] = [];
      for (let i = 0; i < 3; i++)
        codes.push((await t2.app.inject({ method: 'POST', url, headers: b.auth, payload: {} })).statusCode);
      expect(codes).toEqual([404, 404, 429]);
    } finally {
      await t2.close();
    }
  });
});
