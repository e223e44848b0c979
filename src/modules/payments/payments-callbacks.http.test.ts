import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../../test/support/app.js';
import {
  api,
  callbackUrl,
  checkoutFor,
  elapse,
  jobs,
  pay,
  paymentOf,
  slowProvider,
  startPush,
  TOKEN,
  t,
  usePaymentsApp,
} from './payments.fixtures.js';

// Payments end to end through the API with the simulator: it posts its callbacks to our real
// webhook route, and the reconciler's status queries read its answers. Shared setup lives in
// payments.fixtures.ts.

usePaymentsApp();

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
