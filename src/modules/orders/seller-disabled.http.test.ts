import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type Actor,
  category,
  demoZones,
  nextPhone,
  sellerAt,
  verifiedProduct,
} from '../../../test/support/fixtures.js';
import { DAR_DEMO_ZONES } from '../../demo-zones.js';

// A seller banned or suspended with open orders (issue 13, item 11), and a rider banned with a job
// not yet collected (item 7), through the real app: identity's governance calls the orders and
// riders modules through its port, in the ban's transaction. Orders still at the seller are
// cancelled and refunded in full at once; a parcel already with a rider goes on to delivery; the
// seller is not paid out while stopped; the ledger reconciles.

let t: TestApp;
let admin: Actor;
let kariakooId: string;
const centre = (name: string) => DAR_DEMO_ZONES.find((z) => z.name === name)!.centre;

beforeAll(async () => {
  t = await createTestApp({ DELIVERY_QUOTES: 'zones', PAYOUT_MINIMUM: '100' });
  admin = await t.loginAdmin('+255754340001');
  kariakooId = (await demoZones(t, admin)).get('Kariakoo')!;
});
afterAll(() => t.close());

type Auth = { authorization: string };
const post = (url: string, headers: Auth, payload?: object) =>
  t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers, payload: payload ?? {} });
const get = (url: string, headers: Auth) => t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers });
const svc = () => t.app.services.orders.service;
const status = async (id: string) => (await svc().view(id, { userId: null, role: 'admin' })).order.status;
const refundsOf = (orderId: string) =>
  t.app.services.payments.service.disbursementsOf({ orderId, kind: 'refund' });
async function settle() {
  for (let i = 0; i < 3; i++) {
    t.clock.advanceSeconds(5);
    await t.app.services.jobs.drain();
  }
}
async function assignmentOf(orderId: string) {
  const r = (await t.handle.db.execute(
    sql`select status, rider_id from order_assignments where order_id = ${orderId}`,
  )) as unknown as { rows: Array<{ status: string; rider_id: string }> };
  return r.rows[0]?.status;
}

async function shopWithStock(name: string) {
  const seller = await sellerAt(t, admin, name, centre('Kariakoo'));
  const cat = await category(t, admin, `${name} goods`);
  const skuId = (
    await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: `${name.slice(0, 3).toUpperCase()}-1`, price: 10_000_00, stock: 50 }],
    })
  ).skuIds[0]!;
  return { seller, skuId };
}

async function onlineRider(): Promise<Actor> {
  const r = await t.login(nextPhone());
  const applied = await post('/rider/profile', r.auth, {
    vehicle: 'boda_boda',
    plate: 'MC 789 GHI',
    home_zone_id: kariakooId,
  });
  expect(applied.statusCode, applied.body).toBe(200);
  expect((await post(`/admin/riders/${r.userId}/verify`, admin.auth)).statusCode).toBe(200);
  expect((await post('/rider/online', r.auth)).statusCode).toBe(200);
  expect((await post('/rider/pings', r.auth, { lat: -6.8203, lng: 39.2752 })).statusCode).toBe(200);
  return r;
}

