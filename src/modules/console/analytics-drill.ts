// Analytics behind the numbers: the orders that make up one figure (each linked to its order page),
// paged, and every analytics table as CSV for the console's session (the admin API's CSV needs a
// bearer token). Both read the analytics module and its own CSV tables; nothing is computed here.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  cohortsCsv,
  DRILL_FIGURES,
  ordersCsv,
  summaryCsv,
  topProductsCsv,
  topSellersCsv,
  UNIT_GROUPS,
  unitEconomicsCsv,
} from '../analytics/index.js';
import { analyticsFilters, filterQuery } from './analytics.js';
import { adminOf } from './guard.js';
import { html } from './html.js';
import { money, page, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';

const DRILL_PAGE = 50;
/** The most orders one CSV of a figure's orders holds (the drill-down's pages are keyset-paged). */
const ORDERS_CSV_MAX = 10_000;

const drillQuery = z.object({
  figure: z.enum(DRILL_FIGURES).catch('orders'),
  period: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional()
    .catch(undefined),
  cursor: z.string().max(200).optional().catch(undefined),
});

const TABLES = ['summary', 'unit-economics', 'cohorts', 'top-sellers', 'top-products', 'orders'] as const;
const exportQuery = z.object({
  table: z.enum(TABLES),
  by: z.enum(UNIT_GROUPS).catch('week'),
});

function sendCsv(reply: import('fastify').FastifyReply, name: string, body: string) {
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.csv"`)
    .send(body);
}

export function analyticsDrillRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const hide = { schema: { hide: true } };
  const analytics = deps.analytics.service;

  app.get('/analytics/orders', hide, async (request, reply) => {
    const admin = adminOf(request);
    const q = analyticsFilters.parse(request.query ?? {});
    const d = drillQuery.parse(request.query ?? {});
    const out = await analytics.orders({ ...q, ...d, limit: DRILL_PAGE });
    const rows = out.items.map(
      ({ fact: o, economics: e }) =>
        html`<tr data-order="${o.id}"><td><a href="/admin/orders/${o.id}">${o.id.slice(0, 8)}</a></td><td>${o.status}</td><td>${o.zone ?? ''}</td><td class="num">${money(e.gmv)}</td><td class="num">${money(e.take)}</td><td class="num">${money(e.incentives)}</td><td class="num">${money(e.refunds)}</td><td class="num">${money(e.paymentFees + e.messageCosts)}</td><td class="num" data-contribution="${String(e.contribution)}">${money(e.contribution)}</td></tr>`,
    );
    const keep = { figure: out.figure, ...(d.period ? { period: d.period } : {}) };
    const body = html`<p>Figure <strong data-figure="${out.figure}">${out.figure}</strong>, ${out.range.from} to ${out.range.to}${d.period ? html`, period ${d.period}` : ''}.
<a href="/admin/analytics?${filterQuery(q)}">Back to the figures</a> ·
<a class="csv" href="/admin/analytics/export?${filterQuery(q, { table: 'orders', ...keep })}" data-csv="orders">CSV</a></p>
${table(['Order', 'Status', 'Zone', 'GMV', 'Take', 'Incentives', 'Refunds', 'Fees and messages', 'Contribution'], rows, 'No orders make up this figure.')}
${out.next_cursor ? html`<p><a rel="next" href="/admin/analytics/orders?${filterQuery(q, { ...keep, cursor: out.next_cursor })}">Next ${DRILL_PAGE}</a></p>` : ''}`;
    return reply.type('text/html').send(page('Analytics: orders', admin, body).value);
  });

  // The money figures of the same filters against the escrow ledger's sums for the same orders.
  app.get('/analytics/reconciliation', hide, async (request, reply) => {
    const admin = adminOf(request);
    const q = analyticsFilters.parse(request.query ?? {});
    const out = await analytics.reconcile(q);
    const rows = out.lines.map(
      (l) =>
        html`<tr data-figure="${l.figure}" class="${l.analytics === l.ledger ? '' : 'error'}"><td>${l.figure}</td><td class="num">${money(l.analytics)}</td><td class="num">${money(l.ledger)}</td><td class="num" data-difference="${String(l.analytics - l.ledger)}">${money(l.analytics - l.ledger)}</td><td class="muted">${l.rule}</td></tr>`,
    );
    const body = html`<p>${out.orders} orders, ${out.range.from} to ${out.range.to}. <a href="/admin/analytics?${filterQuery(q)}">Back to the figures</a></p>
${out.ok ? html`<p class="reconcile-ok" data-reconciled="yes">Every money figure equals the ledger's sum for the same orders.</p>` : html`<p class="error" role="alert" data-reconciled="no">${out.problems.length} figure(s) differ from the ledger.</p>`}
${table(['Figure', 'Analytics', 'Ledger', 'Difference', 'Ledger rule'], rows)}
<p class="muted">Payment fees and message costs are estimates and are not in the ledger.</p>`;
    return reply.type('text/html').send(page('Analytics: reconciliation', admin, body).value);
  });

  app.get('/analytics/export', hide, async (request, reply) => {
    const q = analyticsFilters.parse(request.query ?? {});
    const parsed = exportQuery.safeParse(request.query ?? {});
    if (!parsed.success)
      return reply
        .code(422)
        .type('text/html')
        .send(
          page(
            'Cannot do that',
            adminOf(request),
            html`<p class="error" role="alert">Which table? One of ${TABLES.join(', ')}.</p>`,
          ).value,
        );
    const { table: name, by } = parsed.data;
    switch (name) {
      case 'summary': {
        const out = await analytics.summary(q);
        return sendCsv(reply, 'summary', summaryCsv(out.series));
      }
      case 'unit-economics': {
        const out = await analytics.unitEconomics({ ...q, by });
        return sendCsv(reply, `unit-economics-${out.by}`, unitEconomicsCsv(out.by, out.items, out.total));
      }
      case 'cohorts': {
        const out = await analytics.cohorts(q);
        return sendCsv(reply, 'cohorts', cohortsCsv(out.items));
      }
      case 'top-sellers':
      case 'top-products': {
        const out = await analytics.top({ ...q, limit: 100 });
        return name === 'top-sellers'
          ? sendCsv(reply, name, topSellersCsv(out.sellers))
          : sendCsv(reply, name, topProductsCsv(out.products));
      }
      case 'orders': {
        const d = drillQuery.parse(request.query ?? {});
        const out = await analytics.orders({ ...q, ...d, cursor: undefined, limit: ORDERS_CSV_MAX });
        return sendCsv(reply, `orders-${out.figure}`, ordersCsv(out.items));
      }
    }
  });
}
