import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, onPostgres } from '../../../test/support/db.js';
import { seedRidersForBench } from '../../../test/support/seed-riders.js';
import { staticOrdersPort } from '../../../test/support/static-orders-port.js';
import type { Database, DatabaseHandle } from '../../db/client.js';
import { ManualClock } from '../../shared/clock.js';
import { type AppError, notFound } from '../../shared/errors.js';
import { randomIds } from '../../shared/ids.js';
import { createAuditService } from '../audit/index.js';
import { users } from '../identity/schema.js';
import { createJobService } from '../jobs/index.js';
import { orderJobs } from '../orders/index.js';
import { cellOf, neighbourCells } from '../zones/index.js';
import { candidateSql } from './candidates.js';
import { createRidersModule, type RidersModuleService, riderJobs } from './index.js';

// Riders and assignment on the database: PGlite, or PostgreSQL with TEST_DATABASE_URL (where the
// races really run in parallel, and the EXPLAIN test checks the candidate query's plan). The tables
// come from the committed migrations, like every other table.

const ZONE = '00000000-0000-7000-8000-00000000a0e1';
const ADMIN = '00000000-0000-7000-8000-00000000ad01';
const KARIAKOO = { lat: -6.819, lng: 39.274 };
/** `m` metres north (positive) or south of Kariakoo. */
const north = (m: number) => ({ lat: KARIAKOO.lat + m / 111_195, lng: KARIAKOO.lng });

let handle: DatabaseHandle;
let db: Database;
const clock = new ManualClock('2026-11-25T09:00:00Z');
const orders = staticOrdersPort(new Map());
let svc: RidersModuleService;
let mod: ReturnType<typeof createRidersModule>;
let phoneSeq = 0;

const zones = {
  zoneOfPoint: async () => ({ id: ZONE, name: 'Kariakoo' }),
  getZone: async (id: string) => {
    if (id !== ZONE) throw notFound('Delivery zone');
    return { zone: { id, name: 'Kariakoo', active: true } };
  },
};

async function grantRiderRole(userId: string, tx: Database) {
  await tx.execute(
    sql`update users set roles = array_append(roles, 'rider') where id = ${userId} and not ('rider' = any(roles))`,
  );
}

async function newUser(): Promise<string> {
  const id = randomIds.newId();
  phoneSeq++;
  await db.insert(users).values({
    id,
    phone: `+2557${String(phoneSeq).padStart(8, '0')}`,
    createdAt: clock.now(),
    updatedAt: clock.now(),
  });
  return id;
}

/** A verified rider, online, who pinged just now at `at`. */
async function riderAt(at: { lat: number; lng: number }, capacity = 2): Promise<string> {
  const id = await newUser();
  await svc.apply(id, { vehicle: 'boda_boda', plate: 'MC 123 ABC', homeZoneId: ZONE, capacity });
  await svc.verify(ADMIN, id, 'papers seen');
  await svc.goOnline(id);
  await svc.ping(id, at);
  return id;
}

function newOrder(pickup = KARIAKOO): string {
  const id = randomIds.newId();
  orders.pickups.set(id, pickup);
  return id;
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    return e as AppError;
  }
  throw new Error('not refused');
}

async function jobsOfKind(kind: string) {
  const r = await db.execute(sql`select payload, run_at from jobs where kind = ${kind} order by created_at`);
  return (r as unknown as { rows: Array<{ payload: Record<string, string>; run_at: Date }> }).rows;
}

async function activeJobs(riderId: string): Promise<number> {
  return (await svc.profileOf(riderId))!.activeJobs;
}

beforeAll(async () => {
  handle = await createTestDatabase();
  db = handle.db;
  const audit = createAuditService({ db, clock, ids: randomIds });
  const jobs = createJobService({ db, clock, ids: randomIds, log: { info() {}, error() {} } });
  mod = createRidersModule({ db, clock, ids: randomIds, audit, jobs, zones, orders, grantRiderRole });
  svc = mod.service;
});
afterAll(async () => {
  await handle?.close();
});
beforeEach(async () => {
  for (const t of [
    'rider_pings',
    'rider_offers',
    'order_assignments',
    'dispatch_queue',
    'rider_profiles',
    'jobs',
  ]) {
    await db.execute(sql.raw(`delete from ${t}`));
  }
  orders.pickups.clear();
  orders.calls.length = 0;
  clock.advance(3_600_000);
});

