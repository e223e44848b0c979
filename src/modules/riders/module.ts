// The riders module wired: profiles, verification, availability and pings (service.ts); offers,
// accept/decline, expiry, the dispatch queue and the rider's jobs (assignment-service.ts), both
// over one set of settings; the HTTP routes (routes.ts); the job handlers and the sweep schedule.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { AuditService } from '../audit/index.js';
import type { Job, JobService } from '../jobs/index.js';
import { DEFAULT_RIDER_SETTINGS, type RiderSettings } from './assignment.js';
import { type AssignmentService, createAssignmentService } from './assignment-service.js';
import { type RiderPerson, type RidersForOthers, ridersForOthers } from './for-others.js';
import type { JobsPort, RiderOrdersPort, RiderZonesPort } from './ports.js';
import { riderAdminRoutes, riderRoutes } from './routes.js';
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
  /** Gives the user the 'rider' role in the caller's transaction (identity module). */
  grantRiderRole: (userId: string, tx: Database) => Promise<void>;
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
  return {
    service,
    /** What other modules ask about riders: position, the buyer's view, the payout destination. */
    forOthers,
    settings,
    routes: riderRoutes({ riders: service }),
    adminRoutes: riderAdminRoutes({ riders: service }),
    jobHandlers: riderJobHandlers(service),
  };
}

export type RidersModule = ReturnType<typeof createRidersModule>;

const SWEEP_EVERY_MS = 10 * 60_000;

/**
 * The riders' housekeeping, every 10 minutes (deduplicated across processes): offers whose expiry
 * job was missed move on, and old pings are pruned. Long-running processes call `start` once.
 */
export function riderSchedules(
  deps: { jobs: Pick<JobService, 'enqueue' | 'handle'>; db: Database; clock: Clock },
  service: RidersModuleService,
) {
  const schedule = (bucket: number) =>
    deps.jobs.enqueue(deps.db, {
      kind: 'logistics.sweep',
      payload: { bucket },
      runAt: new Date(bucket * SWEEP_EVERY_MS),
      dedupeKey: `logistics.sweep:${bucket}`,
    });
  deps.jobs.handle('logistics.sweep', async (job) => {
    await service.expireDue();
    await service.prunePings();
    await schedule(Number((job.payload as { bucket: number }).bucket) + 1);
  });
  return { start: () => schedule(Math.floor(deps.clock.now().getTime() / SWEEP_EVERY_MS) + 1) };
}

/**
 * Handlers for the worker: `jobs.handle(kind, handler)` for each. 'logistics.assign' {order_id}
 * (enqueue it when an order becomes ready_for_pickup), 'logistics.offer_expire' {offer_id}
 * (enqueued by offerNext at expires_at), 'logistics.prune_pings' {} (schedule it daily),
 * 'logistics.order_moved' {order_id, status} (the orders side, when an order with a rider starts
 * going back or is back at the seller without the rider's own call).
 */
export function riderJobHandlers(service: RidersModuleService): Record<string, (job: Job) => Promise<void>> {
  const str = (job: Job, key: string) => {
    const v = (job.payload as Record<string, unknown>)[key];
    if (typeof v !== 'string') throw new Error(`${job.kind} job ${job.id} has no ${key}`);
    return v;
  };
  return {
    'logistics.assign': async (job) => {
      await service.offerNext(str(job, 'order_id'));
    },
    'logistics.pickup_deadline': async (job) => {
      await service.pickupDeadline(str(job, 'order_id'), str(job, 'rider_id'));
    },
    'logistics.offer_expire': async (job) => {
      await service.expireOffer(str(job, 'offer_id'));
    },
    'logistics.prune_pings': async () => {
      await service.prunePings();
    },
    'logistics.order_moved': async (job) => {
      await service.orderMoved(str(job, 'order_id'), str(job, 'status'));
    },
  };
}
