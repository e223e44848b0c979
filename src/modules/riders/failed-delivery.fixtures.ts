import { afterAll, beforeAll, expect } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type Actor,
  category,
  demoZones,
  nextPhone,
  sellerAt,
  upload,
  verifiedProduct,
} from '../../../test/support/fixtures.js';
import { DAR_DEMO_ZONES } from '../../demo-zones.js';

// Shared setup of the failed-delivery-*.http.test.ts files (not a test file: vitest collects only
// *.test.ts). Each file that calls useFailedDeliveryApp() gets its own app and database; `t`,
// `admin`, `seller`, `skuId` and `kariakooId` are live bindings set by its beforeAll.

export let t: TestApp;
export let admin: Actor;
export let seller: Actor;
export let skuId: string;
export let kariakooId: string;
export const centre = (name: string) => DAR_DEMO_ZONES.find((z) => z.name === name)!.centre;
export const HOUR_S = 3600;

/** An app with demo zones, a seller in Kariakoo and a product, for the calling test file. */
export function useFailedDeliveryApp(): void {
  beforeAll(async () => {
    t = await createTestApp({ DELIVERY_QUOTES: 'zones', PAYOUT_MINIMUM: '100000' });
    admin = await t.loginAdmin('+255754330001');
    const zoneIds = await demoZones(t, admin);
    kariakooId = zoneIds.get('Kariakoo')!;
    seller = await sellerAt(t, admin, 'Kariakoo Returns Duka', centre('Kariakoo'));
    const cat = await category(t, admin, 'Returns');
    skuId = (
      await verifiedProduct(t, admin, seller, {
        categoryId: cat,
        variants: [{ seller_sku: 'RET-1', price: 12_000_00, stock: 100 }],
      })
    ).skuIds[0]!;
  });
  afterAll(() => t.close());
}

// ---- helpers

export type Auth = { authorization: string };
export const post = (url: string, headers: Auth, payload?: object) =>
  t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers, payload: payload ?? {} });
export const get = (url: string, headers: Auth) =>
  t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers });
export const svc = () => t.app.services.orders.service;
export const order = async (id: string) => (await svc().view(id, { userId: null, role: 'admin' })).order;
export const stock = async () =>
  (await t.app.services.catalog.sellableSkus(t.handle.db, [skuId])).get(skuId)!.stock;
export const refundsOf = (orderId: string) =>
  t.app.services.payments.service.disbursementsOf({ orderId, kind: 'refund' });
export const activeJobs = async (rider: Actor) =>
  (await get('/rider/profile', rider.auth)).json().active_jobs;
export const jobsOf = async (rider: Actor) =>
  (await get('/rider/jobs', rider.auth)).json().items as Array<{ order_id: string; status: string }>;
/** Jobs and payment callbacks run (the simulator answers after a few seconds). */
export async function settle() {
  for (let i = 0; i < 3; i++) {
    t.clock.advanceSeconds(5);
    await t.app.services.jobs.drain();
  }
}
export const problem = (res: { statusCode: number; json(): { code?: string; field?: string } }) => ({
  status: res.statusCode,
  code: res.json().code,
  field: res.json().field,
});

/** A verified rider, online, who has sent a position near the seller. */
export async function onlineRider(vehicle: 'boda_boda' | 'bicycle' = 'boda_boda'): Promise<Actor> {
  const r = await t.login(nextPhone());
  const applied = await post('/rider/profile', r.auth, {
    vehicle,
    ...(vehicle === 'bicycle' ? {} : { plate: 'MC 456 DEF' }),
    home_zone_id: kariakooId,
  });
  expect(applied.statusCode, applied.body).toBe(200);
  expect((await post(`/admin/riders/${r.userId}/verify`, admin.auth)).statusCode).toBe(200);
  expect((await post('/rider/online', r.auth)).statusCode).toBe(200);
  const ping = await post('/rider/pings', r.auth, { lat: -6.8203, lng: 39.2752 });
  expect(ping.statusCode, ping.body).toBe(200);
  return r;
}

/** A paid order from a new buyer, delivered to Mikocheni. */
export async function paidOrder() {
  const buyer = await t.login(nextPhone());
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
    headers: { ...buyer.auth, 'idempotency-key': `ret-${Math.random().toString(36).slice(2)}` },
    payload: {
      address_id: addr.json().id,
      payer_phone: '0754 123 456',
      preview_token: preview.preview_token,
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  const co = res.json();
  const push = await post(`/payments/checkouts/${co.checkout_id}/collections`, buyer.auth);
  expect(push.statusCode, push.body).toBe(202);
  t.clock.advanceSeconds(5);
  await t.app.services.jobs.drain();
  const orderId = co.orders[0].id as string;
  expect((await order(orderId)).status).toBe('paid');
  return { orderId, buyer, total: co.total as number };
}

/** Paid, accepted, ready, given to `rider` by a dispatcher (not yet collected). */
export async function assignedTo(rider: Actor) {
  const o = await paidOrder();
  expect((await post(`/seller/orders/${o.orderId}/accept`, seller.auth)).statusCode).toBe(200);
  expect((await post(`/seller/orders/${o.orderId}/ready`, seller.auth)).statusCode).toBe(200);
  const assigned = await post(`/admin/dispatch/${o.orderId}/assign`, admin.auth, {
    rider_id: rider.userId,
    reason: 'test dispatch',
  });
  expect(assigned.statusCode, assigned.body).toBe(200);
  const pickupCode = (await get(`/seller/orders/${o.orderId}`, seller.auth)).json().handover_code as string;
  return { ...o, pickupCode };
}

/** Paid, accepted, ready, given to `rider` by a dispatcher, collected with the handover code. */
export async function pickedUpBy(rider: Actor) {
  const o = await assignedTo(rider);
  const picked = await post(`/rider/jobs/${o.orderId}/pick-up`, rider.auth, { handover_code: o.pickupCode });
  expect(picked.statusCode, picked.body).toBe(200);
  const deliveryCode = (await get(`/orders/${o.orderId}`, o.buyer.auth)).json().delivery_code as string;
  return { ...o, deliveryCode };
}

export async function fail(rider: Actor, orderId: string, reason = 'nobody at the gate') {
  const photo = await upload(t, rider.auth, 'delivery_proof');
  const res = await post(`/rider/jobs/${orderId}/fail`, rider.auth, {
    reason,
    photo_media_id: photo,
    location: centre('Mikocheni'),
  });
  expect(res.statusCode, res.body).toBe(200);
  return { res, photo };
}