async function paidOrder(skuId: string) {
  const buyer = await t.login(nextPhone());
  expect((await post('/cart/items', buyer.auth, { sku_id: skuId, quantity: 1 })).statusCode).toBeLessThan(
    300,
  );
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
    headers: { ...buyer.auth, 'idempotency-key': `sd-${Math.random().toString(36).slice(2)}` },
    payload: {
      address_id: addr.json().id,
      payer_phone: '0754 123 456',
      preview_token: preview.preview_token,
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  const co = res.json();
  expect((await post(`/payments/checkouts/${co.checkout_id}/collections`, buyer.auth)).statusCode).toBe(202);
  t.clock.advanceSeconds(5);
  await t.app.services.jobs.drain();
  const orderId = co.orders[0].id as string;
  expect(await status(orderId)).toBe('paid');
  return { orderId, buyer, total: co.total as number };
}

async function accepted(seller: Actor, skuId: string) {
  const o = await paidOrder(skuId);
  expect((await post(`/seller/orders/${o.orderId}/accept`, seller.auth)).statusCode).toBe(200);
  return o;
}

async function readyFor(seller: Actor, skuId: string, rider: Actor) {
  const o = await accepted(seller, skuId);
  expect((await post(`/seller/orders/${o.orderId}/ready`, seller.auth)).statusCode).toBe(200);
  const assigned = await post(`/admin/dispatch/${o.orderId}/assign`, admin.auth, {
    rider_id: rider.userId,
    reason: 'test dispatch',
  });
  expect(assigned.statusCode, assigned.body).toBe(200);
  const pickupCode = (await get(`/seller/orders/${o.orderId}`, seller.auth)).json().handover_code as string;
  return { ...o, pickupCode };
}

describe('a seller banned with open orders', () => {
  it('cancels and refunds in full every order still at the seller; the parcel with a rider is delivered; no payout', async () => {
    const { seller, skuId } = await shopWithStock('Banned Duka');
    const r1 = await onlineRider();
    const r2 = await onlineRider();
    const paid = await paidOrder(skuId);
    const acc = await accepted(seller, skuId);
    const ready = await readyFor(seller, skuId, r1);
    const out = await readyFor(seller, skuId, r2);
    const picked = await post(`/rider/jobs/${out.orderId}/pick-up`, r2.auth, {
      handover_code: out.pickupCode,
    });
    expect(picked.statusCode, picked.body).toBe(200);
    const deliveryCode = (await get(`/orders/${out.orderId}`, out.buyer.auth)).json().delivery_code as string;
    expect(await status(out.orderId)).toBe('out_for_delivery');
    await settle();

    const banned = await post(`/admin/users/${seller.userId}/ban`, admin.auth, {
      reason: 'counterfeit goods',
    });
    expect(banned.statusCode, banned.body).toBe(200);
    // In the ban's own transaction: no job has run yet.
    for (const o of [paid, acc, ready]) expect(await status(o.orderId), o.orderId).toBe('cancelled');
    expect(await status(out.orderId)).toBe('out_for_delivery');

    await settle();
    for (const o of [paid, acc, ready]) {
      const refunds = await refundsOf(o.orderId);
      expect(
        refunds.map((d) => d.amount),
        o.orderId,
      ).toEqual([o.total]);
    }
    expect(await refundsOf(out.orderId)).toEqual([]);
    // The rider sent for the ready order is released with their capacity back.
    expect(await assignmentOf(ready.orderId)).toBe('released');
    expect((await get('/rider/profile', r1.auth)).json()).toMatchObject({
      active_jobs: 0,
      availability: 'available',
    });
    const tooLate = await post(`/rider/jobs/${ready.orderId}/pick-up`, r1.auth, {
      handover_code: ready.pickupCode,
    });
    expect(tooLate.statusCode).toBe(404);

    // The parcel already with a rider goes on to delivery.
    const delivered = await post(`/rider/jobs/${out.orderId}/deliver`, r2.auth, { code: deliveryCode });
    expect(delivered.statusCode, delivered.body).toBe(200);
    expect(await status(out.orderId)).toBe('delivered');

    // The seller's payouts are held while banned.
    const payout = await post('/admin/payments/payouts', admin.auth, {
      seller_id: seller.userId,
      reason: 'weekly',
    });
    expect(payout.statusCode, payout.body).toBe(403);
    expect(await svc().reconcile()).toEqual([]);
  });
});

describe('a seller suspended with open orders', () => {
  it('the same rule: what is still at the seller is cancelled and refunded at once', async () => {
    const { seller, skuId } = await shopWithStock('Paused Duka');
    const paid = await paidOrder(skuId);
    const acc = await accepted(seller, skuId);
    const until = new Date(t.clock.now().getTime() + 7 * 24 * 3600_000).toISOString();
    const res = await post(`/admin/users/${seller.userId}/suspend`, admin.auth, {
      reason: 'late orders',
      until,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect([await status(paid.orderId), await status(acc.orderId)]).toEqual(['cancelled', 'cancelled']);
    await settle();
    expect((await refundsOf(acc.orderId)).map((d) => d.amount)).toEqual([acc.total]);
    const last = (await t.handle.db.execute(
      sql`select event, note, actor_role from order_events where order_id = ${acc.orderId} order by created_at desc, id desc limit 1`,
    )) as unknown as { rows: Array<{ event: string; note: string; actor_role: string }> };
    expect(last.rows[0]).toEqual({
      event: 'seller_disabled',
      note: 'seller suspended',
      actor_role: 'system',
    });
    expect(await svc().reconcile()).toEqual([]);
  });
});

describe('a rider banned with a job not yet collected', () => {
  it('loses the job in the ban transaction; the order is offered again', async () => {
    const { seller, skuId } = await shopWithStock('Rider Duka');
    const rider = await onlineRider();
    const o = await readyFor(seller, skuId, rider);
    const res = await post(`/admin/users/${rider.userId}/ban`, admin.auth, { reason: 'stolen parcel' });
    expect(res.statusCode, res.body).toBe(200);
    expect(await assignmentOf(o.orderId)).toBe('released');
    expect(await status(o.orderId)).toBe('ready_for_pickup');
    const r = (await t.handle.db.execute(
      sql`select count(*)::int as n from jobs where kind = 'riders.assign' and payload->>'order_id' = ${o.orderId} and dedupe_key like ${'%:banned:%'}`,
    )) as unknown as { rows: Array<{ n: number }> };
    expect(r.rows[0]!.n).toBe(1);
  });
});
