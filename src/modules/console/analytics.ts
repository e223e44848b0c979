// Analytics: unit economics first (the seed's warning is "blind growth → margin bleed"), then the
// marketplace's figures, their trend, top sellers and products, and cohorts, for a period and filters.
// Every number comes from the analytics module, which reconciles with the ledger; this only renders.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { adminOf } from './guard.js';
import { type Html, html } from './html.js';
import { money, page, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .optional()
  .catch(undefined);
export const analyticsFilters = z.object({
  from: day,
  to: day,
  grain: z.enum(['day', 'week', 'month']).optional().catch(undefined),
  zone: z.uuid().optional().catch(undefined),
  category: z.uuid().optional().catch(undefined),
  seller: z.uuid().optional().catch(undefined),
  promotion: z.uuid().optional().catch(undefined),
});
export type AnalyticsFilters = z.infer<typeof analyticsFilters>;
const UE_GROUPS = ['week', 'zone', 'category', 'seller'] as const;

/** The filters as a query string (no leading "?"), for links that keep them: drill-downs and CSV. */
export function filterQuery(q: AnalyticsFilters, extra: Record<string, string> = {}): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...q, ...extra })) if (v) out.set(k, v);
  return out.toString();
}

/** Basis points as a percentage with one decimal, in integers ("1234" → "12.3%"). */
export function percent(bp: number | null): string {
  if (bp === null) return '—';
  const sign = bp < 0 ? '-' : '';
  const abs = Math.abs(bp);
  return `${sign}${Math.trunc(abs / 100)}.${Math.trunc((abs % 100) / 10)}%`;
}

/**
 * A chart the analytics module drew on the server, shown as an image: an SVG in an <img> runs no
 * script and its inline styles stay inside it, so the page keeps its strict CSP (img-src data:).
 */
export function chart(svg: string, alt: string): Html {
  return html`<img class="chart" alt="${alt}" src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}">`;
}

