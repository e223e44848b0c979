import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/app.js';
import { onPostgres } from './support/db.js';
import {
  type Actor,
  category,
  discountCode,
  nextPhone,
  promotion,
  verifiedProduct,
  verifiedSeller,
} from './support/fixtures.js';

if (!onPostgres)
  console.log(
    '[races-orders] skipped: PGlite serialises every query; run with TEST_DATABASE_URL (CI does) to race on PostgreSQL',
  );

describe.runIf(onPostgres)('checkout and orders under concurrency (PostgreSQL)', () => {
  let t: TestApp;
  let admin: Actor;
  let seller: Actor;
  let cat: string;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.loginAdmin('+255744100001');
    seller = await verifiedSeller(t, admin);
    cat = await category(t, admin, 'Races');
  });
  afterAll(async () => {
    if (t) expect(await t.app.services.orders.service.reconcile()).toEqual([]);
    await t?.close();
  });

  async function buyer(skuId: string) {
    const b = await t.login(nextPhone());
    const add = await t.app.inject({
      method: 'POST',
      url: '/api/v1/cart/items',
      headers: b.auth,
      payload: { sku_id: skuId, quantity: 1 },
    });
    const addr = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/addresses',
      headers: b.auth,
      payload: { label: 'H', ward: 'W', landmark: 'L' },
    });
    const preview = (await t.app.inject({ method: 'GET', url: '/api/v1/cart', headers: b.auth })).json()
      .preview_token;
    return {
      ...b,
      ok: add.statusCode === 200,
      body: { address_id: addr.json().id, payer_phone: '0754 123 456', preview_token: preview },
    };
  }

  /** Each buyer checks out at once under its own key (`prefix-i`). */
  const checkoutAll = (buyers: Array<{ auth: Record<string, string>; body: object }>, prefix: string) =>
    Promise.all(
      buyers.map((b, i) =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/orders/checkout',
          headers: { ...b.auth, 'idempotency-key': `${prefix}-${i}-key` },
          payload: b.body,
        }),
      ),
    );

  const reportOf = async (promoId: string) =>
    (
      await t.app.inject({ method: 'GET', url: `/api/v1/admin/promotions/${promoId}`, headers: admin.auth })
    ).json().report;

  /**
   * Two sellers' SKUs (1 000 and 2 000) in this file's category, a 10 % promotion on it with
   * `budget`, and a code: `buyer()` makes a buyer with one of each in the cart, the code applied.
   */
  async function twoSellerSale(tag: string, stock: number, budget: number) {
    const other = await verifiedSeller(t, admin);
    const a = await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: `${tag}-A`, price: 1_000_00, stock }],
    });
    const b = await verifiedProduct(t, admin, other, {
      categoryId: cat,
      variants: [{ seller_sku: `${tag}-B`, price: 2_000_00, stock }],
    });
    await promotion(t, admin, {
      name: `${tag} 10%`,
      scope: { type: 'category', id: cat },
      priority: 8,
      budget_amount: budget,
    });
    await discountCode(t, admin, `${tag}10`);
    return {
      skuA: a.skuIds[0]!,
      skuB: b.skuIds[0]!,
      buyer: async () => {
        const x = await buyer(a.skuIds[0]!);
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/cart/items',
          headers: x.auth,
          payload: { sku_id: b.skuIds[0], quantity: 1 },
        });
        await t.app.inject({
          method: 'PUT',
          url: '/api/v1/cart/code',
          headers: x.auth,
          payload: { code: `${tag}10` },
        });
        const preview = (await t.app.inject({ method: 'GET', url: '/api/v1/cart', headers: x.auth })).json()
          .preview_token;
        return { ...x, body: { ...x.body, preview_token: preview } };
      },
    };
  }

  it('twenty buyers, five units: exactly five orders, no oversell, no 5xx', async () => {
    const p = await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'FLASH-PLAIN', price: 1_000_00, stock: 5 }],
    });
    const buyers = await Promise.all(Array.from({ length: 20 }, () => buyer(p.skuIds[0]!)));
    const results = await Promise.all(
      buyers.map((b, i) =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/orders/checkout',
          headers: { ...b.auth, 'idempotency-key': `plain-${i}-key` },
          payload: b.body,
        }),
      ),
    );
    expect(results.filter((r) => r.statusCode >= 500)).toEqual([]);
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(5);
    expect(
      (await t.app.services.catalog.sellableSkus(t.handle.db, [p.skuIds[0]!])).get(p.skuIds[0]!)!.stock,
    ).toBe(0);
  });

  it('twenty buyers, five units, a budget for three discounts: five orders, no oversell, no overspend, no 5xx', async () => {
    const p = await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'FLASH', price: 1_000_00, stock: 5 }],
    });
    const promoId = await promotion(t, admin, {
      name: 'Flash 100',
      value: { type: 'fixed', amount: 100_00 },
      scope: { type: 'sku', id: p.skuIds[0] },
      priority: 9,
      budget_amount: 300_00,
    });
    const buyers = await Promise.all(Array.from({ length: 20 }, () => buyer(p.skuIds[0]!)));
    const results = await checkoutAll(buyers, 'flash');
    expect(results.filter((r) => r.statusCode >= 500)).toEqual([]);
    const stock = (await t.app.services.catalog.sellableSkus(t.handle.db, [p.skuIds[0]!])).get(
      p.skuIds[0]!,
    )!.stock;
    const sold = results.filter((r) => r.statusCode === 201).length;
    expect(sold).toBeLessThanOrEqual(5);
    expect(stock).toBe(5 - sold);
    expect(stock).toBeGreaterThanOrEqual(0);
    const report = await reportOf(promoId);
    expect(report.burned_amount).toBeLessThanOrEqual(300_00);
    expect(report.uses).toBeLessThanOrEqual(3);
  });

  it('twenty-four buyers, a budget for sixteen discounts, one per budget slice: sixteen discounted orders, the rest refused as out of budget, no 5xx', async () => {
    const p = await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'SLICED', price: 1_000_00, stock: 100 }],
    });
    // 1 600 over 16 slices is 100 each: every slice pays exactly one 100 discount.
    const promoId = await promotion(t, admin, {
      name: 'Sliced 100',
      value: { type: 'fixed', amount: 100_00 },
      scope: { type: 'sku', id: p.skuIds[0] },
      priority: 9,
      budget_amount: 1_600_00,
    });
    const buyers = await Promise.all(Array.from({ length: 24 }, () => buyer(p.skuIds[0]!)));
    const results = await checkoutAll(buyers, 'sliced');
    expect(results.filter((r) => r.statusCode >= 500)).toEqual([]);
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(16);
    // The rest are told the discount is gone: by the budget's refusal, or, when the second try
    // re-prices after the budget ran out, by a changed preview carrying the new price.
    const refused = results.filter((r) => r.statusCode === 409).map((r) => r.json().code);
    expect(refused).toHaveLength(8);
    for (const code of refused) expect(['PROMOTION_BUDGET_EXHAUSTED', 'PREVIEW_CHANGED']).toContain(code);
    for (const r of results.filter((x) => x.statusCode === 201))
      expect(r.json().orders[0].snapshot.discount_total).toBe(100_00);
    expect(await reportOf(promoId)).toMatchObject({ uses: 16, burned_amount: 1_600_00, budget_left: 0 });
  });

  it('unpaid two-seller checkouts with a promotion and a code expiring while new buyers check out the same SKUs with them: no deadlock, no 5xx, budgets whole', async () => {
    // 20 buyers × 300 exactly: slices of 375 each pay one buyer, so the second wave also takes the
    // waiting second try while the first wave's expiries give budget back.
    const sale = await twoSellerSale('MIX', 100, 6_000_00);
    const first = await Promise.all(Array.from({ length: 10 }, sale.buyer));
    const placed = await checkoutAll(first, 'mix-first');
    expect(placed.map((r) => r.statusCode)).toEqual(Array(10).fill(201));
    const second = await Promise.all(Array.from({ length: 10 }, sale.buyer));
    t.clock.advanceSeconds(31 * 60);
    // The expiries and the new checkouts all at once; an expiry that throws (a deadlock) fails the test.
    const [expired, replies] = await Promise.all([
      Promise.all(placed.map((r) => t.app.services.orders.service.expireCheckout(r.json().checkout_id))),
      checkoutAll(second, 'mix-second'),
    ]);
    expect(expired).toEqual(Array(10).fill(true));
    expect(replies.filter((r) => r.statusCode >= 500)).toEqual([]);
    expect(replies.filter((r) => r.statusCode === 201)).toHaveLength(10);
    expect(await t.app.services.promotions.service.checkCounters()).toEqual([]);
    const stocks = await t.app.services.catalog.sellableSkus(t.handle.db, [sale.skuA, sale.skuB]);
    expect(stocks.get(sale.skuA)!.stock).toBe(90);
    expect(stocks.get(sale.skuB)!.stock).toBe(90);
  });

  it('expiring a two-seller checkout with a promotion and a code takes its locks in checkout’s order: every SKU, then the promotion’s slices, then the code', async () => {
    const sale = await twoSellerSale('ORDER', 10, 1_000_000_00);
    const [res] = await checkoutAll([await sale.buyer()], 'lock-order');
    expect(res!.statusCode, res!.body).toBe(201);
    expect(res!.json().orders).toHaveLength(2);
    t.clock.advanceSeconds(31 * 60);

    // Every statement the expiry sends, in order.
    const sent: string[] = [];
    const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = proto.query;
    proto.query = function (this: unknown, ...args: unknown[]) {
      const q = args[0] as string | { text: string };
      sent.push(typeof q === 'string' ? q : q.text);
      return original.apply(this, args);
    };
    try {
      expect(await t.app.services.orders.service.expireCheckout(res!.json().checkout_id)).toBe(true);
    } finally {
      proto.query = original;
    }
    const at = (re: RegExp) => sent.flatMap((q, i) => (re.test(q) ? [i] : []));
    const skus = at(/product_variants/);
    const slices = at(/promotion_budget_slices/);
    const codes = at(/update "discount_codes"/);
    expect(skus.length).toBeGreaterThan(0);
    expect(slices.length).toBeGreaterThan(0);
    expect(codes).toHaveLength(1);
    // No SKU is locked or restocked once a budget has been touched, and no budget after the code.
    expect(Math.max(...skus)).toBeLessThan(Math.min(...slices));
    expect(Math.max(...slices)).toBeLessThan(codes[0]!);
    // One give-back for both orders.
    expect(at(/update "incentive_burns"/)).toHaveLength(1);
    expect(await t.app.services.promotions.service.checkCounters()).toEqual([]);
  });

  it('the same checkout sent twice at once with one key makes one order', async () => {
    const p = await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'TWICE', price: 1_000_00, stock: 5 }],
    });
    const b = await buyer(p.skuIds[0]!);
    const results = await Promise.all(
      [0, 1, 2].map(() =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/orders/checkout',
          headers: { ...b.auth, 'idempotency-key': 'same-key-123' },
          payload: b.body,
        }),
      ),
    );
    expect(results.filter((r) => r.statusCode >= 500)).toEqual([]);
    const ids = new Set(results.filter((r) => r.statusCode === 201).map((r) => r.json().checkout_id));
    expect(ids.size).toBe(1);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/orders', headers: b.auth })).json().items,
    ).toHaveLength(1);
  });

  it('one cart checked out at once under different keys: one order, the others find the cart empty', async () => {
    // A checkout waiting for the cart's lock must read the lines as they are once it gets it,
    // not as they were when it started waiting (they were ordered and deleted meanwhile).
    const p = await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'ONECART', price: 1_000_00, stock: 50 }],
    });
    for (let round = 0; round < 5; round++) {
      const b = await buyer(p.skuIds[0]!);
      const results = await Promise.all(
        [0, 1, 2, 3].map((k) =>
          t.app.inject({
            method: 'POST',
            url: '/api/v1/orders/checkout',
            headers: { ...b.auth, 'idempotency-key': `one-cart-${round}-${k}` },
            payload: b.body,
          }),
        ),
      );
      expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409]);
      expect(results.filter((r) => r.statusCode === 409).map((r) => r.json().code)).toEqual([
        'CART_EMPTY',
        'CART_EMPTY',
        'CART_EMPTY',
      ]);
      expect(
        (await t.app.inject({ method: 'GET', url: '/api/v1/orders', headers: b.auth })).json().items,
      ).toHaveLength(1);
    }
  });

  it('a seller accepting while the buyer cancels: exactly one wins', async () => {
    const p = await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'RACE-ACC', price: 1_000_00, stock: 50 }],
    });
    for (let round = 0; round < 5; round++) {
      const b = await buyer(p.skuIds[0]!);
      const co = (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/orders/checkout',
          headers: { ...b.auth, 'idempotency-key': `acc-${round}-key` },
          payload: b.body,
        })
      ).json();
      await t.app.services.orders.service.confirmPayment(co.checkout_id, `REF-${round}`);
      const id = co.orders[0].id;
      const [accept, cancel] = await Promise.all([
        t.app.inject({ method: 'POST', url: `/api/v1/seller/orders/${id}/accept`, headers: seller.auth }),
        t.app.inject({ method: 'POST', url: `/api/v1/orders/${id}/cancel`, headers: b.auth }),
      ]);
      expect([accept.statusCode, cancel.statusCode].sort()).toEqual([200, 409]);
    }
  });

  it('payment confirmed while the expiry job runs: the order ends paid or cancelled, never both', async () => {
    const p = await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'RACE-EXP', price: 1_000_00, stock: 50 }],
    });
    const b = await buyer(p.skuIds[0]!);
    const co = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/orders/checkout',
        headers: { ...b.auth, 'idempotency-key': 'exp-race-key' },
        payload: b.body,
      })
    ).json();
    t.clock.advanceSeconds(30 * 60 - 1);
    const svc = t.app.services.orders.service;
    const [paid] = await Promise.allSettled([
      svc.confirmPayment(co.checkout_id, 'REF'),
      (async () => {
        t.clock.advanceSeconds(2);
        return svc.expireCheckout(co.checkout_id);
      })(),
    ]);
    const status = (
      await t.app.inject({ method: 'GET', url: `/api/v1/orders/${co.orders[0].id}`, headers: b.auth })
    ).json().status;
    expect(['paid', 'cancelled']).toContain(status);
    if (paid.status === 'fulfilled') expect(status).toBe('paid');
  });
});
