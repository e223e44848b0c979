// The referrals HTTP tests' shared world: an app whose clock can run through many dispute windows,
// an admin, a seller with a product above and one below the campaign's minimum, the campaign set,
// and the steps of a referee's first order (checkout, simulator payment, delivery, the window).
import { expect } from 'vitest';
import { account } from '../../src/modules/ledger/index.js';
import { createTestApp } from './app.js';
import { type Actor, category, nextPhone, verifiedProduct, verifiedSeller } from './fixtures.js';

/** The campaign every test starts from (and returns to). */
export const CAMPAIGN = {
  active: true,
  referrer_reward: 3_000_00,
  referee_reward: 2_000_00,
  min_order_amount: 10_000_00,
  budget_amount: 1_000_000_00,
  per_referrer_daily_cap: 5,
  per_referrer_total_cap: 50,
  nearby_radius_meters: 50,
};

export async function referralsTestApp() {
  const t = await createTestApp({
    DELIVERY_FEE: '300000',
    DISPUTE_WINDOW_HOURS: '48',
    SIMULATOR_DELAY_MS: '5000',
    PAYMENT_PUSHES_PER_HOUR: '100000',
    REFERRAL_LINK_BASE_URL: 'https://kkoo.example/r',
    // Each dispute window moves the clock two days: sessions must outlive the whole file.
    SESSION_TTL_DAYS: '365',
    REFERRAL_ATTRIBUTIONS_PER_HOUR: '100000',
  });
  const admin = await t.loginAdmin('+255754500001');
  const seller = await verifiedSeller(t, admin, 'Mama Rafiki');
  const cat = await category(t, admin, 'Referrals');
  const p = await verifiedProduct(t, admin, seller, {
    categoryId: cat,
    variants: [
      { seller_sku: 'R-KANGA', price: 20_000_00, stock: 1000 },
      { seller_sku: 'R-PIN', price: 1_000_00, stock: 1000 },
    ],
  });
  const [sku, cheapSku] = p.skuIds as [string, string];

  const api = (
    method: 'GET' | 'POST' | 'PUT',
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

  async function setCampaign(over: object, reason = 'test setup') {
    const res = await api('PUT', '/api/v1/admin/referrals/campaign', admin.auth, {
      ...CAMPAIGN,
      ...over,
      reason,
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  }

  let keys = 0;
  let places = 0;
  /** A signed-in user with a saved address of their own (a distinct place unless given). */
  async function person(place?: { ward: string; landmark: string; location?: { lat: number; lng: number } }) {
    const phone = nextPhone();
    const u = await t.login(phone);
    const n = places++;
    const addr = await api('POST', '/api/v1/me/addresses', u.auth, {
      label: 'Home',
      ...(place ?? {
        ward: `Ward ${n}`,
        landmark: `Landmark ${n}`,
        location: { lat: -6.7 - n * 0.01, lng: 39.2 },
      }),
    });
    expect(addr.statusCode, addr.body).toBe(201);
    return { ...u, phone, addressId: addr.json().id as string };
  }
  type Person = Awaited<ReturnType<typeof person>>;

  const codeOf = async (u: Actor) =>
    (await api('GET', '/api/v1/me/referral-code', u.auth)).json().code as string;
  const attribute = (u: Actor, code: unknown) => api('POST', '/api/v1/me/referral', u.auth, { code });

  async function checkout(b: Person, payerPhone: string, skuId = sku) {
    await api('POST', '/api/v1/cart/items', b.auth, { sku_id: skuId, quantity: 1 });
    const preview = (await api('GET', '/api/v1/cart', b.auth)).json();
    const res = await api(
      'POST',
      '/api/v1/orders/checkout',
      b.auth,
      { address_id: b.addressId, payer_phone: payerPhone, preview_token: preview.preview_token },
      { 'idempotency-key': `ref-key-${keys++}` },
    );
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { checkout_id: string; orders: Array<{ id: string }> };
  }

  /** Paid through the simulator: push, the simulated customer answers, the callback settles it. */
  async function payWithSimulator(b: Person, checkoutId: string) {
    const push = await api('POST', `/api/v1/payments/checkouts/${checkoutId}/collections`, b.auth, {});
    expect(push.statusCode, push.body).toBe(202);
    t.clock.advanceSeconds(5);
    await t.app.services.jobs.drain();
  }

  /** Seller delivers with the buyer's code; the order then sits in its dispute window. */
  async function deliver(b: Person, orderId: string) {
    const code = (await api('GET', `/api/v1/orders/${orderId}`, b.auth)).json().delivery_code;
    for (const step of ['accept', 'ready', 'pick-up']) {
      const r = await api('POST', `/api/v1/seller/orders/${orderId}/${step}`, seller.auth);
      expect(r.statusCode, `${step}: ${r.body}`).toBe(200);
    }
    const d = await api('POST', `/api/v1/seller/orders/${orderId}/deliver`, seller.auth, {
      code,
      location: { lat: -6.77, lng: 39.27 },
    });
    expect(d.json().status).toBe('delivered');
  }

  /** The dispute window passes (injected clock) and the auto-complete timer runs. */
  async function windowPasses() {
    t.clock.advanceSeconds(49 * 3600);
    await t.app.services.jobs.drain();
  }

  async function firstOrder(b: Person, payerPhone = b.phone, skuId = sku) {
    const co = await checkout(b, payerPhone, skuId);
    await t.app.services.orders.service.confirmPayment(co.checkout_id, `MPESA-${keys}`);
    await deliver(b, co.orders[0]!.id);
    return co.orders[0]!.id;
  }

  const mine = async (u: Actor) => (await api('GET', '/api/v1/me/referrals', u.auth)).json();
  const report = async () => (await api('GET', '/api/v1/admin/referrals/report', admin.auth)).json();
  const held = async () =>
    (await api('GET', '/api/v1/admin/referrals?state=held&limit=100', admin.auth)).json().items;
  const credit = async (userId: string) =>
    (await t.app.services.ledger.balance(account.referralCredit(userId))).posted;
  const referralTransfers = async (orderId: string) =>
    (await t.app.services.ledger.transfersOf({ orderId })).filter((x) => x.kind.startsWith('REFERRAL'));

  /** A referrer and a referee attributed to them; the referee's own phone pays unless told otherwise. */
  async function pair() {
    const referrer = await person();
    const referee = await person();
    const res = await attribute(referee, await codeOf(referrer));
    expect(res.statusCode, res.body).toBe(201);
    return { referrer, referee };
  }

  await setCampaign({});
  return {
    t,
    admin,
    seller,
    sku,
    cheapSku,
    api,
    setCampaign,
    person,
    codeOf,
    attribute,
    checkout,
    payWithSimulator,
    deliver,
    windowPasses,
    firstOrder,
    mine,
    report,
    held,
    credit,
    referralTransfers,
    pair,
  };
}

export type ReferralsTestApp = Awaited<ReturnType<typeof referralsTestApp>>;
