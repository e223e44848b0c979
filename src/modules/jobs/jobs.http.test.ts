import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { onPostgres } from '../../../test/support/db.js';
import { BadJobPayload, defineJobs } from './define.js';
import { createJobService, type Job, type JobService } from './service.js';

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

/** A test kind with any payload, its handler given the raw job (these tests are about the queue). */
const handle = (w: JobService, kind: string, fn: (job: Job) => Promise<unknown>) =>
  w.register({ [kind]: z.record(z.string(), z.unknown()) }, { [kind]: (_p: unknown, job: Job) => fn(job) });

describe('jobs', () => {
  it('runs a job when it is due, not before, and only once', async () => {
    const w = worker();
    const seen: string[] = [];
    handle(w, 'test.once', async (job) => {
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
    handle(w, 'test.dedupe', async () => {
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
    handle(w, 'test.rollback', async () => {
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
    handle(w, 'test.fail', async () => {
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
    handle(dead, 'test.sweep', async () => {
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
    handle(alive, 'test.sweep', async () => {
      runs++;
    });
    expect(await alive.sweep()).toBe(1);
    await alive.drain();
    expect(runs).toBe(1);
  });

  it('a job finished early in a long batch is not swept and run again while the batch goes on', async () => {
    // Regression: the batch's lease renewal covered only the jobs still to run, and the finished ones
    // were marked done at the end; a batch outliving their claim's lease let a sweep rerun them.
    const a = worker(60_000);
    const b = worker(60_000);
    const runs: string[] = [];
    handle(a, 'test.early', async () => {
      runs.push('early by a');
      t.clock.advanceSeconds(25); // past a third of the lease: the next job renews the batch
    });
    handle(a, 'test.long', async () => {
      runs.push('long by a');
      t.clock.advanceSeconds(50); // the early job's claim (60 s) has run out
      await b.sweep();
      await b.runDue();
    });
    handle(b, 'test.early', async () => {
      runs.push('early by b');
    });
    const now = t.clock.now().getTime();
    await t.handle.db.transaction((tx) =>
      a.enqueue(
        tx,
        { kind: 'test.early', payload: {}, runAt: new Date(now - 2000), dedupeKey: 'batch-early' },
        { kind: 'test.long', payload: {}, runAt: new Date(now - 1000), dedupeKey: 'batch-long' },
      ),
    );
    expect((await a.runDue()).done).toBe(2);
    expect(runs).toEqual(['early by a', 'long by a']);
  });

  it('a job that waited in a batch past its lease and was swept is not run again by the first worker', async () => {
    // Regression (issue 17, the job loop): a worker claims a batch and runs it one job at a time; a
    // slow first job let the others' leases run out, another worker swept and ran them, and the
    // first worker then ran them a second time. Each job now renews its claim as it starts.
    const a = worker(60_000);
    const b = worker(60_000);
    const runs: string[] = [];
    handle(a, 'test.slow', async () => {
      runs.push('slow by a');
      // Longer than the lease; meanwhile the other worker sweeps and runs what is due.
      t.clock.advanceSeconds(61);
      await b.sweep();
      await b.runDue();
    });
    handle(a, 'test.behind', async () => {
      runs.push('behind by a');
    });
    handle(b, 'test.behind', async () => {
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
      handle(w, 'test.parallel', async (job) => {
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
    handle(w, 'test.slow-stop', async (job) => {
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

describe('long handlers and shutdown in a batch', () => {
  it('a handler slower than its lease keeps its claim: a sweep meanwhile takes nothing', async () => {
    // Regression: the lease was renewed only between jobs, so a handler running past it was swept
    // and run by a second worker at the same time.
    const a = worker(300);
    const b = worker(300);
    const runs: string[] = [];
    let sweptMeanwhile = -1;
    handle(a, 'test.slow-lease', async () => {
      runs.push('by a');
      t.clock.advanceSeconds(0.4); // past the claim's lease on the jobs' clock
      await new Promise((r) => setTimeout(r, 250)); // the heartbeat beats every 100 ms of real time
      sweptMeanwhile = await b.sweep();
      await b.runDue();
    });
    handle(b, 'test.slow-lease', async () => {
      runs.push('by b');
    });
    await t.handle.db.transaction((tx) =>
      a.enqueue(tx, {
        kind: 'test.slow-lease',
        payload: {},
        runAt: new Date(t.clock.now().getTime() - 1000),
        dedupeKey: 'slow-lease',
      }),
    );
    expect((await a.runDue()).done).toBe(1);
    expect(sweptMeanwhile).toBe(0);
    expect(runs).toEqual(['by a']);
  });

  it('a shutdown waits for the job in hand, not the whole batch; the rest go back unclaimed', async () => {
    const w = worker();
    const runs: number[] = [];
    let started = () => {};
    const firstStarted = new Promise<void>((ok) => {
      started = ok;
    });
    let release = () => {};
    const released = new Promise<void>((ok) => {
      release = ok;
    });
    handle(w, 'test.batch-stop', async (job) => {
      runs.push(Number(job.payload.n));
      started();
      await released;
    });
    const now = t.clock.now().getTime();
    await t.handle.db.transaction((tx) =>
      w.enqueue(
        tx,
        ...[1, 2, 3, 4].map((n) => ({
          kind: 'test.batch-stop',
          payload: { n },
          runAt: new Date(now - 10_000 + n),
          dedupeKey: `batch-stop-${n}`,
        })),
      ),
    );
    const stop = w.start({ intervalMs: 10, batchSize: 4 });
    await firstStarted;
    const stopping = stop();
    release();
    await stopping;
    expect(runs).toEqual([1]);
    const rows = (
      (await t.handle.db.execute(
        sql`select dedupe_key, status, attempts, locked_by from jobs where dedupe_key like 'batch-stop-%' order by dedupe_key`,
      )) as unknown as {
        rows: Array<{ dedupe_key: string; status: string; attempts: number; locked_by: string | null }>;
      }
    ).rows;
    expect(rows.map((r) => [r.dedupe_key, r.status, Number(r.attempts), r.locked_by])).toEqual([
      ['batch-stop-1', 'done', 1, null],
      ['batch-stop-2', 'pending', 0, null],
      ['batch-stop-3', 'pending', 0, null],
      ['batch-stop-4', 'pending', 0, null],
    ]);
    // The next worker runs each of them once.
    const next = worker();
    handle(next, 'test.batch-stop', async (job) => {
      runs.push(Number(job.payload.n));
    });
    await next.drain();
    expect(runs).toEqual([1, 2, 3, 4]);
  });
});

describe('typed jobs', () => {
  const defs = defineJobs({
    'typed.ping': z.object({ orderId: z.string().min(1), n: z.number().int() }),
    'typed.other': z.object({}),
  });

  it('a handler gets the payload its schema parsed', async () => {
    const w = worker();
    const seen: Array<{ orderId: string; n: number }> = [];
    w.register(defs, { 'typed.ping': async (p) => seen.push(p) });
    const q = w.queue(defs);
    await t.handle.db.transaction((tx) =>
      q.enqueue(tx, { kind: 'typed.ping', payload: { orderId: 'o1', n: 2 } }),
    );
    await w.drain();
    expect(seen).toEqual([{ orderId: 'o1', n: 2 }]);
  });

  it('a payload its schema refuses fails the job at once, with the field named, never a cast', async () => {
    const w = worker();
    let runs = 0;
    w.register(defs, { 'typed.ping': async () => runs++ });
    // Written past the types (an old row, a hand-made insert): the raw service writes anything.
    await t.handle.db.transaction((tx) =>
      w.enqueue(tx, { kind: 'typed.ping', payload: { n: 'two' }, dedupeKey: 'typed-bad', maxAttempts: 5 }),
    );
    await w.drain();
    expect(runs).toBe(0);
    const r = await t.handle.db.execute(
      sql`select status, attempts, last_error from jobs where dedupe_key = 'typed-bad'`,
    );
    const row = (r as unknown as { rows: Array<{ status: string; attempts: number; last_error: string }> })
      .rows[0]!;
    expect(row.status).toBe('failed');
    expect(row.attempts).toBe(1);
    expect(row.last_error).toMatch(/typed\.ping/);
    expect(row.last_error).toMatch(/orderId/);
    expect(row.last_error).toMatch(/n:/);
  });

  it('the queue refuses a bad payload or an undeclared kind before anything is written', async () => {
    const w = worker();
    const q = w.queue(defs);
    await expect(
      t.handle.db.transaction((tx) =>
        // @ts-expect-error n must be a number: a wrong payload does not compile
        q.enqueue(tx, { kind: 'typed.ping', payload: { orderId: 'o2', n: 'x' }, dedupeKey: 'typed-q1' }),
      ),
    ).rejects.toBeInstanceOf(BadJobPayload);
    await expect(
      t.handle.db.transaction((tx) =>
        // @ts-expect-error a kind this module did not declare does not compile
        q.enqueue(tx, { kind: 'typed.unknown', payload: {}, dedupeKey: 'typed-q2' }),
      ),
    ).rejects.toThrow(/no such kind/);
    const r = await t.handle.db.execute(
      sql`select count(*)::int as n from jobs where dedupe_key like 'typed-q%'`,
    );
    expect((r as unknown as { rows: Array<{ n: number }> }).rows[0]!.n).toBe(0);
  });

  it('a kind has one handler, and a handler needs a declared kind', () => {
    const w = worker();
    w.register(defs, { 'typed.ping': async () => {} });
    expect(() => w.register(defs, { 'typed.ping': async () => {} })).toThrow(/two handlers/);
    expect(() =>
      // @ts-expect-error a handler for a kind nobody declared does not compile
      w.register(defs, { 'typed.nobody': async () => {} }),
    ).toThrow(/nothing declares/);
    expect(() => defineJobs({ 'Bad Kind': z.object({}) })).toThrow(/snake_case/);
    expect(w.registry().handled).toEqual(['typed.ping']);
    expect(w.registry().declared).toEqual(['typed.other', 'typed.ping']);
  });
});
