// The riders module's public face: rider profiles, verification, availability and pings, offers
// and assignment, the dispatch queue and the rider's jobs. Other modules and the app import this
// file only; the tables (schema.ts) stay the module's own. The ports (ports.ts) are what it needs of
// orders, zones and jobs.

export { haversineMeters, presenceOf, type RiderSettings, type Vehicle } from './assignment.js';
export type { AssignmentService } from './assignment-service.js';
export { ridersAttention } from './attention.js';
export { etaMinutes, type RidersForOthers, ridersForOthers } from './for-others.js';
export { type RiderJobs, riderJobs } from './jobs.js';
export {
  createRidersModule,
  type RiderJobHandlers,
  type RidersModule,
  type RidersModuleDeps,
  type RidersModuleService,
} from './module.js';
export type { DeliveryProof, FailureEvidence, JobsPort, RiderOrdersPort, RiderZonesPort } from './ports.js';
export type { RiderApplication, RiderProfile, RidersService } from './service.js';
