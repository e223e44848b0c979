// Discount codes (the "codes" of Promotions and codes): each with its uses, unique buyers, money
// burned and budget left; create, edit (budget, end, limits) and switch off with a reason. Forms are
// held to the API's own input schemas (promotionInputSchemas.codeBody / codePatch), then the
// promotions service does the rest (its rules, its audit rows).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MONEY_UNIT } from '../../shared/money.js';
import { toDarTime } from '../../shared/time.js';
import { promotionInputSchemas } from '../promotions/index.js';
import { doneUrl, flashOf, formValue, idParam, requireReason } from './forms.js';
import { adminOf } from './guard.js';
import { html } from './html.js';
import { csrfField, darTime, money, page, reasonField, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';
import { darInstant, discountFromForm, int, minor, parsed } from './promotions.js';

type Code = Awaited<ReturnType<ConsoleDeps['promotions']['getCode']>>['code'];

const codeValue = (c: Code) =>
  c.valueKind === 'percentage'
    ? `${(c.percentBp ?? 0) / 100}%${c.capAmount ? ` (at most ${money(c.capAmount, c.currency)} a unit)` : ''}`
    : money(c.fixedAmount ?? 0, c.currency);

function codeFromForm(request: FastifyRequest) {
  const f = (n: string) => formValue(request, n);
  const value = discountFromForm(f);
  return parsed(promotionInputSchemas.codeBody, {
    code: f('code'),
    value,
    min_order_amount: minor(f('min_order') || '0'),
    starts_at: darInstant(f('starts_at')),
    ends_at: darInstant(f('ends_at')),
    max_uses: f('max_uses') ? int(f('max_uses')) : null,
    per_buyer_limit: f('per_buyer_limit') ? int(f('per_buyer_limit')) : null,
    budget_amount: f('budget') ? minor(f('budget')) : null,
    active: f('active') === 'on',
  });
}

const createForm = (
  csrf: string,
) => html`<form method="post" action="/admin/codes" class="card stack">${csrfField(csrf)}
<label>Code <input name="code" required maxlength="40" placeholder="KARIBU10"></label>
<label>Kind <select name="value_type"><option value="percentage">percentage off</option><option value="fixed">fixed amount off</option></select></label>
<label>Percent off <input name="percent" inputmode="decimal" placeholder="e.g. 10"></label>
<label>Cap (TZS, optional) <input name="cap" inputmode="numeric"></label>
<label>Fixed amount off (TZS) <input name="amount" inputmode="numeric"></label>
<label>Minimum order (TZS) <input name="min_order" inputmode="numeric" value="0"></label>
<label>Starts (Dar es Salaam time) <input name="starts_at" type="datetime-local" required></label>
<label>Ends <input name="ends_at" type="datetime-local" required></label>
<label>Uses in all (optional) <input name="max_uses" inputmode="numeric"></label>
<label>Uses per buyer (optional) <input name="per_buyer_limit" inputmode="numeric"></label>
<label>Budget (TZS, optional) <input name="budget" inputmode="numeric"></label>
<label><input type="checkbox" name="active" checked> Active</label>
<button type="submit">Create code</button></form>`;

export function codeRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const { promotions } = deps;
  const hide = { schema: { hide: true } };

  app.get('/codes', hide, async (request, reply) => {
    const admin = adminOf(request);
    const list = await promotions.listCodes();
    const reports = await Promise.all(list.map((c) => promotions.getCode(c.id)));
    const rows = reports.map(
      ({ code: c, report: r }) =>
        html`<tr data-code="${c.id}"><td><a href="/admin/codes/${c.id}">${c.code}</a></td><td>${codeValue(c)}</td><td>${c.active ? 'on' : 'off'}</td><td class="num">${c.budgetAmount === null ? '—' : money(c.budgetAmount, c.currency)}</td><td class="num">${money(r.burned_amount, c.currency)}</td><td class="num">${r.uses}</td><td class="num">${r.unique_buyers}</td><td class="num">${r.budget_left === null ? '—' : money(r.budget_left, c.currency)}</td><td>${darTime(c.endsAt)}</td></tr>`,
    );
    const body = html`<p><a href="/admin/promotions">Promotions</a></p>
${table(['Code', 'Value', 'Active', 'Budget', 'Burned', 'Uses', 'Buyers', 'Budget left', 'Ends'], rows, 'No discount codes yet.')}
<h2>New code</h2>${createForm(admin.csrf)}`;
    return reply.type('text/html').send(page('Discount codes', admin, body, flashOf(request)).value);
  });

  app.post('/codes', hide, async (request, reply) => {
    const input = codeFromForm(request);
    const created = await promotions.createCode(adminOf(request).userId, input);
    return reply.redirect(doneUrl(`/admin/codes/${created.id}`, 'created'), 303);
  });

  app.get('/codes/:id', hide, async (request, reply) => {
    const admin = adminOf(request);
    const { code: c, report: r } = await promotions.getCode(idParam(request));
    const ends = toDarTime(c.endsAt).slice(0, 16);
    const body = html`<table><tbody>
<tr><th>Code</th><td data-figure="code">${c.code}</td></tr>
<tr><th>Value</th><td>${codeValue(c)}</td></tr>
<tr><th>Active</th><td data-figure="active">${c.active ? 'on' : 'off'}</td></tr>
<tr><th>Window</th><td>${darTime(c.startsAt)} → ${darTime(c.endsAt)}</td></tr>
<tr><th>Minimum order</th><td>${money(c.minOrderAmount, c.currency)}</td></tr>
<tr><th>Uses / limit</th><td>${r.uses} / ${c.maxUses ?? '—'} (per buyer ${c.perBuyerLimit ?? '—'})</td></tr>
<tr><th>Unique buyers</th><td>${r.unique_buyers}</td></tr>
<tr><th>Budget</th><td data-figure="budget">${c.budgetAmount === null ? 'none' : money(c.budgetAmount, c.currency)}</td></tr>
<tr><th>Burned so far</th><td>${money(r.burned_amount, c.currency)}</td></tr>
<tr><th>Budget left</th><td>${r.budget_left === null ? '—' : money(r.budget_left, c.currency)}</td></tr>
</tbody></table>
<div class="side-by-side">
<form method="post" action="/admin/codes/${c.id}/edit" class="card stack">${csrfField(admin.csrf)}
<label>Budget (TZS) <input name="budget" inputmode="numeric" value="${c.budgetAmount === null ? '' : String(c.budgetAmount / MONEY_UNIT)}"></label>
<label>Ends <input name="ends_at" type="datetime-local" value="${ends}"></label>
<label>Uses in all <input name="max_uses" inputmode="numeric" value="${c.maxUses === null ? '' : String(c.maxUses)}"></label>
${reasonField()}<button type="submit">Save changes</button></form>
${c.active ? html`<form method="post" action="/admin/codes/${c.id}/switch-off" class="card">${csrfField(admin.csrf)}${reasonField()}<button type="submit" class="danger">Switch off</button></form>` : ''}
</div>`;
    return reply.type('text/html').send(page('Discount code', admin, body, flashOf(request)).value);
  });

  app.post('/codes/:id/edit', hide, async (request, reply) => {
    const id = idParam(request);
    const reason = requireReason(request);
    const f = (n: string) => formValue(request, n);
    const patch = parsed(promotionInputSchemas.codePatch, {
      reason,
      ...(f('budget') ? { budget_amount: minor(f('budget')) } : {}),
      ...(f('ends_at') ? { ends_at: darInstant(f('ends_at')) } : {}),
      ...(f('max_uses') ? { max_uses: int(f('max_uses')) } : {}),
    });
    await promotions.updateCode(adminOf(request).userId, id, patch);
    return reply.redirect(doneUrl(`/admin/codes/${id}`, 'saved'), 303);
  });

  app.post('/codes/:id/switch-off', hide, async (request, reply) => {
    const id = idParam(request);
    await promotions.updateCode(adminOf(request).userId, id, {
      active: false,
      reason: requireReason(request),
    });
    return reply.redirect(doneUrl(`/admin/codes/${id}`, 'switched_off'), 303);
  });
}
