import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RidersTestApp, ridersTestApp, TEST_ZONE } from '../../../test/support/riders-app.js';
import { staticOrdersPort } from '../../../test/support/static-orders-port.js';
import { ManualClock } from '../../shared/clock.js';
import { randomIds } from '../../shared/ids.js';
import { JOB_IN_HAND_STATUSES, presenceOf } from './assignment.js';
import type { RidersModule } from './index.js';

// Availability as riders and admins read it: offline / available / on_delivery. on_delivery is
// derived from the jobs a rider holds, never stored, so a rider on a delivery with spare capacity
// stays in the dispatch index and keeps getting offers. Going offline while holding jobs is allowed:
// it stops new offers, and the jobs stay the rider's to finish (pings still accepted meanwhile).

const ZONE = TEST_ZONE;
const KARIAKOO = { lat: -6.819, lng: 39.274 };
const ids = {
  admin: '00000000-0000-7000-8000-00000000ad11',
  rider: '00000000-0000-7000-8000-0000000d0011',
  idle: '00000000-0000-7000-8000-0000000d0012',
  buyer: '00000000-0000-7000-8000-0000000b0011',
};
const roles: Record<string, string[]> = {
  admin: ['admin'],
  rider: ['buyer'],
  idle: ['buyer'],
  buyer: ['buyer'],
};
const as = (who: keyof typeof ids) => ({ authorization: `Bearer token-of-${who}-0001` });

let h: RidersTestApp;
let mod: RidersModule;
const clock = new ManualClock('2026-11-25T09:00:00Z');
const orders = staticOrdersPort(new Map());

beforeAll(async () => {
  h = await ridersTestApp({ people: ids, roles, clock, orders, phonePrefix: '+25575410' });
  mod = h.mod;
});
afterAll(() => h?.close());

const call: RidersTestApp['call'] = (...args) => h.call(...args);

const profile = async (who: keyof typeof ids) => (await call('GET', '/rider/profile', as(who))).json();
const ping = (who: keyof typeof ids, dLat = 0) => {
  clock.advanceSeconds(11);
  return call('POST', '/rider/pings', as(who), { lat: KARIAKOO.lat + dLat, lng: KARIAKOO.lng });
};
const listed = async (query: string) =>
  (await call('GET', `/admin/riders${query}`, as('admin')))
    .json()
    .items.map((r: { user_id: string }) => r.user_id);

/** A new order at Kariakoo, offered to the best rider; returns the order and the offer's rider. */
async function newOrder() {
  const order = randomIds.newId();
  orders.pickups.set(order, KARIAKOO);
  const r = await mod.service.offerNext(order);
  return { order, result: r };
}

