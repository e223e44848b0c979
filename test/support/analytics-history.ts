// The analytics tests' known history, shared by the analytics http test files (one per use case):
// each file calls useAnalyticsHistory() and gets its own copy of it in a fresh database, and reads
// the seeded state through these live exports.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect } from 'vitest';
import { DAR_DEMO_ZONES } from '../../src/demo-zones.js';
import { ManualClock } from '../../src/shared/clock.js';
import { createTestApp, type TestApp } from './app.js';
import { type ConsoleSession, consoleSignIn } from './console.js';
import {
  type Actor,
  category,
  demoZones,
  nextPhone,
  promotion,
  sellerAt,
  upload,
  verifiedProduct,
} from './fixtures.js';

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

export const PRICE = 10_000_00;
export const PROMO = 1_000_00;
export const FINAL = PRICE - PROMO;
export const PARTIAL = 2_000_00;
export const COLLECTION_FEE = 100_00;
export const SEND_FEE = 200_00;
export const SMS = 7;
export const WHATSAPP = 11;
export const share = (fee: number) => Math.floor((fee * 8000) / 10_000 / 100) * 100;

export let t: TestApp;
export let admin: Actor;
export let seller: Actor;
export let rider: Actor;
export let skuId: string;
export let categoryId: string;
export let otherCategoryId: string;
export let mikocheniId: string;
export let kariakooId: string;
export let promotionId: string;
export const o: Record<string, string> = {};
export let F = 0;
export const centre = (name: string) => DAR_DEMO_ZONES.find((z) => z.name === name)!.centre;

type Auth = { authorization: string };
const post = (url: string, headers: Auth, payload?: object) =>
  t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers, payload: payload ?? {} });
export const get = (url: string, headers: Auth) =>
  t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers });
export const ok = async <R extends { statusCode: number; body: string }>(p: Promise<R>, status = 200) => {
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

async function seedHistory() {
  consoleSession = undefined;
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
}

/** Seeds the history before the file's tests (in a database of its own) and closes it after. */
export function useAnalyticsHistory() {
  beforeAll(seedHistory, 120_000);
  afterAll(() => t.close());
}

export const range = 'from=2026-11-30&to=2026-12-02';

/** SMS the order events sent (not the rows this file inserted), billable at the configured cost, per order. */
export async function producedSmsByOrder(): Promise<Map<string, number>> {
  const res = (await t.handle.db.execute(sql`
    select order_id, count(*)::int as n from notification_messages
    where event_id <> 'e' and channel = 'sms' and cost_minor is null and status in ('sent', 'delivered', 'read')
      and order_id is not null
    group by order_id`)) as unknown as { rows: Array<{ order_id: string; n: number }> };
  return new Map(res.rows.map((r) => [r.order_id, Number(r.n)]));
}
export const api = (path: string, query = '') => get(`/admin/analytics/${path}?${range}${query}`, admin.auth);

let consoleSession: ConsoleSession | undefined;
/** The admin signed in to the console once per file (the OTP flow has a per-phone cooldown). */
export async function consoleOf() {
  consoleSession ??= await consoleSignIn(t, '+255754360001');
  return consoleSession;
}
