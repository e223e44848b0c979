// Riders and assignment: the public face of this slice of the logistics module (re-export it from
// logistics/index.ts). Profiles, verification, availability and pings (riders-service.ts); offers,
// accept/decline, expiry, the dispatch queue and the rider's jobs (assignment-service.ts); the pure
// rules (assignment.ts); the HTTP routes (riders-routes.ts); the tables (riders-schema.ts).
import { latLngToCell } from 'h3-js';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import { randomIds } from '../../shared/ids.js';
import type { AuditService } from '../audit/index.js';
import type { Job, JobService } from '../jobs/index.js';
import { DEFAULT_RIDER_SETTINGS, type RiderSettings, type Vehicle } from './assignment.js';
import { type AssignmentService, createAssignmentService } from './assignment-service.js';
import { riderAdminRoutes, riderRoutes } from './riders-routes.js';
import { riderProfiles } from './riders-schema.js';
import { createRidersService, type RidersService } from './riders-service.js';
import { type LatLng, ZONE_RESOLUTION } from './zones-geo.js';

export * from './assignment.js';
export {
  type AssignmentService,
  candidateQuery,
  createAssignmentService,
  type DispatchEntry,
  type OfferNextResult,
  type OrderAssignment,
  type RiderOffer,
} from './assignment-service.js';
export { riderAdminRoutes, riderRoutes } from './riders-routes.js';
export {
  dispatchQueue,
  orderAssignments,
  riderOffers,
  riderPings,
  riderProfiles,
} from './riders-schema.js';
export {
  createRidersService,
  type RiderApplication,
  type RiderProfile,
  type RidersService,
} from './riders-service.js';

/** Proof of delivery, as the orders issue defines it: the buyer's code, or a photo with place and note. */
export type DeliveryProof =
  | { kind: 'code'; code: string }
  | { kind: 'photo'; photoMediaId: string; location: LatLng; note: string | null };

export interface FailureEvidence {
  photoMediaId: string;
  location: LatLng;
}

/**
 * What riders need from the orders module (implemented over the orders service). Each method
 * refuses with an AppError the rider should see (wrong handover code, missing proof, order not in
 * the right state). The methods that take a `tx` run in the caller's transaction, and use nothing
 * but `tx` (PGlite has one connection: a query on `db` inside it would wait forever): logistics
 * moves the rider's job and capacity in the same transaction, so the order and the job change
 * together or not at all.
 *
 * The limited-tries codes (`checkHandoverCode`, `checkDeliveryCode`) are checked before that
 * transaction and outside it: each spends a try in a statement of its own, committed at once, so
 * a wrong guess counts although the pickup or the delivery fails (inside the transaction it would
 * be rolled back with it). The transition then compares the code again under the order's lock.
 */
export interface RiderOrdersPort {
  /** Where the parcel is collected: the seller's pickup point and its zone. */
  pickupOf(orderId: string): Promise<{ lat: number; lng: number; zoneId: string | null }>;
  /** True while the order waits for a rider (status ready_for_pickup, no rider yet). */
  isReadyForPickup(orderId: string): Promise<boolean>;
  /** Spends a try at the seller's handover code and checks it; never inside a transaction. */
  checkHandoverCode(orderId: string, riderUserId: string, handoverCode: string): Promise<void>;
  /**
   * The rider collected it; the seller's handover code proves it (ready_for_pickup →
   * out_for_delivery), in the caller's transaction, after `checkHandoverCode`.
   */
  pickUp(tx: Database, orderId: string, riderUserId: string, handoverCode: string): Promise<void>;
  /**
   * Before a delivery with the buyer's code: refuses what would refuse it before a try is spent
   * (no position to record, an order that cannot be delivered now), then spends a try at the code
   * and checks it; never inside a transaction.
   */
  checkDeliveryCode(orderId: string, riderUserId: string, code: string): Promise<void>;
  /**
   * Delivered, with proof (out_for_delivery → delivered), in the caller's transaction; a code
   * proof after `checkDeliveryCode`.
   */
  deliver(tx: Database, orderId: string, riderUserId: string, proof: DeliveryProof): Promise<void>;
  /**
   * A failed attempt, with reason and evidence, both on the order's timeline (→ delivery_failed),
   * in the caller's transaction.
   */
  failDelivery(
    tx: Database,
    orderId: string,
    riderUserId: string,
    reason: string,
    evidence: FailureEvidence,
  ): Promise<void>;
  /**
   * The same rider out again (delivery_failed → out_for_delivery), in the caller's transaction so
   * the rider's capacity and the order move together; refused after the re-attempt window.
   */
  retryDelivery(tx: Database, orderId: string, riderUserId: string): Promise<void>;
  /** The rider gives up: the buyer is refunded in full at once (delivery_failed → returning). */
  returnToSeller(orderId: string, riderUserId: string, reason: string): Promise<void>;
  /** The parcel is back: the seller's handover code proves it (returning → returned, restocked). */
  recordReturn(orderId: string, riderUserId: string, handoverCode: string): Promise<void>;
}

/** What riders need of the zones slice (the ZonesService fits). */
export interface RiderZonesPort {
  zoneOfPoint(point: LatLng, field?: string): Promise<{ id: string; name: string } | null>;
  /** Throws a 404 AppError for an unknown zone. */
  getZone(id: string): Promise<{ zone: { id: string; name: string; active: boolean } }>;
}

export type JobsPort = Pick<JobService, 'enqueue'>;

