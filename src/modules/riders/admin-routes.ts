// The admin's rider endpoints: review of profiles, the dispatch queue and assignment by hand.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuth } from '../../shared/auth.js';
import { problems } from '../../shared/errors.js';
import { idParam } from '../../shared/pagination.js';
import { RIDER_PRESENCE, RIDER_STATUSES } from './assignment.js';
import {
  dispatchSchema,
  jobSchema,
  list,
  orderParam,
  profileSchema,
  type RiderRouteDeps,
  reason,
  toDispatch,
  toJob,
  toProfiles,
  viewProfile,
} from './dto.js';

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
