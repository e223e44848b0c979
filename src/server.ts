import { ConfigError, loadConfig, loadDotEnv } from './config.js';
import { openDatabase } from './db/client.js';
import { DataDirLockedError } from './db/data-dir-lock.js';

// Starts the API: parse config, open the database (PGlite under DATA_DIR unless DATABASE_URL is
// set), apply migrations, listen, and shut down cleanly on SIGINT/SIGTERM.
async function main() {
  let config: ReturnType<typeof loadConfig>;
  try {
    loadDotEnv();
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  // The database opens (PGlite: reading its WASM and data folder, compiled off the main thread)
  // while the application's modules load, instead of after them: start-up is the longer of the two,
  // not their sum. Marked handled here so a refusal (a locked DATA_DIR) is reported once, below.
  const opening = openDatabase(config);
  opening.catch(() => {});
  const { buildApp } = await import('./app.js');
  const handle = await opening;
  await handle.migrate();
  const app = await buildApp({ db: handle.db, config });
  if (config.otpSecretGenerated) {
    app.log.warn('OTP_HASH_SECRET is not set: using a per-process secret (codes in flight end at restart)');
  }

  let stopWorker = async () => {};
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      app.log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    try {
      await stopWorker();
      await app.close();
      await handle.close();
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ host: config.HOST, port: config.PORT });
  // Embedded default: the same job worker runs inside the API process (npm run worker runs it apart).
  // It starts once the API listens: requests never wait for it (jobs are picked up from the table
  // whenever it starts), so its first claim and the schedules are not part of start-up.
  if (config.EMBEDDED_WORKER && !closing) {
    stopWorker = app.services.jobs.start({
      intervalMs: config.WORKER_INTERVAL_MS,
      concurrency: handle.kind === 'postgres' ? config.WORKER_CONCURRENCY : 1,
      batchSize: config.WORKER_BATCH_SIZE,
    });
    await app.services.startSchedules();
  }
  const base = config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`;
  const db = handle.kind === 'pglite' ? `embedded PGlite in ${config.DATA_DIR}` : 'PostgreSQL (DATABASE_URL)';
  console.log(
    `\nK'KOO API   ${base}/api/v1\nAPI docs    ${base}/docs\nDatabase    ${db}\nSMS         ${config.SMS_PROVIDER}\nPayments    ${config.PAYMENT_PROVIDER}${config.PAYMENT_PROVIDER === 'simulator' ? ' (no real money; see README "Paying with the simulator")' : ''}\n`,
  );
}

main().catch((err) => {
  if (err instanceof DataDirLockedError) {
    console.error(err.message);
    process.exit(75);
  }
  console.error(err);
  process.exit(1);
});
