import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { onPostgres } from '../../../test/support/db.js';
import { createJobService } from './service.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const quiet = { info() {}, error() {} };
const worker = (leaseMs?: number) =>
  createJobService({
    db: t.handle.db,
    clock: t.clock,
    ids: { newId: () => crypto.randomUUID() },
    log: quiet,
    ...(leaseMs ? { leaseMs } : {}),
  });

describe('jobs', () => {
  it('runs a job when it is due, not before, and only once', async () => {
    const w = worker();
    const seen: string[] = [];
    w.handle('test.once', async (job) => {
      seen.push(String(job.payload.n));
    });
    await t.handle.db.transaction((tx) =>
      w.enqueue(tx, {
        kind: 'test.once',
        payload: { n: 1 },
        runAt: new Date(t.clock.now().getTime() + 60_000),
      }),
    );
    expect(await w.drain()).toBe(0);
    t.clock.advanceSeconds(61);
    await w.drain();
    await w.drain();
    expect(seen).toEqual(['1']);
  });

  it('a dedupe key writes one job however often it is enqueued', async () => {
    const w = worker();
    let runs = 0;
    w.handle('test.dedupe', async () => {
      runs++;
    });
    for (let i = 0; i < 3; i++)
      await t.handle.db.transaction((tx) =>
        w.enqueue(tx, { kind: 'test.dedupe', payload: {}, dedupeKey: 'only-one' }),
      );
    await w.drain();
    expect(runs).toBe(1);
  });

  it('a job enqueued in a transaction that rolls back never runs', async () => {
    const w = worker();
    let runs = 0;
    w.handle('test.rollback', async () => {
      runs++;
    });
    await t.handle.db
      .transaction(async (tx) => {
        await w.enqueue(tx, { kind: 'test.rollback', payload: {} });
        throw new Error('abort');
      })
      .catch(() => {});
    await w.drain();
    expect(runs).toBe(0);
  });

  it('a failing job is retried with backoff and marked failed after its last attempt', async () => {
    const w = worker();
    let runs = 0;
    w.handle('test.fail', async () => {
      runs++;
      throw new Error('provider down');
    });
    await t.handle.db.transaction((tx) =>
      w.enqueue(tx, { kind: 'test.fail', payload: {}, maxAttempts: 2, dedupeKey: 'fail-1' }),
    );
    await w.runDue();
    expect(runs).toBe(1);
    await w.runDue();
    expect(runs).toBe(1); // not yet: backing off
    t.clock.advanceSeconds(11);
    await w.runDue();
    expect(runs).toBe(2);
    t.clock.advanceSeconds(3600);
    await w.runDue();
    expect(runs).toBe(2);
  });

  it('a claim of a worker that died is swept back and run by another', async () => {
    const dead = worker(1000);
    dead.handle('test.sweep', async () => {
      throw new Error('never reached');
    });
    await t.handle.db.transaction((tx) =>
      dead.enqueue(tx, { kind: 'test.sweep', payload: {}, dedupeKey: 'sweep-1' }),
    );
    // Simulate a crash between claim and completion: claim by hand, never finish.
    // The lease ended a second ago on the test's clock (jobs use the injected clock, never the database's).
    const expired = new Date(t.clock.now().getTime() - 1000).toISOString();
    await t.handle.db.execute(
      sql`update jobs set status = 'running', locked_by = 'dead', locked_until = ${expired}::timestamptz where dedupe_key = 'sweep-1'`,
    );
    const alive = worker();
    let runs = 0;
    alive.handle('test.sweep', async () => {
      runs++;
    });
    expect(await alive.sweep()).toBe(1);
    await alive.drain();
    expect(runs).toBe(1);
  });

  it('a job that waited in a batch past its lease and was swept is not run again by the first worker', async () => {
    // Regression (issue 17, the job loop): a worker claims a batch and runs it one job at a time; a
    // slow first job let the others' leases run out, another worker swept and ran them, and the
    // first worker then ran them a second time. Each job now renews its claim as it starts.
    const a = worker(60_000);
    const b = worker(60_000);
    const runs: string[] = [];
    a.handle('test.slow', async () => {
      runs.push('slow by a');
      // Longer than the lease; meanwhile the other worker sweeps and runs what is due.
      t.clock.advanceSeconds(61);
      await b.sweep();
      await b.runDue();
    });
    a.handle('test.behind', async () => {
      runs.push('behind by a');
    });
    b.handle('test.behind', async () => {
      runs.push('behind by b');
    });
    const now = t.clock.now().getTime();
    await t.handle.db.transaction((tx) =>
      a.enqueue(
        tx,
        { kind: 'test.slow', payload: {}, runAt: new Date(now - 2000), dedupeKey: 'batch-slow' },
        { kind: 'test.behind', payload: {}, runAt: new Date(now - 1000), dedupeKey: 'batch-behind' },
      ),
    );
    await a.runDue();
    expect(runs).toEqual(['slow by a', 'behind by b']);
    const [row] = (
      (await t.handle.db.execute(
        sql`select status from jobs where dedupe_key = 'batch-behind'`,
      )) as unknown as {
        rows: Array<{ status: string }>;
      }
    ).rows;
    expect(row?.status).toBe('done');
  });
});

if (!onPostgres)
  console.log(
    '[jobs] the several-workers case is skipped on PGlite, which runs one query at a time; CI runs it on PostgreSQL',
  );

describe.runIf(onPostgres)('several workers (PostgreSQL)', () => {
  it('four workers draining 200 jobs at once run each exactly once', async () => {
    const counts = new Map<string, number>();
    const workers = Array.from({ length: 4 }, () => {
      const w = worker();
      w.handle('test.parallel', async (job) => {
        counts.set(String(job.payload.n), (counts.get(String(job.payload.n)) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 1));
      });
      return w;
    });
    await t.handle.db.transaction(async (tx) => {
      for (let i = 0; i < 200; i++)
        await workers[0]!.enqueue(tx, { kind: 'test.parallel', payload: { n: i } });
    });
    await Promise.all(workers.map((w) => w.drain(100)));
    expect(counts.size).toBe(200);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
  });
});

describe('stopping the job loop', () => {
  it('waits for the job in hand to finish, then runs no more', async () => {
    const w = worker();
    let release = () => {};
    let started = () => {};
    const inHand = new Promise<void>((ok) => {
      started = ok;
    });
    const runs: number[] = [];
    w.handle('test.slow-stop', async (job) => {
      runs.push(Number(job.payload.n));
      started();
      await new Promise<void>((ok) => {
        release = ok;
      });
    });
    await t.handle.db.transaction((tx) => w.enqueue(tx, { kind: 'test.slow-stop', payload: { n: 1 } }));
    const stop = w.start(10);
    await inHand;
    let stoppedAt = 0;
    const stopping = stop().then(() => {
      stoppedAt = Date.now();
    });
    await new Promise((r) => setTimeout(r, 100));
    // The job is still running: stop has not resolved (the old loop returned at once).
    expect(stoppedAt).toBe(0);
    const releasedAt = Date.now();
    release();
    await stopping;
    expect(stoppedAt).toBeGreaterThanOrEqual(releasedAt);
    await t.handle.db.transaction((tx) => w.enqueue(tx, { kind: 'test.slow-stop', payload: { n: 2 } }));
    await new Promise((r) => setTimeout(r, 100));
    expect(runs).toEqual([1]);
  });
});
