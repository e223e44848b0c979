import { z } from 'zod';
import { unprocessable } from '../../shared/errors.js';
import { toDarTime, toDarTimeOrNull } from '../../shared/time.js';
import { isValidPoint, type LatLng } from '../zones/index.js';
import {
  ASSIGNMENT_STATUSES,
  DISPATCH_REASONS,
  OFFER_STATUSES,
  presenceOf,
  RIDER_PRESENCE,
  RIDER_STATUSES,
  VEHICLES,
} from './assignment.js';
import type { AssignmentService, DispatchEntry, OrderAssignment, RiderOffer } from './assignment-service.js';
import type { RiderProfile, RidersService } from './service.js';

// Both services, as module.ts joins them (named here too, so the routes need nothing of module.ts).
export type RidersModuleService = RidersService & AssignmentService;

export const profileSchema = z
  .object({
    user_id: z.uuid(),
    vehicle: z.enum(VEHICLES),
    plate: z.string().nullable(),
    home_zone_id: z.uuid(),
    capacity: z.number().int(),
    status: z.enum(RIDER_STATUSES),
    status_reason: z.string().nullable(),
    availability: z
      .enum(RIDER_PRESENCE)
      .describe(
        'on_delivery while the rider holds a job (heading to pick up, carrying, re-attempting or taking back), else offline or available',
      ),
    accepting_offers: z
      .boolean()
      .describe('The rider is online for new offers (given spare capacity), on a delivery or not'),
    active_jobs: z.number().int(),
    last_position: z
      .object({ lat: z.number(), lng: z.number(), cell: z.string(), at: z.string() })
      .nullable(),
    reviewed_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'RiderProfile' });

export const offerSchema = z
  .object({
    id: z.uuid(),
    order_id: z.uuid(),
    status: z.enum(OFFER_STATUSES),
    distance_m: z.number().int().describe('From your last position to the pickup, when offered'),
    offered_at: z.string(),
    expires_at: z.string(),
    decided_at: z.string().nullable(),
  })
  .meta({ id: 'RiderOffer' });

export const jobSchema = z
  .object({
    order_id: z.uuid(),
    rider_id: z.uuid(),
    status: z.enum(ASSIGNMENT_STATUSES),
    assigned_by: z.enum(['offer', 'admin']),
    assigned_at: z.string(),
    picked_up_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: 'RiderJob' });

export const dispatchSchema = z
  .object({
    order_id: z.uuid(),
    reason: z.enum(DISPATCH_REASONS),
    refusals: z.number().int(),
    queued_at: z.string(),
  })
  .meta({ id: 'DispatchEntry' });

const toProfile = (p: RiderProfile, jobsInHand: number) => ({
  user_id: p.userId,
  vehicle: p.vehicle,
  plate: p.plate,
  home_zone_id: p.homeZoneId,
  capacity: p.capacity,
  status: p.status,
  status_reason: p.statusReason,
  availability: presenceOf(p.availability, jobsInHand),
  accepting_offers: p.availability === 'available',
  active_jobs: p.activeJobs,
  last_position:
    p.lastLat !== null && p.lastLng !== null && p.lastCell && p.lastPingAt
      ? { lat: p.lastLat, lng: p.lastLng, cell: p.lastCell, at: toDarTime(p.lastPingAt) }
      : null,
  reviewed_at: toDarTimeOrNull(p.reviewedAt),
  created_at: toDarTime(p.createdAt),
  updated_at: toDarTime(p.updatedAt),
});

/** Profiles as shown, with the derived on_delivery: one query for the jobs held by the whole list. */
export async function toProfiles(riders: RidersModuleService, rows: RiderProfile[]) {
  const held = await riders.jobsInHand(rows.map((r) => r.userId));
  return rows.map((p) => toProfile(p, held.get(p.userId) ?? 0));
}
export const viewProfile = async (riders: RidersModuleService, p: RiderProfile) =>
  (await toProfiles(riders, [p]))[0]!;

export const toOffer = (o: RiderOffer) => ({
  id: o.id,
  order_id: o.orderId,
  status: o.status,
  distance_m: o.distanceM,
  offered_at: toDarTime(o.offeredAt),
  expires_at: toDarTime(o.expiresAt),
  decided_at: toDarTimeOrNull(o.decidedAt),
});

export const toJob = (a: OrderAssignment) => ({
  order_id: a.orderId,
  rider_id: a.riderId,
  status: a.status,
  assigned_by: a.assignedBy ? ('admin' as const) : ('offer' as const),
  assigned_at: toDarTime(a.assignedAt),
  picked_up_at: toDarTimeOrNull(a.pickedUpAt),
  finished_at: toDarTimeOrNull(a.finishedAt),
});

export const toDispatch = (d: DispatchEntry) => ({
  order_id: d.orderId,
  reason: d.reason,
  refusals: d.attempts,
  queued_at: toDarTime(d.queuedAt),
});

export const list = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
export const orderParam = z.strictObject({ orderId: z.uuid() });
export const point = z.strictObject({ lat: z.number(), lng: z.number() });
export const reason = z.string().trim().min(1).max(500);

/** A location from a body: 422 INVALID_COORDINATES on `field` when it is no place on Earth. */
export function requirePoint(p: LatLng, field: string): LatLng {
  if (!isValidPoint(p)) {
    throw unprocessable(
      'INVALID_COORDINATES',
      field,
      `${field} must have lat in [-90, 90] and lng in [-180, 180].`,
    );
  }
  return p;
}

export interface RiderRouteDeps {
  riders: RidersModuleService;
}
