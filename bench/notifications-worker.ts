import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { openPostgres } from '../src/db/client.js';
import { buildNotifications } from './notifications-wiring.js';

// One worker process of the notifications bench: exactly the production worker loop
// (`jobs.start()` with WORKER_INTERVAL_MS / WORKER_CONCURRENCY / WORKER_BATCH_SIZE read and
// defaulted by src/config.ts, as `npm run worker` does), against the bench database, sending through
// the real adapters to the parent's fakes. SIGTERM stops it after the batches in hand.
// BENCH_NOTIFY_PROFILE=1: count and time every SQL statement and the process's CPU while it works,
// printed as one `BENCH_PROFILE {json}` line on exit.
const { BENCH_DATABASE_URL: url, BENCH_AT_URL: atBaseUrl, BENCH_WA_URL: waBaseUrl } = process.env;
if (!url || !atBaseUrl || !waBaseUrl)
  throw new Error('BENCH_DATABASE_URL, BENCH_AT_URL and BENCH_WA_URL are required');
const config = loadConfig({
  NODE_ENV: 'test',
  ...Object.fromEntries(
    ['WORKER_INTERVAL_MS', 'WORKER_CONCURRENCY', 'WORKER_BATCH_SIZE']
      .filter((k) => process.env[k])
      .map((k) => [k, process.env[k]!]),
  ),
});

const profile = { statements: 0, sqlMs: 0 };
if (process.env.BENCH_NOTIFY_PROFILE === '1') {
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const t0 = performance.now();
    const done = () => {
      profile.statements++;
      profile.sqlMs += performance.now() - t0;
    };
    // pg's pool passes a callback; drizzle's transactions use the promise.
    const cb = args.at(-1);
    if (typeof cb === 'function')
      return query.apply(this, [
        ...args.slice(0, -1),
        (...res: unknown[]) => {
          done();
          return (cb as (...r: unknown[]) => unknown)(...res);
        },
      ]);
    const r = query.apply(this, args);
    if (r && typeof (r as Promise<unknown>).then === 'function') {
      void (r as Promise<unknown>).then(done, () => {});
    }
    return r;
  } as typeof pg.Client.prototype.query;
}

const handle = openPostgres(url, config.WORKER_CONCURRENCY + 2);
const { jobs } = buildNotifications(handle.db, { atBaseUrl, waBaseUrl });
const cpu0 = process.cpuUsage();
const stop = jobs.start({
  intervalMs: config.WORKER_INTERVAL_MS,
  concurrency: config.WORKER_CONCURRENCY,
  batchSize: config.WORKER_BATCH_SIZE,
});
process.on('SIGTERM', () => {
  void (async () => {
    await stop();
    const cpu = process.cpuUsage(cpu0);
    if (process.env.BENCH_NOTIFY_PROFILE === '1')
      console.log(`BENCH_PROFILE ${JSON.stringify({ ...profile, cpuMs: (cpu.user + cpu.system) / 1000 })}`);
    await handle.close();
    process.exit(0);
  })();
});
