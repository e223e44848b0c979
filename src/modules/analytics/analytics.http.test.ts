import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { type ConsoleSession, consoleSignIn } from '../../../test/support/console.js';
import {
  type Actor,
  category,
  demoZones,
  nextPhone,
  promotion,
  sellerAt,
  upload,
  verifiedProduct,
} from '../../../test/support/fixtures.js';
import { DAR_DEMO_ZONES } from '../../demo-zones.js';
import { ManualClock } from '../../shared/clock.js';
import { cohortsOf } from './cohorts.js';
import { economicsMap, flagsOf, summarise } from './figures.js';
import { isoWeekOf } from './periods.js';
import { loadFacts, refreshFacts } from './queries.js';
import { unitEconomics } from './unit-economics.js';

// A known history, made through the real domain commands (checkout, mobile-money simulator, seller,
// rider, disputes, refunds), and every analytics figure checked against values computed by hand
// here AND against the ledger's sums for the same orders.
//
// Monday 30 Nov 2026 (Dar es Salaam), every order 10 000 TZS with 10 % off (platform-funded), one
// rider who keeps 80 % of the delivery fee F:
//   O1 buyer A  delivered on time, confirmed            → completed
//   O2 buyer B  rejected by the seller                  → refunded in full
//   O3 buyer A  delivered, disputed, 2 000 back         → partially refunded (seller bears it)
//   O4 buyer C  delivered late (F back), confirmed      → completed, late compensation
//   O5 buyer D  delivered, disputed, full refund        → refunded, the platform pays the rider
//   O6 buyer E  checkout never paid                     → expired: in no figure
//   O7 buyer A  paid Tuesday 1 Dec 22:30 UTC            → Wednesday 2 Dec in Dar: paid, still open

const PRICE = 10_000_00;
const PROMO = 1_000_00;
const FINAL = PRICE - PROMO;
const PARTIAL = 2_000_00;
const COLLECTION_FEE = 100_00;
const SEND_FEE = 200_00;
const SMS = 7;
const WHATSAPP = 11;
const share = (fee: number) => Math.floor((fee * 8000) / 10_000 / 100) * 100;

let t: TestApp;
let admin: Actor;
let seller: Actor;
let rider: Actor;
let skuId: string;
let categoryId: string;
let otherCategoryId: string;
let mikocheniId: string;
let kariakooId: string;
let promotionId: string;
const o: Record<string, string> = {};
let F = 0;
const centre = (name: string) => DAR_DEMO_ZONES.find((z) => z.name === name)!.centre;

type Auth = { authorization: string };
const post = (url: string, headers: Auth, payload?: object) =>
  t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers, payload: payload ?? {} });
const get = (url: string, headers: Auth) => t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers });
const ok = async <R extends { statusCode: number; body: string }>(p: Promise<R>, status = 200) => {
  const res = await p;
  expect(res.statusCode, res.body).toBe(status);
  return res;
};
async function settle() {
  for (let i = 0; i < 3; i++) {
    t.clock.advanceSeconds(5);
    await t.app.services.jobs.drain();
  }
}

