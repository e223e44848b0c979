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
  verifiedSeller,
} from '../../../test/support/fixtures.js';
import { DAR_DEMO_ZONES } from '../../demo-zones.js';

// With DELIVERY_QUOTES=zones, each seller's order is priced and promised from the zone table:
// pickup at the seller's location, drop-off at the buyer's address, frozen in the snapshot.

let t: TestApp;
let admin: Actor;
let seller: Actor;
let skuId: string;
const zone = (name: string) => DAR_DEMO_ZONES.find((z) => z.name === name)!.centre;

beforeAll(async () => {
  t = await createTestApp({ DELIVERY_QUOTES: 'zones', PAYOUT_MINIMUM: '100000' });
  // Tuesday 25 Nov 2026, 12:00 in Dar es Salaam (09:00 UTC): inside the default service hours.
  admin = await t.loginAdmin('+255754320001');
  await demoZones(t, admin);
  seller = await sellerAt(t, admin, 'Kariakoo Duka', zone('Kariakoo'));
  const cat = await category(t, admin, 'Zones');
  skuId = (
    await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'ZONE-1', price: 10_000_00, stock: 100 }],
    })
  ).skuIds[0]!;
});
afterAll(() => t.close());

/** The buyer of the last checkoutTo. */
let lastBuyer: { authorization: string };
async function checkoutTo(location: { lat: number; lng: number } | null) {
  const b = await t.login(nextPhone());
  const h = b.auth;
  lastBuyer = h;
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

describe('the guarantee: the platform makes the buyer whole at once', () => {
  async function paidOrder(location = zone('Mikocheni')) {
    const res = await checkoutTo(location);
    expect(res.statusCode, res.body).toBe(201);
    const co = res.json();
    const buyerAuth = lastBuyer.authorization;
    const push = await t.app.inject({
      method: 'POST',
      url: `/api/v1/payments/checkouts/${co.checkout_id}/collections`,
      headers: { authorization: buyerAuth },
      payload: {},
    });
    expect(push.statusCode, push.body).toBe(202);
    t.clock.advanceSeconds(5);
    await t.app.services.jobs.drain();
    const order = co.orders[0];
    return { checkout: co, orderId: order.id as string, buyerId: order.buyer_id as string, buyerAuth };
  }
  const svc = () => t.app.services.orders.service;
  const view = async (id: string) => (await svc().view(id, { userId: null, role: 'admin' })).order;
  const refundsOf = (orderId: string) => t.app.services.payments.service.disbursementsOf({ orderId });
  const act = (id: string, step: string) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/seller/orders/${id}/${step}`,
      headers: seller.auth,
      payload: {},
    });

  it('seller no-show: a paid order not accepted in time is cancelled, refunded in full, and counts against the seller', async () => {
    const { orderId, checkout } = await paidOrder();
    expect((await view(orderId)).status).toBe('paid');
    t.clock.advanceSeconds(31 * 60);
    await t.app.services.jobs.drain();
    expect((await view(orderId)).status).toBe('cancelled');
    t.clock.advanceSeconds(5);
    await t.app.services.jobs.drain();
    expect(await refundsOf(orderId)).toEqual([
      expect.objectContaining({ status: 'succeeded', amount: checkout.total }),
    ]);
    const strikes = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/audit-events?action=seller.strike&target_id=${seller.userId}`,
      headers: admin.auth,
    });
    expect(strikes.body).toContain(orderId);
    expect(await svc().reconcile()).toEqual([]);
  });

  it('the seller’s clock stops at night: paid at 22:00 in Dar es Salaam, the deadline is 08:30 the next morning', async () => {
    // A Thursday, 22:00 local (19:00 UTC); service hours 08:00–20:00.
    let night = new Date(Date.UTC(2026, 10, 26, 19, 0, 0));
    while (night.getTime() <= t.clock.now().getTime()) night = new Date(night.getTime() + 7 * 24 * 3600_000);
    t.clock.set(night);
    const { orderId } = await paidOrder();
    const at = (hours: number, minutes: number) =>
      new Date(night.getTime() + (hours * 60 + minutes) * 60_000);
    t.clock.set(at(0, 45)); // 22:45: past 30 minutes of plain time
    await t.app.services.jobs.drain();
    expect((await view(orderId)).status).toBe('paid');
    t.clock.set(at(10, 29)); // 08:29 the next morning: still inside the 30 open minutes
    await t.app.services.jobs.drain();
    expect((await view(orderId)).status).toBe('paid');
    t.clock.set(at(10, 31)); // 08:31
    await t.app.services.jobs.drain();
    expect((await view(orderId)).status).toBe('cancelled');
    expect(await svc().reconcile()).toEqual([]);
  });

  it('seller slow to pack: accepted but not ready in time → cancelled and refunded; accepting in time is not enough', async () => {
    const { orderId } = await paidOrder();
    expect((await act(orderId, 'accept')).statusCode).toBe(200);
    t.clock.advanceSeconds(60 * 60);
    await t.app.services.jobs.drain();
    expect((await view(orderId)).status).toBe('accepted');
    t.clock.advanceSeconds(121 * 60);
    await t.app.services.jobs.drain();
    expect((await view(orderId)).status).toBe('cancelled');
    expect(await svc().reconcile()).toEqual([]);
  });

  it('late delivery: the delivery fee back at once and goodwill points, paid by the platform, written in the ledger', async () => {
    const { orderId, buyerId, buyerAuth } = await paidOrder();
    for (const step of ['accept', 'ready', 'pick-up'])
      expect((await act(orderId, step)).statusCode).toBe(200);
    const o = await view(orderId);
    t.clock.set(new Date(o.promisedBy!.getTime() + 10 * 60_000));
    const code = (
      await t.app.inject({
        method: 'GET',
        url: `/api/v1/orders/${orderId}`,
        headers: { authorization: buyerAuth },
      })
    ).json().delivery_code;
    const del = await t.app.inject({
      method: 'POST',
      url: `/api/v1/seller/orders/${orderId}/deliver`,
      headers: seller.auth,
      payload: { code, location: zone('Mikocheni') },
    });
    expect(del.statusCode, del.body).toBe(200);
    expect((await view(orderId)).deliveredLate).toBe(true);
    const transfers = await t.app.services.ledger.transfersOf({ orderId });
    expect(transfers.filter((x) => x.kind === 'COMPENSATION')).toEqual([
      expect.objectContaining({ amount: o.deliveryFee, debitAccount: 'platform:guarantee_expense' }),
    ]);
    t.clock.advanceSeconds(5);
    await t.app.services.jobs.drain();
    t.clock.advanceSeconds(5);
    await t.app.services.jobs.drain();
    expect(await refundsOf(orderId)).toEqual([
      expect.objectContaining({ status: 'succeeded', amount: o.deliveryFee, reason: 'late_delivery' }),
    ]);
    expect((await t.app.services.ledger.balance(`buyer:${buyerId}:refunds_payable`)).posted).toBe(0);
    const points = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me/loyalty',
      headers: { authorization: buyerAuth },
    });
    expect(points.json().balance).toBe(50);
    expect(await svc().reconcile()).toEqual([]);
  });

  it('the on-time rate by seller, zone and day counts promised deliveries only', async () => {
    const range = `from=${encodeURIComponent('2026-11-01T00:00:00+03:00')}&to=${encodeURIComponent('2027-01-01T00:00:00+03:00')}`;
    const get = (by: string) =>
      t.app.inject({
        method: 'GET',
        url: `/api/v1/admin/logistics/on-time?by=${by}&${range}`,
        headers: admin.auth,
      });
    const bySeller = (await get('seller')).json().items;
    expect(bySeller).toEqual([
      expect.objectContaining({
        key: seller.userId,
        delivered: expect.any(Number),
        late: expect.any(Number),
      }),
    ]);
    const s0 = bySeller[0];
    expect(s0.late).toBeGreaterThanOrEqual(1);
    expect(s0.on_time_rate).toBeCloseTo((s0.delivered - s0.late) / s0.delivered);
    expect((await get('zone')).json().items.map((r: { key: string }) => r.key)).toEqual(['Mikocheni']);
    expect((await get('day')).json().items[0].key).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect((await get('courier')).statusCode).toBe(400);
    expect((await get('rider')).json().items).toEqual([expect.objectContaining({ key: 'no rider' })]);
    const yearZero = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/logistics/on-time?by=day&from=0000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
      headers: admin.auth,
    });
    expect(yearZero.statusCode).toBe(400);
    const backwards = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/logistics/on-time?by=day&from=2027-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
      headers: admin.auth,
    });
    expect(backwards.statusCode).toBe(400);
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: `/api/v1/admin/logistics/on-time?by=day&${range}`,
          headers: seller.auth,
        })
      ).statusCode,
    ).toBe(403);
  });

  it('failed delivery not re-attempted in the window: the platform refunds the buyer in full, automatically', async () => {
    const { orderId, checkout } = await paidOrder();
    for (const step of ['accept', 'ready', 'pick-up'])
      expect((await act(orderId, step)).statusCode).toBe(200);
    const fail = await t.app.inject({
      method: 'POST',
      url: `/api/v1/seller/orders/${orderId}/fail-delivery`,
      headers: seller.auth,
      payload: { reason: 'nobody at the gate' },
    });
    expect(fail.statusCode, fail.body).toBe(200);
    t.clock.advanceSeconds(23 * 3600);
    await t.app.services.jobs.drain();
    expect((await view(orderId)).status).toBe('delivery_failed');
    t.clock.advanceSeconds(3600 + 5);
    await t.app.services.jobs.drain();
    expect((await view(orderId)).status).toBe('returning');
    t.clock.advanceSeconds(5);
    await t.app.services.jobs.drain();
    expect(await refundsOf(orderId)).toEqual([
      expect.objectContaining({ status: 'succeeded', amount: checkout.total }),
    ]);
    expect(await svc().reconcile()).toEqual([]);
  });

  it('a second failed attempt gets its own full window: the first attempt’s deadline does not refund it', async () => {
    const { orderId } = await paidOrder();
    for (const step of ['accept', 'ready', 'pick-up']) await act(orderId, step);
    const fail = (reason: string) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/seller/orders/${orderId}/fail-delivery`,
        headers: seller.auth,
        payload: { reason },
      });
    expect((await fail('gate closed')).statusCode).toBe(200);
    t.clock.advanceSeconds(3600);
    expect((await act(orderId, 'retry-delivery')).statusCode).toBe(200);
    t.clock.advanceSeconds(22 * 3600);
    expect((await fail('buyer away')).statusCode).toBe(200);
    t.clock.advanceSeconds(2 * 3600);
    await t.app.services.jobs.drain();
    expect((await view(orderId)).status).toBe('delivery_failed');
    t.clock.advanceSeconds(23 * 3600);
    await t.app.services.jobs.drain();
    expect((await view(orderId)).status).toBe('returning');
  });

  it('a failed delivery re-attempted in time is not refunded', async () => {
    const { orderId } = await paidOrder();
    for (const step of ['accept', 'ready', 'pick-up']) await act(orderId, step);
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/seller/orders/${orderId}/fail-delivery`,
      headers: seller.auth,
      payload: { reason: 'rain' },
    });
    expect((await act(orderId, 'retry-delivery')).statusCode).toBe(200);
    t.clock.advanceSeconds(25 * 3600);
    await t.app.services.jobs.drain();
    expect((await view(orderId)).status).toBe('out_for_delivery');
  });

  it('late, then refunded in full after a dispute: the buyer gets back exactly what they paid, never the fee twice', async () => {
    const { orderId, checkout, buyerAuth } = await paidOrder();
    for (const step of ['accept', 'ready', 'pick-up'])
      expect((await act(orderId, step)).statusCode).toBe(200);
    const o = await view(orderId);
    t.clock.set(new Date(o.promisedBy!.getTime() + 60_000));
    const code = (
      await t.app.inject({
        method: 'GET',
        url: `/api/v1/orders/${orderId}`,
        headers: { authorization: buyerAuth },
      })
    ).json().delivery_code;
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/seller/orders/${orderId}/deliver`,
      headers: seller.auth,
      payload: { code, location: zone('Mikocheni') },
    });
    const evidence = await upload(t, { authorization: buyerAuth }, 'dispute_evidence');
    const opened = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orders/${orderId}/disputes`,
      headers: { authorization: buyerAuth },
      payload: { reason: 'wrong_item', description: 'Not what I ordered', evidence_media_ids: [evidence] },
    });
    expect(opened.statusCode, opened.body).toBe(201);
    const resolved = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/disputes/${opened.json().id}/resolve`,
      headers: admin.auth,
      payload: { resolution: 'full_refund', note: 'wrong item sent', fault: 'seller' },
    });
    expect(resolved.statusCode, resolved.body).toBe(200);
    for (let i = 0; i < 3; i++) {
      t.clock.advanceSeconds(5);
      await t.app.services.jobs.drain();
    }
    const refunds = await refundsOf(orderId);
    expect(refunds.every((r) => r.status === 'succeeded')).toBe(true);
    expect(refunds.reduce((a, r) => a + r.amount, 0)).toBe(checkout.total);
    expect(await svc().reconcile()).toEqual([]);
  });

  it('the handover code: five wrong tries lock it, even the right code after that', async () => {
    const { orderId } = await paidOrder();
    for (const step of ['accept', 'ready']) expect((await act(orderId, step)).statusCode).toBe(200);
    const right = (await view(orderId)).handoverCode!;
    const wrongCode = right === '0000' ? '1111' : '0000';
    const someRider = '01a212ef-0000-7000-8000-000000000001';
    for (let i = 0; i < 5; i++)
      await expect(svc().riderPickUp(orderId, someRider, wrongCode)).rejects.toMatchObject({
        code: 'HANDOVER_CODE_INVALID',
      });
    await expect(svc().riderPickUp(orderId, someRider, right)).rejects.toMatchObject({
      code: 'HANDOVER_CODE_LOCKED',
    });
    expect((await view(orderId)).status).toBe('ready_for_pickup');
  });

  it('on time: no compensation', async () => {
    const { orderId, buyerAuth } = await paidOrder();
    for (const step of ['accept', 'ready', 'pick-up'])
      expect((await act(orderId, step)).statusCode).toBe(200);
    const code = (
      await t.app.inject({
        method: 'GET',
        url: `/api/v1/orders/${orderId}`,
        headers: { authorization: buyerAuth },
      })
    ).json().delivery_code;
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/seller/orders/${orderId}/deliver`,
      headers: seller.auth,
      payload: { code, location: zone('Mikocheni') },
    });
    expect((await view(orderId)).deliveredLate).toBe(false);
    const transfers = await t.app.services.ledger.transfersOf({ orderId });
    expect(transfers.filter((x) => x.kind === 'COMPENSATION')).toEqual([]);
  });
});

