import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuth } from '../../shared/auth.js';
import { notFound, problems, unprocessable } from '../../shared/errors.js';
import { idParam } from '../../shared/pagination.js';
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
import type { DeliveryProof } from './ports.js';
import type { RiderProfile, RidersService } from './service.js';

// Both services, as module.ts joins them (named here too, so routes.ts needs nothing of module.ts).
type RidersModuleService = RidersService & AssignmentService;

const profileSchema = z
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

const offerSchema = z
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

const jobSchema = z
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

const dispatchSchema = z
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
async function toProfiles(riders: RidersModuleService, rows: RiderProfile[]) {
  const held = await riders.jobsInHand(rows.map((r) => r.userId));
  return rows.map((p) => toProfile(p, held.get(p.userId) ?? 0));
}
const viewProfile = async (riders: RidersModuleService, p: RiderProfile) =>
  (await toProfiles(riders, [p]))[0]!;

const toOffer = (o: RiderOffer) => ({
  id: o.id,
  order_id: o.orderId,
  status: o.status,
  distance_m: o.distanceM,
  offered_at: toDarTime(o.offeredAt),
  expires_at: toDarTime(o.expiresAt),
  decided_at: toDarTimeOrNull(o.decidedAt),
});

const toJob = (a: OrderAssignment) => ({
  order_id: a.orderId,
  rider_id: a.riderId,
  status: a.status,
  assigned_by: a.assignedBy ? ('admin' as const) : ('offer' as const),
  assigned_at: toDarTime(a.assignedAt),
  picked_up_at: toDarTimeOrNull(a.pickedUpAt),
  finished_at: toDarTimeOrNull(a.finishedAt),
});

const toDispatch = (d: DispatchEntry) => ({
  order_id: d.orderId,
  reason: d.reason,
  refusals: d.attempts,
  queued_at: toDarTime(d.queuedAt),
});

const list = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
const orderParam = z.strictObject({ orderId: z.uuid() });
const point = z.strictObject({ lat: z.number(), lng: z.number() });
const reason = z.string().trim().min(1).max(500);

