// Admin JSON (and CSV) API over the analytics service: thin, admin only, problem+json errors.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, requireAuth } from '../../shared/auth.js';
import { problems } from '../../shared/errors.js';
import { toDarTime } from '../../shared/time.js';
import { DRILL_FIGURES } from './drill.js';
import { GRAINS } from './model.js';
import type { AnalyticsService } from './service.js';
import {
  cohortsCsv,
  ordersCsv,
  summaryCsv,
  topProductsCsv,
  topSellersCsv,
  unitEconomicsCsv,
} from './tables.js';
import { UNIT_GROUPS } from './unit-economics.js';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date, YYYY-MM-DD');
const baseQuery = z.strictObject({
  from: day.optional().describe('first Dar es Salaam day (default: 29 days before `to`)'),
  to: day.optional().describe('last Dar es Salaam day, inclusive (default: today)'),
  grain: z.enum(GRAINS).default('day'),
  zone: z.uuid().optional().describe('delivery zone id: orders delivered into it'),
  category: z.uuid().optional().describe('category id: orders whose main line is in it or below it'),
  seller: z.uuid().optional().describe('seller user id'),
  promotion: z.uuid().optional().describe('promotion id: orders with a line it discounted'),
  format: z
    .enum(['json', 'csv'])
    .optional()
    .describe('csv: the table as text/csv (or send Accept: text/csv)'),
});

const range = z.object({ from: z.string(), to: z.string(), grain: z.enum(GRAINS) });
const int = z.number().int();
const figures = z.object({
  orders: int,
  gmv: int,
  average_order_value: int,
  take: int,
  incentives: z.object({
    promotion: int,
    code: int,
    loyalty: int,
    referral: int,
    late_compensation: int,
    total: int,
    share_of_gmv_bp: int,
  }),
  refunds: int,
  refund_rate_bp: int,
  dispute_rate_bp: int,
  on_time_rate_bp: int.nullable(),
  acceptance_rate_bp: int.nullable(),
  new_buyers: int,
  repeat_buyers: int,
});
const unitRow = z.object({
  key: z.string(),
  orders: int,
  gmv: int,
  take: int,
  incentives: int,
  late_compensation: int,
  absorbed_refunds: int,
  payment_fees: int,
  message_costs: int,
  contribution: int,
  contribution_per_order: int,
});
const summaryReply = z.object({
  range,
  currency: z.string(),
  totals: figures,
  series: z.array(figures.extend({ period: z.string() })),
});
const unitsReply = z.object({
  range,
  currency: z.string(),
  by: z.enum(UNIT_GROUPS),
  items: z.array(unitRow),
  total: unitRow,
  trend: z.array(unitRow).describe('contribution week by week'),
});
const cohortsReply = z.object({
  range,
  items: z.array(z.object({ cohort: z.string(), buyers: int, active: z.array(int) })),
});
const topReply = z.object({
  range,
  currency: z.string(),
  products: z.array(
    z.object({ product_id: z.string(), title: z.string(), units: int, amount: int, orders: int }),
  ),
  sellers: z.array(
    z.object({ seller_id: z.string(), shop_name: z.string(), orders: int, gmv: int, contribution: int }),
  ),
});
const orderItem = z.object({
  order_id: z.string(),
  paid_at: z.string(),
  status: z.string(),
  buyer_id: z.string(),
  seller_id: z.string(),
  zone: z.string().nullable(),
  category_id: z.string().nullable(),
  gmv: int,
  take: int,
  incentives: int,
  late_compensation: int,
  absorbed_refunds: int,
  refunds: int,
  payment_fees: int,
  message_costs: int,
  contribution: int,
});
const ordersReply = z.object({
  range,
  figure: z.enum(DRILL_FIGURES),
  currency: z.string(),
  items: z.array(orderItem),
  next_cursor: z.string().nullable(),
});
const reconcileReply = z.object({
  range,
  orders: int,
  ok: z.boolean(),
  lines: z.array(z.object({ figure: z.string(), analytics: int, ledger: int, rule: z.string() })),
  problems: z.array(z.string()),
});

/** A 200 that is JSON, or the same table as CSV. */
const jsonOrCsv = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema }, 'text/csv': { schema: z.string() } },
});

const wantsCsv = (request: FastifyRequest, format: 'json' | 'csv' | undefined) =>
  format === 'csv' || (format === undefined && /\btext\/csv\b/i.test(request.headers.accept ?? ''));

function sendCsv(reply: FastifyReply, name: string, body: string) {
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.csv"`)
    .send(body);
}

