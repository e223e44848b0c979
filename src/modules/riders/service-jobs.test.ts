import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../db/client.js';
import { randomIds } from '../../shared/ids.js';
import { createJobService } from '../jobs/index.js';
import { orderJobs } from '../orders/index.js';
import { riderJobs } from './index.js';
import {
  activeJobs,
  clock,
  db,
  jobsOfKind,
  mod,
  newOrder,
  north,
  orders,
  refusal,
  riderAt,
  svc,
  useRidersService,
} from './service.fixtures.js';

// Riders and assignment on the database: PGlite, or PostgreSQL with TEST_DATABASE_URL (where the
// races really run in parallel, and the EXPLAIN test checks the candidate query's plan). The tables
// come from the committed migrations, like every other table. Shared setup lives in service.fixtures.ts.

useRidersService();

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