async function checkout(buyer: Actor) {
  const added = await post('/cart/items', buyer.auth, { sku_id: skuId, quantity: 1 });
  expect(added.statusCode, added.body).toBeLessThan(300);
  const addr = await post('/me/addresses', buyer.auth, {
    label: 'Home',
    ward: 'W',
    landmark: 'L',
    location: centre('Mikocheni'),
  });
  const preview = (await get('/cart', buyer.auth)).json();
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/orders/checkout',
    headers: { ...buyer.auth, 'idempotency-key': `an-${Math.random().toString(36).slice(2)}` },
    payload: {
      address_id: addr.json().id,
      payer_phone: '0754 123 456',
      preview_token: preview.preview_token,
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { checkout_id: string; orders: Array<{ id: string; delivery_fee: number }> };
}

async function paidOrder(buyer: Actor) {
  const co = await checkout(buyer);
  await ok(post(`/payments/checkouts/${co.checkout_id}/collections`, buyer.auth), 202);
  await settle();
  return co.orders[0]!.id;
}

async function riderDelivers(orderId: string, buyer: Actor, late = false) {
  for (const step of ['accept', 'ready']) await ok(post(`/seller/orders/${orderId}/${step}`, seller.auth));
  await ok(post(`/admin/dispatch/${orderId}/assign`, admin.auth, { rider_id: rider.userId, reason: 'test' }));
  const handover = (await get(`/seller/orders/${orderId}`, seller.auth)).json().handover_code as string;
  await ok(post(`/rider/jobs/${orderId}/pick-up`, rider.auth, { handover_code: handover }));
  if (late) {
    const view = await t.app.services.orders.service.view(orderId, { userId: null, role: 'admin' });
    t.clock.set(new Date(view.order.promisedBy!.getTime() + 10 * 60_000));
  }
  const code = (await get(`/orders/${orderId}`, buyer.auth)).json().delivery_code as string;
  await ok(post(`/rider/jobs/${orderId}/deliver`, rider.auth, { code }));
}

async function dispute(orderId: string, buyer: Actor, resolution: object) {
  const evidence = await upload(t, buyer.auth, 'dispute_evidence');
  const opened = await ok(
    post(`/orders/${orderId}/disputes`, buyer.auth, {
      reason: 'damaged',
      description: 'Torn',
      evidence_media_ids: [evidence],
    }),
    201,
  );
  await ok(
    post(`/admin/disputes/${opened.json().id}/resolve`, admin.auth, { note: 'checked', ...resolution }),
  );
}

beforeAll(async () => {
  t = await createTestApp(
    {
      DELIVERY_QUOTES: 'zones',
      RIDER_FEE_SHARE_BP: '8000',
      PAYMENT_FEE_TARIFF_COLLECTION: `[{"up_to":null,"fixed":${COLLECTION_FEE},"bp":0}]`,
      PAYMENT_FEE_TARIFF_DISBURSEMENT: `[{"up_to":null,"fixed":${SEND_FEE},"bp":0}]`,
      SMS_COST_MINOR: String(SMS),
      WHATSAPP_COST_MINOR: String(WHATSAPP),
    },
    // Monday 30 Nov 2026, 09:00 in Dar es Salaam.
    { clock: new ManualClock('2026-11-30T06:00:00Z') },
  );
  admin = await t.loginAdmin('+255754360001');
  const zones = await demoZones(t, admin);
  mikocheniId = zones.get('Mikocheni')!;
  kariakooId = zones.get('Kariakoo')!;
  seller = await sellerAt(t, admin, 'Analytics Duka', centre('Kariakoo'));
  categoryId = await category(t, admin, 'Analytics goods');
  otherCategoryId = await category(t, admin, 'Nothing sold here');
  skuId = (
    await verifiedProduct(t, admin, seller, {
      title: 'Kanga <b>bora</b>',
      categoryId,
      variants: [{ seller_sku: 'AN-1', price: PRICE, stock: 100 }],
    })
  ).skuIds[0]!;
  promotionId = await promotion(t, admin, { ends_at: '2027-01-31T00:00:00Z' });
  rider = await t.login(nextPhone());
  await ok(
    post('/rider/profile', rider.auth, {
      vehicle: 'boda_boda',
      plate: 'MC 321 XYZ',
      home_zone_id: kariakooId,
    }),
  );
  await ok(post(`/admin/riders/${rider.userId}/verify`, admin.auth));
  await ok(post('/rider/online', rider.auth));
  await ok(post('/rider/pings', rider.auth, { lat: -6.8203, lng: 39.2752 }));

  const [A, B, C, D, E] = [
    await t.login(nextPhone()),
    await t.login(nextPhone()),
    await t.login(nextPhone()),
    await t.login(nextPhone()),
    await t.login(nextPhone()),
  ] as [Actor, Actor, Actor, Actor, Actor];

  o.O1 = await paidOrder(A);
  await riderDelivers(o.O1, A);
  await ok(post(`/orders/${o.O1}/confirm-receipt`, A.auth));

  o.O2 = await paidOrder(B);
  await ok(post(`/seller/orders/${o.O2}/reject`, seller.auth, { reason: 'out of stock' }));
  await settle();

  o.O3 = await paidOrder(A);
  await riderDelivers(o.O3, A);
  await dispute(o.O3, A, { resolution: 'partial_refund', amount: PARTIAL, fault: 'seller' });
  await settle();

  o.O4 = await paidOrder(C);
  await riderDelivers(o.O4, C, true);
  await settle();
  await ok(post(`/orders/${o.O4}/confirm-receipt`, C.auth));

  o.O5 = await paidOrder(D);
  await riderDelivers(o.O5, D);
  await dispute(o.O5, D, { resolution: 'full_refund', fault: 'seller' });
  await settle();

  const expired = await checkout(E);
  o.O6 = expired.orders[0]!.id;
  t.clock.advanceSeconds(31 * 60);
  await t.app.services.jobs.drain();

  // Tuesday 1 Dec 22:30 UTC is Wednesday 2 Dec 01:30 in Dar es Salaam.
  t.clock.set('2026-12-01T22:29:55Z');
  o.O7 = await paidOrder(A);
  await settle();

  F = expired.orders[0]!.delivery_fee;

  // The notifications outbox as its dispatcher leaves it (order events reach it through
  // notifications-pending today): analytics reads the cost where the provider reported one.
  const message = (channel: string, status: string, cost: number | null) => sql`
    insert into notification_messages (id, dedupe_key, event_id, event_type, recipient_id, order_id,
      channel, template_key, language, title, body, category, critical, status, status_history,
      cost_minor, cost_currency, caused_at, send_after, created_at)
    values (gen_random_uuid(), gen_random_uuid()::text, 'e', 'order.paid', ${A.userId}::uuid, ${o.O1}::uuid,
      ${channel}, 't', 'sw', 'T', 'B', 'transactional', false, ${status}, '[]'::jsonb,
      ${cost}, ${cost === null ? null : 'TZS'}, now(), now(), now())`;
  for (const m of [
    message('sms', 'delivered', null),
    message('whatsapp', 'read', 33),
    message('whatsapp', 'sent', null),
    message('in_app', 'read', null),
    message('sms', 'failed', null),
  ])
    await t.handle.db.execute(m);
}, 120_000);
afterAll(() => t.close());

const range = 'from=2026-11-30&to=2026-12-02';

/** SMS the order events sent (not the rows this file inserted), billable at the configured cost, per order. */
async function producedSmsByOrder(): Promise<Map<string, number>> {
  const res = (await t.handle.db.execute(sql`
    select order_id, count(*)::int as n from notification_messages
    where event_id <> 'e' and channel = 'sms' and cost_minor is null and status in ('sent', 'delivered', 'read')
      and order_id is not null
    group by order_id`)) as unknown as { rows: Array<{ order_id: string; n: number }> };
  return new Map(res.rows.map((r) => [r.order_id, Number(r.n)]));
}
const api = (path: string, query = '') => get(`/admin/analytics/${path}?${range}${query}`, admin.auth);

describe('the seeded history is what the scenario says', () => {
  it('statuses, times and the ledger', async () => {
    const db = t.handle.db;
    const res = await db.execute(sql`select id, status, paid_at from orders`);
    const rows = (res as unknown as { rows: Array<{ id: string; status: string; paid_at: Date | null }> })
      .rows;
    const status = Object.fromEntries(rows.map((r) => [r.id, r.status]));
    expect([o.O1, o.O2, o.O3, o.O4, o.O5, o.O6, o.O7].map((id) => status[id!])).toEqual([
      'completed',
      'rejected',
      'resolved',
      'completed',
      'refunded',
      'cancelled',
      'paid',
    ]);
    const paid7 = rows.find((r) => r.id === o.O7)!.paid_at!;
    expect(new Date(paid7).toISOString()).toBe('2026-12-01T22:30:00.000Z');
    expect(F).toBeGreaterThan(0);
    expect(await t.app.services.orders.service.reconcile()).toEqual([]);
  });
});

describe('every figure against hand-computed values', () => {
  it('summary totals and per-day series (Dar es Salaam days)', async () => {
    const res = await ok(api('summary', '&grain=day'));
    const body = res.json();
    const gmv = 6 * (FINAL + F);
    const late = F;
    const incentives = 4 * PROMO + late;
    expect(body.totals).toEqual({
      orders: 6,
      gmv,
      average_order_value: FINAL + F,
      take: 3 * (F - share(F)),
      incentives: {
        promotion: 4 * PROMO,
        code: 0,
        loyalty: 0,
        referral: 0,
        late_compensation: late,
        total: incentives,
        share_of_gmv_bp: Math.floor((incentives * 10_000) / gmv),
      },
      refunds: 2 * (FINAL + F) + PARTIAL,
      refund_rate_bp: 5000,
      dispute_rate_bp: 3333,
      on_time_rate_bp: 7500,
      acceptance_rate_bp: 8000,
      new_buyers: 4,
      repeat_buyers: 0,
    });
    expect(body.series.map((s: { period: string; orders: number }) => [s.period, s.orders])).toEqual([
      ['2026-11-30', 5],
      ['2026-12-01', 0],
      ['2026-12-02', 1],
    ]);
    expect(body.series[2]).toMatchObject({ gmv: FINAL + F, new_buyers: 0, repeat_buyers: 1, take: 0 });
    // by week: all in the week of Monday 30 Nov
    const weekly = (await ok(api('summary', '&grain=week'))).json();
    expect(weekly.series).toHaveLength(1);
    expect(weekly.series[0]).toMatchObject({ period: '2026-11-30', orders: 6, gmv });
    // the 22:30 UTC order is not on 1 Dec (UTC's day) but on 2 Dec
    const dec1 = (await ok(get('/admin/analytics/summary?from=2026-12-01&to=2026-12-01', admin.auth))).json();
    expect(dec1.totals.orders).toBe(0);
  });

  it('unit economics: contribution per order, by week, and per order', async () => {
    // O1's messages: an SMS and a WhatsApp sent without a cost (the configured costs apply), a
    // WhatsApp with the provider's cost, an in-app message (free) and a failed SMS (not billed);
    // plus the SMS the order events themselves sent to buyers and sellers (counted in the outbox).
    const produced = await producedSmsByOrder();
    const producedSms = [...produced.values()].reduce((a, b) => a + b, 0);
    expect(producedSms).toBeGreaterThan(0);
    const messageCosts = SMS + WHATSAPP + 33 + producedSms * SMS;
    // refunds sent: O2 (all), O3 (partial), O4 (late fee), O5 (all)
    const paymentFees = 6 * COLLECTION_FEE + 4 * SEND_FEE;
    const take = 3 * (F - share(F));
    const contribution = take - 4 * PROMO - F - share(F) - paymentFees - messageCosts;
    const body = (await ok(api('unit-economics', '&by=week'))).json();
    expect(body.total).toEqual({
      key: 'total',
      orders: 6,
      gmv: 6 * (FINAL + F),
      take,
      incentives: 4 * PROMO,
      late_compensation: F,
      absorbed_refunds: share(F),
      payment_fees: paymentFees,
      message_costs: messageCosts,
      contribution,
      contribution_per_order: Math.floor(contribution / 6),
    });
    expect(body.items).toEqual([{ ...body.total, key: '2026-11-30' }]);
    expect(body.trend).toEqual(body.items);

    const byOrder = (await ok(api('unit-economics', '&by=order'))).json().items as Array<
      Record<string, number | string>
    >;
    const row = (id: string) => byOrder.find((r) => r.key === id)!;
    expect(row(o.O1!)).toMatchObject({
      message_costs: SMS + WHATSAPP + 33 + (produced.get(o.O1!) ?? 0) * SMS,
    });
    expect(row(o.O2!)).toMatchObject({ take: 0, incentives: 0, payment_fees: COLLECTION_FEE + SEND_FEE });
    expect(row(o.O5!)).toMatchObject({ take: 0, incentives: 0, absorbed_refunds: share(F) });
    expect(row(o.O4!)).toMatchObject({ take: F - share(F), late_compensation: F, incentives: PROMO });
    expect(row(o.O7!)).toMatchObject({ take: 0, incentives: PROMO, payment_fees: COLLECTION_FEE });
    // worst first
    const contributions = byOrder.map((r) => r.contribution as number);
    expect(contributions).toEqual([...contributions].sort((a, b) => a - b));

    for (const by of ['zone', 'category', 'seller']) {
      const g = (await ok(api('unit-economics', `&by=${by}`))).json();
      expect(g.items).toHaveLength(1);
      expect(g.total.contribution).toBe(contribution);
    }
    const byZone = (await ok(api('unit-economics', '&by=zone'))).json();
    expect(byZone.items[0].key).toBe('Mikocheni');
    // the promotion's own contribution: the orders it discounted (O1, O2, O3, O4, O5, O7: all of them)
    const promo = (await ok(api('unit-economics', `&by=week&promotion=${promotionId}`))).json();
    expect(promo.total.contribution).toBe(contribution);
  });

  it('cohorts by ISO week of the first paid order', async () => {
    const body = (await ok(api('cohorts'))).json();
    expect(body.items).toEqual([
      { cohort: isoWeekOf(new Date('2026-11-30T06:00:00Z')), buyers: 4, active: [4] },
    ]);
    expect(body.items[0].cohort).toBe('2026-W49');
  });

  it('top products and sellers', async () => {
    const body = (await ok(api('top'))).json();
    expect(body.products).toEqual([
      expect.objectContaining({ title: 'Kanga <b>bora</b>', units: 6, amount: 6 * FINAL, orders: 6 }),
    ]);
    expect(body.sellers).toEqual([
      expect.objectContaining({
        seller_id: seller.userId,
        shop_name: 'Analytics Duka',
        orders: 6,
        gmv: 6 * (FINAL + F),
      }),
    ]);
  });

  it('each figure drills down to its orders; pages join up without gaps or repeats', async () => {
    const ids = async (figure: string, extra = '') =>
      (
        (await ok(api('orders', `&figure=${figure}${extra}`))).json().items as Array<{ order_id: string }>
      ).map((i) => i.order_id);
    const sorted = (xs: Array<string | undefined>) => [...(xs as string[])].sort();
    expect(sorted(await ids('orders'))).toEqual(sorted([o.O1, o.O2, o.O3, o.O4, o.O5, o.O7]));
    expect(sorted(await ids('refunded'))).toEqual(sorted([o.O2, o.O3, o.O5]));
    expect(sorted(await ids('refunded_in_full'))).toEqual(sorted([o.O2, o.O5]));
    expect(await ids('partially_refunded')).toEqual([o.O3]);
    expect(sorted(await ids('disputed'))).toEqual(sorted([o.O3, o.O5]));
    expect(await ids('late')).toEqual([o.O4]);
    expect(await ids('late_compensation')).toEqual([o.O4]);
    expect(sorted(await ids('on_time'))).toEqual(sorted([o.O1, o.O3, o.O5]));
    expect(await ids('refused')).toEqual([o.O2]);
    expect(sorted(await ids('take'))).toEqual(sorted([o.O1, o.O3, o.O4]));
    expect(await ids('orders', '&period=2026-12-02')).toEqual([o.O7]);
    expect(await ids('repeat_buyers')).toEqual([]);
    const first = (await ok(api('orders', '&limit=4'))).json();
    expect(first.items).toHaveLength(4);
    const second = (await ok(api('orders', `&limit=4&cursor=${first.next_cursor}`))).json();
    expect(second.next_cursor).toBeNull();
    expect(sorted([...first.items, ...second.items].map((i: { order_id: string }) => i.order_id))).toEqual(
      sorted([o.O1, o.O2, o.O3, o.O4, o.O5, o.O7]),
    );
    expect(first.items[0].paid_at).toMatch(/\+03:00$/);
  });

  it('filters: zone, category, seller', async () => {
    const count = async (q: string) => (await ok(api('summary', q))).json().totals.orders;
    expect(await count(`&zone=${mikocheniId}`)).toBe(6);
    expect(await count(`&zone=${kariakooId}`)).toBe(0);
    expect(await count(`&category=${categoryId}`)).toBe(6);
    expect(await count(`&category=${otherCategoryId}`)).toBe(0);
    expect(await count(`&seller=${seller.userId}`)).toBe(6);
  });
});

describe('reconciled with the ledger', () => {
  it('the money figures equal the ledger sums for the same orders', async () => {
    const body = (await ok(get(`/admin/analytics/reconciliation?${range}`, admin.auth))).json();
    expect(body.problems).toEqual([]);
    expect(body.ok).toBe(true);
    expect(body.orders).toBe(6);
    const line = (f: string) => body.lines.find((l: { figure: string }) => l.figure === f);
    expect(line('gmv')).toMatchObject({ analytics: 6 * (FINAL + F), ledger: 6 * (FINAL + F) });
    expect(line('incentives')).toMatchObject({ analytics: 4 * PROMO, ledger: 4 * PROMO });
    expect(line('take')).toMatchObject({ ledger: 3 * (F - share(F)) });
    expect(line('late_compensation')).toMatchObject({ ledger: F });
    expect(line('absorbed_refunds')).toMatchObject({ ledger: share(F) });
    expect(line('refunds')).toMatchObject({ ledger: 2 * (FINAL + F) + PARTIAL });
  });

  it('the economics stored at fold time equal the pure rules recomputed, and the page’s SQL sums equal the in-process figures', async () => {
    const svc = t.app.services.analytics.service;
    const r = await svc.resolve({ from: '2026-11-30', to: '2026-12-02', grain: 'day' });
    await refreshFacts(t.handle.db, t.app.services.analytics.settings);
    const facts = await loadFacts(t.handle.db, r.filter);
    const econ = economicsMap(facts, t.app.services.analytics.settings);
    const stored = (
      (await t.handle.db.execute(sql`select order_id, e_gmv, e_take, e_promotion, e_code, e_loyalty, e_referral,
        e_incentives, e_late_compensation, e_absorbed_refunds, e_refunds, e_payment_fees, e_message_costs,
        e_contribution, refunded_any, promised_delivered, on_time from analytics_order_facts`)) as {
        rows: unknown;
      }
    ).rows as Array<Record<string, unknown>>;
    expect(stored.length).toBe(6);
    for (const o of facts) {
      const e = econ.get(o.id)!;
      const row = stored.find((x) => x.order_id === o.id)!;
      expect(
        Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'boolean' ? v : String(v)])),
      ).toEqual({
        order_id: o.id,
        e_gmv: String(e.gmv),
        e_take: String(e.take),
        e_promotion: String(e.promotion),
        e_code: String(e.code),
        e_loyalty: String(e.loyalty),
        e_referral: String(e.referral),
        e_incentives: String(e.incentives),
        e_late_compensation: String(e.lateCompensation),
        e_absorbed_refunds: String(e.absorbedRefunds),
        e_refunds: String(e.refunds),
        e_payment_fees: String(e.paymentFees),
        e_message_costs: String(e.messageCosts),
        e_contribution: String(e.contribution),
        refunded_any: flagsOf(o).refundedAny,
        promised_delivered: flagsOf(o).promisedDelivered,
        on_time: flagsOf(o).onTime,
      });
    }
    const range = { from: r.from, to: r.to, grain: r.grain };
    const reference = summarise(facts, t.app.services.analytics.settings, range, econ);
    const summary = await svc.summary(range);
    expect(summary.totals).toEqual(reference.totals);
    expect(summary.series).toEqual(reference.series);
    for (const by of ['week', 'zone', 'category', 'seller', 'order'] as const) {
      const ref = unitEconomics(facts, econ, by);
      const got = await svc.unitEconomics({ ...range, by });
      expect(got.items).toEqual(ref.items);
      expect(got.total).toEqual(ref.total);
    }
    expect((await svc.cohorts(range)).items).toEqual(cohortsOf(facts, r.filter.from));
  });

  it('a ledger that disagrees is reported, figure by figure', async () => {
    const db = t.handle.db;
    await db.execute(
      sql`update ledger_transfers set amount = amount + 1 where key = ${`delivery-fee:${o.O1}`}`,
    );
    try {
      const body = (await ok(get(`/admin/analytics/reconciliation?${range}`, admin.auth))).json();
      expect(body.ok).toBe(false);
      expect(body.problems).toEqual([expect.stringMatching(/^take: analytics \d+, ledger \d+ .*off by -1$/)]);
    } finally {
      await db.execute(
        sql`update ledger_transfers set amount = amount - 1 where key = ${`delivery-fee:${o.O1}`}`,
      );
    }
  });
});

