// npm run chaos — the fault harness (issue 17). Starts its own PostgreSQL cluster and Redis, two API
// processes and two workers on them, drives a bounded mixed load with a flash sale in the middle,
// injects faults on a seeded schedule, lets the system settle, checks the invariants from the
// database, prints the report and writes it (docs/reliability.md, or CHAOS_REPORT). Exits 1 when an
// invariant breaks. CHAOS_SECONDS (default 300), CHAOS_SEED (17), CHAOS_FAULTS (all | short),
// CHAOS_FLASH_BUYERS (500), CHAOS_BUYERS (240), CHAOS_USERS (8 buyers at a time).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import sharp from 'sharp';
import { openPostgres } from '../src/db/client.js';
import { Balancer, startProxy } from './client.js';
import { freePort, type PgCluster, type RedisServer, startPgCluster, startRedis } from './cluster.js';
import { FAULT_KINDS, type FaultKind, type FaultRecord, inject, schedule } from './faults.js';
import { checkInvariants, dbFigures } from './invariants.js';
import { flashSale, journey, type LoadCtx, newStats, payouts, rng } from './load.js';
import { makeProc, type Proc, stopSupervising } from './processes.js';
import { renderReport } from './report.js';
import { seed } from './seed.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const num = (name: string, dflt: number) => {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isInteger(v) || v < 0) throw new Error(`${name} must be a whole number`);
  return v;
};
const ROOT = new URL('..', import.meta.url).pathname;

