import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../../test/support/app.js';
import { nextPhone } from '../../../test/support/fixtures.js';
import {
  admin,
  api,
  callbackUrl,
  checkoutFor,
  elapse,
  jobs,
  orderOf,
  pay,
  paymentOf,
  slowProvider,
  startPush,
  t,
  usePaymentsApp,
} from './payments.fixtures.js';

// Payments end to end through the API with the simulator: it posts its callbacks to our real
// webhook route, and the reconciler's status queries read its answers. Shared setup lives in
// payments.fixtures.ts.

usePaymentsApp();

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
