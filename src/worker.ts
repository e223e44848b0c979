import { pino } from 'pino';
import { compose } from './composition.js';
import { ConfigError, loadConfig, loadDotEnv } from './config.js';
import { openDatabase } from './db/client.js';
import { systemClock } from './shared/clock.js';
import { randomIds } from './shared/ids.js';

// `npm run worker`: runs background jobs (checkout expiry, order completion, …) in its own process.
// Any number may run beside the API processes: jobs are claimed with FOR UPDATE SKIP LOCKED.
async function main() {
  loadDotEnv();
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
  if (!config.DATABASE_URL) {
    console.error(
      'npm run worker needs DATABASE_URL: the embedded database is single-process, and npm start already runs the worker inside it.',
    );
    process.exit(78);
  }
  const handle = await openDatabase(config);
  await handle.migrate();
  // The same composition as the API registers every module's job handlers; no HTTP app here.
  const log = pino({ level: config.LOG_LEVEL });
  const services = compose({ db: handle.db, config, clock: systemClock, ids: randomIds, log });
  const stop = services.jobs.start({
    intervalMs: config.WORKER_INTERVAL_MS,
    concurrency: config.WORKER_CONCURRENCY,
    batchSize: config.WORKER_BATCH_SIZE,
  });
  // The next scheduled payout run; several workers write the same deduplicated job.
  await services.startSchedules();
  log.info(
    {
      intervalMs: config.WORKER_INTERVAL_MS,
      concurrency: config.WORKER_CONCURRENCY,
      batchSize: config.WORKER_BATCH_SIZE,
    },
    'worker started',
  );
  const shutdown = async () => {
    await stop();
    await handle.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
