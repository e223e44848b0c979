// The zones module's public face: delivery zones drawn as H3 cells, the zone-to-zone fee table,
// service hours and the promised delivery time. Other modules and the app import this file only;
// the tables (schema.ts) stay the module's own.
export { type SellerDeliveryQuote, type ZoneDeliveryQuoter, zoneDeliveryQuoter } from './delivery-quotes.js';
export { type FeeRowInput, MAX_DELIVERY_FEE } from './fees.js';
export {
  cellOf,
  isValidPoint,
  type LatLng,
  MAX_ZONE_CELLS,
  neighbourCells,
  type Ring,
  ZONE_RESOLUTION,
} from './geo.js';
export { createZonesModule, type ZonesModule } from './module.js';
export {
  DAR_TIMEZONE,
  type DayHoursInput,
  DEFAULT_SERVICE_HOURS,
  MAX_PROMISE_MINUTES,
  type WeeklyHours,
} from './promise.js';
export {
  DELIVERY_CURRENCY,
  type FeeTable,
  type Quote,
  type ServiceHoursView,
  type Zone,
  type ZonesService,
} from './service.js';
// The store port, for a store other than the database's (test/support/zones-memory-store.ts).
export {
  CellTakenError,
  type FeeRecord,
  type HoursRecord,
  type ZoneOwner,
  type ZoneRecord,
  type ZonesReader,
  type ZonesStore,
  type ZonesWriter,
} from './store.js';
