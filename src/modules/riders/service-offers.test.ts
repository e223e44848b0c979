import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { onPostgres } from '../../../test/support/db.js';
import { seedRidersForBench } from '../../../test/support/seed-riders.js';
import type { AppError } from '../../shared/errors.js';
import { randomIds } from '../../shared/ids.js';
import { cellOf, neighbourCells } from '../zones/index.js';
import { candidateSql } from './candidates.js';
import {
  ADMIN,
  activeJobs,
  clock,
  db,
  jobsOfKind,
  KARIAKOO,
  newOrder,
  newUser,
  north,
  orders,
  refusal,
  riderAt,
  svc,
  useRidersService,
  ZONE,
} from './service.fixtures.js';

// Riders and assignment on the database: PGlite, or PostgreSQL with TEST_DATABASE_URL (where the
// races really run in parallel, and the EXPLAIN test checks the candidate query's plan). The tables
// come from the committed migrations, like every other table. Shared setup lives in service.fixtures.ts.

useRidersService();

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
