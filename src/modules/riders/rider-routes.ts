// The rider's own endpoints: profile, availability and pings, offers, and the jobs in hand.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuth } from '../../shared/auth.js';
import { notFound, problems, unprocessable } from '../../shared/errors.js';
import { idParam } from '../../shared/pagination.js';
import { VEHICLES } from './assignment.js';
import {
  jobSchema,
  list,
  offerSchema,
  orderParam,
  point,
  profileSchema,
  type RiderRouteDeps,
  reason,
  requirePoint,
  toJob,
  toOffer,
  viewProfile,
} from './dto.js';
import type { DeliveryProof } from './ports.js';

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
