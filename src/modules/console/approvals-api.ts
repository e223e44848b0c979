// The four-eyes queue over the admin API (/api/v1/admin/approvals): the same approvals the console's
// /admin/approvals shows, so an operator who scripts a large payout or refund against the API can
// have it approved by a second admin the same way. Approving runs the owning module's command once.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuthOnEveryRoute } from '../../shared/auth.js';
import { problems } from '../../shared/errors.js';
import { APPROVAL_KINDS } from '../../shared/four-eyes.js';
import { idParam } from '../../shared/pagination.js';
import { toDarTime, toDarTimeOrNull } from '../../shared/time.js';
import type { Approval, ConsoleApprovals } from './approvals-service.js';
import { APPROVAL_STATUSES } from './schema.js';

const approvalSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(APPROVAL_KINDS),
    target_id: z.uuid(),
    party: z.enum(['seller', 'rider']).nullable(),
    amount: z.number().int(),
    reason: z.string(),
    requested_by: z.uuid(),
    requested_at: z.string(),
    status: z.enum(APPROVAL_STATUSES),
    decided_by: z.uuid().nullable(),
    decided_at: z.string().nullable(),
    outcome: z.string().nullable(),
    details: z
      .union([
        z.object({
          resolution: z.enum(['full_refund', 'partial_refund']),
          amount: z.number().int().optional(),
          fault: z.enum(['seller', 'rider', 'none']),
        }),
        z.object({ event: z.enum(['cancel', 'refund_undeliverable']) }),
      ])
      .nullable(),
  })
  .meta({ id: 'Approval' });

const toApproval = (a: Approval): z.infer<typeof approvalSchema> => ({
  id: a.id,
  kind: a.kind,
  target_id: a.targetId,
  party: a.party,
  amount: a.amount,
  reason: a.reason,
  requested_by: a.requestedBy,
  requested_at: toDarTime(a.requestedAt),
  status: a.status,
  decided_by: a.decidedBy,
  decided_at: toDarTimeOrNull(a.decidedAt),
  outcome: a.outcome,
  details: a.details ?? null,
});

export function adminApprovalRoutes(approvals: ConsoleApprovals): FastifyPluginAsyncZod {
  return async (app) => {
    requireAuthOnEveryRoute(app, 'admin');
    const s = { security: bearerSecurity, tags: ['admin'] };
    app.get(
      '/approvals',
      {
        schema: {
          ...s,
          summary: 'Four-eyes requests by status (pending oldest first; the 200 latest otherwise)',
          querystring: z.strictObject({ status: z.enum(APPROVAL_STATUSES).default('pending') }),
          response: { 200: z.object({ items: z.array(approvalSchema) }), ...problems(400, 401, 403) },
        },
      },
      async (request) => ({ items: (await approvals.list(request.query.status)).map(toApproval) }),
    );
    app.post(
      '/approvals/:id/approve',
      {
        schema: {
          ...s,
          summary:
            'A second admin approves: the payout or refund runs now, once (403 SELF_APPROVAL_FORBIDDEN for its requester)',
          params: idParam,
          response: { 200: approvalSchema, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request) => toApproval(await approvals.approve(request.params.id, caller(request).userId)),
    );
    app.post(
      '/approvals/:id/withdraw',
      {
        schema: {
          ...s,
          summary: 'Its requester takes a pending request back, saying why',
          params: idParam,
          body: z.strictObject({ reason: z.string().trim().min(3).max(500) }),
          response: { 200: approvalSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        toApproval(await approvals.withdraw(request.params.id, caller(request).userId, request.body.reason)),
    );
  };
}
