import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuthOnEveryRoute } from '../../shared/auth.js';
import type { Clock } from '../../shared/clock.js';
import { problems } from '../../shared/errors.js';
import { decodeCursor, idParam, pageQuerySchema, pageSchema } from '../../shared/pagination.js';
import { toDarTime } from '../../shared/time.js';
import type { AuditService } from '../audit/index.js';
import {
  adminUserSchema,
  kycQueueItem,
  kycSubmissionSchema,
  optionalReasonBody,
  reasonBody,
  suspendBody,
  toAdminUser,
  toKycSubmission,
} from './dto.js';
import type { GovernanceService } from './governance-service.js';
import type { KycService } from './kyc-service.js';
import { KYC_SUBMISSION_STATUSES, ROLES, USER_STATUSES } from './model.js';

const auditEventSchema = z
  .object({
    id: z.uuid(),
    actor_user_id: z.uuid().nullable(),
    action: z.string(),
    target_type: z.string(),
    target_id: z.string(),
    reason: z.string().nullable(),
    data: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'AuditEvent' });

/** Admin governance: the KYC queue, account suspension/ban/reinstatement, the audit trail. */
export function adminIdentityRoutes(deps: {
  kyc: KycService;
  governance: GovernanceService;
  audit: AuditService;
  clock: Clock;
}): FastifyPluginAsyncZod {
  const { kyc, governance, audit, clock } = deps;
  return async (app) => {
    requireAuthOnEveryRoute(app, 'admin');
    const secured = { security: bearerSecurity };

    app.get(
      '/kyc',
      {
        schema: {
          tags: ['admin'],
          summary: 'KYC queue (oldest first)',
          ...secured,
          querystring: pageQuerySchema
            .extend({ status: z.enum(KYC_SUBMISSION_STATUSES).default('pending') })
            .strict(),
          response: { 200: pageSchema(kycQueueItem), ...problems(400, 401, 403) },
        },
      },
      async (request) => {
        const q = request.query;
        const r = await kyc.list({ status: q.status, limit: q.limit, cursor: decodeCursor(q.cursor) });
        return {
          items: r.items.map((i) => ({
            id: i.submission.id,
            seller_user_id: i.submission.sellerUserId,
            seller_phone: i.phone,
            shop_name: i.shopName,
            id_type: i.submission.idType,
            status: i.submission.status,
            submitted_at: toDarTime(i.submission.submittedAt),
          })),
          next_cursor: r.next_cursor,
        };
      },
    );

    const kycDetail = kycSubmissionSchema.extend({ seller_phone: z.string(), shop_name: z.string() });
    app.get(
      '/kyc/:id',
      {
        schema: {
          tags: ['admin'],
          summary: 'One KYC submission with its documents',
          ...secured,
          params: idParam,
          response: { 200: kycDetail, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const r = await kyc.get(request.params.id);
        return {
          ...toKycSubmission(r.submission, r.documents),
          seller_phone: r.phone,
          shop_name: r.shopName,
        };
      },
    );

    app.post(
      '/kyc/:id/approve',
      {
        schema: {
          tags: ['admin'],
          summary: 'Approve a pending KYC submission',
          ...secured,
          params: idParam,
          body: optionalReasonBody,
          response: { 200: kycSubmissionSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        await kyc.decide(caller(request).userId, request.params.id, {
          approve: true,
          reason: request.body.reason,
        });
        const r = await kyc.get(request.params.id);
        return toKycSubmission(r.submission, r.documents);
      },
    );

    app.post(
      '/kyc/:id/reject',
      {
        schema: {
          tags: ['admin'],
          summary: 'Reject a pending KYC submission, with the reason the seller will see',
          ...secured,
          params: idParam,
          body: reasonBody,
          response: { 200: kycSubmissionSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        await kyc.decide(caller(request).userId, request.params.id, {
          approve: false,
          reason: request.body.reason,
        });
        const r = await kyc.get(request.params.id);
        return toKycSubmission(r.submission, r.documents);
      },
    );

    app.get(
      '/users',
      {
        schema: {
          tags: ['admin'],
          summary: 'Find users (newest first)',
          ...secured,
          querystring: pageQuerySchema
            .extend({
              phone: z.string().max(32).optional(),
              status: z.enum(USER_STATUSES).optional(),
              role: z.enum(ROLES).optional(),
            })
            .strict(),
          response: { 200: pageSchema(adminUserSchema), ...problems(400, 401, 403, 422) },
        },
      },
      async (request) => {
        const q = request.query;
        const r = await governance.listUsers({
          phone: q.phone,
          status: q.status,
          role: q.role,
          limit: q.limit,
          cursor: decodeCursor(q.cursor),
        });
        const now = clock.now();
        return { items: r.items.map((u) => toAdminUser(u, null, now)), next_cursor: r.next_cursor };
      },
    );

    app.get(
      '/users/:id',
      {
        schema: {
          tags: ['admin'],
          summary: 'One user with their seller profile',
          ...secured,
          params: idParam,
          response: { 200: adminUserSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const r = await governance.getUser(request.params.id);
        return toAdminUser(r.user, r.seller, clock.now());
      },
    );

    app.post(
      '/users/:id/suspend',
      {
        schema: {
          tags: ['admin'],
          summary: 'Suspend an account (sessions end at once)',
          ...secured,
          params: idParam,
          body: suspendBody,
          response: { 200: adminUserSchema, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request) => {
        const until = request.body.until ? new Date(request.body.until) : undefined;
        const user = await governance.suspend(caller(request).userId, request.params.id, {
          reason: request.body.reason,
          until,
        });
        return toAdminUser(user, null, clock.now());
      },
    );

    app.post(
      '/users/:id/ban',
      {
        schema: {
          tags: ['admin'],
          summary: 'Ban an account (sessions end at once)',
          ...secured,
          params: idParam,
          body: reasonBody,
          response: { 200: adminUserSchema, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request) =>
        toAdminUser(
          await governance.ban(caller(request).userId, request.params.id, request.body),
          null,
          clock.now(),
        ),
    );

    app.post(
      '/users/:id/reinstate',
      {
        schema: {
          tags: ['admin'],
          summary: 'Lift a suspension or ban',
          ...secured,
          params: idParam,
          body: reasonBody,
          response: { 200: adminUserSchema, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request) =>
        toAdminUser(
          await governance.reinstate(caller(request).userId, request.params.id, request.body),
          null,
          clock.now(),
        ),
    );

    app.get(
      '/audit-events',
      {
        schema: {
          tags: ['admin'],
          summary: 'The audit trail (newest first)',
          ...secured,
          querystring: pageQuerySchema
            .extend({
              target_type: z.string().max(40).optional(),
              target_id: z.string().max(64).optional(),
              actor_user_id: z.uuid().optional(),
              action: z.string().max(60).optional(),
            })
            .strict(),
          response: { 200: pageSchema(auditEventSchema), ...problems(400, 401, 403) },
        },
      },
      async (request) => {
        const q = request.query;
        const r = await audit.list({
          targetType: q.target_type,
          targetId: q.target_id,
          actorUserId: q.actor_user_id,
          action: q.action,
          limit: q.limit,
          cursor: decodeCursor(q.cursor),
        });
        return {
          items: r.items.map((e) => ({
            id: e.id,
            actor_user_id: e.actorUserId,
            action: e.action,
            target_type: e.targetType,
            target_id: e.targetId,
            reason: e.reason,
            data: e.data,
            created_at: toDarTime(e.createdAt),
          })),
          next_cursor: r.next_cursor,
        };
      },
    );
  };
}
