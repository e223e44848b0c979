import { openPostgres } from '../src/db/client.js';
import { buildNotifications } from './notifications-wiring.js';

// One worker process of the notifications bench: the jobs loop (claim with SKIP LOCKED, send,
// mark done) against the bench database, sending through the real adapters to the parent's fakes.
// Unlike `jobs.start()` it does not sleep while work is due: the bench measures the pipeline, not
// the poll interval. SIGTERM stops it after the current batches.
const { BENCH_DATABASE_URL: url, BENCH_AT_URL: atBaseUrl, BENCH_WA_URL: waBaseUrl } = process.env;
if (!url || !atBaseUrl || !waBaseUrl)
  throw new Error('BENCH_DATABASE_URL, BENCH_AT_URL and BENCH_WA_URL are required');
// Several claim loops per process: a send waits on PostgreSQL and on the provider most of its time,
// so one loop leaves the process idle; each loop claims its own batch (SKIP LOCKED keeps them apart).
const LOOPS = Number(process.env.BENCH_WORKER_LOOPS ?? 4);
const handle = openPostgres(url, LOOPS + 2);
const { jobs } = buildNotifications(handle.db, { atBaseUrl, waBaseUrl });
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});
await Promise.all(
  Array.from({ length: LOOPS }, async () => {
    while (!stopping) {
      const r = await jobs.runDue(10);
      if (r.done + r.failed === 0) await new Promise((res) => setTimeout(res, 20));
    }
  }),
);
await handle.close();
