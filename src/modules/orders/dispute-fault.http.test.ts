import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

// A rider who delivered is paid even when the buyer is refunded in full (issue 13, item 12): the
// admin says whose fault it was, and unless it was the rider's, the rider's share of the delivery
// fee comes from the platform's dispute budget (RIDER_COMPENSATION from platform:dispute_expense)
// in the resolution's transaction. The reconciliation finds it missing or paid twice.

let t: TestApp;
let admin: Actor;
let seller: Actor;
let skuId: string;
let kariakooId: string;
const centre = (name: string) => DAR_DEMO_ZONES.find((z) => z.name === name)!.centre;

beforeAll(async () => {
  t = await createTestApp({ DELIVERY_QUOTES: 'zones', RIDER_FEE_SHARE_BP: '8000' });
  admin = await t.loginAdmin('+255754350001');
  kariakooId = (await demoZones(t, admin)).get('Kariakoo')!;
  seller = await sellerAt(t, admin, 'Fault Duka', centre('Kariakoo'));
  const cat = await category(t, admin, 'Fault goods');
  skuId = (
    await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'FLT-1', price: 10_000_00, stock: 50 }],
    })
  ).skuIds[0]!;
});
afterAll(() => t.close());

type Auth = { authorization: string };
const post = (url: string, headers: Auth, payload?: object) =>
  t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers, payload: payload ?? {} });
const get = (url: string, headers: Auth) => t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers });
const svc = () => t.app.services.orders.service;
const earnings = async (rider: Actor) => (await get('/rider/earnings', rider.auth)).json();
const transfers = async (orderId: string) =>
  (await get(`/admin/ledger/transfers?order_id=${orderId}`, admin.auth)).json().items as Array<{
    kind: string;
    amount: number;
    debit: string;
    credit: string;
  }>;

async function onlineRider(): Promise<Actor> {
  const r = await t.login(nextPhone());
  expect(
    (
      await post('/rider/profile', r.auth, {
        vehicle: 'boda_boda',
        plate: 'MC 321 XYZ',
        home_zone_id: kariakooId,
      })
    ).statusCode,
  ).toBe(200);
  expect((await post(`/admin/riders/${r.userId}/verify`, admin.auth)).statusCode).toBe(200);
  expect((await post('/rider/online', r.auth)).statusCode).toBe(200);
  expect((await post('/rider/pings', r.auth, { lat: -6.8203, lng: 39.2752 })).statusCode).toBe(200);
  return r;
}

/** Paid, collected by `rider` and delivered with the buyer's code; then disputed by the buyer. */
async function disputedDelivery(rider: Actor) {
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
    headers: { ...buyer.auth, 'idempotency-key': `flt-${Math.random().toString(36).slice(2)}` },
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
  for (const step of ['accept', 'ready'])
    expect((await post(`/seller/orders/${orderId}/${step}`, seller.auth)).statusCode).toBe(200);
  expect(
    (await post(`/admin/dispatch/${orderId}/assign`, admin.auth, { rider_id: rider.userId, reason: 'test' }))
      .statusCode,
  ).toBe(200);
  const handover = (await get(`/seller/orders/${orderId}`, seller.auth)).json().handover_code as string;
  expect(
    (await post(`/rider/jobs/${orderId}/pick-up`, rider.auth, { handover_code: handover })).statusCode,
  ).toBe(200);
  const code = (await get(`/orders/${orderId}`, buyer.auth)).json().delivery_code as string;
  const delivered = await post(`/rider/jobs/${orderId}/deliver`, rider.auth, { code });
  expect(delivered.statusCode, delivered.body).toBe(200);
  const evidence = await upload(t, buyer.auth, 'dispute_evidence');
  const opened = await post(`/orders/${orderId}/disputes`, buyer.auth, {
    reason: 'counterfeit',
    description: 'Fake brand',
    evidence_media_ids: [evidence],
  });
  expect(opened.statusCode, opened.body).toBe(201);
  const order = (await svc().view(orderId, { userId: null, role: 'admin' })).order;
  return { orderId, disputeId: opened.json().id as string, deliveryFee: order.deliveryFee };
}

const share = (fee: number) => Math.floor((fee * 8000) / 10_000 / 100) * 100;

