import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RidersTestApp, ridersTestApp, TEST_ZONE } from '../../../test/support/riders-app.js';
import { staticOrdersPort } from '../../../test/support/static-orders-port.js';
import { ManualClock } from '../../shared/clock.js';
import { randomIds } from '../../shared/ids.js';

// A rider who can no longer work (rejected by an admin, or the account banned or suspended) keeps
// no job not yet collected: each is released and re-offered in the same transaction. A parcel
// already in hand may be delivered, failed or brought back, but not taken out again.

const KARIAKOO = { lat: -6.819, lng: 39.274 };
const ids = {
  admin: '00000000-0000-7000-8000-00000000ad01',
  struck: '00000000-0000-7000-8000-0000000e0001',
  spare: '00000000-0000-7000-8000-0000000e0002',
  banned: '00000000-0000-7000-8000-0000000e0003',
};
const roles: Record<string, string[]> = {
  admin: ['admin'],
  struck: ['buyer'],
  spare: ['buyer'],
  banned: ['buyer'],
};
const as = (who: keyof typeof ids) => ({ authorization: `Bearer token-of-${who}-0001` });

let h: RidersTestApp;
const clock = new ManualClock('2026-11-25T09:00:00Z');
const orders = staticOrdersPort(new Map());

beforeAll(async () => {
  h = await ridersTestApp({ people: ids, roles, clock, orders, phonePrefix: '+25575401' });
});
afterAll(() => h?.close());

const call: RidersTestApp['call'] = (...args) => h.call(...args);

/** A verified rider, online, with a fresh ping next to Kariakoo. */
async function onDuty(who: keyof typeof ids, vehicle: 'boda_boda' | 'bajaji') {
  expect(
    (
      await call('POST', '/rider/profile', as(who), {
        vehicle,
        plate: vehicle === 'boda_boda' ? 'MC 123 ABC' : 'T 456 DEF',
        home_zone_id: TEST_ZONE,
      })
    ).statusCode,
  ).toBe(200);
  expect((await call('POST', `/admin/riders/${ids[who]}/verify`, as('admin'), {})).statusCode).toBe(200);
  expect((await call('POST', '/rider/online', as(who))).statusCode).toBe(200);
  expect((await call('POST', '/rider/pings', as(who), KARIAKOO)).statusCode).toBe(200);
}

/** A new order offered to (and accepted by) `who`, the only rider who can take it. */
async function assignTo(who: keyof typeof ids): Promise<string> {
  const order = randomIds.newId();
  orders.pickups.set(order, KARIAKOO);
  await h.mod.service.offerNext(order);
  const offer = (await call('GET', '/rider/offers', as(who)))
    .json()
    .items.find((o: { order_id: string }) => o.order_id === order);
  expect(offer, `an offer of ${order} to ${who}`).toBeDefined();
  expect((await call('POST', `/rider/offers/${offer.id}/accept`, as(who))).statusCode).toBe(200);
  return order;
}

async function offersTo(who: keyof typeof ids): Promise<string[]> {
  return (await call('GET', '/rider/offers', as(who)))
    .json()
    .items.map((o: { order_id: string }) => o.order_id);
}

async function assignStatus(orderId: string): Promise<string | undefined> {
  const r = (await h.db.execute(
    sql`select status from order_assignments where order_id = ${orderId}`,
  )) as unknown as { rows: Array<{ status: string }> };
  return r.rows[0]?.status;
}

async function assignJobsFor(orderId: string): Promise<number> {
  const r = (await h.db.execute(
    sql`select count(*)::int as n from jobs where kind = 'riders.assign' and payload->>'order_id' = ${orderId}`,
  )) as unknown as { rows: Array<{ n: number }> };
  return r.rows[0]!.n;
}

