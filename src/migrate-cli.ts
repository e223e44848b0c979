import { analyticsSettings } from './composition/analytics.js';
import { ConfigError, loadConfig, loadDotEnv } from './config.js';
import { openDatabase } from './db/client.js';
import { DataDirLockedError } from './db/data-dir-lock.js';
import { refreshFacts } from './modules/analytics/index.js';

// `npm run db:migrate`: apply the committed migrations to the configured database and exit.
try {
  loadDotEnv();
  const config = loadConfig();
  const handle = await openDatabase(config);
  await handle.migrate();
  // Fold the analytics facts now (the economics migration logs every order to refold), with the
  // configured settings, so the first page read after a deploy is not the one that pays for it.
  const folded = await refreshFacts(handle.db, analyticsSettings(config));
  if (folded > 0) console.log(`analytics facts folded: ${folded} orders`);
  await handle.close();
  console.log(`migrations applied (${handle.kind})`);
} catch (err) {
  console.error(err instanceof ConfigError || err instanceof DataDirLockedError ? err.message : err);
  process.exit(err instanceof DataDirLockedError ? 75 : 1);
}