describe('CSV export of every table', () => {
  it('format=csv and Accept: text/csv give the same table as the JSON', async () => {
    const res = await ok(api('summary', '&format=csv'));
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="summary.csv"');
    const rows = parse(res.body) as string[][];
    expect(rows[0]?.slice(0, 3)).toEqual(['period', 'orders', 'gmv']);
    expect(rows.slice(1).map((r) => [r[0], r[1]])).toEqual([
      ['2026-11-30', '5'],
      ['2026-12-01', '0'],
      ['2026-12-02', '1'],
    ]);
    const viaAccept = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/analytics/summary?${range}`,
      headers: { ...admin.auth, accept: 'text/csv' },
    });
    expect(viaAccept.body).toBe(res.body);
    for (const [path, first] of [
      ['unit-economics', 'week'],
      ['cohorts', 'cohort'],
      ['top', 'product_id'],
      ['orders', 'order_id'],
    ] as const) {
      const csv = await ok(api(path, '&format=csv'));
      expect((parse(csv.body) as string[][])[0]?.[0]).toBe(first);
    }
    const sellers = parse((await ok(api('top', '&format=csv&table=sellers'))).body) as string[][];
    expect(sellers[1]).toEqual([
      seller.userId,
      'Analytics Duka',
      '6',
      String(6 * (FINAL + F)),
      expect.any(String),
    ]);
    const products = parse((await ok(api('top', '&format=csv'))).body) as string[][];
    expect(products[1]?.[1]).toBe('Kanga <b>bora</b>');
  });
});

describe('the analytics page data', () => {
  it('unit economics first, with SVG charts', async () => {
    const page = await t.app.services.analytics.page({ from: '2026-11-30', to: '2026-12-02' });
    expect(Object.keys(page)[0]).toBe('unit_economics');
    expect(page.unit_economics.chart).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(page.summary.charts.gmv).toMatch(/^<svg/);
    expect(page.summary.totals.orders).toBe(6);
    expect(page.top.products[0]?.title).toBe('Kanga <b>bora</b>');
  });
});

/** Money as the console shows it ("TZS 1,234.50", "-TZS 300"): written out here, not imported from the console. */
function money(minor: number): string {
  const abs = Math.abs(minor);
  const whole = String(Math.trunc(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const cents = abs % 100;
  return `${minor < 0 ? '-' : ''}TZS ${whole}${cents ? `.${String(cents).padStart(2, '0')}` : ''}`;
}
let consoleSession: ConsoleSession | undefined;
/** The admin signed in to the console once (the OTP flow has a per-phone cooldown). */
async function consoleOf() {
  consoleSession ??= await consoleSignIn(t, '+255754360001');
  return consoleSession;
}
const orderRows = (body: string) => [...body.matchAll(/<tr data-order="([^"]+)">/g)].map((m) => m[1]);

describe('the console: unit economics by group, drill-downs, CSV, a promotion’s contribution', () => {
  it('the page groups unit economics by zone with the API’s figures, and every number opens to its orders', async () => {
    const c = await consoleOf();
    const res = await c.get(`/admin/analytics?${range}&by=zone`);
    expect(res.statusCode).toBe(200);
    const byZone = (await ok(api('unit-economics', '&by=zone'))).json();
    const row = /<tr data-row="unit-group" data-key="Mikocheni">(.*?)<\/tr>/.exec(res.body)?.[1];
    expect(row).toContain(`<td class="num">${byZone.items[0].orders}</td>`);
    expect(row).toContain(`<td class="num">${money(byZone.items[0].contribution)}</td>`);
    // The unit total's contribution links to the loss-making orders; its orders to the orders.
    // Attribute values are escaped (`=` and `&` too); a browser decodes them, and so does this.
    const attr = (v: string) => v.replaceAll('&#61;', '=').replaceAll('&amp;', '&');
    const href = (figure: string) => {
      const m = new RegExp(`href="(/admin/analytics/orders\\?[^"]*)" data-drill="${figure}"`).exec(res.body);
      return m ? attr(m[1]!) : undefined;
    };
    const all = await c.get(href('orders')!);
    expect(all.statusCode).toBe(200);
    expect(orderRows(all.body).sort()).toEqual([o.O1, o.O2, o.O3, o.O4, o.O5, o.O7].sort());
    // Each order's contribution adds up to the page's total (the same one module's rule).
    const sum = [...all.body.matchAll(/data-contribution="(-?\d+)"/g)].reduce((a, m) => a + Number(m[1]), 0);
    expect(sum).toBe(byZone.total.contribution);
    for (const [figure, ids] of [
      ['refunded', [o.O2, o.O3, o.O5]],
      ['late', [o.O4]],
      ['disputed', [o.O3, o.O5]],
    ] as const) {
      const drilled = await c.get(href(figure)!);
      expect(orderRows(drilled.body).sort(), figure).toEqual([...ids].sort());
    }
    // The same as the orders table holds: refunded in full or in part.
    const refunded = (await t.handle.db.execute(sql`
      select o.id from orders o left join disputes d on d.order_id = o.id
      where o.status in ('rejected', 'refunded') or d.resolution = 'partial_refund'`)) as unknown as {
      rows: Array<{ id: string }>;
    };
    expect(refunded.rows.map((r) => r.id).sort()).toEqual([o.O2, o.O3, o.O5].sort());
    // A period's orders: Wednesday 2 Dec holds O7 only.
    const wed = await c.get(`/admin/analytics/orders?${range}&figure=orders&period=2026-12-02`);
    expect(orderRows(wed.body)).toEqual([o.O7]);
    // Bad input is shown as the module's refusal, not a 500.
    expect((await c.get('/admin/analytics/orders?from=2026-12-02&to=2026-11-30')).statusCode).toBe(422);
  });

  it('the console shows the figures reconciled with the ledger, and a ledger that disagrees, figure by figure', async () => {
    const c = await consoleOf();
    const api = (await ok(get(`/admin/analytics/reconciliation?${range}`, admin.auth))).json();
    const res = await c.get(`/admin/analytics/reconciliation?${range}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-reconciled="yes"');
    const shown = [...res.body.matchAll(/<tr data-figure="([^"]+)"[^>]*>.*?data-difference="(-?\d+)"/g)].map(
      (m) => [m[1], Number(m[2])],
    );
    expect(shown).toEqual(api.lines.map((l: { figure: string }) => [l.figure, 0]));
    const db = t.handle.db;
    await db.execute(
      sql`update ledger_transfers set amount = amount + 1 where key = ${`delivery-fee:${o.O1}`}`,
    );
    try {
      const off = await c.get(`/admin/analytics/reconciliation?${range}`);
      expect(off.body).toContain('data-reconciled="no"');
      expect(off.body).toMatch(/<tr data-figure="take" class="error">.*?data-difference="-1"/);
    } finally {
      await db.execute(
        sql`update ledger_transfers set amount = amount - 1 where key = ${`delivery-fee:${o.O1}`}`,
      );
    }
  });

  it("a seller's page shows their scorecard: the analytics module's figures, each count opening to its orders", async () => {
    const c = await consoleOf();
    const res = await c.get(`/admin/people/${seller.userId}`);
    expect(res.statusCode).toBe(200);
    const score = (name: string) =>
      new RegExp(`data-score="${name}">(.*?)</td>`).exec(res.body)?.[1]?.replace(/<[^>]*>/g, '');
    // Hand-computed: 6 paid orders; the seller accepted 4 of the 5 decided (O2 rejected); 3 of the
    // 4 delivered with a promise on time (O4 late); O3 and O5 disputed.
    expect([
      score('orders'),
      score('acceptance'),
      score('refused'),
      score('on-time'),
      score('disputes'),
      score('disputes-lost'),
    ]).toEqual(['6', '80.0%', '1', '75.0%', '2', '2']);
    // The same as the database holds: the seller's rejections and the disputes on their orders.
    const rejected = (await t.handle.db.execute(
      sql`select count(*)::int as n from order_events e join orders o on o.id = e.order_id
          where o.seller_id = ${seller.userId} and e.event in ('reject', 'seller_no_show')`,
    )) as unknown as { rows: Array<{ n: number }> };
    expect(Number(rejected.rows[0]!.n)).toBe(1);
    const disputes = (await t.handle.db.execute(
      sql`select count(*)::int as n from disputes d join orders o on o.id = d.order_id where o.seller_id = ${seller.userId}`,
    )) as unknown as { rows: Array<{ n: number }> };
    expect(Number(disputes.rows[0]!.n)).toBe(2);
    const href = /data-score="refused"><a href="([^"]+)"/
      .exec(res.body)![1]!
      .replaceAll('&#61;', '=')
      .replaceAll('&amp;', '&');
    expect(orderRows((await c.get(href)).body)).toEqual([o.O2]);
    // Both disputes were resolved with a refund at the seller's fault: both lost, O3 and O5.
    const lostHref = /data-score="disputes-lost"><a href="([^"]+)"/
      .exec(res.body)![1]!
      .replaceAll('&#61;', '=')
      .replaceAll('&amp;', '&');
    expect(orderRows((await c.get(lostHref)).body)?.sort()).toEqual([o.O3, o.O5].sort());
    // No payout run in this history; one paid and one failed payout written to the payments table
    // show as 1 paid (its amount) and 0 pending / 1 failed; another party's payout does not count,
    // nor one asked before the scorecard's year, nor one in another currency.
    expect([score('payouts'), score('paid-out'), score('payouts-open')]).toEqual(['0', 'TZS 0', '0 / 0']);
    const now = t.clock.now().getTime();
    const day = 86_400_000;
    for (const [party, status, amount, currency, at] of [
      [seller.userId, 'succeeded', 12_345_00, 'TZS', now],
      [seller.userId, 'failed', 5_000_00, 'TZS', now],
      [rider.userId, 'succeeded', 7_000_00, 'TZS', now],
      [seller.userId, 'succeeded', 9_000_00, 'TZS', now - 400 * day],
      [seller.userId, 'failed', 3_000_00, 'TZS', now - 400 * day],
      [seller.userId, 'succeeded', 11_00, 'USD', now],
    ] as const)
      await t.handle.db.execute(sql`
        insert into payment_disbursements (id, purpose_key, kind, party_id, provider, msisdn, amount, currency,
          reason, status, reference, created_at, updated_at)
        values (gen_random_uuid(), ${`payout:test:${party}:${status}:${currency}:${at}`}, 'payout', ${party}::uuid,
          'simulator', '+255754000000', ${amount}, ${currency}, 'test', ${status},
          ${`t-${status}-${amount}-${at}`}, ${new Date(at).toISOString()}::timestamptz,
          ${new Date(at).toISOString()}::timestamptz)`);
    const after = await c.get(`/admin/people/${seller.userId}`);
    const scoreAfter = (name: string) =>
      new RegExp(`data-score="${name}">(.*?)</td>`).exec(after.body)?.[1]?.replace(/<[^>]*>/g, '');
    expect([scoreAfter('payouts'), scoreAfter('payouts-open')]).toEqual(['1', '0 / 1']);
    expect(scoreAfter('paid-out')).toBe('TZS 12,345');
  });

  it('every table downloads as CSV from the console, byte for byte the admin API’s CSV', async () => {
    const c = await consoleOf();
    const pairs: Array<[string, string]> = [
      ['table=summary&grain=day', 'summary?format=csv&grain=day'],
      ['table=unit-economics&by=zone', 'unit-economics?format=csv&by=zone'],
      ['table=unit-economics&by=seller', 'unit-economics?format=csv&by=seller'],
      ['table=cohorts', 'cohorts?format=csv'],
      ['table=top-sellers', 'top?format=csv&table=sellers&limit=100'],
      ['table=top-products', 'top?format=csv&table=products&limit=100'],
      ['table=orders&figure=refunded', 'orders?format=csv&figure=refunded&limit=500'],
    ];
    for (const [mine, theirs] of pairs) {
      const res = await c.get(`/admin/analytics/export?${range}&${mine}`);
      expect(res.statusCode, mine).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="[a-z-]+\.csv"$/);
      const [path, q] = theirs.split('?');
      const api = await ok(get(`/admin/analytics/${path}?${range}&${q}`, admin.auth));
      expect(res.body, mine).toBe(api.body);
    }
    const orders = parse(
      (await c.get(`/admin/analytics/export?${range}&table=orders&figure=refunded`)).body,
      {
        columns: true,
      },
    ) as Array<{ order_id: string }>;
    expect(orders.map((r) => r.order_id).sort()).toEqual([o.O2, o.O3, o.O5].sort());
    expect((await c.get(`/admin/analytics/export?${range}&table=nope`)).statusCode).toBe(422);
  });

  it('a promotion’s page shows its own contribution: the unit economics of the orders it discounted', async () => {
    const c = await consoleOf();
    const res = await c.get(`/admin/promotions/${promotionId}`);
    expect(res.statusCode).toBe(200);
    const from = /orders it discounted, (\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})/.exec(res.body)!;
    const mine = (
      await ok(
        get(
          `/admin/analytics/unit-economics?from=${from[1]}&to=${from[2]}&grain=week&promotion=${promotionId}`,
          admin.auth,
        ),
      )
    ).json();
    // Every seeded order used the promotion, so its contribution is the whole history's.
    const all = (await ok(api('unit-economics'))).json();
    expect(mine.total.contribution).toBe(all.total.contribution);
    expect(mine.total.orders).toBe(6);
    expect(res.body).toContain(
      `<td class="num" data-figure="contribution">${money(mine.total.contribution)}</td>`,
    );
    expect(res.body).toContain(
      `<td class="num" data-figure="contribution-per-order">${money(mine.total.contribution_per_order)}</td>`,
    );
    expect(res.body).toContain('alt="Contribution per order of its orders, by week"');
  });
});

describe('on time on the Logistics screen', () => {
  it('by destination zone and by rider, as the admin API and the orders table have them', async () => {
    // Hand-computed: O1, O3, O4, O5 were delivered to Mikocheni with a promise, by one rider, O4 late.
    const res = (await t.handle.db.execute(sql`
      select o.snapshot->'delivery'->>'to_zone' as zone, count(*)::int as delivered,
        (count(*) filter (where o.delivered_at > o.promised_by))::int as late
      from orders o
      where o.promised_by is not null and o.delivered_at is not null
      group by 1`)) as unknown as { rows: Array<{ zone: string; delivered: number; late: number }> };
    expect(res.rows.map((r) => [r.zone, Number(r.delivered), Number(r.late)])).toEqual([['Mikocheni', 4, 1]]);
    const now = t.clock.now();
    const apiRows = (
      await ok(
        get(
          `/admin/logistics/on-time?by=zone&from=${encodeURIComponent(new Date(now.getTime() - 30 * 86_400_000).toISOString())}&to=${encodeURIComponent(now.toISOString())}`,
          admin.auth,
        ),
      )
    ).json().items;
    expect(apiRows).toEqual([{ key: 'Mikocheni', delivered: 4, late: 1, on_time_rate: 0.75 }]);
    // The console shows the same (its range: the last 30 days of deliveries).
    const c = await consoleOf();
    const page = await c.get('/admin/logistics');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(
      '<tr data-on-time="Mikocheni"><td>Mikocheni</td><td class="num">4</td><td class="num">3</td><td class="num">1</td><td class="num">75%</td></tr>',
    );
    const byRider = await c.get('/admin/logistics?on_time_by=rider');
    expect(byRider.body).toMatch(
      new RegExp(
        `<tr data-on-time="${rider.userId}"><td><a href="/admin/people/${rider.userId}">[0-9a-f]{8}</a></td><td class="num">4</td><td class="num">3</td><td class="num">1</td><td class="num">75%</td></tr>`,
      ),
    );
    // An unknown grouping falls back to zones rather than failing.
    expect((await c.get('/admin/logistics?on_time_by=planet')).body).toContain('data-on-time="Mikocheni"');
    // And the zones map: the demo zones, each drawn.
    const img = /src="data:image\/svg\+xml;base64,([^"]+)"/.exec(page.body);
    const svg = Buffer.from(img![1]!, 'base64').toString('utf8');
    expect(svg.match(/<g data-zone="/g)).toHaveLength(DAR_DEMO_ZONES.length);
    expect(svg).toContain(`<g data-zone="${mikocheniId}">`);
  });
});

describe('bad input and the wrong caller', () => {
  const bad = async (q: string, status: number, code: string | null, field: string) => {
    const res = await get(`/admin/analytics/summary?${q}`, admin.auth);
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    if (code) expect(res.json().code).toBe(code);
    expect(JSON.stringify(res.json())).toContain(field);
  };

  it('refuses ranges that are backwards, too long, or not calendar days', async () => {
    await bad('from=2026-12-02&to=2026-11-30', 422, 'INVALID_RANGE', 'from');
    await bad('from=2025-01-01&to=2026-12-01&grain=month', 422, 'RANGE_TOO_LONG', 'to');
    await bad('from=2026-01-01&to=2026-12-01&grain=day', 422, 'RANGE_TOO_LONG', 'grain');
    await bad('from=2026-02-30&to=2026-03-02', 422, 'INVALID_DATE', 'from');
    await bad('from=30-11-2026', 400, null, 'from');
    await bad('from=2026-11-30&to=2026-12-02&grain=hour', 400, null, 'grain');
  });

  it('refuses wrong types and unknown zones, categories, sellers, promotions, parameters', async () => {
    await bad('zone=Kariakoo', 400, null, 'zone');
    await bad('zone=00000000-0000-4000-8000-000000000000', 422, 'UNKNOWN_ZONE', 'zone');
    await bad('category=00000000-0000-4000-8000-000000000000', 422, 'UNKNOWN_CATEGORY', 'category');
    await bad(`seller=${rider.userId}`, 422, 'UNKNOWN_SELLER', 'seller');
    await bad('promotion=00000000-0000-4000-8000-000000000000', 422, 'UNKNOWN_PROMOTION', 'promotion');
    await bad('format=xlsx', 400, null, 'format');
    await bad('colour=blue', 400, null, 'colour');
    const drill = await get('/admin/analytics/orders?figure=everything', admin.auth);
    expect(drill.statusCode).toBe(400);
    const limit = await get('/admin/analytics/orders?limit=501', admin.auth);
    expect(limit.statusCode).toBe(400);
    const period = await get(`/admin/analytics/orders?${range}&grain=week&period=2026-12-01`, admin.auth);
    expect([period.statusCode, period.json().code]).toEqual([422, 'INVALID_PERIOD']);
    const cursor = await get('/admin/analytics/orders?cursor=forged', admin.auth);
    expect([cursor.statusCode, cursor.json().code]).toEqual([400, 'INVALID_CURSOR']);
    const by = await get('/admin/analytics/unit-economics?by=buyer', admin.auth);
    expect(by.statusCode).toBe(400);
  });

  it('admins only: a seller, a rider, a buyer get 403, a stranger 401', async () => {
    for (const path of ['summary', 'unit-economics', 'cohorts', 'top', 'orders', 'reconciliation']) {
      expect((await get(`/admin/analytics/${path}`, seller.auth)).statusCode).toBe(403);
      expect((await get(`/admin/analytics/${path}`, rider.auth)).statusCode).toBe(403);
      const anon = await t.app.inject({ method: 'GET', url: `/api/v1/admin/analytics/${path}` });
      expect(anon.statusCode).toBe(401);
    }
  });

  it('with no range given: the last 30 Dar es Salaam days up to today', async () => {
    const body = (await ok(get('/admin/analytics/summary', admin.auth))).json();
    expect(body.range).toEqual({ from: '2026-11-03', to: '2026-12-02', grain: 'day' });
    expect(body.series).toHaveLength(30);
    expect(body.totals.orders).toBe(6);
  });
});