describe('a rider rejected with jobs in hand', () => {
  it('loses the jobs not yet collected (re-offered), keeps the parcels in hand, cannot go out again', async () => {
    await onDuty('struck', 'bajaji'); // capacity 3
    const failed = await assignTo('struck');
    expect(
      (await call('POST', `/rider/jobs/${failed}/pick-up`, as('struck'), { handover_code: '1234' }))
        .statusCode,
    ).toBe(200);
    await h.mod.service.fail(ids.struck, failed, 'nobody at the gate', {
      photoMediaId: randomIds.newId(),
      location: KARIAKOO,
    });
    const carried = await assignTo('struck');
    expect(
      (await call('POST', `/rider/jobs/${carried}/pick-up`, as('struck'), { handover_code: '1234' }))
        .statusCode,
    ).toBe(200);
    const waiting = await assignTo('struck');
    expect((await call('GET', '/rider/profile', as('struck'))).json().active_jobs).toBe(2);

    // Only now is the spare rider on duty: every offer above could go to the struck rider alone.
    await onDuty('spare', 'boda_boda');
    const jobsBefore = await assignJobsFor(waiting);

    const rejected = await call('POST', `/admin/riders/${ids.struck}/reject`, as('admin'), {
      reason: 'ID card does not match',
    });
    expect(rejected.statusCode).toBe(200);
    // The uncollected job is given back with its capacity; the parcel in hand keeps its unit (and
    // the rider reads on_delivery, no longer taking offers, until it is finished).
    expect(rejected.json()).toMatchObject({
      status: 'rejected',
      availability: 'on_delivery',
      accepting_offers: false,
      active_jobs: 1,
    });
    expect(await assignStatus(waiting)).toBe('released');
    expect(await assignJobsFor(waiting)).toBe(jobsBefore + 1);

    // No new pick-up: the job is no longer theirs.
    const pickUp = await call('POST', `/rider/jobs/${waiting}/pick-up`, as('struck'), {
      handover_code: '1234',
    });
    expect(pickUp.statusCode).toBe(404);
    const jobs = (await call('GET', '/rider/jobs', as('struck')))
      .json()
      .items.map((j: { order_id: string }) => j.order_id);
    expect(jobs.sort()).toEqual([carried, failed].sort());

    // The order goes to the next rider (the job the rejection enqueued runs offerNext).
    await h.mod.service.offerNext(waiting);
    expect(await offersTo('spare')).toContain(waiting);

    // The parcel after a failed attempt is not taken out again: it goes back to the seller.
    const retry = await call('POST', `/rider/jobs/${failed}/retry`, as('struck'));
    expect([retry.statusCode, retry.json().code]).toEqual([409, 'RIDER_NOT_VERIFIED']);
    expect(
      (await call('POST', `/rider/jobs/${failed}/return`, as('struck'), { reason: 'struck off' })).statusCode,
    ).toBe(200);
    // The parcel in hand may still be delivered.
    const delivered = await call('POST', `/rider/jobs/${carried}/deliver`, as('struck'), {
      photo_media_id: randomIds.newId(),
      location: KARIAKOO,
    });
    expect([delivered.statusCode, delivered.json().status]).toEqual([200, 'delivered']);
    expect((await call('GET', '/rider/profile', as('struck'))).json().active_jobs).toBe(0);
  });
});

describe('a rider whose account is banned or suspended', () => {
  it('goes offline and loses the open offer and the jobs not yet collected, in the caller transaction', async () => {
    await onDuty('banned', 'boda_boda');
    // the spare rider must not take these: take them offline for a moment
    await call('POST', '/rider/offline', as('spare'));
    const waiting = await assignTo('banned');
    const carried = await assignTo('banned');
    expect(
      (await call('POST', `/rider/jobs/${carried}/pick-up`, as('banned'), { handover_code: '1234' }))
        .statusCode,
    ).toBe(200);

    // A failure after the hook rolls it back with the rest of the ban.
    await expect(
      h.db.transaction(async (tx) => {
        await h.mod.service.accountDisabled(tx, ids.banned, 'banned');
        throw new Error('the ban failed later');
      }),
    ).rejects.toThrow('the ban failed later');
    expect(await assignStatus(waiting)).toBe('assigned');

    await h.db.transaction((tx) => h.mod.service.accountDisabled(tx, ids.banned, 'banned'));
    expect(await assignStatus(waiting)).toBe('released');
    expect(await assignStatus(carried)).toBe('picked_up');
    const profile = (await call('GET', '/rider/profile', as('banned'))).json();
    expect(profile).toMatchObject({ availability: 'on_delivery', accepting_offers: false, active_jobs: 1 });
    const audit = (await h.db.execute(
      sql`select action, reason from audit_events where target_id = ${ids.banned} and action = 'rider.jobs_released'`,
    )) as unknown as { rows: Array<{ reason: string }> };
    expect(audit.rows.map((r) => r.reason)).toEqual(['account banned']);

    // Someone who never applied as a rider has nothing to release.
    await h.db.transaction((tx) => h.mod.service.accountDisabled(tx, randomIds.newId(), 'suspended'));
  });
});
