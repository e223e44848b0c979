import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeVodacom, startFakeVodacom } from '../../../test/fakes/vodacom.js';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { ManualClock } from '../../shared/clock.js';
import { checkout, freePort, shopIn, TOKEN } from './providers.fixtures.js';
import { createVodacomProvider } from './vodacom.js';

// The real adapters inside the whole app, over real HTTP both ways: the app calls the provider's
// fake, and the fake posts its callbacks to the app's webhook on a real port. Forged and
// duplicate callbacks are posted the same way. Shared helpers live in providers.fixtures.ts.

describe('Vodacom Tanzania OpenAPI inside the app', () => {
  const clock = new ManualClock();
  let fake: FakeVodacom;
  let t: TestApp;
  let shop: Awaited<ReturnType<typeof shopIn>>;
  const apiKey = 'vodacom-api-key-test';

  beforeAll(async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    fake = await startFakeVodacom({
      now: () => clock.now(),
      apiKey,
      serviceProviderCode: '000000',
      listenerUrl: `${base}/api/v1/payments/callbacks/vodacom_tz/collection/${TOKEN}`,
    });
    t = await createTestApp(
      {
        PAYMENT_PROVIDER: 'vodacom_tz',
        VODACOM_API_KEY: 'x',
        VODACOM_PUBLIC_KEY: 'x',
        VODACOM_SERVICE_PROVIDER_CODE: '000000',
        PAYMENT_CALLBACK_TOKEN: TOKEN,
        PUBLIC_BASE_URL: base,
        PAYMENT_PUSHES_PER_HOUR: '100000',
      },
      {
        clock,
        paymentProvider: (record) =>
          createVodacomProvider(
            {
              baseUrl: fake.baseUrl,
              pathPrefix: fake.pathPrefix,
              apiKey,
              publicKey: fake.publicKeyBase64,
              serviceProviderCode: '000000',
              origin: '*',
              country: 'TZN',
              currency: 'TZS',
              timeoutMs: 2000,
              c2bTimeoutMs: 2000,
              retries: 1,
              backoffMs: 1,
              sessionTtlSeconds: 3000,
            },
            { clock, record },
          ),
      },
    );
    await t.app.listen({ port, host: '127.0.0.1' });
    shop = await shopIn(t, 'TZS');
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

  it('synchronous C2B: the PIN is entered while our call waits → paid at once, exactly once', async () => {
    const { api, checkout: co } = await checkout(t, shop.skuId, '0754 222 333');
    const push = await api('POST', `/api/v1/payments/checkouts/${co.checkout_id}/collections`, {});
    expect(push.statusCode, push.body).toBe(202);
    expect(push.json()).toMatchObject({
      status: 'succeeded',
      used_for: 'funded_checkout',
      receipt: expect.any(String),
    });
    const c2b = fake.requests.find((r) => r.operation === 'c2b')!;
    expect(c2b.body).toMatchObject({
      input_CustomerMSISDN: '255754222333',
      input_Amount: String(co.total / 100),
      input_Currency: 'TZS',
    });
    expect((await api('GET', `/api/v1/orders/${co.orders[0]!.id}`)).json().status).toBe('paid');
  });

  it('asynchronous C2B: the result posted to our listener is verified by queryTransactionStatus; a replay is a no-op', async () => {
    const { api, checkout: co } = await checkout(t, shop.skuId, '0754 222 334');
    fake.script.set('255754222334', { kind: 'async', delayMs: 10_000 });
    const push = await api('POST', `/api/v1/payments/checkouts/${co.checkout_id}/collections`, {});
    expect(push.json().status).toBe('pending');
    clock.advanceSeconds(15);
    expect(await fake.deliverCallbacks()).toBe(1);
    expect(fake.callbacks.at(-1)!.reply).toMatchObject({ output_ResponseCode: '0' });
    await drain();
    expect((await api('GET', `/api/v1/payments/checkouts/${co.checkout_id}`)).json().status).toBe('paid');
    const q = fake.requests.filter((r) => r.operation === 'query');
    expect(q.length).toBeGreaterThan(0);
    expect(q.at(-1)!.method).toBe('GET');
    // The same result again.
    const port = (t.app.server.address() as { port: number }).port;
    const again = await fetch(
      `http://127.0.0.1:${port}/api/v1/payments/callbacks/vodacom_tz/collection/${TOKEN}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(fake.callbacks.at(-1)!.body),
      },
    );
    expect(again.status).toBe(200);
    await drain();
    const c = (await pay().collectionsOfCheckout(co.checkout_id))[0]!;
    expect((await pay().callbacksList({ verdict: 'duplicate' })).some((x) => x.collectionId === c.id)).toBe(
      true,
    );
  });

  it('insufficient funds → failed with INS-2006 kept; a wrong-PIN retry → failed; then paid', async () => {
    const { api, checkout: co } = await checkout(t, shop.skuId, '0754 222 335');
    fake.script.set('255754222335', { kind: 'insufficient' });
    expect(
      (await api('POST', `/api/v1/payments/checkouts/${co.checkout_id}/collections`, {})).json(),
    ).toMatchObject({
      status: 'failed',
      result_code: 'INS-2006',
    });
    fake.script.set('255754222335', { kind: 'wrongPin' });
    expect(
      (await api('POST', `/api/v1/payments/checkouts/${co.checkout_id}/collections`, {})).json(),
    ).toMatchObject({
      status: 'failed',
      result_code: 'INS-2001',
    });
    fake.script.delete('255754222335');
    expect(
      (await api('POST', `/api/v1/payments/checkouts/${co.checkout_id}/collections`, {})).json().status,
    ).toBe('succeeded');
  });

  it('a forged result for an unknown conversation, or with a bad token, changes nothing', async () => {
    const port = (t.app.server.address() as { port: number }).port;
    const post = (token: string, body: object) =>
      fetch(`http://127.0.0.1:${port}/api/v1/payments/callbacks/vodacom_tz/collection/${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const body = {
      input_OriginalConversationID: 'abc',
      input_TransactionID: 'FORGED1',
      input_ResultCode: 'INS-0',
      input_ResultDesc: 'Request processed successfully',
      input_ThirdPartyConversationID: 'f'.repeat(32),
    };
    expect((await post('nottherighttoken'.repeat(3), body)).status).toBe(404);
    expect((await post(TOKEN, body)).status).toBe(200);
    expect((await post(TOKEN, { input_ResultCode: 5 })).status).toBe(400);
    const verdicts = (await pay().callbacksList({})).slice(0, 3).map((x) => x.verdict);
    expect(verdicts.sort()).toEqual(['bad_token', 'malformed', 'unknown_reference']);
  });

  it('pay → cancel before acceptance → refund by B2C, succeeded synchronously, entered in the ledger', async () => {
    const { api, checkout: co, buyer } = await checkout(t, shop.skuId, '0754 222 336');
    await api('POST', `/api/v1/payments/checkouts/${co.checkout_id}/collections`, {});
    expect((await api('POST', `/api/v1/orders/${co.orders[0]!.id}/cancel`, {})).statusCode).toBe(200);
    await drain();
    const [d] = await pay().disbursementsOf({ orderId: co.orders[0]!.id });
    expect(d).toMatchObject({ status: 'succeeded', amount: co.total });
    const b2c = fake.requests.find((r) => r.operation === 'b2c')!;
    expect(b2c.body).toMatchObject({
      input_ThirdPartyConversationID: d!.reference,
      input_CustomerMSISDN: '255754222336',
    });
    expect((await t.app.services.ledger.balance(`buyer:${buyer.userId}:refunds_payable`)).posted).toBe(0);
  });
});
