// The riders module wired: profiles, verification, availability and pings (service.ts); offers,
// accept/decline, expiry, the dispatch queue and the rider's jobs (assignment-service.ts), both
// over one set of settings; the HTTP routes (rider-routes.ts, admin-routes.ts); the job handlers
// and the sweep schedule.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { AuditService } from '../audit/index.js';
import type { JobHandlers, MessageHandlers } from '../jobs/index.js';
import { riderAdminRoutes } from './admin-routes.js';
import { DEFAULT_RIDER_SETTINGS, type RiderSettings } from './assignment.js';
import { type AssignmentService, createAssignmentService } from './assignment-service.js';
import { type RiderPerson, type RidersForOthers, ridersForOthers } from './for-others.js';
import type { RiderJobs } from './jobs.js';
import type { JobsPort, RiderOrdersPort, RiderZonesPort } from './ports.js';
import { riderRoutes } from './rider-routes.js';
import { createRidersService, type RidersService } from './service.js';

export interface RidersModuleDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  jobs: JobsPort;
  zones: RiderZonesPort;
  /**
   * The orders port, or how to build it from what riders answers about its riders (the rider's
   * position for a delivery code, NO_RIDER_LOCATION), so the orders adapter needs no late binding.
   */
  orders: RiderOrdersPort | ((riders: RidersForOthers) => RiderOrdersPort);
  /** The rider's account (identity), for how a buyer sees the rider and where a rider is paid. */
  loadUser?: (userId: string, tx?: Database) => Promise<RiderPerson>;
  /** Gives the user the 'rider' role in the caller's transaction (identity module); its answer is unused. */
  grantRiderRole: (userId: string, tx: Database) => Promise<unknown>;
  settings?: Partial<RiderSettings>;
}

export type RidersModuleService = RidersService & AssignmentService;

/** The riders slice, wired. Register `routes` under /api/v1 and `adminRoutes` under /api/v1/admin. */
export function createRidersModule(deps: RidersModuleDeps) {
  const settings: RiderSettings = { ...DEFAULT_RIDER_SETTINGS, ...deps.settings };
  const riders = createRidersService({ ...deps, settings });
  const forOthers = ridersForOthers({
    clock: deps.clock,
    profileOf: riders.profileOf,
    loadUser:
      deps.loadUser ??
      (() => Promise.reject(new Error('riders: loadUser is not wired (createRidersModule deps)'))),
  });
  const orders = typeof deps.orders === 'function' ? deps.orders(forOthers) : deps.orders;
  const assignment = createAssignmentService({ ...deps, orders, settings });
  const service: RidersModuleService = { ...riders, ...assignment };
  const housekeeping = riderSchedules({ jobs: deps.jobs, db: deps.db, clock: deps.clock });
  return {
    service,
    /** What other modules ask about riders: position, the buyer's view, the payout destination. */
    forOthers,
    settings,
    routes: riderRoutes({ riders: service }),
    adminRoutes: riderAdminRoutes({ riders: service }),
    jobHandlers: riderJobHandlers(service, housekeeping.schedule),
    /** Long-running processes call this once: the next housekeeping sweep. */
    startSchedules: housekeeping.start,
  };
}

export type RidersModule = ReturnType<typeof createRidersModule>;

const SWEEP_EVERY_MS = 10 * 60_000;

/**
 * The riders' housekeeping, every 10 minutes (deduplicated across processes): offers whose expiry
 * job was missed move on, and old pings are pruned. Long-running processes call `start` once.
 */
export function riderSchedules(deps: { jobs: JobsPort; db: Database; clock: Clock }) {
  const schedule = (bucket: number) =>
    deps.jobs.enqueue(deps.db, {
      kind: 'riders.sweep',
      payload: { bucket },
      runAt: new Date(bucket * SWEEP_EVERY_MS),
      dedupeKey: `logistics.sweep:${bucket}`,
    });
  return { schedule, start: () => schedule(Math.floor(deps.clock.now().getTime() / SWEEP_EVERY_MS) + 1) };
}

/**
 * The orders' messages riders acts on, as riders needs them (orders declares them in its jobs.ts;
 * importing orders here would close a cycle, so the composition checks that they fit).
 */
export type OrderMessagesForRiders = {
  'order.ready_for_pickup': { order_id: string };
  'order.moved_without_rider': { order_id: string; status: string };
};

/** What riders acts on: its own timers, and the orders' messages about parcels that need (no more) rider. */
export type RiderJobHandlers = JobHandlers<RiderJobs> & MessageHandlers<OrderMessagesForRiders>;

/** The handlers for the worker; `schedule` writes the next sweep (the sweep's own job does). */
export function riderJobHandlers(
  service: RidersModuleService,
  schedule: (bucket: number) => Promise<void>,
): RiderJobHandlers {
  return {
    // An order ready at the seller: offer it to the nearest rider.
    'order.ready_for_pickup': (p) => service.offerNext(p.order_id),
    'riders.assign': (p) => service.offerNext(p.order_id),
    'riders.enforce_pickup_deadline': (p) => service.pickupDeadline(p.order_id, p.rider_id),
    'riders.check_dispatch_wait': (p) => service.dispatchWaitCheck(p.order_id, new Date(p.queued_at)),
    'riders.expire_offer': (p) => service.expireOffer(p.offer_id),
    'order.moved_without_rider': (p) => service.orderMoved(p.order_id, p.status),
    'riders.sweep': async (p) => {
      await service.expireDue();
      await service.prunePings();
      await schedule(p.bucket + 1);
    },
  };
}
