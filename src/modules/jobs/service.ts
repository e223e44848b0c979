import { randomUUID } from 'node:crypto';
import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { BatchPart } from '../../db/batch.js';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import { jobs } from './schema.js';

export type Job = typeof jobs.$inferSelect;

export interface NewJob {
  kind: string;
  payload: Record<string, unknown>;
  runAt?: Date;
  dedupeKey?: string;
  maxAttempts?: number;
}

/** A job handler must be idempotent: a job may run again after a crash between its effect and its completion. */
export type JobHandler = (job: Job) => Promise<void>;

interface Logger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
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
  const handlers = new Map<string, JobHandler>();
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
    /** Register the handler for a kind; only kinds with a handler are claimed by this process. */
    handle(kind: string, handler: JobHandler) {
      handlers.set(kind, handler);
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
     */
    async runDue(limit = 20): Promise<{ done: number; failed: number }> {
      const kinds = [...handlers.keys()];
      if (!kinds.length) return { done: 0, failed: 0 };
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
      let done = 0;
      let failed = 0;
      for (const job of claimed) {
        // The batch runs one job at a time, so a job may wait behind slow ones past its lease, be
        // swept and run by another worker. Renew the claim as the job starts, and skip it if the
        // claim is no longer ours (the fault harness's known case: it would otherwise run twice).
        const [mine] = await db
          .update(jobs)
          .set({ lockedUntil: new Date(clock.now().getTime() + leaseMs) })
          .where(and(eq(jobs.id, job.id), eq(jobs.lockedBy, token), eq(jobs.status, 'running')))
          .returning({ id: jobs.id });
        if (!mine) continue;
        try {
          await handlers.get(job.kind)!(job);
          await db
            .update(jobs)
            .set({
              status: 'done',
              finishedAt: clock.now(),
              lockedBy: null,
              lockedUntil: null,
              lastError: null,
            })
            .where(and(eq(jobs.id, job.id), eq(jobs.lockedBy, token)));
          done++;
        } catch (err) {
          failed++;
          const final = job.attempts >= job.maxAttempts;
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
        }
      }
      if (claimed.length) log.info({ claimed: claimed.length, done, failed }, 'worker ran due jobs');
      return { done, failed };
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

    /** Poll forever (until stopped): sweep dead claims, run due jobs, sleep. */
    start(intervalMs = 1000) {
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      let running: Promise<void> = Promise.resolve();
      const schedule = () => {
        timer = setTimeout(() => {
          running = tick();
        }, intervalMs);
      };
      const tick = async () => {
        if (stopped) return;
        try {
          await this.sweep();
          await this.runDue();
        } catch (err) {
          log.error({ err: (err as Error).message }, 'worker tick failed');
        }
        if (!stopped) schedule();
      };
      schedule();
      // Resolves once the work in hand is finished, so a shutdown closes the pool under no job.
      return async () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        await running;
      };
    },

    async get(id: string) {
      const [row] = await db.select().from(jobs).where(eq(jobs.id, id));
      return row ?? null;
    },
  };
}

export type JobService = ReturnType<typeof createJobService>;
