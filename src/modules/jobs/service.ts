import { randomUUID } from 'node:crypto';
import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { BatchPart } from '../../db/batch.js';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import {
  BadJobPayload,
  type Job,
  type JobDefinitions,
  type JobHandlers,
  type JobQueue,
  parsePayload,
} from './define.js';
import { jobs } from './schema.js';

export type { Job } from './define.js';

export interface NewJob {
  kind: string;
  payload: Record<string, unknown>;
  runAt?: Date;
  dedupeKey?: string;
  maxAttempts?: number;
}

/** A job handler must be idempotent: a job may run again after a crash between its effect and its completion. */
type RawHandler = (job: Job) => Promise<unknown>;

interface Logger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** How a worker process runs its jobs (WORKER_INTERVAL_MS, WORKER_CONCURRENCY, WORKER_BATCH_SIZE). */
export interface WorkerOptions {
  /** sleep of a loop whose last batch came back short (nothing more due) */
  intervalMs?: number;
  /** claim loops in this process */
  concurrency?: number;
  /** jobs claimed at once by one loop */
  batchSize?: number;
}

/** Backoff after the n-th failed attempt: 10 s, 40 s, 90 s, … capped at one hour. */
export const backoffMs = (attempt: number) => Math.min(3_600_000, 10_000 * attempt * attempt);

