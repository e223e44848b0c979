import { ConfigError, loadConfig, loadDotEnv } from './config.js';
import { openDatabase } from './db/client.js';
import { DataDirLockedError } from './db/data-dir-lock.js';

// `npm run db:migrate`: apply the committed migrations to the configured database and exit.
try {
  loadDotEnv();
  const config = loadConfig();
  const handle = await openDatabase(config);
  await handle.migrate();
  await handle.close();
  console.log(`migrations applied (${handle.kind})`);
} catch (err) {
  console.error(err instanceof ConfigError || err instanceof DataDirLockedError ? err.message : err);
  process.exit(err instanceof DataDirLockedError ? 75 : 1);
}
