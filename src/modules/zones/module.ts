// The zones module wired: the store over the app's database (or one given), the service over it,
// and the admin routes over the service.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { AuditService } from '../audit/index.js';
import { zonesAdminRoutes } from './routes.js';
import { createZonesService } from './service.js';
import { drizzleZonesStore, type ZonesStore } from './store.js';

/**
 * The zones slice, wired to the app's database. `store` replaces the database (tests may pass
 * test/support's `memoryZonesStore()`); `audit` is then unused, as the store keeps its own audit entries.
 */
export function createZonesModule(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  store?: ZonesStore;
}) {
  const store = deps.store ?? drizzleZonesStore(deps.db, deps.audit);
  const service = createZonesService({ store, clock: deps.clock, ids: deps.ids });
  return { service, adminRoutes: zonesAdminRoutes({ zones: service }) };
}

export type ZonesModule = ReturnType<typeof createZonesModule>;