describe('the derived on_delivery state', () => {
  it('is pure: any job in hand reads on_delivery, whatever the offers switch', () => {
    expect(presenceOf('available', 0)).toBe('available');
    expect(presenceOf('offline', 0)).toBe('offline');
    expect(presenceOf('available', 1)).toBe('on_delivery');
    expect(presenceOf('offline', 2)).toBe('on_delivery');
    expect(JOB_IN_HAND_STATUSES).toEqual(['assigned', 'picked_up', 'failed_attempt', 'returning']);
  });

  it('heading to pick up and carrying read on_delivery; spare capacity still gets offers; offline keeps the jobs', async () => {
    for (const who of ['rider', 'idle'] as const) {
      const applied = await call('POST', '/rider/profile', as(who), {
        vehicle: 'boda_boda',
        plate: who === 'rider' ? 'MC 111 AAA' : 'MC 222 BBB',
        home_zone_id: ZONE,
      });
      expect(applied.statusCode, applied.body).toBe(200);
      expect(applied.json()).toMatchObject({ availability: 'offline', accepting_offers: false });
      await call('POST', `/admin/riders/${ids[who]}/verify`, as('admin'), {});
    }
    const online = await call('POST', '/rider/online', as('rider'));
    expect(online.json()).toMatchObject({
      availability: 'available',
      accepting_offers: true,
      active_jobs: 0,
    });
    expect((await ping('rider')).statusCode).toBe(200);

    // Offered and accepted: heading to the pickup is already a delivery.
    const first = await newOrder();
    expect(first.result).toMatchObject({ outcome: 'offered', offer: { riderId: ids.rider } });
    const offerId = (first.result as { offer: { id: string } }).offer.id;
    expect((await call('POST', `/rider/offers/${offerId}/accept`, as('rider'))).statusCode).toBe(200);
    expect(await profile('rider')).toMatchObject({
      availability: 'on_delivery',
      accepting_offers: true,
      active_jobs: 1,
    });
    // Stored availability is untouched: the rider is still in the dispatch index.
    expect((await mod.service.profileOf(ids.rider))?.availability).toBe('available');

    // A boda-boda carries two: the second order is offered to the same rider, on a delivery or not.
    const second = await newOrder();
    expect(second.result).toMatchObject({ outcome: 'offered', offer: { riderId: ids.rider } });
    const offer2 = (second.result as { offer: { id: string } }).offer.id;
    expect((await call('POST', `/rider/offers/${offer2}/accept`, as('rider'))).statusCode).toBe(200);
    const picked = await call('POST', `/rider/jobs/${first.order}/pick-up`, as('rider'), {
      handover_code: '1234',
    });
    expect(picked.json().status).toBe('picked_up');
    expect(await profile('rider')).toMatchObject({ availability: 'on_delivery', active_jobs: 2 });

    // Admin views: the same state, and a filter on it.
    const all = (await call('GET', '/admin/riders', as('admin'))).json().items;
    const byId = new Map(
      all.map((r: { user_id: string; availability: string }) => [r.user_id, r.availability]),
    );
    expect(byId.get(ids.rider)).toBe('on_delivery');
    expect(byId.get(ids.idle)).toBe('offline');
    expect(await listed('?availability=on_delivery')).toEqual([ids.rider]);
    expect(await listed('?availability=offline')).toEqual([ids.idle]);
    expect(await listed('?availability=available')).toEqual([]);
    expect(await listed('?availability=on_delivery&status=pending')).toEqual([]);

    // Offline while holding jobs: allowed, no new offers, the jobs stay; the rider still pings.
    const off = await call('POST', '/rider/offline', as('rider'));
    expect(off.statusCode).toBe(200);
    expect(off.json()).toMatchObject({
      availability: 'on_delivery',
      accepting_offers: false,
      active_jobs: 2,
    });
    expect((await call('GET', '/rider/jobs', as('rider'))).json().items).toHaveLength(2);
    const pinged = await ping('rider', 0.001);
    expect(pinged.statusCode, pinged.body).toBe(200);
    expect(pinged.json().availability).toBe('on_delivery');
    // The idle rider goes online with room; the next order is theirs, never the offline rider's.
    await call('POST', '/rider/online', as('idle'));
    await ping('idle', 0.002);
    const third = await newOrder();
    expect(third.result).toMatchObject({ outcome: 'offered', offer: { riderId: ids.idle } });
    const offer3 = (third.result as { offer: { id: string } }).offer.id;
    expect((await call('POST', `/rider/offers/${offer3}/accept`, as('idle'))).statusCode).toBe(200);
    await call('POST', `/rider/jobs/${third.order}/pick-up`, as('idle'), { handover_code: '1234' });
    const done3 = await call('POST', `/rider/jobs/${third.order}/deliver`, as('idle'), {
      photo_media_id: randomIds.newId(),
      location: KARIAKOO,
      note: 'to the buyer',
    });
    expect(done3.json().status).toBe('delivered');
    expect(await profile('idle')).toMatchObject({ availability: 'available', active_jobs: 0 });

    // Finishing: both delivered → offline (their switch), pings refused again.
    const deliver = (order: string) =>
      call('POST', `/rider/jobs/${order}/deliver`, as('rider'), {
        photo_media_id: randomIds.newId(),
        location: KARIAKOO,
        note: 'at the gate',
      });
    expect((await deliver(first.order)).json().status).toBe('delivered');
    expect(await profile('rider')).toMatchObject({ availability: 'on_delivery', active_jobs: 1 });
    await call('POST', `/rider/jobs/${second.order}/pick-up`, as('rider'), { handover_code: '1234' });
    expect((await deliver(second.order)).json().status).toBe('delivered');
    expect(await profile('rider')).toMatchObject({
      availability: 'offline',
      accepting_offers: false,
      active_jobs: 0,
    });
    const refused = await ping('rider');
    expect([refused.statusCode, refused.json().code]).toEqual([409, 'RIDER_OFFLINE']);
  });

  it('a parcel after a failed attempt is still in hand: on_delivery without using capacity', async () => {
    const { order, result } = await newOrder();
    expect(result).toMatchObject({ outcome: 'offered', offer: { riderId: ids.idle } });
    const offerId = (result as { offer: { id: string } }).offer.id;
    expect((await call('POST', `/rider/offers/${offerId}/accept`, as('idle'))).statusCode).toBe(200);
    await call('POST', `/rider/jobs/${order}/pick-up`, as('idle'), { handover_code: '1234' });
    const failed = await call('POST', `/rider/jobs/${order}/fail`, as('idle'), {
      reason: 'nobody at the gate',
      photo_media_id: randomIds.newId(),
      location: KARIAKOO,
    });
    expect(failed.statusCode, failed.body).toBe(200);
    // No capacity held (the rider can take other work), but the parcel is still theirs.
    expect(await profile('idle')).toMatchObject({
      availability: 'on_delivery',
      accepting_offers: true,
      active_jobs: 0,
    });
    expect(await listed('?availability=on_delivery')).toEqual([ids.idle]);
  });
});

describe('bad input and who may call', () => {
  it('GET /admin/riders?availability= must be one of the three states', async () => {
    for (const q of ['?availability=busy', '?availability=', '?availability=ON_DELIVERY', '?avail=1']) {
      const r = await call('GET', `/admin/riders${q}`, as('admin'));
      expect(r.statusCode, q).toBe(400);
      expect(r.json().code).toBe('VALIDATION_FAILED');
    }
    const r = await call('GET', '/admin/riders?availability=busy', as('admin'));
    expect(r.json().field).toBe('availability');
  });
  it('admins only: a rider or a buyer cannot list riders by availability; no token is 401', async () => {
    expect((await call('GET', '/admin/riders?availability=on_delivery', as('rider'))).statusCode).toBe(403);
    expect((await call('GET', '/admin/riders?availability=on_delivery', as('buyer'))).statusCode).toBe(403);
    expect((await call('GET', '/admin/riders?availability=on_delivery', {})).statusCode).toBe(401);
  });
  it('going offline needs the rider role and a profile', async () => {
    const buyer = await call('POST', '/rider/offline', as('buyer'));
    expect([buyer.statusCode, buyer.json().code]).toEqual([403, 'FORBIDDEN_ROLE']);
    expect((await call('POST', '/rider/offline', {})).statusCode).toBe(401);
  });
});