/** A location from a body: 422 INVALID_COORDINATES on `field` when it is no place on Earth. */
function requirePoint(p: LatLng, field: string): LatLng {
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

/** Rider endpoints; register under /api/v1. */
export function riderRoutes(deps: RiderRouteDeps): FastifyPluginAsyncZod {
  const { riders } = deps;
  return async (app) => {
    const signedIn = requireAuth();
    const rider = requireAuth('rider');
    const s = { security: bearerSecurity, tags: ['rider'] };

    app.post(
      '/rider/profile',
      {
        preHandler: signedIn,
        schema: {
          ...s,
          summary: 'Apply to ride (or correct a pending or rejected application); an admin verifies it',
          description:
            'Grants the rider role. A plate is required except for a bicycle ("T 123 ABC", "MC 123 ABC"; stored uppercased without spaces). Capacity defaults by vehicle (bicycle 1, boda-boda 2, bajaji 3, car 4), at most 5.',
          body: z.strictObject({
            vehicle: z.enum(VEHICLES),
            plate: z.string().max(20).nullish(),
            home_zone_id: z.uuid(),
            capacity: z.number().int().optional(),
          }),
          response: { 200: profileSchema, ...problems(400, 401, 403, 409, 422) },
        },
      },
      async (request) =>
        viewProfile(
          riders,
          await riders.apply(caller(request).userId, {
            vehicle: request.body.vehicle,
            plate: request.body.plate,
            homeZoneId: request.body.home_zone_id,
            capacity: request.body.capacity,
          }),
        ),
    );

    app.get(
      '/rider/profile',
      {
        preHandler: signedIn,
        schema: {
          ...s,
          summary: 'My rider profile: verification, availability, last position, jobs in hand',
          response: { 200: profileSchema, ...problems(401, 403, 404) },
        },
      },
      async (request) => {
        const p = await riders.profileOf(caller(request).userId);
        if (!p) throw notFound('Rider profile');
        return viewProfile(riders, p);
      },
    );

    app.post(
      '/rider/online',
      {
        preHandler: rider,
        schema: {
          ...s,
          summary: 'Ready for offers (verified riders only); send a ping right after',
          response: { 200: profileSchema, ...problems(401, 403, 404, 409) },
        },
      },
      async (request) => viewProfile(riders, await riders.goOnline(caller(request).userId)),
    );

    app.post(
      '/rider/offline',
      {
        preHandler: rider,
        schema: {
          ...s,
          summary: 'No more offers; an open offer goes to another rider, jobs in hand stay yours',
          description:
            'Allowed while holding jobs: they stay yours to finish, you read as on_delivery (accepting_offers false) until the last is done, and you keep sending pings meanwhile.',
          response: { 200: profileSchema, ...problems(401, 403, 404) },
        },
      },
      async (request) => viewProfile(riders, await riders.goOffline(caller(request).userId)),
    );

    app.post(
      '/rider/pings',
      {
        preHandler: rider,
        schema: {
          ...s,
          summary: 'Where I am (at most one every 10 s)',
          description:
            '422 INVALID_COORDINATES (field lat or lng), PING_FROM_FUTURE (at more than 30 s ahead of the server), PING_TOO_OLD, PING_OUT_OF_ORDER; 429 PING_TOO_FREQUENT; 409 RIDER_OFFLINE.',
          body: z.strictObject({
            lat: z.number(),
            lng: z.number(),
            at: z.iso.datetime({ offset: true }).optional().describe('When the phone took the position'),
          }),
          response: { 200: profileSchema, ...problems(400, 401, 403, 404, 409, 422, 429) },
        },
      },
      async (request) =>
        viewProfile(
          riders,
          await riders.ping(caller(request).userId, {
            lat: request.body.lat,
            lng: request.body.lng,
            at: request.body.at === undefined ? undefined : new Date(request.body.at),
          }),
        ),
    );

    app.get(
      '/rider/offers',
      {
        preHandler: rider,
        schema: {
          ...s,
          summary: 'Orders offered to me now (answer before expires_at)',
          response: { 200: list(offerSchema), ...problems(401, 403) },
        },
      },
      async (request) => ({ items: (await riders.offersOf(caller(request).userId)).map(toOffer) }),
    );

    app.post(
      '/rider/offers/:id/accept',
      {
        preHandler: rider,
        schema: {
          ...s,
          summary: 'Take the order: it is mine until delivered or failed',
          description:
            '409 OFFER_TAKEN, OFFER_EXPIRED, OFFER_DECLINED, AT_CAPACITY; 404 for an offer not made to me.',
          params: idParam,
          response: { 200: jobSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) => toJob(await riders.accept(caller(request).userId, request.params.id)),
    );

    app.post(
      '/rider/offers/:id/decline',
      {
        preHandler: rider,
        schema: {
          ...s,
          summary: 'Say no: the order goes to the next rider',
          params: idParam,
          response: { 200: offerSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) => toOffer(await riders.decline(caller(request).userId, request.params.id)),
    );

    app.get(
      '/rider/jobs',
      {
        preHandler: rider,
        schema: {
          ...s,
          summary: 'Deliveries in my hands (assigned, picked up, after a failed attempt, going back)',
          response: { 200: list(jobSchema), ...problems(401, 403) },
        },
      },
      async (request) => ({ items: (await riders.jobsOf(caller(request).userId)).map(toJob) }),
    );

    app.post(
      '/rider/jobs/:orderId/pick-up',
      {
        preHandler: rider,
        schema: {
          ...s,
          summary: "Collected from the seller: the seller's handover code proves it",
          params: orderParam,
          body: z.strictObject({ handover_code: z.string().trim().min(1).max(32) }),
          response: { 200: jobSchema, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request) =>
        toJob(
          await riders.pickUp(caller(request).userId, request.params.orderId, request.body.handover_code),
        ),
    );

    app.post(
      '/rider/jobs/:orderId/deliver',
      {
        preHandler: rider,
        schema: {
          ...s,
          summary: "Delivered: the buyer's code, or a photo with the place (and a note)",
          params: orderParam,
          body: z.strictObject({
            code: z.string().trim().min(1).max(32).optional(),
            photo_media_id: z.uuid().optional(),
            location: point.optional(),
            note: z.string().trim().max(500).optional(),
          }),
          response: { 200: jobSchema, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request) => {
        const b = request.body;
        let proof: DeliveryProof;
        if (b.code) proof = { kind: 'code', code: b.code };
        else if (b.photo_media_id && b.location) {
          proof = {
            kind: 'photo',
            photoMediaId: b.photo_media_id,
            location: requirePoint(b.location, 'location'),
            note: b.note || null,
          };
        } else {
          throw unprocessable(
            'PROOF_REQUIRED',
            b.photo_media_id ? 'location' : 'code',
            "Delivered needs proof: the buyer's code, or photo_media_id with location.",
          );
        }
        return toJob(await riders.deliver(caller(request).userId, request.params.orderId, proof));
      },
    );

    app.post(
      '/rider/jobs/:orderId/fail',
      {
        preHandler: rider,
        schema: {
          ...s,
          summary: 'A failed attempt: why, a photo and where (shown on the order’s timeline)',
          description:
            'The parcel stays yours (job status failed_attempt) and your capacity is given back: re-attempt it within the window (POST …/retry) or take it back to the seller (POST …/return).',
          params: orderParam,
          body: z.strictObject({
            reason,
            photo_media_id: z.uuid().describe('My upload with purpose delivery_proof'),
            location: point,
          }),
          response: { 200: jobSchema, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request) =>
        toJob(
          await riders.fail(caller(request).userId, request.params.orderId, request.body.reason, {
            photoMediaId: request.body.photo_media_id,
            location: requirePoint(request.body.location, 'location'),
          }),
        ),
    );

    app.post(
      '/rider/jobs/:orderId/retry',
      {
        preHandler: rider,
        schema: {
          ...s,
          summary: 'Out again with the parcel of my failed attempt, inside the re-attempt window',
          description:
            'Takes a unit of capacity again (409 AT_CAPACITY). 409 NO_FAILED_ATTEMPT, REDELIVERY_WINDOW_CLOSED (the buyer is refunded and the parcel goes back), INVALID_TRANSITION; 404 for another rider’s order. Deliver it with the usual proof.',
          params: orderParam,
          response: { 200: jobSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) => toJob(await riders.retry(caller(request).userId, request.params.orderId)),
    );

    app.post(
      '/rider/jobs/:orderId/return',
      {
        preHandler: rider,
        schema: {
          ...s,
          summary: 'Give up after a failed attempt: the buyer is refunded now, I take the parcel back',
          description:
            'The job becomes returning; record the handover at the seller with POST …/returned. 409 NO_FAILED_ATTEMPT (not after a failed attempt, or already going back).',
          params: orderParam,
          body: z.strictObject({ reason }),
          response: { 200: jobSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        toJob(
          await riders.returnToSeller(caller(request).userId, request.params.orderId, request.body.reason),
        ),
    );

    app.post(
      '/rider/jobs/:orderId/returned',
      {
        preHandler: rider,
        schema: {
          ...s,
          summary: "The parcel is back at the seller: the seller's handover code proves it",
          description:
            'The seller sees a new handover code while the parcel comes back. 422 HANDOVER_CODE_INVALID, 429 HANDOVER_CODE_LOCKED (an admin records it), 409 NOT_RETURNING (already returned), INVALID_TRANSITION (give it up first with …/return).',
          params: orderParam,
          body: z.strictObject({ handover_code: z.string().trim().min(1).max(32) }),
          response: { 200: jobSchema, ...problems(400, 401, 403, 404, 409, 422, 429) },
        },
      },
      async (request) =>
        toJob(
          await riders.returned(caller(request).userId, request.params.orderId, request.body.handover_code),
        ),
    );
  };
}

/** Admin endpoints; register under /api/v1/admin. */
export function riderAdminRoutes(deps: RiderRouteDeps): FastifyPluginAsyncZod {
  const { riders } = deps;
  return async (app) => {
    const admin = requireAuth('admin');
    const s = { security: bearerSecurity, tags: ['admin'] };

    app.get(
      '/riders',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary: 'Riders, oldest application first (200 at most)',
          querystring: z.strictObject({
            status: z.enum(RIDER_STATUSES).optional(),
            availability: z
              .enum(RIDER_PRESENCE)
              .optional()
              .describe('As shown: on_delivery = holding a job; offline/available = holding none'),
          }),
          response: { 200: list(profileSchema), ...problems(400, 401, 403) },
        },
      },
      async (request) => ({ items: await toProfiles(riders, await riders.list(request.query)) }),
    );

    app.post(
      '/riders/:id/verify',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary: "The rider's identity and vehicle were checked: they may go online",
          params: idParam,
          body: z.strictObject({ reason: reason.optional() }).nullish(),
          response: { 200: profileSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        viewProfile(
          riders,
          await riders.verify(caller(request).userId, request.params.id, request.body?.reason),
        ),
    );

    app.post(
      '/riders/:id/reject',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary: 'The identity check failed (or strike a rider off): offline, no offers',
          params: idParam,
          body: z.strictObject({ reason }),
          response: { 200: profileSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        viewProfile(
          riders,
          await riders.reject(caller(request).userId, request.params.id, request.body.reason),
        ),
    );

    app.get(
      '/dispatch',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary: 'Orders no rider took, oldest first: assign them by hand',
          response: { 200: list(dispatchSchema), ...problems(401, 403) },
        },
      },
      async () => ({ items: (await riders.dispatchList()).map(toDispatch) }),
    );

    app.post(
      '/dispatch/:orderId/assign',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary: 'Give an order to a verified rider by hand (withdraws an open offer)',
          params: orderParam,
          body: z.strictObject({ rider_id: z.uuid(), reason }),
          response: { 200: jobSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        toJob(
          await riders.adminAssign(
            caller(request).userId,
            request.params.orderId,
            request.body.rider_id,
            request.body.reason,
          ),
        ),
    );
  };
}