describe('profile and verification', () => {
  it('applies with a normalised plate and the default capacity, grants the role, audits', async () => {
    const id = await newUser();
    const p = await svc.apply(id, { vehicle: 'bajaji', plate: 'mc 456 xyz', homeZoneId: ZONE });
    expect([p.status, p.plate, p.capacity, p.availability]).toEqual(['pending', 'MC456XYZ', 3, 'offline']);
    const r = await db.execute(sql`select roles from users where id = ${id}`);
    expect((r as unknown as { rows: Array<{ roles: string[] }> }).rows[0]!.roles).toContain('rider');
    const again = await svc.apply(id, { vehicle: 'bicycle', homeZoneId: ZONE });
    expect([again.plate, again.capacity]).toEqual([null, 1]);
  });

  it('refuses an unknown zone, a missing plate and a bad capacity', async () => {
    const id = await newUser();
    const e1 = await refusal(
      svc.apply(id, { vehicle: 'car', plate: 'T 123 ABC', homeZoneId: randomIds.newId() }),
    );
    expect([e1.code, e1.extra.field]).toEqual(['UNKNOWN_ZONE', 'home_zone_id']);
    expect((await refusal(svc.apply(id, { vehicle: 'car', homeZoneId: ZONE }))).code).toBe('PLATE_REQUIRED');
    expect((await refusal(svc.apply(id, { vehicle: 'bicycle', homeZoneId: ZONE, capacity: 6 }))).code).toBe(
      'INVALID_CAPACITY',
    );
    expect(await svc.profileOf(id)).toBeNull();
  });

  it('only a verified rider goes online; reject takes them offline with a reason, audited', async () => {
    const id = await newUser();
    await svc.apply(id, { vehicle: 'car', plate: 'T 123 ABC', homeZoneId: ZONE });
    expect((await refusal(svc.goOnline(id))).code).toBe('RIDER_NOT_VERIFIED');
    await svc.verify(ADMIN, id, undefined);
    expect((await refusal(svc.verify(ADMIN, id, undefined))).code).toBe('RIDER_ALREADY_VERIFIED');
    expect((await refusal(svc.apply(id, { vehicle: 'bicycle', homeZoneId: ZONE }))).code).toBe(
      'RIDER_ALREADY_VERIFIED',
    );
    expect((await svc.goOnline(id)).availability).toBe('available');
    const rejected = await svc.reject(ADMIN, id, 'ID card does not match');
    expect([rejected.status, rejected.availability, rejected.statusReason]).toEqual([
      'rejected',
      'offline',
      'ID card does not match',
    ]);
    expect((await refusal(svc.goOnline(id))).code).toBe('RIDER_NOT_VERIFIED');
    const r = await db.execute(
      sql`select action, reason from audit_events where target_id = ${id} order by created_at, id`,
    );
    expect((r as unknown as { rows: Array<{ action: string }> }).rows.map((x) => x.action)).toEqual([
      'rider.applied',
      'rider.verified',
      'rider.rejected',
    ]);
    expect((await svc.list({ status: 'rejected' })).map((p) => p.userId)).toContain(id);
    expect((await refusal(svc.verify(ADMIN, randomIds.newId(), undefined))).status).toBe(404);
  });
});

