import { openPostgres } from '../src/db/client.js';
import { buildNotifications } from './notifications-wiring.js';

// One worker process of the notifications bench: the jobs loop (claim with SKIP LOCKED, send,
// mark done) against the bench database, sending through the real adapters to the parent's fakes.
// Unlike `jobs.start()` it does not sleep while work is due: the bench measures the pipeline, not
// the poll interval. SIGTERM stops it after the current batch.
const { BENCH_DATABASE_URL: url, BENCH_AT_URL: atBaseUrl, BENCH_WA_URL: waBaseUrl } = process.env;
if (!url || !atBaseUrl || !waBaseUrl)
  throw new Error('BENCH_DATABASE_URL, BENCH_AT_URL and BENCH_WA_URL are required');
const handle = openPostgres(url, 4);
const { jobs } = buildNotifications(handle.db, { atBaseUrl, waBaseUrl });
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});
while (!stopping) {
  const r = await jobs.runDue(50);
  if (r.done + r.failed === 0) await new Promise((res) => setTimeout(res, 20));
}
await handle.close();