export function analyticsAdminRoutes(deps: { analytics: AnalyticsService }): FastifyPluginAsyncZod {
  const { analytics } = deps;
  return async (app) => {
    const isAdmin = requireAuth('admin');
    const s = { security: bearerSecurity, tags: ['admin', 'analytics'] };
    const errors = problems(400, 401, 403, 422);

    app.get(
      '/analytics/summary',
      {
        preHandler: isAdmin,
        schema: {
          ...s,
          summary: 'GMV, orders, AOV, take, incentives, rates, buyers: in total and per Dar es Salaam period',
          querystring: baseQuery,
          response: { 200: jsonOrCsv(summaryReply, 'Figures; CSV: one row per period'), ...errors },
        },
      },
      async (request, reply) => {
        const out = await analytics.summary(request.query);
        if (wantsCsv(request, request.query.format)) return sendCsv(reply, 'summary', summaryCsv(out.series));
        return reply.send(out);
      },
    );

    app.get(
      '/analytics/unit-economics',
      {
        preHandler: isAdmin,
        schema: {
          ...s,
          summary:
            'Contribution per order (take less every platform cost), by week, zone, category, seller or order',
          querystring: baseQuery.extend({ by: z.enum(UNIT_GROUPS).default('week') }),
          response: {
            200: jsonOrCsv(unitsReply, 'Unit economics; CSV: one row per group and the total'),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const out = await analytics.unitEconomics(request.query);
        if (wantsCsv(request, request.query.format))
          return sendCsv(reply, `unit-economics-${out.by}`, unitEconomicsCsv(out.by, out.items, out.total));
        return reply.send(out);
      },
    );

    app.get(
      '/analytics/cohorts',
      {
        preHandler: isAdmin,
        schema: {
          ...s,
          summary: 'Buyers by ISO week of their first paid order, and how many ordered in each later week',
          querystring: baseQuery,
          response: { 200: jsonOrCsv(cohortsReply, 'Cohorts; CSV: one row per cohort'), ...errors },
        },
      },
      async (request, reply) => {
        const out = await analytics.cohorts(request.query);
        if (wantsCsv(request, request.query.format)) return sendCsv(reply, 'cohorts', cohortsCsv(out.items));
        return reply.send(out);
      },
    );

    app.get(
      '/analytics/top',
      {
        preHandler: isAdmin,
        schema: {
          ...s,
          summary: 'Top products (by what buyers paid for them) and top sellers (by GMV)',
          querystring: baseQuery.extend({
            limit: z.coerce.number().int().min(1).max(100).default(10),
            table: z.enum(['products', 'sellers']).default('products').describe('which table the CSV holds'),
          }),
          response: { 200: jsonOrCsv(topReply, 'Top tables; CSV: the table asked for'), ...errors },
        },
      },
      async (request, reply) => {
        const out = await analytics.top(request.query);
        if (wantsCsv(request, request.query.format))
          return request.query.table === 'sellers'
            ? sendCsv(reply, 'top-sellers', topSellersCsv(out.sellers))
            : sendCsv(reply, 'top-products', topProductsCsv(out.products));
        return reply.send(out);
      },
    );

    app.get(
      '/analytics/orders',
      {
        preHandler: isAdmin,
        schema: {
          ...s,
          summary: 'The orders behind a figure (drill-down), oldest payment first, paged',
          querystring: baseQuery.extend({
            figure: z.enum(DRILL_FIGURES).default('orders'),
            period: day.optional().describe('only this period (its first day, as the summary names it)'),
            limit: z.coerce.number().int().min(1).max(500).default(50),
            cursor: z.string().max(200).optional(),
          }),
          response: { 200: jsonOrCsv(ordersReply, 'Orders with their economics; CSV: this page'), ...errors },
        },
      },
      async (request, reply) => {
        const out = await analytics.orders(request.query);
        if (wantsCsv(request, request.query.format))
          return sendCsv(reply, `orders-${out.figure}`, ordersCsv(out.items));
        return reply.send({
          ...out,
          items: out.items.map(({ fact: o, economics: e }) => ({
            order_id: o.id,
            paid_at: toDarTime(o.paidAt),
            status: o.status,
            buyer_id: o.buyerId,
            seller_id: o.sellerId,
            zone: o.zone,
            category_id: o.categoryId,
            gmv: e.gmv,
            take: e.take,
            incentives: e.incentives,
            late_compensation: e.lateCompensation,
            absorbed_refunds: e.absorbedRefunds,
            refunds: e.refunds,
            payment_fees: e.paymentFees,
            message_costs: e.messageCosts,
            contribution: e.contribution,
          })),
        });
      },
    );

    app.get(
      '/analytics/reconciliation',
      {
        preHandler: isAdmin,
        schema: {
          ...s,
          summary: "Do the analytics money figures equal the ledger's sums for the same orders?",
          querystring: baseQuery.omit({ format: true }),
          response: { 200: reconcileReply, ...errors },
        },
      },
      async (request) => analytics.reconcile(request.query),
    );
  };
}
