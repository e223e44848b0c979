import { generateKeyPairSync } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeDaraja, startFakeDaraja } from '../../../test/fakes/daraja.js';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { ManualClock } from '../../shared/clock.js';
import { createDarajaProvider } from './daraja.js';
import { checkout, freePort, shopIn, TOKEN } from './providers.fixtures.js';

// The real adapters inside the whole app, over real HTTP both ways: the app calls the provider's
// fake, and the fake posts its callbacks to the app's webhook on a real port. Forged and
// duplicate callbacks are posted the same way. Shared helpers live in providers.fixtures.ts.

describe('Safaricom Daraja inside the app', () => {
  const clock = new ManualClock();
  let fake: FakeDaraja;
  let t: TestApp;
  let base: string;
  let shop: Awaited<ReturnType<typeof shopIn>>;
  const creds = {
    consumerKey: 'ck_app_test',
    consumerSecret: 'cs_app_SECRET',
    shortcode: '174379',
    passkey: 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919',
  };
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  /** When set, the next STK push reaches Safaricom but its reply is lost on the way back. */
  let dropNextStkReply = false;
  const lossyFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (dropNextStkReply && String(input).endsWith('/mpesa/stkpush/v1/processrequest')) {
      dropNextStkReply = false;
      throw Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
    }
    return res;
  };

  beforeAll(async () => {
    fake = await startFakeDaraja({
      now: () => clock.now(),
      ...creds,
      b2cShortcode: '600992',
      initiatorName: 'kkooapi',
    });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await createTestApp(
      {
        PAYMENT_PROVIDER: 'daraja',
        // Required by the config check; the adapter itself is built below, pointed at the fake.
        DARAJA_CONSUMER_KEY: 'x',
        DARAJA_CONSUMER_SECRET: 'x',
        DARAJA_SHORTCODE: '174379',
        DARAJA_PASSKEY: 'x',
        DARAJA_INITIATOR_NAME: 'x',
        DARAJA_INITIATOR_PASSWORD: 'x',
        DARAJA_CERT_PATH: '/dev/null',
        PAYMENT_CALLBACK_TOKEN: TOKEN,
        PUBLIC_BASE_URL: base,
        DELIVERY_FEE: '10000',
        PAYMENT_PUSHES_PER_HOUR: '100000',
        PAYMENT_FIRST_QUERY_SECONDS: '60',
      },
      {
        clock,
        paymentProvider: (record) =>
          createDarajaProvider(
            {
              baseUrl: fake.baseUrl,
              ...creds,
              transactionType: 'CustomerPayBillOnline',
              partyB: creds.shortcode,
              initiatorName: 'kkooapi',
              initiatorPassword: 'Initiator-PW',
              certificatePem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
              b2cShortcode: '600992',
              currency: 'KES',
              timeoutMs: 2000,
              retries: 1,
              backoffMs: 1,
              statusResultUrl: `${base}/api/v1/payments/callbacks/daraja/disbursement/${TOKEN}`,
              statusTimeoutUrl: `${base}/api/v1/payments/callbacks/daraja/disbursement/${TOKEN}`,
            },
            { clock, record, fetchImpl: lossyFetch },
          ),
      },
    );
    await t.app.listen({ port, host: '127.0.0.1' });
    shop = await shopIn(t, 'KES');
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  afterEach(async () => {
    expect(await t.app.services.orders.service.reconcile()).toEqual([]);
  });
  const drain = () => t.app.services.jobs.drain();
  const pay = () => t.app.services.payments.service;

  it('STK push → Safaricom calls back → STK query confirms → paid; the stored call record has no secrets', async () => {
    const { buyer, api, checkout: co } = await checkout(t, shop.skuId, '+254 712 345 678');
    const push = await api('POST', `/api/v1/payments/checkouts/${co.checkout_id}/collections`, {});
    expect(push.statusCode, push.body).toBe(202);
    expect(push.json()).toMatchObject({ status: 'pending', currency: 'KES', provider: 'daraja' });
    const stk = fake.requests.find((r) => r.path === '/mpesa/stkpush/v1/processrequest')!;
    expect(stk.body).toMatchObject({
      Amount: co.total / 100,
      PhoneNumber: 254712345678,
      CallBackURL: `${base}/api/v1/payments/callbacks/daraja/collection/${TOKEN}`,
    });
    clock.advanceSeconds(30);
    expect(await fake.deliverCallbacks()).toBe(1);
    expect(fake.callbacks.at(-1)!.status).toBe(200);
    await drain();
    const p = (await api('GET', `/api/v1/payments/checkouts/${co.checkout_id}`)).json();
    expect(p.status).toBe('paid');
    expect(p.collections[0]).toMatchObject({
      status: 'succeeded',
      receipt: expect.any(String),
      used_for: 'funded_checkout',
    });
    expect((await api('GET', `/api/v1/orders/${co.orders[0]!.id}`)).json().status).toBe('paid');
    void buyer;

    // Safaricom posts the same callback again: a no-op.
    const replay = await fetch(fake.callbacks.at(-1)!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: fake.callbacks.at(-1)!.body,
    });
    expect(replay.status).toBe(200);
    await drain();
    const holds = await t.app.services.ledger.transfersOf({ orderId: co.orders[0]!.id });
    expect(holds.filter((x) => x.kind === 'ESCROW_HOLD')).toHaveLength(1);

    const reference = (await pay().collectionsOfCheckout(co.checkout_id))[0]!.reference;
    const calls = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/payments/provider-calls?reference=${reference}`,
      headers: shop.admin.auth,
    });
    const text = calls.body;
    expect(calls.json().items.length).toBeGreaterThan(0);
    for (const secret of [creds.consumerSecret, creds.passkey, 'Initiator-PW', ...fake.tokens])
      expect(text).not.toContain(secret);
  });

  it('an accepted callback and its verify job commit together: when the job cannot be written, no accepted log is left and the provider’s retry pays', async () => {
    const { api, checkout: co } = await checkout(t, shop.skuId, '+254 712 345 670');
    const push = await api('POST', `/api/v1/payments/checkouts/${co.checkout_id}/collections`, {});
    expect(push.statusCode, push.body).toBe(202);
    const collectionId = (await pay().collectionsOfCheckout(co.checkout_id))[0]!.id;
    const db = t.handle.db;
    await db.execute(
      sql.raw(`create or replace function test_crash_on_verify_job() returns trigger language plpgsql
        as $$ begin raise exception 'simulated crash writing the verify job'; end $$`),
    );
    await db.execute(
      sql.raw(`create trigger test_crash_on_verify_job before insert on jobs for each row
        when (new.kind = 'payments.verify_collection') execute function test_crash_on_verify_job()`),
    );
    try {
      clock.advanceSeconds(30);
      expect(await fake.deliverCallbacks()).toBe(1);
      expect(fake.callbacks.at(-1)!.status).toBe(500);
    } finally {
      await db.execute(sql.raw('drop trigger test_crash_on_verify_job on jobs'));
    }
    const logged = await db.execute(
      sql`select verdict from payment_callbacks where collection_id = ${collectionId}`,
    );
    expect((logged as { rows: unknown[] }).rows).toEqual([]);
    // Safaricom retries the callback: accepted now, verified by the job, paid.
    const retry = await fetch(fake.callbacks.at(-1)!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: fake.callbacks.at(-1)!.body,
    });
    expect(retry.status).toBe(200);
    await drain();
    expect((await api('GET', `/api/v1/payments/checkouts/${co.checkout_id}`)).json().status).toBe('paid');
  });

  it('forged callbacks over the wire change nothing: wrong token, unknown CheckoutRequestID, wrong amount', async () => {
    const { api, checkout: co } = await checkout(t, shop.skuId, '+254 712 345 679');
    fake.script.set('254712345679', { kind: 'noCallback', afterMs: 3_600_000 });
    await api('POST', `/api/v1/payments/checkouts/${co.checkout_id}/collections`, {});
    const c = (await pay().collectionsOfCheckout(co.checkout_id))[0]!;
    const forged = (checkoutRequestId: string, amount: number, token = TOKEN) =>
      fetch(`${base}/api/v1/payments/callbacks/daraja/collection/${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          Body: {
            stkCallback: {
              MerchantRequestID: 'x',
              CheckoutRequestID: checkoutRequestId,
              ResultCode: 0,
              ResultDesc: 'The service request is processed successfully.',
              CallbackMetadata: {
                Item: [
                  { Name: 'Amount', Value: amount },
                  { Name: 'MpesaReceiptNumber', Value: 'FORGED1234' },
                  { Name: 'TransactionDate', Value: 20261125120000 },
                  { Name: 'PhoneNumber', Value: 254712345679 },
                ],
              },
            },
          },
        }),
      });
    expect((await forged(c.providerRef!, c.amount / 100, 'wrong'.repeat(8))).status).toBe(404);
    expect((await forged('ws_CO_unknown', c.amount / 100)).status).toBe(200);
    expect((await forged(c.providerRef!, c.amount / 100 - 1)).status).toBe(200);
    // Right id, right amount — but Safaricom's own STK query says it is still being processed.
    expect((await forged(c.providerRef!, c.amount / 100)).status).toBe(200);
    await drain();
    expect((await pay().collection(c.id))!.status).toBe('pending');
    const verdicts = (await pay().callbacksList({})).slice(0, 4).map((x) => x.verdict);
    expect(verdicts.sort()).toEqual(['accepted', 'amount_mismatch', 'bad_token', 'unknown_reference']);
  });

  it('a push whose reply was lost: its callback is matched by phone and amount, verified by STK query, and pays', async () => {
    const { api, checkout: co } = await checkout(t, shop.skuId, '+254 712 345 690');
    dropNextStkReply = true;
    const push = await api('POST', `/api/v1/payments/checkouts/${co.checkout_id}/collections`, {});
    expect(push.statusCode, push.body).toBe(202);
    // The push reached Safaricom but we never heard back: pending, with no CheckoutRequestID to ask by.
    expect(push.json()).toMatchObject({ status: 'pending' });
    expect((await pay().collectionsOfCheckout(co.checkout_id))[0]!.providerRef).toBeNull();
    clock.advanceSeconds(30);
    expect(await fake.deliverCallbacks()).toBe(1);
    await drain();
    const p = (await api('GET', `/api/v1/payments/checkouts/${co.checkout_id}`)).json();
    expect(p.status).toBe('paid');
    expect(p.collections[0]).toMatchObject({ status: 'succeeded', used_for: 'funded_checkout' });
  });

  it('a forged failure for a refund in flight sends nothing again: recorded for an admin, no second B2C', async () => {
    const { api, checkout: co } = await checkout(t, shop.skuId, '+254 712 345 691');
    await api('POST', `/api/v1/payments/checkouts/${co.checkout_id}/collections`, {});
    clock.advanceSeconds(30);
    await fake.deliverCallbacks();
    await drain();
    fake.script.set('254712345691', { kind: 'noCallback', afterMs: 3_600_000 });
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/seller/orders/${co.orders[0]!.id}/reject`,
      headers: shop.seller.auth,
      payload: { reason: 'sold out' },
    });
    await drain();
    const [d] = await pay().disbursementsOf({ orderId: co.orders[0]!.id });
    expect(d!.status).toBe('sending');
    // Sends to this buyer's phone (other tests' late refunds also reach the fake meanwhile).
    const b2cToBuyer = () =>
      fake.requests.filter(
        (r) =>
          r.path === '/mpesa/b2c/v3/paymentrequest' && (r.body as { PartyB: number }).PartyB === 254712345691,
      ).length;
    const b2cBefore = b2cToBuyer();
    const forged = await fetch(`${base}/api/v1/payments/callbacks/daraja/disbursement/${TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        Result: {
          ResultType: 0,
          ResultCode: 2001,
          ResultDesc: 'The initiator information is invalid.',
          OriginatorConversationID: d!.reference,
          ConversationID: 'AG_forged',
          TransactionID: 'FORGED',
        },
      }),
    });
    expect(forged.status).toBe(200);
    await drain();
    clock.advanceSeconds(3600);
    await drain();
    const after = (await pay().disbursement(d!.id))!;
    expect(after).toMatchObject({ status: 'failed', attempts: 1 });
    expect(b2cBefore).toBe(1);
    expect(b2cToBuyer()).toBe(1);
    fake.script.delete('254712345691');
  });

  it('a checkout in another currency than the provider’s is refused before any call', async () => {
    const tzs = await shopIn(t, 'TZS');
    const { api, checkout: co } = await checkout(t, tzs.skuId, '+254 712 345 692');
    const before = fake.requests.length;
    const push = await api('POST', `/api/v1/payments/checkouts/${co.checkout_id}/collections`, {});
    expect(push.statusCode).toBe(409);
    expect(push.json().code).toBe('CURRENCY_NOT_SUPPORTED');
    expect(fake.requests.length).toBe(before);
  });

  it('cancel on the handset → cancelled; the buyer pushes again', async () => {
    const { api, checkout: co } = await checkout(t, shop.skuId, '+254 712 345 680');
    fake.script.set('254712345680', { kind: 'cancel', afterMs: 1000 });
    await api('POST', `/api/v1/payments/checkouts/${co.checkout_id}/collections`, {});
    clock.advanceSeconds(5);
    await fake.deliverCallbacks();
    await drain();
    const p = (await api('GET', `/api/v1/payments/checkouts/${co.checkout_id}`)).json();
    expect(p.collections[0]).toMatchObject({ status: 'cancelled', result_code: '1032' });
    expect(p.status).toBe('pending_payment');
  });

  it('pay → seller rejects → refund by B2C with our OriginatorConversationID; the result callback settles it', async () => {
    const { api, checkout: co, buyer } = await checkout(t, shop.skuId, '+254 712 345 681');
    await api('POST', `/api/v1/payments/checkouts/${co.checkout_id}/collections`, {});
    clock.advanceSeconds(30);
    await fake.deliverCallbacks();
    await drain();
    const rej = await t.app.inject({
      method: 'POST',
      url: `/api/v1/seller/orders/${co.orders[0]!.id}/reject`,
      headers: shop.seller.auth,
      payload: { reason: 'sold out' },
    });
    expect(rej.statusCode, rej.body).toBe(200);
    await drain();
    const [d] = await pay().disbursementsOf({ orderId: co.orders[0]!.id });
    expect(d).toMatchObject({ status: 'sending', amount: co.total });
    const b2c = fake.requests.find(
      (r) =>
        r.path === '/mpesa/b2c/v3/paymentrequest' &&
        (r.body as { OriginatorConversationID: string }).OriginatorConversationID === d!.reference,
    )!;
    expect(b2c.body).toMatchObject({
      OriginatorConversationID: d!.reference,
      PartyB: 254712345681,
      Amount: co.total / 100,
    });
    clock.advanceSeconds(30);
    await fake.deliverCallbacks();
    await drain();
    expect(await pay().disbursement(d!.id)).toMatchObject({
      status: 'succeeded',
      receipt: expect.any(String),
    });
    expect((await t.app.services.ledger.balance(`buyer:${buyer.userId}:refunds_payable`)).posted).toBe(0);
  });
});
