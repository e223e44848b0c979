import { and, eq } from 'drizzle-orm';
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
import { notificationMessages as m } from './schema.js';

// Through the whole app with zones and riders: a rider collects the parcel and the buyer is told
// "with rider", with the rider's first name and the promised time, once; the rider heard of the
// job assigned to them, once.

let t: TestApp;
let admin: Actor;
let seller: Actor;
let skuId: string;
let kariakooId: string;
const centre = (name: string) => DAR_DEMO_ZONES.find((z) => z.name === name)!.centre;

beforeAll(async () => {
  t = await createTestApp({ DELIVERY_QUOTES: 'zones' });
  admin = await t.loginAdmin('+255754340001');
  kariakooId = (await demoZones(t, admin)).get('Kariakoo')!;
  seller = await sellerAt(t, admin, 'Kariakoo Pickup Duka', centre('Kariakoo'));
  const cat = await category(t, admin, 'Pickups');
  skuId = (
    await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'PICK-1', price: 12_000_00, stock: 10 }],
    })
  ).skuIds[0]!;
}, 240_000);
afterAll(() => t.close());

type Auth = { authorization: string };
const post = (url: string, headers: Auth, payload?: object) =>
  t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers, payload: payload ?? {} });
const get = (url: string, headers: Auth) => t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers });
const rowsOf = (userId: string, template: string) =>
  t.handle.db
    .select()
    .from(m)
    .where(and(eq(m.recipientId, userId), eq(m.templateKey, template)));

describe('a rider collects the parcel', () => {
  it('the buyer hears "with rider" with the first name and the promised time; the rider heard of the job', async () => {
    const rider = await t.login(nextPhone());
    const named = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/me',
      headers: rider.auth,
      payload: { display_name: 'Juma Ali' },
    });
    expect(named.statusCode, named.body).toBe(200);
    const applied = await post('/rider/profile', rider.auth, {
      vehicle: 'boda_boda',
      plate: 'MC 789 GHI',
      home_zone_id: kariakooId,
    });
    expect(applied.statusCode, applied.body).toBe(200);
    expect((await post(`/admin/riders/${rider.userId}/verify`, admin.auth)).statusCode).toBe(200);

    const buyer = await t.login(nextPhone());
    await post('/cart/items', buyer.auth, { sku_id: skuId, quantity: 1 });
    const addr = await post('/me/addresses', buyer.auth, {
      label: 'Home',
      ward: 'W',
      landmark: 'L',
      location: centre('Mikocheni'),
    });
    const preview = (await get('/cart', buyer.auth)).json();
    const co = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orders/checkout',
      headers: { ...buyer.auth, 'idempotency-key': 'rider-pickup-1' },
      payload: {
        address_id: addr.json().id,
        payer_phone: '0754 123 456',
        preview_token: preview.preview_token,
      },
    });
    expect(co.statusCode, co.body).toBe(201);
    const orderId = co.json().orders[0].id as string;
    expect(
      (await post(`/payments/checkouts/${co.json().checkout_id}/collections`, buyer.auth)).statusCode,
    ).toBe(202);
    t.clock.advanceSeconds(5);
    await t.app.services.jobs.drain();
    expect((await post(`/seller/orders/${orderId}/accept`, seller.auth)).statusCode).toBe(200);
    expect((await post(`/seller/orders/${orderId}/ready`, seller.auth)).statusCode).toBe(200);
    const assigned = await post(`/admin/dispatch/${orderId}/assign`, admin.auth, {
      rider_id: rider.userId,
      reason: 'test dispatch',
    });
    expect(assigned.statusCode, assigned.body).toBe(200);
    const pickupCode = (await get(`/seller/orders/${orderId}`, seller.auth)).json().handover_code as string;
    const picked = await post(`/rider/jobs/${orderId}/pick-up`, rider.auth, { handover_code: pickupCode });
    expect(picked.statusCode, picked.body).toBe(200);
    await t.app.services.jobs.drain();

    const withRider = await rowsOf(buyer.userId, 'buyer.order_with_rider');
    expect(withRider.map((r) => r.channel).sort()).toEqual(['in_app', 'sms']);
    expect(withRider[0]!.body).toMatch(
      /^K'KOO: Juma anakuletea oda K-[0-9A-F]+\. Ahadi ni kabla ya \d\d:\d\d/,
    );
    const job = await rowsOf(rider.userId, 'rider.job_assigned');
    expect(job.map((r) => r.channel).sort()).toEqual(['in_app', 'sms']);
    // The order's message and the rider's run again: nothing new.
    await t.handle.db.execute(
      `update jobs set status = 'pending', run_at = '${t.clock.now().toISOString()}', attempts = 0
        where kind in ('order.status_changed', 'rider.job_assigned', 'notifications.send')`,
    );
    await t.app.services.jobs.drain();
    expect((await rowsOf(buyer.userId, 'buyer.order_with_rider')).length).toBe(2);
    expect((await rowsOf(rider.userId, 'rider.job_assigned')).length).toBe(2);
  });
});