export function createJobService(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  log: Logger;
  leaseMs?: number;
}) {
  const { db, clock, ids, log } = deps;
  const leaseMs = deps.leaseMs ?? 60_000;
  const handlers = new Map<string, RawHandler>();
  /** every kind some module declared to this service, with its payload schema */
  const declared: JobDefinitions = {};
  const declare = (definitions: JobDefinitions) => {
    for (const [kind, schema] of Object.entries(definitions)) {
      if (declared[kind] && declared[kind] !== schema) throw new Error(`job kind ${kind} is declared twice`);
      declared[kind] = schema;
    }
  };
  const checked = (list: NewJob[]) => {
    // The types already refuse a wrong payload; this catches a cast, before the transaction commits.
    for (const j of list) parsePayload(declared, j.kind, j.payload);
    return list;
  };
  const rowOf = (job: NewJob): typeof jobs.$inferInsert => ({
    id: ids.newId(),
    kind: job.kind,
    payload: job.payload,
    dedupeKey: job.dedupeKey ?? null,
    status: 'pending',
    runAt: job.runAt ?? clock.now(),
    attempts: 0,
    maxAttempts: job.maxAttempts ?? 10,
    createdAt: clock.now(),
  });

  return {
    /**
     * Register the handlers of the kinds a module acts on. Each payload is parsed by its kind's
     * schema before the handler sees it; only kinds with a handler are claimed by this process, and
     * a kind has one handler.
     */
    register<D extends JobDefinitions>(definitions: D, map: JobHandlers<D>) {
      declare(definitions);
      for (const [kind, handler] of Object.entries(map) as [
        string,
        (p: unknown, j: Job) => Promise<unknown>,
      ][]) {
        if (!definitions[kind]) throw new Error(`a handler for job kind ${kind}, which nothing declares`);
        if (handlers.has(kind)) throw new Error(`job kind ${kind} has two handlers`);
        handlers.set(kind, (job) => handler(parsePayload(definitions, kind, job.payload), job));
      }
    },

    /** The queue a sending module is given: only its declared kinds, each with its payload's type. */
    queue<D extends JobDefinitions>(definitions: D): JobQueue<D> {
      declare(definitions);
      return {
        enqueue: (tx, ...list) => this.enqueue(tx, ...checked(list as NewJob[])),
        draft: (...list) => this.draft(...checked(list as NewJob[])),
      };
    },

    /** The kinds this process runs and the kinds declared to it (the registry test compares them). */
    registry() {
      return { handled: [...handlers.keys()].sort(), declared: Object.keys(declared).sort() };
    },

    /** Write jobs inside the caller's transaction, in one statement. A dedupe key already taken is skipped. */
    async enqueue(tx: Database, ...list: NewJob[]) {
      if (!list.length) return;
      await tx.insert(jobs).values(list.map(rowOf)).onConflictDoNothing({ target: jobs.dedupeKey });
    },

    /** The same jobs as one part of a caller's batched write (checkout writes everything in one statement). */
    draft(...list: NewJob[]): BatchPart {
      return { insert: jobs, rows: list.map(rowOf), onConflictDoNothing: 'dedupeKey' };
    },

    /** Return the claims of workers that died mid-job, so another worker picks them up. */
    async sweep(): Promise<number> {
      const rows = await db
        .update(jobs)
        .set({ status: 'pending', lockedBy: null, lockedUntil: null })
        .where(and(eq(jobs.status, 'running'), lt(jobs.lockedUntil, clock.now())))
        .returning({ id: jobs.id });
      return rows.length;
    },

    /**
     * Claim and run up to `limit` due jobs. Claims use FOR UPDATE SKIP LOCKED and a lock token, so
     * several workers never run the same job at once; completion checks the token, so a worker
     * whose lease was swept cannot mark someone else's run.
     *
     * Per batch, not per job: the lease is renewed for the whole rest of the batch in one statement
     * (only when a third of it has gone by), and the finished jobs are marked done together at the
     * end. The price: a worker that dies mid-batch leaves its finished jobs `running`, and after the
     * sweep they run again, so up to a batch of jobs may be repeated. Every handler is idempotent
     * (notifications through the message's dedupe key and its queued → sending claim), which
     * src/modules/notifications/worker-batch.http.test.ts proves for sends.
     *
     * While a handler runs, a heartbeat renews the same lease every third of it, so a handler slower
     * than the lease is not swept and run a second time at once. When `stopping()` turns true (a
     * shutdown), the jobs not yet started go back to pending, their attempt not counted, so a
     * SIGTERM waits for one job, not a whole batch.
     */
    async runDue(
      limit = 20,
      opts: { stopping?: () => boolean } = {},
    ): Promise<{ claimed: number; done: number; failed: number }> {
      const kinds = [...handlers.keys()];
      if (!kinds.length) return { claimed: 0, done: 0, failed: 0 };
      const token = randomUUID();
      const now = clock.now();
      const claimed = await db
        .update(jobs)
        .set({
          status: 'running',
          lockedBy: token,
          lockedUntil: new Date(now.getTime() + leaseMs),
          attempts: sql`${jobs.attempts} + 1`,
        })
        .where(
          inArray(
            jobs.id,
            db
              .select({ id: jobs.id })
              .from(jobs)
              .where(
                and(
                  eq(jobs.status, 'pending'),
                  sql`${jobs.runAt} <= ${now.toISOString()}::timestamptz`,
                  inArray(jobs.kind, kinds),
                ),
              )
              .orderBy(jobs.runAt)
              .limit(limit)
              .for('update', { skipLocked: true }),
          ),
        )
        .returning();
      // UPDATE … RETURNING gives no order: run the batch oldest-due first, as it was chosen.
      claimed.sort((x, y) => x.runAt.getTime() - y.runAt.getTime() || (x.id < y.id ? -1 : 1));
      let failed = 0;
      let done = 0;
      const finished: string[] = [];
      const markDone = async (ids: string[]) => {
        if (!ids.length) return;
        done += ids.length;
        await db
          .update(jobs)
          .set({
            status: 'done',
            finishedAt: clock.now(),
            lockedBy: null,
            lockedUntil: null,
            lastError: null,
          })
          .where(and(inArray(jobs.id, ids), eq(jobs.lockedBy, token)));
      };
      let renewedAt = now.getTime();
      /** ids still ours after the last renewal; a job swept meanwhile is skipped, never run twice at once */
      let ours: Set<string> | null = null;
      const stillOurs = (id: string) => ours === null || ours.has(id);
      /** index of the first job not finished: the renewal covers it and the rest */
      let at = 0;
      const renewNow = async () => {
        renewedAt = clock.now().getTime();
        // The finished jobs' leases are not renewed: mark them done now, or a sweep after their
        // lease ran out would hand them to another worker to run again.
        await markDone(finished.splice(0));
        const rest = claimed.slice(at).map((j) => j.id);
        if (!rest.length) return;
        const renewed = await db
          .update(jobs)
          .set({ lockedUntil: new Date(renewedAt + leaseMs) })
          .where(and(inArray(jobs.id, rest), eq(jobs.lockedBy, token), eq(jobs.status, 'running')))
          .returning({ id: jobs.id });
        ours = new Set(renewed.map((r) => r.id));
      };
      // Renewals come from the loop and from the heartbeat; one at a time, in order.
      let renewing: Promise<void> = Promise.resolve();
      const renew = () => {
        renewing = renewing.then(renewNow, renewNow);
        return renewing;
      };
      const release = async (ids: string[]) => {
        if (!ids.length) return;
        await db
          .update(jobs)
          .set({
            status: 'pending',
            lockedBy: null,
            lockedUntil: null,
            attempts: sql`${jobs.attempts} - 1`,
          })
          .where(and(inArray(jobs.id, ids), eq(jobs.lockedBy, token), eq(jobs.status, 'running')));
      };
      try {
        for (const [i, job] of claimed.entries()) {
          at = i;
          if (opts.stopping?.()) {
            await release(claimed.slice(i).map((j) => j.id));
            break;
          }
          // The batch runs one job at a time, so a job may wait behind slow ones past its lease, be
          // swept and run by another worker. While less than a third of the lease has passed since
          // it was set, no job of the batch can have been swept; past that, renew the rest of the
          // batch in one statement and skip what is no longer ours.
          if (clock.now().getTime() - renewedAt > leaseMs / 3) await renew();
          if (!stillOurs(job.id)) continue;
          // Real time paces the heartbeat (a slow handler is slow in real time); the new lease
          // itself is read from the injected clock like every other.
          const heartbeat = setInterval(() => {
            renew().catch((err) => log.error({ err: (err as Error).message }, 'job lease renewal failed'));
          }, leaseMs / 3);
          heartbeat.unref?.();
          try {
            await handlers.get(job.kind)!(job);
            finished.push(job.id);
          } catch (err) {
            failed++;
            const final = job.attempts >= job.maxAttempts || err instanceof BadJobPayload;
            log.error(
              { jobId: job.id, kind: job.kind, attempt: job.attempts, err: (err as Error).message },
              final ? 'job failed for good' : 'job failed; will retry',
            );
            await db
              .update(jobs)
              .set({
                status: final ? 'failed' : 'pending',
                runAt: new Date(clock.now().getTime() + backoffMs(job.attempts)),
                lastError: String((err as Error).message ?? err).slice(0, 1000),
                lockedBy: null,
                lockedUntil: null,
                ...(final ? { finishedAt: clock.now() } : {}),
              })
              .where(and(eq(jobs.id, job.id), eq(jobs.lockedBy, token)));
          } finally {
            clearInterval(heartbeat);
          }
        }
      } finally {
        // A heartbeat renewal in flight must not race the last markDone over `finished`.
        await renewing.catch(() => {});
        // One statement for the batch's finished jobs (also when a failure's bookkeeping threw).
        await markDone(finished);
      }
      if (claimed.length) log.info({ claimed: claimed.length, done, failed }, 'worker ran due jobs');
      return { claimed: claimed.length, done, failed };
    },

    /** Run until nothing is due (tests and the CLI use it after moving the clock). */
    async drain(maxRounds = 50) {
      let total = 0;
      for (let i = 0; i < maxRounds; i++) {
        const r = await this.runDue();
        total += r.done + r.failed;
        if (r.done + r.failed === 0) break;
      }
      return total;
    },

    /**
     * Work until stopped: `concurrency` claim loops, each claiming up to `batchSize` due jobs and
     * claiming again at once while batches come back full (a backlog drains at the speed of the
     * handlers, not of the poll), sleeping `intervalMs` only when a batch came back short. Dead
     * claims are swept at most once per interval. Several loops matter because a job waits on
     * PostgreSQL and on providers most of its time; SKIP LOCKED keeps their batches apart.
     */
    start(options: number | WorkerOptions = {}) {
      const o = typeof options === 'number' ? { intervalMs: options } : options;
      const intervalMs = o.intervalMs ?? 1000;
      const concurrency = o.concurrency ?? 1;
      const batchSize = o.batchSize ?? 20;
      let stopped = false;
      const sleepers = new Set<() => void>();
      const sleep = (ms: number) =>
        new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            sleepers.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, ms);
          sleepers.add(wake);
        });
      let sweptAt = Number.NEGATIVE_INFINITY;
      const loop = async () => {
        while (!stopped) {
          let full = false;
          try {
            // Real time, not the injected clock: this paces the process, it decides nothing.
            if (Date.now() - sweptAt >= intervalMs) {
              sweptAt = Date.now();
              await this.sweep();
            }
            const r = await this.runDue(batchSize, { stopping: () => stopped });
            full = r.claimed >= batchSize;
          } catch (err) {
            log.error({ err: (err as Error).message }, 'worker tick failed');
          }
          if (!full && !stopped) await sleep(intervalMs);
        }
      };
      const loops = Array.from({ length: concurrency }, () => loop());
      // Resolves once the work in hand is finished, so a shutdown closes the pool under no job.
      return async () => {
        stopped = true;
        for (const wake of [...sleepers]) wake();
        await Promise.all(loops);
      };
    },

    async get(id: string) {
      const [row] = await db.select().from(jobs).where(eq(jobs.id, id));
      return row ?? null;
    },
  };
}

export type JobService = ReturnType<typeof createJobService>;
