// Promotions: each with its budget, money burned so far (and per day, charted), uses, unique buyers,
// budget left and the days it lasts at the last week's pace;
// create, edit (name, budget, end, priority) and switch off, each with a reason. Forms are held to
// the API's own input schemas (promotionInputSchemas), then the promotions service does the rest.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { MONEY_UNIT } from '../../shared/money.js';
import { DAY, toDarTime } from '../../shared/time.js';
import { localDay, renderChart } from '../analytics/index.js';
import { promotionInputSchemas } from '../promotions/index.js';
import { chart, filterQuery } from './analytics.js';
import { doneUrl, flashOf, formValue, idParam, requireReason } from './forms.js';
import { adminOf } from './guard.js';
import { html } from './html.js';
import { csrfField, darTime, money, page, reasonField, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';

/** The form's Dar es Salaam wall time ("2026-12-01T08:00") as an instant with its offset. */
export function darInstant(raw: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(raw) ? `${raw}:00+03:00` : raw;
}
/** A whole-shilling figure typed in a form, as minor units (left as text when it is not a number, so the schema names it). */
export function minor(raw: string): number | string {
  return /^\d{1,12}$/.test(raw) ? Number(raw) * MONEY_UNIT : raw;
}
/**
 * The discount of a promotion or code form: a fixed amount in whole shillings, or a percentage with
 * at most two decimals as basis points (the regex keeps the rounding exact); anything else is passed
 * on as typed so the API's schema refuses it with its own message.
 */
export function discountFromForm(f: (name: string) => string) {
  return f('value_type') === 'fixed'
    ? { type: 'fixed', amount: minor(f('amount')) }
    : {
        type: 'percentage',
        percent_bp: /^\d{1,3}(\.\d{1,2})?$/.test(f('percent'))
          ? Math.round(Number(f('percent')) * 100)
          : f('percent'),
        cap_amount: f('cap') ? minor(f('cap')) : null,
      };
}
export function int(raw: string): number | string {
  return /^\d{1,9}$/.test(raw) ? Number(raw) : raw;
}

export function parsed<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const first = r.error.issues[0]!;
  const field = first.path.join('.') || 'form';
  throw new AppError('VALIDATION_FAILED', 422, `${field}: ${first.message}`, { field });
}

function promotionFromForm(request: FastifyRequest) {
  const f = (n: string) => formValue(request, n);
  const value = discountFromForm(f);
  const scope =
    f('scope_type') && f('scope_type') !== 'all'
      ? { type: f('scope_type'), id: f('scope_id') }
      : { type: 'all' };
  return parsed(promotionInputSchemas.promotionBody, {
    name: f('name'),
    value,
    scope,
    starts_at: darInstant(f('starts_at')),
    ends_at: darInstant(f('ends_at')),
    priority: int(f('priority') || '0'),
    budget_amount: minor(f('budget')),
    per_buyer_limit: f('per_buyer_limit') ? int(f('per_buyer_limit')) : null,
    active: f('active') === 'on',
  });
}

const createForm = (
  csrf: string,
) => html`<form method="post" action="/admin/promotions" class="card stack">${csrfField(csrf)}
<label>Name <input name="name" required maxlength="120"></label>
<label>Kind <select name="value_type"><option value="percentage">percentage off</option><option value="fixed">fixed amount off each unit</option></select></label>
<label>Percent off <input name="percent" inputmode="decimal" placeholder="e.g. 10"></label>
<label>Cap per unit (TZS, optional) <input name="cap" inputmode="numeric"></label>
<label>Fixed amount off (TZS) <input name="amount" inputmode="numeric"></label>
<label>Applies to <select name="scope_type"><option value="all">everything</option><option value="category">a category</option><option value="brand">a brand</option><option value="product">a product</option></select></label>
<label>Category / brand / product id <input name="scope_id"></label>
<label>Starts (Dar es Salaam time) <input name="starts_at" type="datetime-local" required></label>
<label>Ends <input name="ends_at" type="datetime-local" required></label>
<label>Priority <input name="priority" inputmode="numeric" value="0"></label>
<label>Budget (TZS) <input name="budget" inputmode="numeric" required></label>
<label>Uses per buyer (optional) <input name="per_buyer_limit" inputmode="numeric"></label>
<label><input type="checkbox" name="active" checked> Active</label>
<button type="submit">Create promotion</button></form>`;

