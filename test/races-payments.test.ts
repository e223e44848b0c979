import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/app.js';
import { onPostgres } from './support/db.js';
import { type Actor, category, nextPhone, verifiedProduct, verifiedSeller } from './support/fixtures.js';

if (!onPostgres)
  console.log(
    '[races-payments] skipped: PGlite serialises every query; run with TEST_DATABASE_URL (CI does) to race on PostgreSQL',
  );

describe.runIf(onPostgres)('payments under concurrency (PostgreSQL)', () => {
  let t: TestApp;
  let admin: Actor;
  let seller: Actor;
  let skuId: string;
  beforeAll(async () => {
    t = await createTestApp({ PAYMENT_PUSHES_PER_HOUR: '100000', PAYOUT_MINIMUM: '100' });
    admin = await t.loginAdmin('+255744200001');
    seller = await verifiedSeller(t, admin, 'Race Pesa');
    const cat = await category(t, admin, 'Payment races');
    const p = await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'PAY-RACE', price: 1_000_00, stock: 500 }],
    });
    skuId = p.skuIds[0]!;
  });
  afterAll(async () => {
    if (t) expect(await t.app.services.orders.service.reconcile()).toEqual([]);
    await t?.close();
  });
  const pay = () => t.app.services.payments.service;

  async function pendingCollection() {
    const b = await t.login(nextPhone());
    const inj = (
      method: 'GET' | 'POST',
      url: string,
      payload?: object,
      headers: Record<string, string> = {},
    ) => t.app.inject({ method, url, headers: { ...b.auth, ...headers }, ...(payload ? { payload } : {}) });
    await inj('POST', '/api/v1/cart/items', { sku_id: skuId, quantity: 1 });
    const addr = await inj('POST', '/api/v1/me/addresses', { label: 'H', ward: 'W', landmark: 'L' });
    const preview = (await inj('GET', '/api/v1/cart')).json().preview_token;
    const co = await inj(
      'POST',
      '/api/v1/orders/checkout',
      { address_id: addr.json().id, payer_phone: '0754 123 456', preview_token: preview },
      { 'idempotency-key': `race-${Math.random().toString(36).slice(2)}` },
    );
    const checkoutId = co.json().checkout_id as string;
    await inj('POST', `/api/v1/payments/checkouts/${checkoutId}/collections`, { simulate: 'no_callback' });
    const c = (await pay().collectionsOfCheckout(checkoutId))[0]!;
    return { checkoutId, c, orderId: co.json().orders[0].id as string };
  }

  it('callback, reconciler and a replay settle one collection at once: one escrow hold, one clearing entry', async () => {
    for (let round = 0; round < 5; round++) {
      const { c, orderId } = await pendingCollection();
      const success = {
        outcome: 'succeeded' as const,
        providerRef: c.providerRef,
        receipt: `RACE${round}X`,
        amount: c.amount,
        msisdn: c.msisdn,
        code: '0',
        message: 'ok',
      };
      const results = await Promise.allSettled([
        pay().settleCollection(c.id, success, 'callback'),
        pay().settleCollection(c.id, success, 'reconciler'),
        pay().settleCollection(c.id, success, 'replay'),
      ]);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const transfers = await t.app.services.ledger.transfersOf({ orderId });
      expect(transfers.filter((x) => x.kind === 'ESCROW_HOLD')).toHaveLength(1);
      const collected = await t.app.services.ledger.transfersOf({ account: 'provider:clearing' });
      expect(collected.filter((x) => x.kind === 'COLLECTION' && x.paymentId === c.id)).toHaveLength(1);
    }
  });

  it('two payout requests at once for one seller: one payout, the other a clear conflict', async () => {
    // Earn something: pay and complete one order through the service.
    const { c, orderId } = await pendingCollection();
    await pay().settleCollection(
      c.id,
      {
        outcome: 'succeeded',
        providerRef: null,
        receipt: 'PAYOUTRACE',
        amount: c.amount,
        msisdn: c.msisdn,
        code: '0',
        message: 'ok',
      },
      'test',
    );
    const orders = t.app.services.orders.service;
    const actor = { userId: seller.userId, role: 'seller' as const };
    await orders.act(orderId, 'accept', actor);
    await orders.act(orderId, 'mark_ready', actor);
    await orders.act(orderId, 'pick_up', actor);
    const code = (await orders.view(orderId, { userId: null, role: 'admin' })).order.deliveryCode!;
    await orders.deliver(orderId, actor, { code, location: { lat: -6.8, lng: 39.2 } });
    t.clock.advanceSeconds(49 * 3600);
    await orders.autoComplete(orderId);
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () =>
        pay().requestPayout(seller.userId, { userId: admin.userId, reason: 'race' }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    for (const r of results.filter((x) => x.status === 'rejected'))
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'PAYOUT_IN_FLIGHT' });
    expect(await t.app.services.ledger.checkInvariants()).toEqual([]);
  });
});