export function analyticsRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  app.get('/analytics', { schema: { hide: true } }, async (request, reply) => {
    const admin = adminOf(request);
    const q = analyticsFilters.parse(request.query ?? {});
    const by = z
      .enum(UE_GROUPS)
      .catch('week')
      .parse((request.query as Record<string, unknown> | undefined)?.by);
    // A number opens to its orders; a table downloads as CSV (the analytics module's own tables).
    const drill = (figure: string, shown: Html | string, extra: Record<string, string> = {}) =>
      html`<a href="/admin/analytics/orders?${filterQuery(q, { figure, ...extra })}" data-drill="${figure}">${shown}</a>`;
    const csv = (name: string, extra: Record<string, string> = {}) =>
      html`<a class="csv" href="/admin/analytics/export?${filterQuery(q, { table: name, ...extra })}" data-csv="${name}">CSV</a>`;
    const form = html`<form method="get" action="/admin/analytics" class="filters">
      <label>From <input type="date" name="from" value="${q.from ?? ''}"></label>
      <label>To <input type="date" name="to" value="${q.to ?? ''}"></label>
      <label>By <select name="grain">${(['day', 'week', 'month'] as const).map((g) => html`<option value="${g}" ${g === (q.grain ?? 'day') ? 'selected' : ''}>${g}</option>`)}</select></label>
      <label>Zone id <input name="zone" value="${q.zone ?? ''}"></label>
      <label>Category id <input name="category" value="${q.category ?? ''}"></label>
      <label>Seller id <input name="seller" value="${q.seller ?? ''}"></label>
      <label>Promotion id <input name="promotion" value="${q.promotion ?? ''}"></label>
      <label>Unit economics by <select name="by">${UE_GROUPS.map((g) => html`<option value="${g}" ${g === by ? 'selected' : ''}>${g}</option>`)}</select></label>
      <button type="submit">Show</button></form>`;
    let data: Awaited<ReturnType<ConsoleDeps['analytics']['page']>>;
    try {
      data = await deps.analytics.page({ ...q, by });
    } catch (err) {
      // A filter the module refuses (an unknown zone, a range too long) is shown, never a 500.
      if (!(err instanceof AppError)) throw err;
      const body = html`${form}<p class="flash error" data-error="${err.code}">${err.message}</p>`;
      return reply
        .code(err.status)
        .type('text/html')
        .send(page('Analytics', admin, body).value);
    }
    const ue = data.unit_economics;
    const t = ue.total;
    const unit = table(
      [
        'Orders',
        'GMV',
        'Take',
        'Incentives',
        'Late compensation',
        'Refunds absorbed',
        'Payment fees',
        'Message costs',
        'Contribution',
        'Per order',
      ],
      [
        html`<tr data-row="unit-total"><td class="num">${drill('orders', String(t.orders))}</td><td class="num">${money(t.gmv)}</td><td class="num">${money(t.take)}</td><td class="num">${money(t.incentives)}</td><td class="num">${money(t.late_compensation)}</td><td class="num">${money(t.absorbed_refunds)}</td><td class="num">${money(t.payment_fees)}</td><td class="num">${money(t.message_costs)}</td><td class="num" data-figure="contribution">${drill('loss_making', money(t.contribution))}</td><td class="num" data-figure="contribution-per-order">${money(t.contribution_per_order)}</td></tr>`,
      ],
    );
    const groupKey = (key: string) =>
      by === 'seller' ? html`<a href="/admin/people/${key}">${key}</a>` : html`${key}`;
    const groups = table(
      [by, 'Orders', 'GMV', 'Take', 'Incentives', 'Costs', 'Contribution', 'Per order'],
      ue.items.map(
        (g) =>
          html`<tr data-row="unit-group" data-key="${g.key}"><td>${groupKey(g.key)}</td><td class="num">${g.orders}</td><td class="num">${money(g.gmv)}</td><td class="num">${money(g.take)}</td><td class="num">${money(g.incentives)}</td><td class="num">${money(g.late_compensation + g.absorbed_refunds + g.payment_fees + g.message_costs)}</td><td class="num">${money(g.contribution)}</td><td class="num">${money(g.contribution_per_order)}</td></tr>`,
      ),
      'No orders in this range.',
    );
    const f = data.summary.totals;
    const figures = table(
      [
        'GMV',
        'Orders',
        'Average order',
        'Take',
        'Incentives',
        'of GMV',
        'Refund rate',
        'Dispute rate',
        'On time',
        'Acceptance',
        'New buyers',
        'Repeat buyers',
      ],
      [
        html`<tr data-row="figures"><td class="num" data-figure="gmv">${drill('gmv', money(f.gmv))}</td><td class="num" data-figure="orders">${drill('orders', String(f.orders))}</td><td class="num">${money(f.average_order_value)}</td><td class="num">${drill('take', money(f.take))}</td><td class="num">${drill('incentives', money(f.incentives.total))}</td><td class="num">${percent(f.incentives.share_of_gmv_bp)}</td><td class="num">${drill('refunded', percent(f.refund_rate_bp))}</td><td class="num">${drill('disputed', percent(f.dispute_rate_bp))}</td><td class="num">${drill('late', percent(f.on_time_rate_bp))}</td><td class="num">${drill('refused', percent(f.acceptance_rate_bp))}</td><td class="num">${drill('new_buyers', String(f.new_buyers))}</td><td class="num">${drill('repeat_buyers', String(f.repeat_buyers))}</td></tr>`,
      ],
    );
    const series = table(
      ['Period', 'Orders', 'GMV', 'Take', 'Incentives'],
      data.summary.series.map(
        (s) =>
          html`<tr data-row="period"><td>${s.period}</td><td class="num">${drill('orders', String(s.orders), { period: s.period })}</td><td class="num">${money(s.gmv)}</td><td class="num">${money(s.take)}</td><td class="num">${money(s.incentives.total)}</td></tr>`,
      ),
    );
    const topSellers = table(
      ['Seller', 'Orders', 'GMV', 'Contribution'],
      data.top.sellers.map(
        (x) =>
          html`<tr data-row="top-seller"><td><a href="/admin/analytics?seller=${x.seller_id}">${x.shop_name || x.seller_id}</a></td><td class="num">${x.orders}</td><td class="num">${money(x.gmv)}</td><td class="num">${money(x.contribution)}</td></tr>`,
      ),
      'No orders in this range.',
    );
    const topProducts = table(
      ['Product', 'Units', 'Paid for it', 'Orders'],
      data.top.products.map(
        (x) =>
          html`<tr data-row="top-product"><td>${x.title}</td><td class="num">${x.units}</td><td class="num">${money(x.amount)}</td><td class="num">${x.orders}</td></tr>`,
      ),
      'No orders in this range.',
    );
    // Cohorts: buyers by the ISO week of their first paid order, and how many ordered again k weeks later.
    const weeks = Math.min(8, Math.max(1, ...data.cohorts.map((c) => c.active.length)));
    const cohorts = table(
      ['First week', 'Buyers', ...Array.from({ length: weeks }, (_, k) => `+${k} w`)],
      data.cohorts.map(
        (c) =>
          html`<tr data-row="cohort"><td>${c.cohort}</td><td class="num">${c.buyers}</td>${Array.from({ length: weeks }, (_, k) => html`<td class="num">${c.active[k] ?? 0}</td>`)}</tr>`,
      ),
      'No new buyers in this range.',
    );
    const body = html`${form}
      <h2>Unit economics ${csv('unit-economics', { by })}</h2>${unit}${chart(ue.chart, 'Contribution per order, by week')}
      <h3>By ${by} <span class="muted">(worst contribution first)</span></h3>${groups}
      <h2>The marketplace ${csv('summary')}</h2>${figures}
      ${chart(data.summary.charts.gmv, 'GMV, take and incentives')}
      ${chart(data.summary.charts.orders, 'Orders, new and repeat buyers')}
      <h2>By period ${csv('summary')}</h2>${series}
      <h2>Top sellers ${csv('top-sellers')}</h2>${topSellers}
      <h2>Top products ${csv('top-products')}</h2>${topProducts}
      <h2>New buyers by week of first order ${csv('cohorts')}</h2>${cohorts}
      <p class="muted">Every number that is a link opens to its orders; every table is CSV.
      <a href="/admin/analytics/reconciliation?${filterQuery(q)}">Reconcile these figures with the ledger</a>.</p>`;
    return reply.type('text/html').send(page('Analytics', admin, body).value);
  });
}
