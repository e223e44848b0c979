// The admin's orders API: any order, the admin's transitions, disputes and their resolution, the
// ledger's transfers and the whole-ledger check, on-time rates.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuthOnEveryRoute } from '../../shared/auth.js';
import { AppError, problems } from '../../shared/errors.js';
import { approvalRequestedSchema, toApprovalRequested } from '../../shared/four-eyes.js';
import { MONEY_UNIT, WHOLE_SHILLINGS } from '../../shared/money.js';
import { idParam } from '../../shared/pagination.js';
import { isPlausibleInstant, toDarTime } from '../../shared/time.js';
import {
  disputeSchema,
  type OrderRouteDeps,
  orderDetailSchema,
  orderSchema,
  reasonBody,
  toDetail,
  toDispute,
  toOrder,
} from './dto.js';
import type { OrderEvent } from './machine.js';
import { DISPUTE_FAULTS, DISPUTE_RESOLUTIONS } from './model.js';

export function adminOrderRoutes(deps: OrderRouteDeps): FastifyPluginAsyncZod {
  const { orders, ledger } = deps;
  return async (app) => {
    requireAuthOnEveryRoute(app, 'admin');
    const s = { security: bearerSecurity, tags: ['admin'] };
    app.get(
      '/logistics/on-time',
      {
        schema: {
          ...s,
          summary:
            'On-time rate of promised deliveries by seller, rider, destination zone or day (Dar es Salaam)',
          querystring: z.strictObject({
            by: z.enum(['seller', 'rider', 'zone', 'day']),
            from: z.iso.datetime({ offset: true }),
            to: z.iso.datetime({ offset: true }),
          }),
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  key: z.string(),
                  delivered: z.number().int(),
                  late: z.number().int(),
                  on_time_rate: z.number().nullable(),
                }),
              ),
            }),
            ...problems(400, 401, 403),
          },
        },
      },
      async (request) => {
        const from = new Date(request.query.from);
        const to = new Date(request.query.to);
        if (!isPlausibleInstant(request.query.from) || !isPlausibleInstant(request.query.to))
          throw new AppError('INVALID_RANGE', 400, 'Dates must be between the years 2000 and 2200.', {
            field: 'from',
          });
        if (!(from.getTime() < to.getTime()))
          throw new AppError('INVALID_RANGE', 400, '`from` must be before `to`.', { field: 'from' });
        const rows = await orders.onTimeRate({ by: request.query.by, from, to });
        return {
          items: rows.map((r) => ({
            key: r.key,
            delivered: r.delivered,
            late: r.late,
            on_time_rate: r.onTimeRate,
          })),
        };
      },
    );
    app.get(
      '/orders/:id',
      {
        schema: {
          ...s,
          summary: 'Any order with its timeline',
          params: idParam,
          response: { 200: orderDetailSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) =>
        toDetail(
          await orders.view(request.params.id, { userId: caller(request).userId, role: 'admin' }),
          'admin',
        ),
    );
    /**
     * An admin moves an order, always saying why (the reason goes on the timeline). A cancellation or
     * refund that pays back more than the four-eyes limit waits for a second admin (202).
     */
    const adminAction = (path: string, event: OrderEvent, summary: string, codes: number[]) =>
      app.post(
        `/orders/:id/${path}`,
        {
          schema: {
            ...s,
            summary,
            params: idParam,
            body: reasonBody,
            response: { 200: orderSchema, 202: approvalRequestedSchema, ...problems(...codes) },
          },
        },
        async (request, reply) => {
          const adminId = caller(request).userId;
          const { id } = request.params;
          const { reason } = request.body;
          if (event === 'cancel' || event === 'refund_undeliverable') {
            const r = await deps.fourEyes.orderAct(id, event, adminId, reason);
            if (r.approval) return reply.code(202).send(toApprovalRequested(r.approval));
            return toOrder(r.done, 'admin');
          }
          return toOrder(await orders.act(id, event, { userId: adminId, role: 'admin' }, reason), 'admin');
        },
      );
    adminAction(
      'cancel',
      'cancel',
      'Cancel an order before acceptance (refund in full)',
      [400, 401, 403, 404, 409],
    );
    adminAction(
      'refund-undeliverable',
      'refund_undeliverable',
      'The platform cannot deliver: refund the buyer in full now; the parcel goes back to the seller',
      [400, 401, 403, 404, 409],
    );
    adminAction(
      'return-received',
      'record_return',
      'The undelivered parcel is back at the seller: back in stock (when no code can prove it)',
      [400, 401, 403, 404, 409, 422],
    );
    app.get(
      '/disputes',
      {
        schema: {
          ...s,
          summary: 'Disputes by status (oldest first)',
          querystring: z.strictObject({ status: z.enum(['open', 'resolved']).default('open') }),
          response: { 200: z.object({ items: z.array(disputeSchema) }), ...problems(400, 401, 403) },
        },
      },
      async (request) => ({ items: (await orders.listDisputes(request.query.status)).map(toDispute) }),
    );
    app.post(
      '/disputes/:id/resolve',
      {
        schema: {
          ...s,
          summary:
            'Resolve a dispute: full refund, partial refund (amount) or release to the seller; always with a note, and for a refund whose fault it was',
          params: idParam,
          body: z.strictObject({
            resolution: z.enum(DISPUTE_RESOLUTIONS),
            amount: z
              .number()
              .int()
              .min(1)
              .max(10_000_000_000)
              .multipleOf(MONEY_UNIT, WHOLE_SHILLINGS)
              .optional(),
            note: z.string().trim().min(1).max(2000),
            fault: z
              .enum(DISPUTE_FAULTS)
              .optional()
              .describe(
                "Whose fault it was: required for a refund (422 FAULT_REQUIRED), 'none' by default for a release. " +
                  "Unless it was the rider's, a full refund pays the rider's share of the delivery fee from " +
                  "platform:dispute_expense (RIDER_COMPENSATION). 'rider' on an order no rider carried: 422 INVALID_FAULT.",
              ),
          }),
          response: {
            200: disputeSchema,
            202: approvalRequestedSchema,
            ...problems(400, 401, 403, 404, 409, 422),
          },
        },
      },
      async (request, reply) => {
        if (request.body.resolution !== 'partial_refund' && request.body.amount !== undefined) {
          throw new AppError('AMOUNT_NOT_ALLOWED', 422, 'Only a partial refund takes an amount.', {
            field: 'amount',
          });
        }
        const r = await deps.fourEyes.resolveDispute(request.params.id, caller(request).userId, request.body);
        if (r.approval) return reply.code(202).send(toApprovalRequested(r.approval));
        return toDispute(r.done);
      },
    );
    app.get(
      '/ledger/transfers',
      {
        schema: {
          ...s,
          summary: 'Ledger transfers by order or account',
          querystring: z
            .strictObject({ order_id: z.uuid().optional(), account: z.string().min(1).max(120).optional() })
            .refine((q) => q.order_id || q.account, 'give order_id or account'),
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  id: z.uuid(),
                  key: z.string(),
                  kind: z.string(),
                  phase: z.string(),
                  debit: z.string(),
                  credit: z.string(),
                  amount: z.number().int(),
                  currency: z.string(),
                  order_id: z.uuid().nullable(),
                  at: z.string(),
                }),
              ),
            }),
            ...problems(400, 401, 403),
          },
        },
      },
      async (request) => ({
        items: (
          await ledger.transfersOf({ orderId: request.query.order_id, account: request.query.account })
        ).map((t) => ({
          id: t.id,
          key: t.key,
          kind: t.kind,
          phase: t.phase,
          debit: t.debitAccount,
          credit: t.creditAccount,
          amount: t.amount,
          currency: t.currency,
          order_id: t.orderId,
          at: toDarTime(t.createdAt),
        })),
      }),
    );
    app.get(
      '/ledger/reconcile',
      {
        schema: {
          ...s,
          summary: 'Check the ledger invariants now',
          response: {
            200: z.object({ ok: z.boolean(), problems: z.array(z.string()) }),
            ...problems(401, 403),
          },
        },
      },
      async () => {
        const problemsFound = await orders.reconcile();
        return { ok: problemsFound.length === 0, problems: problemsFound };
      },
    );
  };
}