describe('pings', () => {
  it('stores the position and its H3 cell, refuses a second ping within 10 s, pruned after N days', async () => {
    const id = await riderAt(north(100));
    const p = (await svc.profileOf(id))!;
    expect(p.lastCell).toBe(cellOf(north(100)));
    expect(p.lastPingAt).toEqual(clock.now());
    clock.advanceSeconds(5);
    const e = await refusal(svc.ping(id, north(120)));
    expect([e.status, e.code]).toEqual([429, 'PING_TOO_FREQUENT']);
    clock.advanceSeconds(5);
    await svc.ping(id, north(150));
    expect(await svc.pingsOf(id)).toHaveLength(2);
    clock.advance(8 * 24 * 3_600_000);
    await svc.goOnline(id);
    await svc.ping(id, north(150));
    expect(await svc.prunePings(7)).toBe(2);
    expect(await svc.pingsOf(id)).toHaveLength(1);
  });

  it('refuses a ping from the future, impossible coordinates, and an offline rider', async () => {
    const id = await riderAt(north(100));
    clock.advanceSeconds(60);
    const fut = await refusal(svc.ping(id, { ...north(1), at: new Date(clock.now().getTime() + 31_000) }));
    expect([fut.status, fut.code]).toEqual([422, 'PING_FROM_FUTURE']);
    const bad = await refusal(svc.ping(id, { lat: -6.8, lng: 200 }));
    expect([bad.code, bad.extra.field]).toEqual(['INVALID_COORDINATES', 'lng']);
    await svc.goOffline(id);
    expect((await refusal(svc.ping(id, north(1)))).code).toBe('RIDER_OFFLINE');
  });

  it('two pings at once: one is stored, the other is too frequent', async () => {
    const id = await riderAt(north(100));
    clock.advanceSeconds(30);
    const results = await Promise.allSettled([svc.ping(id, north(10)), svc.ping(id, north(20))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      ((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as AppError).code,
    ).toBe('PING_TOO_FREQUENT');
  });
});

describe('offerNext', () => {
  it('offers the nearest fresh rider with room, and schedules the expiry', async () => {
    const far = await riderAt(north(900));
    const near = await riderAt(north(-300));
    const full = await riderAt(north(50), 1);
    await db.execute(sql`update rider_profiles set active_jobs = 1 where user_id = ${full}`);
    const stale = await riderAt(north(10));
    clock.advanceSeconds(60);
    await svc.ping(far, north(900));
    await svc.ping(near, north(-300));
    clock.advanceSeconds(70); // stale's ping is now 130 s old; the others 70 s
    const order = newOrder();
    const r = await svc.offerNext(order);
    expect(r.outcome).toBe('offered');
    if (r.outcome !== 'offered') return;
    expect(r.offer.riderId).toBe(near);
    expect(r.offer.distanceM).toBe(300);
    expect(r.offer.expiresAt.getTime() - r.offer.offeredAt.getTime()).toBe(60_000);
    expect(stale).not.toBe(r.offer.riderId);
    const jobs = await jobsOfKind('riders.expire_offer');
    expect(jobs.map((j) => j.payload.offer_id)).toEqual([r.offer.id]);
    expect(new Date(jobs[0]!.run_at)).toEqual(r.offer.expiresAt);
    // Idempotent: the open offer stands.
    expect((await svc.offerNext(order)).outcome).toBe('already_offered');
    expect((await svc.offersOf(near)).map((o) => o.orderId)).toEqual([order]);
  });

  it('at the same distance, the rider with fewer active jobs wins', async () => {
    const busy = await riderAt(north(200), 3);
    const idle = await riderAt(north(200), 3);
    await db.execute(sql`update rider_profiles set active_jobs = 2 where user_id = ${busy}`);
    const r = await svc.offerNext(newOrder());
    expect(r.outcome === 'offered' && r.offer.riderId).toBe(idle);
  });

  it('widens the search ring when nobody is close, and ignores offline and unverified riders', async () => {
    const offline = await riderAt(north(100));
    await svc.goOffline(offline);
    const pending = await newUser();
    await svc.apply(pending, { vehicle: 'bicycle', homeZoneId: ZONE });
    const distant = await riderAt(north(4000)); // beyond k=2 (~1.4 km), within k=8
    const r = await svc.offerNext(newOrder());
    expect(r.outcome).toBe('offered');
    if (r.outcome !== 'offered') return;
    expect(r.offer.riderId).toBe(distant);
    expect(r.ring).toBeGreaterThan(2);
  });

  it('queues the order for a dispatcher when no rider is around at all', async () => {
    await riderAt(north(60_000)); // 60 km away
    const order = newOrder();
    expect(await svc.offerNext(order)).toEqual({ outcome: 'queued', reason: 'no_rider' });
    expect((await svc.dispatchList()).map((d) => [d.orderId, d.reason])).toEqual([[order, 'no_rider']]);
    expect((await svc.offerNext(order)).outcome).toBe('already_queued');
  });

  it('does nothing for an order that is not ready', async () => {
    await riderAt(north(10));
    expect((await svc.offerNext(randomIds.newId())).outcome).toBe('not_ready');
  });
});

describe('expiry, decline and the dispatch queue', () => {
  it('an expired offer moves to the next rider; accepting it then is OFFER_EXPIRED', async () => {
    const first = await riderAt(north(100));
    const second = await riderAt(north(400));
    const order = newOrder();
    const r1 = await svc.offerNext(order);
    if (r1.outcome !== 'offered') throw new Error(r1.outcome);
    expect(r1.offer.riderId).toBe(first);
    clock.advanceSeconds(30);
    await expect(svc.expireOffer(r1.offer.id)).rejects.toThrow(/not due/);
    clock.advanceSeconds(30);
    expect((await refusal(svc.accept(first, r1.offer.id))).code).toBe('OFFER_EXPIRED');
    const r2 = await svc.expireOffer(r1.offer.id);
    expect(r2?.outcome === 'offered' && r2.offer.riderId).toBe(second);
    expect((await refusal(svc.accept(first, r1.offer.id))).code).toBe('OFFER_EXPIRED');
    expect(await svc.expireOffer(r1.offer.id)).toBeNull(); // a second run of the job does nothing
  });

  it('after 3 refusals (declines or expiries) the order lands in the dispatch queue', async () => {
    const riders = [await riderAt(north(100)), await riderAt(north(200)), await riderAt(north(300))];
    await riderAt(north(400)); // a fourth rider who is never asked
    const order = newOrder();
    let r = await svc.offerNext(order);
    if (r.outcome !== 'offered') throw new Error(r.outcome);
    expect(r.offer.riderId).toBe(riders[0]);
    const declined = await svc.decline(riders[0]!, r.offer.id);
    expect(declined.status).toBe('declined');
    expect((await jobsOfKind('riders.assign')).map((j) => j.payload.order_id)).toEqual([order]);
    r = await svc.offerNext(order);
    if (r.outcome !== 'offered') throw new Error(r.outcome);
    expect(r.offer.riderId).toBe(riders[1]);
    await svc.decline(riders[1]!, r.offer.id);
    r = await svc.offerNext(order);
    if (r.outcome !== 'offered') throw new Error(r.outcome);
    expect(r.offer.riderId).toBe(riders[2]);
    clock.advanceSeconds(61);
    const last = await svc.expireOffer(r.offer.id);
    expect(last).toEqual({ outcome: 'queued', reason: 'too_many_refusals' });
    const [entry] = await svc.dispatchList();
    expect([entry!.orderId, entry!.reason, entry!.attempts]).toEqual([order, 'too_many_refusals', 3]);
    // The dispatcher assigns by hand: audited, queue resolved, capacity taken.
    const a = await svc.adminAssign(ADMIN, order, riders[0]!, 'called him, he is coming');
    expect([a.riderId, a.status, a.assignedBy]).toEqual([riders[0], 'assigned', ADMIN]);
    expect(await svc.dispatchList()).toEqual([]);
    expect(await activeJobs(riders[0]!)).toBe(1);
    expect((await refusal(svc.adminAssign(ADMIN, order, riders[1]!, 'again'))).code).toBe('OFFER_TAKEN');
  });

  it('a rider acting on another rider’s offer or job gets 404', async () => {
    const owner = await riderAt(north(100));
    const other = await riderAt(north(5000));
    const order = newOrder();
    const r = await svc.offerNext(order);
    if (r.outcome !== 'offered') throw new Error(r.outcome);
    expect((await refusal(svc.accept(other, r.offer.id))).status).toBe(404);
    expect((await refusal(svc.decline(other, r.offer.id))).status).toBe(404);
    expect((await refusal(svc.accept(owner, randomIds.newId()))).status).toBe(404);
    await svc.accept(owner, r.offer.id);
    expect((await refusal(svc.pickUp(other, order, '1234'))).status).toBe(404);
    expect((await refusal(svc.deliver(other, order, { kind: 'code', code: '1' }))).status).toBe(404);
    expect(orders.calls).toEqual([]);
  });
});

describe('accept', () => {
  it('holds the order, counts the job, is idempotent for the same rider; decline after accept is refused', async () => {
    const id = await riderAt(north(100));
    const order = newOrder();
    const r = await svc.offerNext(order);
    if (r.outcome !== 'offered') throw new Error(r.outcome);
    const a = await svc.accept(id, r.offer.id);
    expect([a.orderId, a.riderId, a.status]).toEqual([order, id, 'assigned']);
    expect(await activeJobs(id)).toBe(1);
    expect((await svc.accept(id, r.offer.id)).orderId).toBe(order);
    expect(await activeJobs(id)).toBe(1);
    expect((await refusal(svc.decline(id, r.offer.id))).code).toBe('OFFER_TAKEN');
    expect((await svc.offerNext(order)).outcome).toBe('already_assigned');
    expect((await svc.jobsOf(id)).map((j) => j.orderId)).toEqual([order]);
  });

  it('race: a rider accepts while an admin assigns another rider: exactly one holds the order', async () => {
    for (let round = 0; round < 5; round++) {
      await db.execute(sql`update rider_profiles set availability = 'offline'`);
      const a = await riderAt(north(100 + round));
      const b = await riderAt(north(8000 + round));
      const order = newOrder();
      const r = await svc.offerNext(order);
      if (r.outcome !== 'offered') throw new Error(r.outcome);
      expect(r.offer.riderId).toBe(a);
      const results = await Promise.allSettled([
        svc.accept(a, r.offer.id),
        svc.adminAssign(ADMIN, order, b, 'by hand'),
      ]);
      const won = results.filter((x) => x.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const lost = results.find((x) => x.status === 'rejected') as PromiseRejectedResult;
      expect((lost.reason as AppError).code).toBe('OFFER_TAKEN');
      const holders = await db.execute(sql`select rider_id from order_assignments where order_id = ${order}`);
      expect((holders as unknown as { rows: unknown[] }).rows).toHaveLength(1);
      expect((await activeJobs(a)) + (await activeJobs(b))).toBe(1);
    }
  });

  it('race: two accepts of the same offer at once count one job', async () => {
    const id = await riderAt(north(100));
    const r = await svc.offerNext(newOrder());
    if (r.outcome !== 'offered') throw new Error(r.outcome);
    const results = await Promise.all([svc.accept(id, r.offer.id), svc.accept(id, r.offer.id)]);
    expect(results[0]!.orderId).toBe(results[1]!.orderId);
    expect(await activeJobs(id)).toBe(1);
  });

  it('race: a rider with capacity 1 accepting two offers at once gets one, the other AT_CAPACITY', async () => {
    const id = await riderAt(north(100), 1);
    const offers: string[] = [];
    for (let i = 0; i < 2; i++) {
      // Offers made directly (offerNext gives a rider one open offer at a time).
      const offerId = randomIds.newId();
      const order = newOrder();
      await db.execute(sql`insert into rider_offers (id, order_id, rider_id, status, distance_m, offered_at, expires_at)
        values (${offerId}, ${order}, ${id}, 'offered', 100, ${clock.now().toISOString()}, ${new Date(clock.now().getTime() + 60_000).toISOString()})`);
      offers.push(offerId);
    }
    const results = await Promise.allSettled(offers.map((o) => svc.accept(id, o)));
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    expect(
      ((results.find((x) => x.status === 'rejected') as PromiseRejectedResult).reason as AppError).code,
    ).toBe('AT_CAPACITY');
    expect(await activeJobs(id)).toBe(1);
    expect((await svc.jobsOf(id)).length).toBe(1);
  });
});

describe('jobs: pick up, deliver, fail', () => {
  async function heldOrder(capacity = 2) {
    const id = await riderAt(north(100), capacity);
    const order = newOrder();
    const r = await svc.offerNext(order);
    if (r.outcome !== 'offered') throw new Error(r.outcome);
    await svc.accept(id, r.offer.id);
    return { id, order };
  }

  it('picks up with the handover code, delivers with proof and frees the capacity', async () => {
    const { id, order } = await heldOrder();
    const early = await refusal(svc.deliver(id, order, { kind: 'code', code: '4321' }));
    expect(early.code).toBe('JOB_NOT_PICKED_UP');
    const picked = await svc.pickUp(id, order, '1234');
    expect(await svc.awaitingPickup(order)).toBe(false); // collected: the seller-side rule no longer applies
    expect(picked.status).toBe('picked_up');
    expect((await refusal(svc.pickUp(id, order, '1234'))).code).toBe('JOB_ALREADY_PICKED_UP');
    const done = await svc.deliver(id, order, { kind: 'code', code: '4321' });
    expect(done.status).toBe('delivered');
    expect(await activeJobs(id)).toBe(0);
    // The codes' tries are spent before each transaction (the refusal of a second pickup first).
    expect(orders.calls.map((c) => c.op)).toEqual([
      'checkHandoverCode',
      'pickUp',
      'checkDeliveryCode',
      'deliver',
    ]);
    expect(orders.calls[1]!.detail).toBe('1234');
    expect(await svc.jobsOf(id)).toEqual([]);
  });

  it('a failed attempt goes to the orders side with its evidence and frees the capacity', async () => {
    const { id, order } = await heldOrder();
    await svc.pickUp(id, order, '1234');
    const evidence = { photoMediaId: randomIds.newId(), location: north(10) };
    // The rider still holds the parcel: the job stays theirs, but without a unit of capacity.
    expect((await svc.fail(id, order, 'buyer not answering', evidence)).status).toBe('failed_attempt');
    expect(orders.calls.at(-1)).toMatchObject({
      op: 'failDelivery',
      detail: { reason: 'buyer not answering' },
    });
    expect(await activeJobs(id)).toBe(0);
  });

  it('a refusal on the orders side (wrong handover code) changes nothing here', async () => {
    const { id, order } = await heldOrder();
    const orig = orders.pickUp;
    orders.pickUp = async () => {
      throw Object.assign(new Error('wrong code'), { code: 'WRONG_HANDOVER_CODE' });
    };
    try {
      await expect(svc.pickUp(id, order, '0000')).rejects.toThrow('wrong code');
    } finally {
      orders.pickUp = orig;
    }
    expect((await svc.jobsOf(id))[0]!.status).toBe('assigned');
  });

  it('the orders side runs in the job’s transaction: a refusal after its writes undoes them, and the job and capacity stay', async () => {
    // The stub writes through the transaction it is given (as the orders service does when it moves
    // the order), then refuses: nothing of it, nor of the job or the capacity, may be left.
    const jobs = createJobService({ db, clock, ids: randomIds, log: { info() {}, error() {} } });
    const marker = (op: string) => async (tx: Database, orderId: string) => {
      await jobs.enqueue(tx, { kind: 'test.marker', payload: { op, order_id: orderId } });
      throw Object.assign(new Error(`refused after ${op}`), { code: 'TEST_REFUSAL' });
    };
    const orig = { pickUp: orders.pickUp, deliver: orders.deliver, failDelivery: orders.failDelivery };
    const { id, order } = await heldOrder();
    const evidence = { photoMediaId: randomIds.newId(), location: north(10) };
    try {
      orders.pickUp = marker('pickUp');
      await expect(svc.pickUp(id, order, '1234')).rejects.toThrow('refused after pickUp');
      expect([(await svc.jobsOf(id))[0]!.status, await activeJobs(id)]).toEqual(['assigned', 1]);
      orders.pickUp = orig.pickUp;
      await svc.pickUp(id, order, '1234');
      orders.deliver = marker('deliver');
      await expect(svc.deliver(id, order, { kind: 'code', code: '4321' })).rejects.toThrow(
        'refused after deliver',
      );
      expect([(await svc.jobsOf(id))[0]!.status, await activeJobs(id)]).toEqual(['picked_up', 1]);
      orders.failDelivery = marker('failDelivery');
      await expect(svc.fail(id, order, 'gate shut', evidence)).rejects.toThrow('refused after failDelivery');
      expect([(await svc.jobsOf(id))[0]!.status, await activeJobs(id)]).toEqual(['picked_up', 1]);
    } finally {
      Object.assign(orders, orig);
    }
    expect(await jobsOfKind('test.marker')).toEqual([]);
    // The code checks ran before each transaction, on their own, and were not undone with it.
    expect(orders.calls.map((c) => c.op)).toEqual([
      'checkHandoverCode',
      'checkHandoverCode',
      'pickUp',
      'checkDeliveryCode',
    ]);
    // And with the orders side agreeing, all of it moves at once.
    expect((await svc.fail(id, order, 'gate shut', evidence)).status).toBe('failed_attempt');
    expect(await activeJobs(id)).toBe(0);
  });

  it('a refused code check spends nothing here and never reaches the transition', async () => {
    const { id, order } = await heldOrder();
    const orig = orders.checkHandoverCode;
    orders.checkHandoverCode = async () => {
      throw Object.assign(new Error('wrong code'), { code: 'HANDOVER_CODE_INVALID' });
    };
    try {
      await expect(svc.pickUp(id, order, '0000')).rejects.toThrow('wrong code');
    } finally {
      orders.checkHandoverCode = orig;
    }
    expect(orders.calls).toEqual([]);
    expect((await svc.jobsOf(id))[0]!.status).toBe('assigned');
  });

  it('awaitingPickup: true while the rider holds the job uncollected, false once released (or never held)', async () => {
    const { order } = await heldOrder();
    expect(await svc.awaitingPickup(order)).toBe(true);
    expect(await svc.awaitingPickup(newOrder())).toBe(false);
    await svc.releaseOrder(order);
    expect(await svc.awaitingPickup(order)).toBe(false);
  });

  it('releaseOrder (cancelled) frees the rider and withdraws open offers', async () => {
    const { id, order } = await heldOrder();
    await svc.releaseOrder(order);
    expect(await activeJobs(id)).toBe(0);
    expect(await svc.assignmentOf(order)).toBeNull();
  });
});

describe('job handlers', () => {
  it('order.ready_for_pickup and riders.expire_offer drive offerNext and expireOffer', async () => {
    const a = await riderAt(north(100));
    const b = await riderAt(north(300));
    const order = newOrder();
    // The handlers as the worker runs them: registered with the declared kinds, payloads parsed.
    await db.execute(sql`delete from jobs`); // what earlier tests left is theirs, not this test's
    const worker = createJobService({ db, clock, ids: randomIds, log: { info() {}, error() {} } });
    worker.register({ ...riderJobs, ...orderJobs }, mod.jobHandlers);
    await worker.enqueue(db, { kind: 'order.ready_for_pickup', payload: { order_id: order } });
    await worker.drain();
    const [offer] = await svc.offersOf(a);
    expect(offer?.orderId).toBe(order);
    clock.advanceSeconds(61);
    await worker.drain(); // the offer's expiry job, written by offerNext
    expect((await svc.offersOf(b)).map((o) => o.orderId)).toEqual([order]);
    // A payload without its order fails for good at once, with the field named, never a cast.
    const bad = randomIds.newId();
    await worker.enqueue(db, { kind: 'riders.assign', payload: {}, dedupeKey: bad });
    await worker.drain();
    const r = await db.execute(sql`select status, last_error, attempts from jobs where dedupe_key = ${bad}`);
    const [row] = (r as unknown as { rows: Array<{ status: string; last_error: string; attempts: number }> })
      .rows;
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row!.last_error).toMatch(/order_id/);
  });
});

if (!onPostgres)
  console.log(
    '[riders] query-plan check skipped: PGlite plans differently; CI runs it on PostgreSQL (TEST_DATABASE_URL)',
  );
describe.runIf(onPostgres)('the candidate query on PostgreSQL', () => {
  it('with 2,000 riders over the city, uses the partial index (no Seq Scan on rider_profiles) and never scans every rider', async () => {
    await seedRidersForBench(db, 2000, KARIAKOO, { now: clock.now(), radiusKm: 15 });
    await db.execute(sql`analyze rider_profiles`);
    await db.execute(sql`analyze rider_offers`);
    const order = randomIds.newId();
    const q = candidateSql({
      orderId: order,
      pickup: KARIAKOO,
      cells: neighbourCells(cellOf(KARIAKOO), 2),
      freshSince: new Date(clock.now().getTime() - 120_000),
    });
    const plan = await db.execute(sql`explain ${q}`);
    const lines = (plan as unknown as { rows: Array<Record<string, string>> }).rows
      .map((r) => r['QUERY PLAN'])
      .join('\n');
    expect(lines).not.toMatch(/Seq Scan on rider_profiles/);
    expect(lines).toMatch(/rider_profiles_dispatch_idx/);
    expect(lines).not.toMatch(/Seq Scan on rider_profiles/);

    // How fast it is, is measured by `npm run bench` (not a timed test); this checks the plan.
  });
});
