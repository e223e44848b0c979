// The admin's payments API: collections, disbursements, payouts and refunds (four eyes above the limit), callbacks.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuth } from '../../shared/auth.js';
import { problems } from '../../shared/errors.js';
import { approvalRequestedSchema, toApprovalRequested } from '../../shared/four-eyes.js';
import { idParam } from '../../shared/pagination.js';
import { toDarTime } from '../../shared/time.js';
import {
  collectionSchema,
  disbursementSchema,
  list,
  type PaymentRouteDeps,
  reasonBody,
  toCollection,
  toDisbursement,
} from './dto.js';
import {
  CALLBACK_VERDICTS,
  COLLECTION_STATUSES,
  DISBURSEMENT_KINDS,
  DISBURSEMENT_STATUSES,
} from './model.js';

export function adminPaymentRoutes(deps: PaymentRouteDeps): FastifyPluginAsyncZod {
  const { payments } = deps;
  return async (app) => {
    const admin = requireAuth('admin');
    const s = { security: bearerSecurity, tags: ['admin'] };

    app.get(
      '/payments/collections',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary: 'Payment pushes, newest first (200 at most)',
          querystring: z.strictObject({ status: z.enum(COLLECTION_STATUSES).optional() }),
          response: { 200: list(collectionSchema), ...problems(400, 401, 403) },
        },
      },
      async (request) => ({
        items: (await payments.collectionsList({ status: request.query.status })).map(toCollection),
      }),
    );

    app.get(
      '/payments/disbursements',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary: 'Refunds and payouts, newest first (200 at most)',
          querystring: z.strictObject({
            kind: z.enum(DISBURSEMENT_KINDS).optional(),
            status: z.enum(DISBURSEMENT_STATUSES).optional(),
            party_id: z.uuid().optional(),
            order_id: z.uuid().optional(),
          }),
          response: { 200: list(disbursementSchema), ...problems(400, 401, 403) },
        },
      },
      async (request) => {
        const q = request.query;
        const rows = await payments.disbursementsOf({
          kind: q.kind,
          status: q.status,
          partyId: q.party_id,
          orderId: q.order_id,
        });
        return { items: rows.map(toDisbursement) };
      },
    );

    app.post(
      '/payments/payouts',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary: "Pay a seller's available balance now",
          body: z.strictObject({ seller_id: z.uuid(), reason: z.string().trim().min(1).max(500) }),
          response: {
            201: disbursementSchema,
            202: approvalRequestedSchema,
            ...problems(400, 401, 403, 404, 409, 422),
          },
        },
      },
      async (request, reply) => {
        const r = await deps.fourEyes.payout('seller', request.body.seller_id, {
          userId: caller(request).userId,
          reason: request.body.reason,
        });
        if (r.approval) return reply.code(202).send(toApprovalRequested(r.approval));
        return reply.code(201).send(toDisbursement(r.done));
      },
    );

    app.post(
      '/payments/rider-payouts',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary: "Pay a rider's earned delivery-fee share now (to the rider's own phone)",
          body: z.strictObject({ rider_id: z.uuid(), reason: z.string().trim().min(1).max(500) }),
          response: {
            201: disbursementSchema,
            202: approvalRequestedSchema,
            ...problems(400, 401, 403, 404, 409, 422),
          },
        },
      },
      async (request, reply) => {
        const r = await deps.fourEyes.payout('rider', request.body.rider_id, {
          userId: caller(request).userId,
          reason: request.body.reason,
        });
        if (r.approval) return reply.code(202).send(toApprovalRequested(r.approval));
        return reply.code(201).send(toDisbursement(r.done));
      },
    );

    app.post(
      '/payments/payouts/:id/resolve',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary:
            'Settle a payout whose failure only the provider callback reported: sent (with its receipt) or not sent (back to available)',
          params: idParam,
          body: z.strictObject({
            sent: z.boolean(),
            receipt: z.string().trim().min(1).max(40).optional(),
            reason: z.string().trim().min(1).max(500),
          }),
          response: { 200: disbursementSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        toDisbursement(await payments.resolvePayout(request.params.id, caller(request).userId, request.body)),
    );

    app.post(
      '/payments/refunds/:id/retry',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary: 'Send a failed refund again (new attempt, new reference)',
          params: idParam,
          body: reasonBody,
          response: {
            200: disbursementSchema,
            202: approvalRequestedSchema,
            ...problems(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        const r = await deps.fourEyes.retryRefund(
          request.params.id,
          caller(request).userId,
          request.body.reason,
        );
        if (r.approval) return reply.code(202).send(toApprovalRequested(r.approval));
        return toDisbursement(r.done);
      },
    );

    app.get(
      '/payments/callbacks',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary: 'Callbacks received, with the verdict on each (forged ones included)',
          querystring: z.strictObject({ verdict: z.enum(CALLBACK_VERDICTS).optional() }),
          response: {
            200: list(
              z.object({
                id: z.uuid(),
                provider: z.string(),
                kind: z.string(),
                verdict: z.enum(CALLBACK_VERDICTS),
                detail: z.string().nullable(),
                remote_ip: z.string().nullable(),
                collection_id: z.uuid().nullable(),
                disbursement_id: z.uuid().nullable(),
                body: z.unknown(),
                received_at: z.string(),
              }),
            ),
            ...problems(400, 401, 403),
          },
        },
      },
      async (request) => ({
        items: (await payments.callbacksList({ verdict: request.query.verdict })).map((c) => ({
          id: c.id,
          provider: c.provider,
          kind: c.kind,
          verdict: c.verdict,
          detail: c.detail,
          remote_ip: c.remoteIp,
          collection_id: c.collectionId,
          disbursement_id: c.disbursementId,
          body: c.body,
          received_at: toDarTime(c.createdAt),
        })),
      }),
    );

    app.get(
      '/payments/provider-calls',
      {
        preHandler: admin,
        schema: {
          ...s,
          summary: 'Stored provider requests and replies for one reference (secrets masked)',
          querystring: z.strictObject({ reference: z.string().regex(/^[0-9a-f]{32}$/) }),
          response: {
            200: list(
              z.object({
                operation: z.string(),
                method: z.string(),
                url: z.string(),
                request_body: z.unknown(),
                response_status: z.number().int().nullable(),
                response_body: z.unknown(),
                error: z.string().nullable(),
                duration_ms: z.number().int(),
                at: z.string(),
              }),
            ),
            ...problems(400, 401, 403),
          },
        },
      },
      async (request) => ({
        items: (await payments.providerCalls(request.query.reference)).map((c) => ({
          operation: c.operation,
          method: c.method,
          url: c.url,
          request_body: c.requestBody,
          response_status: c.responseStatus,
          response_body: c.responseBody,
          error: c.error,
          duration_ms: c.durationMs,
          at: toDarTime(c.createdAt),
        })),
      }),
    );
  };
}
