import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type Actor,
  category,
  nextPhone,
  verifiedProduct,
  verifiedSeller,
} from '../../../test/support/fixtures.js';
import { DAR_DEMO_ZONES, demoFeeTable } from '../logistics/index.js';

// With DELIVERY_QUOTES=zones, each seller's order is priced and promised from the zone table:
// pickup at the seller's location, drop-off at the buyer's address, frozen in the snapshot.

let t: TestApp;
let admin: Actor;
let seller: Actor;
let skuId: string;
const zone = (name: string) => DAR_DEMO_ZONES.find((z) => z.name === name)!.centre;

beforeAll(async () => {
  t = await createTestApp({ DELIVERY_QUOTES: 'zones' });
  // Tuesday 25 Nov 2026, 12:00 in Dar es Salaam (09:00 UTC): inside the default service hours.
  admin = await t.loginAdmin('+255754320001');
  const ids = new Map<string, string>();
  for (const z of DAR_DEMO_ZONES) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/zones',
      headers: admin.auth,
      payload: { name: z.name, polygon: z.polygon, reason: 'launch' },
    });
    expect(res.statusCode, res.body).toBe(201);
    ids.set(z.name, res.json().id);
  }
  const fees = await t.app.inject({
    method: 'PUT',
    url: '/api/v1/admin/delivery-fees',
    headers: admin.auth,
    payload: { fees: demoFeeTable(ids), reason: 'launch' },
  });
  expect(fees.statusCode, fees.body).toBe(200);
  seller = await verifiedSeller(t, admin, 'Kariakoo Duka');
  const loc = await t.app.inject({
    method: 'PATCH',
    url: '/api/v1/me/seller-profile',
    headers: seller.auth,
    payload: { location: zone('Kariakoo') },
  });
  expect(loc.statusCode, loc.body).toBe(200);
  const cat = await category(t, admin, 'Zones');
  skuId = (
    await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'ZONE-1', price: 10_000_00, stock: 100 }],
    })
  ).skuIds[0]!;
});
afterAll(() => t.close());

async function checkoutTo(location: { lat: number; lng: number } | null) {
  const b = await t.login(nextPhone());
  const h = b.auth;
  await t.app.inject({
    method: 'POST',
    url: '/api/v1/cart/items',
    headers: h,
    payload: { sku_id: skuId, quantity: 1 },
  });
  const addr = await t.app.inject({
    method: 'POST',
    url: '/api/v1/me/addresses',
    headers: h,
    payload: { label: 'Home', ward: 'W', landmark: 'L', ...(location ? { location } : {}) },
  });
  const preview = (await t.app.inject({ method: 'GET', url: '/api/v1/cart', headers: h })).json();
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/orders/checkout',
    headers: { ...h, 'idempotency-key': `zones-${Math.random().toString(36).slice(2)}` },
    payload: {
      address_id: addr.json().id,
      payer_phone: '0754 123 456',
      preview_token: preview.preview_token,
    },
  });
}

describe('delivery priced and promised by zone', () => {
  it('Kariakoo → Mikocheni: the table’s fee and a promised time inside service hours, frozen in the snapshot', async () => {
    const res = await checkoutTo(zone('Mikocheni'));
    expect(res.statusCode, res.body).toBe(201);
    const o = res.json().orders[0];
    const q = o.snapshot.delivery;
    expect(q).toMatchObject({ from_zone: 'Kariakoo', to_zone: 'Mikocheni' });
    expect(o.delivery_fee).toBe(q.fee);
    expect(res.json().total).toBe(10_000_00 + q.fee);
    // 12:00 local plus the pair's duration, all inside 08:00–20:00.
    const promised = new Date(q.promised_by).getTime();
    expect(promised - t.clock.now().getTime()).toBe(q.duration_minutes * 60_000);
    // Shown in Dar es Salaam time, stored in UTC.
    expect(o.promised_by).toMatch(/\+03:00$/);
    expect(new Date(o.promised_by).getTime()).toBe(promised);
    const row = await t.app.services.orders.service.view(o.id, { userId: null, role: 'admin' });
    expect(row.order.promisedBy?.toISOString()).toBe(q.promised_by);
  });

  it('the same zone is cheaper and sooner than across the city', async () => {
    const near = (await checkoutTo(zone('Kariakoo'))).json().orders[0].snapshot.delivery;
    const far = (await checkoutTo(zone('Mbezi'))).json().orders[0].snapshot.delivery;
    expect(near.fee).toBeLessThan(far.fee);
    expect(near.duration_minutes).toBeLessThan(far.duration_minutes);
  });

  it('an address outside every zone, or without a location, is refused clearly; nothing is written', async () => {
    const outside = await checkoutTo({ lat: -6.1, lng: 39.3 });
    expect(outside.statusCode).toBe(422);
    expect(outside.json()).toMatchObject({ code: 'ADDRESS_OUTSIDE_ZONES', field: 'address_id' });
    const nowhere = await checkoutTo(null);
    expect(nowhere.statusCode).toBe(422);
    expect(nowhere.json()).toMatchObject({ code: 'ADDRESS_LOCATION_REQUIRED', field: 'address_id' });
  });

  it('a seller without a pickup location cannot be promised: a clear conflict', async () => {
    const other = await verifiedSeller(t, admin, 'No Location Duka');
    const cat = await category(t, admin, 'Zones 2');
    const p = await verifiedProduct(t, admin, other, {
      categoryId: cat,
      variants: [{ seller_sku: 'ZONE-2', price: 5_000_00, stock: 5 }],
    });
    const b = await t.login(nextPhone());
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/cart/items',
      headers: b.auth,
      payload: { sku_id: p.skuIds[0], quantity: 1 },
    });
    const addr = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/addresses',
      headers: b.auth,
      payload: { label: 'Home', ward: 'W', landmark: 'L', location: zone('Kinondoni') },
    });
    const preview = (await t.app.inject({ method: 'GET', url: '/api/v1/cart', headers: b.auth })).json();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orders/checkout',
      headers: { ...b.auth, 'idempotency-key': 'zones-no-seller-location' },
      payload: {
        address_id: addr.json().id,
        payer_phone: '0754 123 456',
        preview_token: preview.preview_token,
      },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('SELLER_LOCATION_MISSING');
  });
});