describe('a full refund after a proven delivery', () => {
  it('says whose fault it was; not the rider’s: the rider is paid from the dispute budget, once', async () => {
    const rider = await onlineRider();
    const o = await disputedDelivery(rider);
    expect(o.deliveryFee).toBeGreaterThan(0);
    expect(share(o.deliveryFee)).toBeGreaterThan(0);

    // Bad input: a refund without a fault, or an unknown fault; nothing is written.
    const missing = await post(`/admin/disputes/${o.disputeId}/resolve`, admin.auth, {
      resolution: 'full_refund',
      note: 'counterfeit confirmed',
    });
    expect([missing.statusCode, missing.json().code, missing.json().field]).toEqual([
      422,
      'FAULT_REQUIRED',
      'fault',
    ]);
    const unknown = await post(`/admin/disputes/${o.disputeId}/resolve`, admin.auth, {
      resolution: 'full_refund',
      note: 'x',
      fault: 'buyer',
    });
    expect([unknown.statusCode, unknown.json().field]).toEqual([400, 'fault']);
    expect((await svc().view(o.orderId, { userId: null, role: 'admin' })).order.status).toBe('disputed');

    const resolved = await post(`/admin/disputes/${o.disputeId}/resolve`, admin.auth, {
      resolution: 'full_refund',
      note: 'counterfeit confirmed',
      fault: 'seller',
    });
    expect(resolved.statusCode, resolved.body).toBe(200);
    expect(resolved.json()).toMatchObject({ resolution: 'full_refund', fault: 'seller' });
    const comp = (await transfers(o.orderId)).filter((x) => x.kind === 'RIDER_COMPENSATION');
    expect(comp).toEqual([
      expect.objectContaining({
        amount: share(o.deliveryFee),
        debit: 'platform:dispute_expense',
        credit: `rider:${rider.userId}:payable`,
      }),
    ]);
    expect(await earnings(rider)).toMatchObject({ available: share(o.deliveryFee), deliveries_paid: 1 });
    expect(await svc().reconcile()).toEqual([]);

    // The reconciliation accounts for it: missing, it says so; paid twice, it says so.
    const db = t.handle.db;
    await db.execute(
      sql`update ledger_transfers set kind = 'COMPENSATION' where key = ${`rider-compensation:${o.orderId}`}`,
    );
    expect((await svc().reconcile()).join('\n')).toMatch(/rider compensation paid 0 time\(s\)/);
    await db.execute(
      sql`update ledger_transfers set kind = 'RIDER_COMPENSATION' where key = ${`rider-compensation:${o.orderId}`}`,
    );
    await db.execute(sql`insert into ledger_transfers
      (id, key, kind, phase, debit_account, credit_account, amount, currency, order_id, created_at)
      select gen_random_uuid(), key || ':again', kind, phase, debit_account, credit_account, amount, currency, order_id, created_at
      from ledger_transfers where key = ${`rider-compensation:${o.orderId}`}`);
    expect((await svc().reconcile()).join('\n')).toMatch(/rider compensation paid 2 time\(s\)/);
    await db.execute(
      sql`delete from ledger_transfers where key = ${`rider-compensation:${o.orderId}:again`}`,
    );
    expect(await svc().reconcile()).toEqual([]);
  });

  it("the rider's fault: no compensation, the rider earns nothing for it", async () => {
    const rider = await onlineRider();
    const o = await disputedDelivery(rider);
    const resolved = await post(`/admin/disputes/${o.disputeId}/resolve`, admin.auth, {
      resolution: 'full_refund',
      note: 'parcel opened on the way',
      fault: 'rider',
    });
    expect(resolved.statusCode, resolved.body).toBe(200);
    expect((await transfers(o.orderId)).filter((x) => x.kind === 'RIDER_COMPENSATION')).toEqual([]);
    expect(await earnings(rider)).toMatchObject({ available: 0 });
    expect(await svc().reconcile()).toEqual([]);
  });

  it('a release needs no fault (none); the rider is paid from the delivery fee as always', async () => {
    const rider = await onlineRider();
    const o = await disputedDelivery(rider);
    const resolved = await post(`/admin/disputes/${o.disputeId}/resolve`, admin.auth, {
      resolution: 'release_to_seller',
      note: 'genuine item',
    });
    expect(resolved.json()).toMatchObject({ resolution: 'release_to_seller', fault: 'none' });
    const kinds = (await transfers(o.orderId)).map((x) => x.kind);
    expect(kinds).toContain('RIDER_EARNING');
    expect(kinds).not.toContain('RIDER_COMPENSATION');
    expect(await svc().reconcile()).toEqual([]);
  });
});
