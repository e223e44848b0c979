// The zones module's public face: delivery zones drawn as H3 cells, the zone-to-zone fee table,
// service hours and the promised delivery time. Other modules and the app import this file only;
// the tables (schema.ts) stay the module's own.
export {
  pickupPointLocator,
  type SellerDeliveryQuote,
  type ZoneDeliveryQuoter,
  zoneDeliveryQuoter,
} from './delivery-quotes.js';
export type { FeeRowInput } from './fees.js';
export {
  cellOf,
  isValidPoint,
  type LatLng,
  neighbourCells,
  type Ring,
  ZONE_RESOLUTION,
  zoneOutline,
} from './geo.js';
export { createZonesModule, type ZonesModule } from './module.js';
export type { DayHoursInput } from './promise.js';
export { publicZonesRoutes } from './public-routes.js';
export type { Zone, ZonesService } from './service.js';
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
