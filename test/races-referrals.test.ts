import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { account } from '../src/modules/ledger/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { onPostgres } from './support/db.js';
import { type Actor, category, nextPhone, verifiedProduct, verifiedSeller } from './support/fixtures.js';

// Referral rewards under real concurrency: completions race on separate PostgreSQL connections.

if (!onPostgres)
  console.log(
    '[races-referrals] skipped: PGlite serialises every query; run with TEST_DATABASE_URL (CI does) to race on PostgreSQL',
  );

describe.runIf(onPostgres)('referral rewards under concurrency (PostgreSQL)', () => {
  let t: TestApp;
  let admin: Actor;
  let seller: Actor;
  let sku: string;
  let keys = 0;
  let n = 0;
  beforeAll(async () => {
    t = await createTestApp({ DISPUTE_WINDOW_HOURS: '48', REFERRAL_ATTRIBUTIONS_PER_HOUR: '100000' });
    admin = await t.loginAdmin('+255744500001');
    seller = await verifiedSeller(t, admin, 'Race Duka');
    const cat = await category(t, admin, 'Referral races');
    sku = (
      await verifiedProduct(t, admin, seller, {
        categoryId: cat,
        variants: [{ seller_sku: 'RR-1', price: 20_000_00, stock: 10_000 }],
      })
    ).skuIds[0]!;
  });
  afterAll(async () => {
    if (t) {
      expect(await t.app.services.orders.service.reconcile()).toEqual([]);
      expect(await t.app.services.referrals.service.checkCounters()).toEqual([]);
    }
    await t?.close();
  });

  const api = (method: 'GET' | 'POST' | 'PUT', url: string, auth: Record<string, string>, payload?: object) =>
    t.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });

  async function campaign(budget: number) {
    const res = await api('PUT', '/api/v1/admin/referrals/campaign', admin.auth, {
      active: true,
      referrer_reward: 3_000_00,
      referee_reward: 2_000_00,
      min_order_amount: 10_000_00,
      budget_amount: budget,
      per_referrer_daily_cap: null,
      per_referrer_total_cap: null,
      nearby_radius_meters: 50,
      reason: 'race',
    });
    expect(res.statusCode, res.body).toBe(200);
  }

  async function person() {
    const u = await t.login(nextPhone());
    const i = n++;
    const addr = await api('POST', '/api/v1/me/addresses', u.auth, {
      label: 'H',
      ward: `Race ward ${i}`,
      landmark: `Race landmark ${i}`,
    });
    return { ...u, addressId: addr.json().id as string };
  }

  async function referredBuyer() {
    const referrer = await person();
    const referee = await person();
    const code = (await api('GET', '/api/v1/me/referral-code', referrer.auth)).json().code;
    expect((await api('POST', '/api/v1/me/referral', referee.auth, { code })).statusCode).toBe(201);
    return { referrer, referee };
  }

  /** A paid and delivered order of `b`, waiting for the buyer's confirmation. */
  async function deliveredOrder(b: Awaited<ReturnType<typeof person>>) {
    await api('POST', '/api/v1/cart/items', b.auth, { sku_id: sku, quantity: 1 });
    const preview = (await api('GET', '/api/v1/cart', b.auth)).json();
    const co = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orders/checkout',
      headers: { ...b.auth, 'idempotency-key': `race-ref-${keys++}` },
      payload: {
        address_id: b.addressId,
        payer_phone: `0754 88${String(keys).padStart(4, '0')}`,
        preview_token: preview.preview_token,
      },
    });
    expect(co.statusCode, co.body).toBe(201);
    await t.app.services.orders.service.confirmPayment(co.json().checkout_id, `RACE-${keys}`);
    const id = co.json().orders[0].id as string;
    const code = (await api('GET', `/api/v1/orders/${id}`, b.auth)).json().delivery_code;
    for (const step of ['accept', 'ready', 'pick-up'])
      expect((await api('POST', `/api/v1/seller/orders/${id}/${step}`, seller.auth)).statusCode).toBe(200);
    const d = await api('POST', `/api/v1/seller/orders/${id}/deliver`, seller.auth, {
      code,
      location: { lat: -6.77, lng: 39.27 },
    });
    expect(d.statusCode, d.body).toBe(200);
    return id;
  }

  const confirm = (b: { auth: Record<string, string> }, id: string) =>
    api('POST', `/api/v1/orders/${id}/confirm-receipt`, b.auth);
  const rewardsOf = async (orderIds: string[]) =>
    (await Promise.all(orderIds.map((orderId) => t.app.services.ledger.transfersOf({ orderId }))))
      .flat()
      .filter((x) => x.kind === 'REFERRAL_REWARD');

  it('two first orders of one referee completing at once: one reward only', async () => {
    await campaign(1_000_000_00);
    for (let round = 0; round < 3; round++) {
      const { referrer, referee } = await referredBuyer();
      const a = await deliveredOrder(referee);
      const b = await deliveredOrder(referee);
      const replies = await Promise.all([confirm(referee, a), confirm(referee, b)]);
      expect(replies.map((r) => r.statusCode)).toEqual([200, 200]);
      const rewards = await rewardsOf([a, b]);
      expect(rewards).toHaveLength(2); // one per side, never four
      expect(new Set(rewards.map((r) => r.orderId)).size).toBe(1);
      expect((await t.app.services.ledger.balance(account.referralCredit(referrer.userId))).posted).toBe(
        3_000_00,
      );
      const mine = (await api('GET', '/api/v1/me/referrals', referrer.auth)).json();
      expect(mine.items[0].state).toBe('rewarded');
    }
  });

  it('budget exhaustion under concurrent completions: never a shilling overspent', async () => {
    const spentBefore = (await api('GET', '/api/v1/admin/referrals/campaign', admin.auth)).json()
      .spent_amount;
    // Room for exactly three pairs of rewards; eight referees complete at once.
    await campaign(spentBefore + 3 * 5_000_00);
    const pairs = [];
    for (let i = 0; i < 8; i++) {
      const p = await referredBuyer();
      pairs.push({ ...p, orderId: await deliveredOrder(p.referee) });
    }
    const replies = await Promise.all(pairs.map((p) => confirm(p.referee, p.orderId)));
    expect(replies.map((r) => r.statusCode)).toEqual(pairs.map(() => 200));
    const c = (await api('GET', '/api/v1/admin/referrals/campaign', admin.auth)).json();
    expect(c.spent_amount).toBe(c.budget_amount);
    expect(await rewardsOf(pairs.map((p) => p.orderId))).toHaveLength(6);
    const states = await Promise.all(
      pairs.map(
        async (p) => (await api('GET', '/api/v1/me/referrals', p.referrer.auth)).json().items[0].state,
      ),
    );
    expect(states.filter((s) => s === 'rewarded')).toHaveLength(3);
    expect(states.filter((s) => s === 'held')).toHaveLength(5);
    const report = (await api('GET', '/api/v1/admin/referrals/report', admin.auth)).json();
    expect(report.spent).toBe(report.cost);
    expect(await t.app.services.referrals.service.checkCounters()).toEqual([]);
  });

  it('one clawback asked twice at once: one negative adjustment per side', async () => {
    await campaign(10_000_000_00);
    const { referrer, referee } = await referredBuyer();
    const id = await deliveredOrder(referee);
    expect((await confirm(referee, id)).statusCode).toBe(200);
    const rid = (await api('GET', '/api/v1/me/referrals', referrer.auth)).json().items[0].id;
    const claw = () =>
      api('POST', `/api/v1/admin/referrals/${rid}/claw-back`, admin.auth, { reason: 'abuse' });
    const replies = await Promise.all([claw(), claw(), claw()]);
    expect(replies.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    const claws = (await t.app.services.ledger.transfersOf({ orderId: id })).filter(
      (x) => x.kind === 'REFERRAL_CLAWBACK',
    );
    expect(claws).toHaveLength(2);
    expect(await t.app.services.referrals.service.checkCounters()).toEqual([]);
  });
});
