// The faults, on a seeded schedule: kill -9 an API process and restart it, kill -9 a worker while
// it holds claimed jobs and restart it, SIGTERM an API process under load, restart PostgreSQL in
// immediate mode and with a 10-second outage, stop Redis for a few seconds. Each records when it
// happened and how long until the system answered again.
import type pg from 'pg';
import type { Balancer } from './client.js';
import type { PgCluster, RedisServer } from './cluster.js';
import type { Rng } from './load.js';
import type { Proc } from './processes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const FAULT_KINDS = [
  'api_kill9',
  'worker_kill9',
  'api_sigterm',
  'pg_immediate',
  'pg_outage',
  'redis_stop',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRecord {
  kind: FaultKind;
  /** seconds since the load started */
  at: number;
  startedMs: number;
  endedMs: number;
  detail: string;
  /** ms from the fault until every API process answered /ready (or the claimed jobs moved on) */
  recoveryMs: number;
}

export interface FaultEnv {
  apis: Proc[];
  workers: Proc[];
  pg: PgCluster;
  redis: RedisServer;
  lb: Balancer;
  db: pg.Pool;
  t0: number;
}

/** Times (seconds from start) for each fault, in [10 %, 85 %] of the run, spread apart, seeded. */
export function schedule(
  r: Rng,
  seconds: number,
  kinds: readonly FaultKind[],
): Array<{ kind: FaultKind; at: number }> {
  const order = [...kinds].sort(() => r.next() - 0.5);
  const span = seconds * 0.75;
  const slot = span / order.length;
  return order.map((kind, i) => ({ kind, at: Math.round(seconds * 0.1 + i * slot + r.next() * slot * 0.4) }));
}

/** Until every API process answers /ready (the database is back for them), measured from `from`. */
async function untilReady(env: FaultEnv, from: number): Promise<number> {
  for (let i = 0; i < 1200; i++) {
    const ok = await Promise.all(
      env.apis.map(async (a) => {
        try {
          return (await fetch(`http://127.0.0.1:${a.port}/ready`, { signal: AbortSignal.timeout(2000) })).ok;
        } catch {
          return false;
        }
      }),
    );
    if (ok.every(Boolean)) return Date.now() - from;
    await sleep(100);
  }
  return Date.now() - from;
}

async function runningJobs(db: pg.Pool): Promise<string[]> {
  try {
    return (await db.query(`select id from jobs where status = 'running'`)).rows.map((x) => x.id as string);
  } catch {
    return [];
  }
}

export async function inject(env: FaultEnv, r: Rng, kind: FaultKind): Promise<FaultRecord> {
  const startedMs = Date.now();
  const at = Math.round((startedMs - env.t0) / 100) / 10;
  let detail = '';
  let recoveryMs = 0;
  switch (kind) {
    case 'api_kill9': {
      const a = env.apis[r.int(env.apis.length)]!;
      await a.kill('SIGKILL');
      await sleep(1000);
      await a.start();
      recoveryMs = Date.now() - startedMs;
      detail = `kill -9 ${a.name}, restarted after 1 s`;
      break;
    }
    case 'api_sigterm': {
      const a = env.apis[r.int(env.apis.length)]!;
      const code = await a.kill('SIGTERM');
      const down = Date.now() - startedMs;
      await a.start();
      recoveryMs = Date.now() - startedMs;
      detail = `SIGTERM ${a.name}: exited with ${code} after ${down} ms (in-flight requests finished), restarted`;
      break;
    }
    case 'worker_kill9': {
      // Wait (up to 20 s) for a moment when jobs are claimed, so the kill lands mid-job.
      let claimed: string[] = [];
      for (let i = 0; i < 200 && !claimed.length; i++) {
        claimed = await runningJobs(env.db);
        if (!claimed.length) await sleep(100);
      }
      const w = env.workers[r.int(env.workers.length)]!;
      await w.kill('SIGKILL');
      await sleep(1000);
      await w.start();
      // Recovered when none of the jobs claimed at the kill is still claimed (done, or swept and re-run).
      for (let i = 0; i < 1800; i++) {
        const still = new Set(await runningJobs(env.db));
        if (!claimed.some((id) => still.has(id))) break;
        await sleep(100);
      }
      recoveryMs = Date.now() - startedMs;
      detail = `kill -9 ${w.name} with ${claimed.length} job(s) claimed in the cluster, restarted after 1 s`;
      break;
    }
    case 'pg_immediate': {
      await env.pg.stop('immediate');
      await env.pg.start();
      recoveryMs = await untilReady(env, startedMs);
      detail = 'pg_ctl stop -m immediate (crash: WAL replay at start), started at once';
      break;
    }
    case 'pg_outage': {
      await env.pg.stop('fast');
      await sleep(10_000);
      await env.pg.start();
      recoveryMs = await untilReady(env, startedMs);
      detail = 'pg_ctl stop -m fast, 10 s with no database, started';
      break;
    }
    case 'redis_stop': {
      await env.redis.stop();
      await sleep(4000);
      await env.redis.start();
      recoveryMs = Date.now() - startedMs;
      detail = 'redis-server stopped for 4 s (rate limits fail open), restarted';
      break;
    }
  }
  return { kind, at, startedMs, endedMs: Date.now(), detail, recoveryMs };
}