export interface RidersModuleDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  jobs: JobsPort;
  zones: RiderZonesPort;
  orders: RiderOrdersPort;
  /** Gives the user the 'rider' role in the caller's transaction (identity module). */
  grantRiderRole: (userId: string, tx: Database) => Promise<void>;
  settings?: Partial<RiderSettings>;
}

export type RidersModuleService = RidersService & AssignmentService;

/** The riders slice, wired. Register `routes` under /api/v1 and `adminRoutes` under /api/v1/admin. */
export function createRidersModule(deps: RidersModuleDeps) {
  const settings: RiderSettings = { ...DEFAULT_RIDER_SETTINGS, ...deps.settings };
  const riders = createRidersService({ ...deps, settings });
  const assignment = createAssignmentService({ ...deps, settings });
  const service: RidersModuleService = { ...riders, ...assignment };
  return {
    service,
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

/** An orders port over a fixed map of pickups (tests, bench, demo): every listed order is ready. */
export function staticOrdersPort(
  pickups: Map<string, LatLng & { zoneId?: string | null }>,
  calls: Array<{ op: string; orderId: string; riderId: string; detail?: unknown }> = [],
): RiderOrdersPort & { calls: typeof calls; pickups: typeof pickups } {
  const known = (orderId: string) => {
    const p = pickups.get(orderId);
    if (!p) throw new Error(`no pickup for order ${orderId}`);
    return p;
  };
  return {
    calls,
    pickups,
    async pickupOf(orderId) {
      const p = known(orderId);
      return { lat: p.lat, lng: p.lng, zoneId: p.zoneId ?? null };
    },
    isReadyForPickup: async (orderId) => pickups.has(orderId),
    async checkHandoverCode(orderId, riderId, handoverCode) {
      calls.push({ op: 'checkHandoverCode', orderId, riderId, detail: handoverCode });
    },
    async pickUp(_tx, orderId, riderId, handoverCode) {
      calls.push({ op: 'pickUp', orderId, riderId, detail: handoverCode });
    },
    async checkDeliveryCode(orderId, riderId, code) {
      calls.push({ op: 'checkDeliveryCode', orderId, riderId, detail: code });
    },
    async deliver(_tx, orderId, riderId, proof) {
      calls.push({ op: 'deliver', orderId, riderId, detail: proof });
    },
    async failDelivery(_tx, orderId, riderId, reason, evidence) {
      calls.push({ op: 'failDelivery', orderId, riderId, detail: { reason, evidence } });
    },
    async retryDelivery(_tx, orderId, riderId) {
      calls.push({ op: 'retryDelivery', orderId, riderId });
    },
    async returnToSeller(orderId, riderId, reason) {
      calls.push({ op: 'returnToSeller', orderId, riderId, detail: reason });
    },
    async recordReturn(orderId, riderId, handoverCode) {
      calls.push({ op: 'recordReturn', orderId, riderId, detail: handoverCode });
    },
  };
}

/** A small deterministic PRNG (mulberry32), so a seed gives the same riders every run. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Inserts `n` verified, available riders with a fresh ping, scattered uniformly over a disc of
 * `radiusKm` (default 15 km: greater Dar es Salaam) around `aroundPoint`, (profiles only: the logistics module does not write identity's tables).
 * For the bench and the index test. Returns the rider ids.
 */
export async function seedRidersForBench(
  db: Database,
  n: number,
  aroundPoint: LatLng,
  opts: { now?: Date; radiusKm?: number; seed?: number; ids?: IdGenerator; homeZoneId?: string } = {},
): Promise<string[]> {
  const now = opts.now ?? new Date();
  const ids = opts.ids ?? randomIds;
  const rand = prng(opts.seed ?? 42);
  const radiusKm = opts.radiusKm ?? 15;
  const vehicles: Vehicle[] = ['boda_boda', 'boda_boda', 'bajaji', 'bicycle', 'car'];
  const homeZoneId = opts.homeZoneId ?? '00000000-0000-7000-8000-00000000a0e1';
  const out: string[] = [];
  for (let start = 0; start < n; start += 500) {
    const riderRows: Array<typeof riderProfiles.$inferInsert> = [];
    for (let i = start; i < Math.min(n, start + 500); i++) {
      const id = ids.newId();
      out.push(id);
      const r = radiusKm * Math.sqrt(rand());
      const theta = 2 * Math.PI * rand();
      const lat = aroundPoint.lat + (r / 110.57) * Math.sin(theta);
      const lng =
        aroundPoint.lng + (r / (111.32 * Math.cos((aroundPoint.lat * Math.PI) / 180))) * Math.cos(theta);
      const vehicle = vehicles[i % vehicles.length]!;
      const capacity = 1 + Math.floor(rand() * 3);
      riderRows.push({
        userId: id,
        vehicle,
        plate: vehicle === 'bicycle' ? null : `MC${String(100 + (i % 900))}BEN`,
        homeZoneId,
        capacity,
        status: 'verified',
        availability: 'available',
        activeJobs: Math.floor(rand() * capacity),
        lastLat: lat,
        lastLng: lng,
        lastCell: latLngToCell(lat, lng, ZONE_RESOLUTION),
        lastPingAt: new Date(now.getTime() - Math.floor(rand() * 60_000)),
        createdAt: now,
        updatedAt: now,
      });
    }
    await db.insert(riderProfiles).values(riderRows);
  }
  return out;
}
