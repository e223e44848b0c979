// Delivery zones, the zone-to-zone fee table, service hours and the promised delivery time: the
// public face of this slice of the logistics module (re-export it from logistics/index.ts).
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { AuditService } from '../audit/index.js';
import { zonesAdminRoutes } from './zones-routes.js';
import { createZonesService } from './zones-service.js';
import { drizzleZonesStore, type ZonesStore } from './zones-store.js';

export { type SellerDeliveryQuote, type ZoneDeliveryQuoter, zoneDeliveryQuoter } from './delivery-quotes.js';
export * from './zones-demo.js';
export {
  type FeeRowInput,
  MAX_DELIVERY_FEE,
  type MissingPair,
  missingPairs,
  validateFeeTable,
} from './zones-fees.js';
export {
  cellOf,
  cellsAround,
  isValidPoint,
  type LatLng,
  MAX_ZONE_CELLS,
  neighbourCells,
  type Ring,
  ringToCells,
  ZONE_RESOLUTION,
} from './zones-geo.js';
export { type MemoryZonesStore, memoryZonesStore } from './zones-memory-store.js';
export {
  DAR_TIMEZONE,
  type DayHours,
  DEFAULT_SERVICE_HOURS,
  isOpenAt,
  MAX_PROMISE_MINUTES,
  nextOpening,
  promise,
  type WeeklyHours,
} from './zones-promise.js';
export { zonesAdminRoutes } from './zones-routes.js';
export {
  createZonesService,
  DELIVERY_CURRENCY,
  type FeeTable,
  type Quote,
  type ServiceHoursView,
  type Zone,
  type ZonesService,
} from './zones-service.js';
export type { ZoneRecord, ZonesStore } from './zones-store.js';

/**
 * The zones slice, wired to the app's database. `store` replaces the database (tests may pass
 * `memoryZonesStore()`); `audit` is then unused, as the store keeps its own audit entries.
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