async function main() {
  const seconds = num('CHAOS_SECONDS', 300);
  const seedNo = num('CHAOS_SEED', 17);
  const short = process.env.CHAOS_FAULTS === 'short';
  const kinds: readonly FaultKind[] = short
    ? ['api_kill9', 'worker_kill9', 'api_sigterm', 'pg_immediate']
    : FAULT_KINDS;
  const flashBuyers = num('CHAOS_FLASH_BUYERS', 500);
  const buyersN = num('CHAOS_BUYERS', 240);
  const users = num('CHAOS_USERS', 8);
  const reportPath = process.env.CHAOS_REPORT ?? join(ROOT, 'docs/reliability.md');
  const started = Date.now();
  const r = rng(seedNo);
  const logDir = mkdtempSync(join(tmpdir(), 'kkoo-chaos-logs-'));
  console.log(`chaos: seed ${seedNo}, ${seconds} s of load, faults ${kinds.join(', ')}; logs in ${logDir}`);

  let cluster: PgCluster | null = null;
  let redis: RedisServer | null = null;
  let proxy: Server | null = null;
  const procs: Proc[] = [];
  let pool: pg.Pool | null = null;
  let failed = true;
  try {
    cluster = await startPgCluster();
    redis = await startRedis();
    console.log(`chaos: PostgreSQL on port ${cluster.port}, Redis at ${redis.url}`);
    const url = cluster.url;
    // The committed migrations, the way `npm run db:migrate` applies them.
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/migrate-cli.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: url, NODE_ENV: 'development' },
    });
    const seeding = openPostgres(url, 4);
    const cast = await seed(seeding.db, { sellers: 4, buyers: buyersN, flashBuyers });
    await seeding.close();
    pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 3000 });
    pool.on('error', () => {}); // the database restarts under it on purpose

    const proxyPort = await freePort();
    const callbackToken = 'chaoschaoschaoschaoschaoschaos0123456789';
    const env: Record<string, string> = {
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DATABASE_URL: url,
      DATABASE_POOL_MAX: '8',
      REDIS_URL: redis.url,
      EMBEDDED_WORKER: 'false',
      WORKER_INTERVAL_MS: '250',
      PAYMENT_PROVIDER: 'simulator',
      PAYMENT_CALLBACK_TOKEN: callbackToken,
      PUBLIC_BASE_URL: `http://127.0.0.1:${proxyPort}`,
      SIMULATOR_DELAY_MS: '1500',
      PAYMENT_FIRST_QUERY_SECONDS: '5',
      PAYMENT_BACKOFF_MS: '200',
      PAYMENT_PUSHES_PER_HOUR: '100000',
      PAYMENT_PUSHES_PER_CHECKOUT: '20',
      PUBLIC_READS_PER_MINUTE: '1000000',
      MEDIA_UPLOADS_PER_HOUR: '10000',
      OTP_HASH_SECRET: 'chaos-secret-chaos-secret-chaos-secret!!',
      CHECKOUT_TTL_MINUTES: '2',
      PAYOUT_MINIMUM: '100',
      PAYOUT_HOLD_HOURS_AFTER_PHONE_CHANGE: '0',
      NOTIFY_QUIET_HOURS: 'off',
      DATA_DIR: join(logDir, 'data'),
      SMS_PROVIDER: 'console',
      // One admin resolves disputes and pays out here; four eyes has its own tests.
      FOUR_EYES_ABOVE_MINOR: '1000000000000',
    };
    const apiPorts = [await freePort(), await freePort()];
    for (const [i, port] of apiPorts.entries())
      procs.push(makeProc({ name: `api${i + 1}`, kind: 'api', port, env, logDir }));
    for (const i of [1, 2])
      procs.push(makeProc({ name: `worker${i}`, kind: 'worker', port: null, env, logDir }));
    await Promise.all(procs.map((p) => p.start()));
    const apis = procs.filter((p) => p.kind === 'api');
    const workers = procs.filter((p) => p.kind === 'worker');
    proxy = await startProxy(() => apiPorts, proxyPort);
    const lb = new Balancer(() => apiPorts);
    console.log(`chaos: API on ${apiPorts.join(', ')}, 2 workers, balancer on ${proxyPort}; load starts`);

    const stats = newStats();
    const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#c33' } })
      .png()
      .toBuffer();
    let mediaTurn = 0;
    const ctx: LoadCtx = {
      lb,
      cast,
      stats,
      db: pool,
      callbackToken,
      apiCount: apis.length,
      evidencePng: new Blob([new Uint8Array(png)], { type: 'image/png' }),
      mediaPort: () => apiPorts[mediaTurn++ % apiPorts.length]!,
    };
    const t0 = Date.now();
    const until = t0 + seconds * 1000;
    const faultEnv = { apis, workers, pg: cluster, redis, lb, db: pool, t0 };
    const plan = schedule(r, seconds, kinds);
    const faults: FaultRecord[] = [];
    const faultRun = (async () => {
      for (const f of plan) {
        const wait = t0 + f.at * 1000 - Date.now();
        if (wait > 0) await sleep(wait);
        console.log(`chaos: ${Math.round((Date.now() - t0) / 1000)} s: ${f.kind}`);
        const rec = await inject(faultEnv, r, f.kind);
        console.log(`chaos:   ${rec.detail}; recovered in ${(rec.recoveryMs / 1000).toFixed(1)} s`);
        faults.push(rec);
      }
    })();
    // Each virtual buyer walks journeys with its own slice of the buyers, until the time is up.
    const loops = Array.from({ length: users }, async (_, u) => {
      const mine = cast.buyers.filter((_, i) => i % users === u);
      const ur = rng(seedNo * 1000 + u);
      for (let j = 0; Date.now() < until; j++) await journey(ctx, ur, mine[j % mine.length]!);
    });
    const flash = (async () => {
      await sleep(seconds * 500);
      console.log(
        `chaos: ${Math.round((Date.now() - t0) / 1000)} s: flash sale, ${flashBuyers} buyers for 10 units`,
      );
      await flashSale(ctx, rng(seedNo + 7), Math.min(50, Math.max(1, flashBuyers)));
    })();
    const payoutRuns = (async () => {
      while (Date.now() < until) {
        await sleep(20_000);
        await payouts(ctx);
      }
    })();
    await Promise.all([faultRun, ...loops, flash, payoutRuns]);
    // After the last fault, the system settles: no job due or claimed, three checks in a row.
    const settleStart = Date.now();
    await payouts(ctx);
    let quiet = 0;
    while (quiet < 3 && Date.now() - settleStart < 240_000) {
      await sleep(2000);
      try {
        const { rows } = await pool.query(
          `select count(*)::int n from jobs where status = 'running' or (status = 'pending' and run_at <= now())`,
        );
        quiet = rows[0].n === 0 ? quiet + 1 : 0;
      } catch {
        quiet = 0;
      }
    }
    const settleSeconds = Math.round((Date.now() - settleStart) / 1000);
    const invariants = await checkInvariants(pool, lb, cast, stats, procs);
    const figures = await dbFigures(pool);
    const report = renderReport({
      info: {
        seed: seedNo,
        seconds,
        wallSeconds: Math.round((Date.now() - started) / 1000),
        settleSeconds,
        startedAt: new Date(started).toISOString(),
        machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, load average ${loadavg()
          .map((x) => x.toFixed(1))
          .join(' ')} at the end (shared with other work)`,
        buyers: cast.buyers.length,
        flashBuyers,
        users,
      },
      stats,
      samples: lb.tally.samples,
      byStatus: lb.tally.byStatus,
      faults,
      invariants,
      figures,
    });
    console.log(`\n${report}`);
    writeFileSync(reportPath, report);
    console.log(`chaos: report written to ${reportPath}`);
    failed = invariants.some((i) => i.violations > 0);
    if (failed) console.error('chaos: INVARIANTS BROKEN');
  } finally {
    // Stop everything this run started, whatever happened.
    stopSupervising();
    await Promise.all(procs.map((p) => p.kill('SIGKILL').catch(() => {})));
    proxy?.close();
    await pool?.end().catch(() => {});
    await redis?.stop().catch(() => {});
    await cluster?.destroy().catch(() => {});
    if (!failed && !process.env.CHAOS_KEEP_LOGS) rmSync(logDir, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