export function promotionRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const { promotions } = deps;
  const hide = { schema: { hide: true } };

  app.get('/promotions', hide, async (request, reply) => {
    const admin = adminOf(request);
    const list = await promotions.listPromotions();
    const reports = await Promise.all(list.map((p) => promotions.getPromotion(p.id)));
    const rows = reports.map(({ promotion: p, report: r }) => {
      const value =
        p.valueKind === 'percentage' ? `${(p.percentBp ?? 0) / 100}%` : money(p.fixedAmount ?? 0, p.currency);
      return html`<tr><td><a href="/admin/promotions/${p.id}">${p.name}</a></td><td>${value}</td><td>${p.active ? 'on' : 'off'}</td><td class="num">${money(p.budgetAmount, p.currency)}</td><td class="num">${money(r.burned_amount, p.currency)}</td><td class="num">${r.uses}</td><td class="num">${r.unique_buyers}</td><td class="num">${money(r.budget_left, p.currency)}</td><td>${darTime(p.endsAt)}</td></tr>`;
    });
    const body = html`${table(['Promotion', 'Value', 'Active', 'Budget', 'Burned', 'Uses', 'Buyers', 'Budget left', 'Ends'], rows, 'No promotions yet.')}
<p><a href="/admin/codes">Discount codes</a></p>
<h2>New promotion</h2>${createForm(admin.csrf)}`;
    return reply.type('text/html').send(page('Promotions', admin, body, flashOf(request)).value);
  });

  app.post('/promotions', hide, async (request, reply) => {
    const input = promotionFromForm(request);
    const created = await promotions.createPromotion(adminOf(request).userId, input);
    return reply.redirect(doneUrl(`/admin/promotions/${created.id}`, 'created'), 303);
  });

  app.get('/promotions/:id', hide, async (request, reply) => {
    const admin = adminOf(request);
    const { promotion: p, report: r } = await promotions.getPromotion(idParam(request));
    const burn = await promotions.promotionBurn(p.id);
    const ends = toDarTime(p.endsAt).slice(0, 16);
    const exhaustion =
      burn.days_to_exhaustion === null
        ? 'no burn in the last 7 days'
        : burn.days_to_exhaustion === 0
          ? 'spent'
          : `${burn.days_to_exhaustion} days at the pace of the last 7 days`;
    const burnChart = renderChart({
      title: 'Money burned per day, last 30 days',
      labels: burn.per_day.map((d) => d.day.slice(5)),
      series: [{ name: 'burned', values: burn.per_day.map((d) => d.amount), kind: 'bar' }],
      money: true,
    });
    // Its own contribution: the unit economics of the orders it discounted, from its start (at most
    // the analytics module's year) to today, by week.
    const today = localDay(deps.clock.now());
    const yearAgo = localDay(new Date(deps.clock.now().getTime() - 365 * DAY));
    const start = localDay(p.startsAt);
    // Its start, no earlier than a year ago, no later than today (YYYY-MM-DD sorts as text).
    const from = [[start, yearAgo].sort()[1]!, today].sort()[0]!;
    const ue = await deps.analytics.service.unitEconomics({
      promotion: p.id,
      from,
      to: today,
      grain: 'week',
      by: 'week',
    });
    const u = ue.total;
    const scope = { promotion: p.id, from, to: today, grain: 'week' as const };
    const contributionChart = renderChart({
      title: 'Contribution per order of its orders, by week',
      labels: ue.trend.map((w) => w.key),
      series: [
        {
          name: 'contribution per order',
          values: ue.trend.map((w) => w.contribution_per_order),
          kind: 'bar',
        },
      ],
      money: true,
    });
    const contribution = html`<h2>Its contribution <span class="muted">(orders it discounted, ${from} to ${today})</span></h2>
${table(
  ['Orders', 'GMV', 'Take', 'Incentives', 'Costs', 'Contribution', 'Per order'],
  [
    html`<tr data-row="promotion-contribution"><td class="num"><a href="/admin/analytics/orders?${filterQuery(scope, { figure: 'orders' })}">${u.orders}</a></td><td class="num">${money(u.gmv, p.currency)}</td><td class="num">${money(u.take, p.currency)}</td><td class="num">${money(u.incentives, p.currency)}</td><td class="num">${money(u.late_compensation + u.absorbed_refunds + u.payment_fees + u.message_costs, p.currency)}</td><td class="num" data-figure="contribution">${money(u.contribution, p.currency)}</td><td class="num" data-figure="contribution-per-order">${money(u.contribution_per_order, p.currency)}</td></tr>`,
  ],
)}
${chart(contributionChart, 'Contribution per order of its orders, by week')}
<p><a href="/admin/analytics?${filterQuery(scope)}">Its figures on the analytics page</a></p>`;
    const body = html`<table><tbody>
<tr><th>Name</th><td>${p.name}</td></tr>
<tr><th>Active</th><td>${p.active ? 'on' : 'off'}</td></tr>
<tr><th>Window</th><td>${darTime(p.startsAt)} → ${darTime(p.endsAt)}</td></tr>
<tr><th>Budget</th><td>${money(p.budgetAmount, p.currency)}</td></tr>
<tr><th>Burned so far</th><td>${money(r.burned_amount, p.currency)}</td></tr>
<tr><th>Uses / unique buyers</th><td>${r.uses} / ${r.unique_buyers}</td></tr>
<tr><th>Budget left</th><td class="budget-left">${money(r.budget_left, p.currency)}</td></tr>
<tr><th>Days to exhaustion</th><td data-figure="days-to-exhaustion">${exhaustion}</td></tr>
</tbody></table>
${chart(burnChart, 'Money burned per day, last 30 days')}
${contribution}
<div class="side-by-side">
<form method="post" action="/admin/promotions/${p.id}/edit" class="card stack">${csrfField(admin.csrf)}
<label>Name <input name="name" value="${p.name}" maxlength="120"></label>
<label>Budget (TZS) <input name="budget" inputmode="numeric" value="${String(p.budgetAmount / MONEY_UNIT)}"></label>
<label>Ends <input name="ends_at" type="datetime-local" value="${ends}"></label>
<label>Priority <input name="priority" inputmode="numeric" value="${String(p.priority)}"></label>
${reasonField()}<button type="submit">Save changes</button></form>
${p.active ? html`<form method="post" action="/admin/promotions/${p.id}/switch-off" class="card">${csrfField(admin.csrf)}${reasonField()}<button type="submit" class="danger">Switch off</button></form>` : ''}
</div>`;
    return reply.type('text/html').send(page('Promotion', admin, body, flashOf(request)).value);
  });

  app.post('/promotions/:id/edit', hide, async (request, reply) => {
    const id = idParam(request);
    const reason = requireReason(request);
    const f = (n: string) => formValue(request, n);
    const patch = parsed(promotionInputSchemas.promotionPatch, {
      reason,
      ...(f('name') ? { name: f('name') } : {}),
      ...(f('budget') ? { budget_amount: minor(f('budget')) } : {}),
      ...(f('ends_at') ? { ends_at: darInstant(f('ends_at')) } : {}),
      ...(f('priority') ? { priority: int(f('priority')) } : {}),
    });
    await promotions.updatePromotion(adminOf(request).userId, id, patch);
    return reply.redirect(doneUrl(`/admin/promotions/${id}`, 'saved'), 303);
  });

  app.post('/promotions/:id/switch-off', hide, async (request, reply) => {
    const id = idParam(request);
    await promotions.updatePromotion(adminOf(request).userId, id, {
      active: false,
      reason: requireReason(request),
    });
    return reply.redirect(doneUrl(`/admin/promotions/${id}`, 'switched_off'), 303);
  });
}