describe('the full journey with a real rider', () => {
  it('pay → accept → ready → offered → accepted → picked up with the handover code → delivered with the code → completed; ledger reconciles', async () => {
    // A verified rider, online near the seller in Kariakoo.
    const riderPhone = nextPhone();
    const rider = await t.login(riderPhone);
    const zones = (
      await t.app.inject({ method: 'GET', url: '/api/v1/admin/zones', headers: admin.auth })
    ).json();
    const kariakoo = (zones.items ?? zones).find((z: { name: string }) => z.name === 'Kariakoo');
    const applied = await t.app.inject({
      method: 'POST',
      url: '/api/v1/rider/profile',
      headers: rider.auth,
      payload: { vehicle: 'boda_boda', plate: 'MC 123 ABC', home_zone_id: kariakoo.id },
    });
    expect(applied.statusCode, applied.body).toBe(200);
    const verified = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/riders/${rider.userId}/verify`,
      headers: admin.auth,
      payload: {},
    });
    expect(verified.statusCode, verified.body).toBe(200);
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/v1/rider/online', headers: rider.auth })).statusCode,
    ).toBe(200);
    const ping = await t.app.inject({
      method: 'POST',
      url: '/api/v1/rider/pings',
      headers: rider.auth,
      payload: { lat: -6.8205, lng: 39.2755 },
    });
    expect(ping.statusCode, ping.body).toBe(200);

    const res = await checkoutTo(zone('Mikocheni'));
    const co = res.json();
    const buyer = lastBuyer;
    const orderId = co.orders[0].id as string;
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/payments/checkouts/${co.checkout_id}/collections`,
      headers: buyer,
      payload: {},
    });
    t.clock.advanceSeconds(5);
    await t.app.services.jobs.drain();
    const step = (s: string) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/seller/orders/${orderId}/${s}`,
        headers: seller.auth,
        payload: {},
      });
    expect((await step('accept')).statusCode).toBe(200);
    const ready = await step('ready');
    expect(ready.statusCode).toBe(200);
    const handover = (
      await t.app.inject({ method: 'GET', url: `/api/v1/seller/orders/${orderId}`, headers: seller.auth })
    ).json();
    const handoverCode = (handover.order ?? handover).handover_code as string;
    expect(handoverCode).toMatch(/^\d{4}$/);
    await t.app.services.jobs.drain();

    const offers = (
      await t.app.inject({ method: 'GET', url: '/api/v1/rider/offers', headers: rider.auth })
    ).json();
    const offer = (offers.items ?? offers).find((o: { order_id: string }) => o.order_id === orderId);
    expect(offer, JSON.stringify(offers)).toBeDefined();
    const acc = await t.app.inject({
      method: 'POST',
      url: `/api/v1/rider/offers/${offer.id}/accept`,
      headers: rider.auth,
    });
    expect(acc.statusCode, acc.body).toBe(200);
    // A rider is coming: the seller cannot mark it picked up themselves.
    const sellerPickUp = await t.app.inject({
      method: 'POST',
      url: `/api/v1/seller/orders/${orderId}/pick-up`,
      headers: seller.auth,
      payload: {},
    });
    expect(sellerPickUp.statusCode).toBe(409);
    expect(sellerPickUp.json().code).toBe('RIDER_DELIVERS');
    const wrong = await t.app.inject({
      method: 'POST',
      url: `/api/v1/rider/jobs/${orderId}/pick-up`,
      headers: rider.auth,
      payload: { handover_code: handoverCode === '0000' ? '1111' : '0000' },
    });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().code).toBe('HANDOVER_CODE_INVALID');
    const picked = await t.app.inject({
      method: 'POST',
      url: `/api/v1/rider/jobs/${orderId}/pick-up`,
      headers: rider.auth,
      payload: { handover_code: handoverCode },
    });
    expect(picked.statusCode, picked.body).toBe(200);
    const code = (
      await t.app.inject({ method: 'GET', url: `/api/v1/orders/${orderId}`, headers: buyer })
    ).json().delivery_code;
    // The buyer now sees who brings it, and when.
    const seen = (
      await t.app.inject({ method: 'GET', url: `/api/v1/orders/${orderId}`, headers: buyer })
    ).json();
    expect(seen.rider).toMatchObject({
      vehicle: 'boda_boda',
      phone: riderPhone,
      eta: expect.stringMatching(/\+03:00$/),
    });
    const etaMinutes = (new Date(seen.rider.eta).getTime() - t.clock.now().getTime()) / 60_000;
    expect(etaMinutes).toBeGreaterThan(5); // Kariakoo → Mikocheni is several km
    expect(etaMinutes).toBeLessThan(120);
    // The rider has the parcel: the seller can no longer record its delivery.
    const sellerDeliver = await t.app.inject({
      method: 'POST',
      url: `/api/v1/seller/orders/${orderId}/deliver`,
      headers: seller.auth,
      payload: { code, location: zone('Mikocheni') },
    });
    expect(sellerDeliver.statusCode).toBe(409);
    expect(sellerDeliver.json().code).toBe('RIDER_DELIVERS');
    expect((await svc().view(orderId, { userId: null, role: 'admin' })).order.deliveryCodeAttempts).toBe(0);
    t.clock.advanceSeconds(30);
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/rider/pings',
      headers: rider.auth,
      payload: zone('Mikocheni'),
    });
    const delivered = await t.app.inject({
      method: 'POST',
      url: `/api/v1/rider/jobs/${orderId}/deliver`,
      headers: rider.auth,
      payload: { code },
    });
    expect(delivered.statusCode, delivered.body).toBe(200);
    const done = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orders/${orderId}/confirm-receipt`,
      headers: buyer,
      payload: {},
    });
    expect(done.statusCode, done.body).toBe(200);
    const o = (await svc().view(orderId, { userId: null, role: 'admin' })).order;
    expect(o).toMatchObject({ status: 'completed', deliveredLate: false, riderId: rider.userId });
    // The rider earns 80% of the delivery fee (whole shillings), the platform keeps the rest.
    const share = Math.floor((o.deliveryFee * 0.8) / 100) * 100;
    const earnings = await t.app.inject({
      method: 'GET',
      url: '/api/v1/rider/earnings',
      headers: rider.auth,
    });
    expect(earnings.json()).toEqual({ available: share, in_payout: 0, paid_out: 0, deliveries_paid: 1 });
    const fees = (await t.app.services.ledger.transfersOf({ orderId })).filter(
      (x) => x.kind === 'DELIVERY_FEE',
    );
    expect(fees).toEqual([expect.objectContaining({ amount: o.deliveryFee - share })]);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/rider/earnings', headers: buyer })).statusCode,
    ).toBe(403);
    // Paid out like seller payouts: to the rider's own phone, reserved while the send is on its way.
    const payout = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/payments/rider-payouts',
      headers: admin.auth,
      payload: { rider_id: rider.userId, reason: 'weekly' },
    });
    expect(payout.statusCode, payout.body).toBe(201);
    expect(payout.json()).toMatchObject({ kind: 'payout', amount: share, party_id: rider.userId });
    const notRider = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/payments/rider-payouts',
      headers: admin.auth,
      payload: { rider_id: seller.userId, reason: 'x' },
    });
    expect(notRider.statusCode).toBe(404);
    t.clock.advanceSeconds(5);
    await t.app.services.jobs.drain();
    t.clock.advanceSeconds(5);
    await t.app.services.jobs.drain();
    const after = await t.app.inject({ method: 'GET', url: '/api/v1/rider/earnings', headers: rider.auth });
    expect(after.json()).toMatchObject({ available: 0, in_payout: 0, paid_out: share });
    const timeline = (await svc().view(orderId, { userId: null, role: 'admin' })).timeline;
    expect(timeline.find((e) => e.event === 'deliver')).toMatchObject({
      actorRole: 'rider',
      actorUserId: rider.userId,
    });
    expect(await svc().reconcile()).toEqual([]);
  });
  it('rider no-show: a rider who accepts but never collects is released and the order goes to the next rider', async () => {
    const zones = (
      await t.app.inject({ method: 'GET', url: '/api/v1/admin/zones', headers: admin.auth })
    ).json();
    const kariakoo = (zones.items ?? zones).find((z: { name: string }) => z.name === 'Kariakoo');
    const onlineRider = async (lat: number) => {
      const r = await t.login(nextPhone());
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/rider/profile',
        headers: r.auth,
        payload: { vehicle: 'bicycle', home_zone_id: kariakoo.id },
      });
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/admin/riders/${r.userId}/verify`,
        headers: admin.auth,
        payload: {},
      });
      await t.app.inject({ method: 'POST', url: '/api/v1/rider/online', headers: r.auth });
      const p = await t.app.inject({
        method: 'POST',
        url: '/api/v1/rider/pings',
        headers: r.auth,
        payload: { lat, lng: 39.2751 },
      });
      expect(p.statusCode, p.body).toBe(200);
      return r;
    };
    const res = await checkoutTo(zone('Mikocheni'));
    const co = res.json();
    const orderId = co.orders[0].id as string;
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/payments/checkouts/${co.checkout_id}/collections`,
      headers: lastBuyer,
      payload: {},
    });
    t.clock.advanceSeconds(5);
    await t.app.services.jobs.drain();
    const near = await onlineRider(-6.8201);
    const far = await onlineRider(-6.8215);
    for (const s of ['accept', 'ready'])
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/seller/orders/${orderId}/${s}`,
        headers: seller.auth,
        payload: {},
      });
    await t.app.services.jobs.drain();
    const offerOf = async (r: { auth: Record<string, string> }) =>
      (
        (await t.app.inject({ method: 'GET', url: '/api/v1/rider/offers', headers: r.auth })).json() as {
          items?: Array<{ id: string; order_id: string }>;
        }
      ).items?.find((o) => o.order_id === orderId);
    const first = await offerOf(near);
    expect(first).toBeDefined();
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/rider/offers/${first!.id}/accept`,
          headers: near.auth,
        })
      ).statusCode,
    ).toBe(200);
    // The near rider never comes. After the pickup window they are released and the far rider is asked.
    t.clock.advanceSeconds(31 * 60);
    for (const r of [far])
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/rider/pings',
        headers: r.auth,
        payload: { lat: -6.8215, lng: 39.2751 },
      });
    await t.app.services.jobs.drain();
    const second = await offerOf(far);
    expect(second, 'the order is offered to the next rider').toBeDefined();
    const jobs = (
      await t.app.inject({ method: 'GET', url: '/api/v1/rider/jobs', headers: near.auth })
    ).json();
    expect(JSON.stringify(jobs)).not.toContain(`"status":"assigned"`);
  });
  const svc = () => t.app.services.orders.service;
});
