// Approvals: money actions waiting for a second admin (its requester may withdraw one), and the
// audit trail of admin actions.
import type { FastifyInstance } from 'fastify';
import type { Approval } from './approvals-service.js';
import { cursorOf, doneUrl, flashOf, idParam, pick, queryValue, requireReason } from './forms.js';
import { adminOf } from './guard.js';
import { type Html, html } from './html.js';
import { csrfField, darTime, money, nextLink, page, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';
import { APPROVAL_STATUSES } from './schema.js';

/** What is asked for, linked to the page of its subject. */
function actionOf(a: Approval): Html {
  const d = a.details;
  switch (a.kind) {
    case 'payout':
      return html`payout (${a.party ?? 'seller'}) to <a href="/admin/people/${a.targetId}">${a.targetId.slice(0, 8)}</a>`;
    case 'refund_retry':
      return html`refund retry`;
    case 'dispute_refund':
      return html`dispute: ${d && 'resolution' in d ? d.resolution.replaceAll('_', ' ') : 'refund'} <a href="/admin/disputes/${a.targetId}">${a.targetId.slice(0, 8)}</a>`;
    case 'order_refund':
      return html`order: ${d && 'event' in d ? d.event.replaceAll('_', ' ') : 'refund'} <a href="/admin/orders/${a.targetId}">${a.targetId.slice(0, 8)}</a>`;
  }
}

export function approvalRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const { approvals } = deps;
  const hide = { schema: { hide: true } };

  app.get('/approvals', hide, async (request, reply) => {
    const admin = adminOf(request);
    const status = pick(queryValue(request, 'status'), APPROVAL_STATUSES, 'pending');
    const rows = (await approvals.list(status)).map(
      (a) =>
        html`<tr data-approval="${a.id}"><td>${actionOf(a)}</td><td class="num">${money(a.amount)}</td><td>${a.reason}</td><td class="muted">${a.requestedBy === admin.userId ? 'you' : a.requestedBy}</td><td>${darTime(a.requestedAt)}</td><td>${
          a.status !== 'pending'
            ? html`${a.status} ${a.outcome ?? ''}`
            : a.requestedBy === admin.userId
              ? html`<span class="muted">waiting for a second admin</span>
<form method="post" action="/admin/approvals/${a.id}/withdraw" class="inline">${csrfField(admin.csrf)}<input name="reason" placeholder="reason" required minlength="3" maxlength="500"><button type="submit">Withdraw</button></form>`
              : html`<form method="post" action="/admin/approvals/${a.id}/approve" class="inline">${csrfField(admin.csrf)}<button type="submit">Approve and execute</button></form>`
        }</td></tr>`,
    );
    const body = html`<p>${APPROVAL_STATUSES.map((s) => html`<a href="/admin/approvals?status=${s}">${s}</a> `)}</p>
${table(['Action', 'Amount', 'Reason', 'Asked by', 'When', ''], rows, 'Nothing waiting.')}`;
    return reply.type('text/html').send(page('Approvals (four eyes)', admin, body, flashOf(request)).value);
  });

  app.post('/approvals/:id/approve', hide, async (request, reply) => {
    await approvals.approve(idParam(request), adminOf(request).userId);
    return reply.redirect(doneUrl('/admin/approvals', 'approval_executed'), 303);
  });

  app.post('/approvals/:id/withdraw', hide, async (request, reply) => {
    const reason = requireReason(request);
    await approvals.withdraw(idParam(request), adminOf(request).userId, reason);
    return reply.redirect(doneUrl('/admin/approvals', 'approval_withdrawn'), 303);
  });

  app.get('/audit', hide, async (request, reply) => {
    const admin = adminOf(request);
    const action = queryValue(request, 'action');
    const cursor = cursorOf(request);
    const r = await deps.audit.list({
      limit: 50,
      ...(action ? { action: action.slice(0, 80) } : {}),
      ...(cursor ? { cursor } : {}),
    });
    const rows = r.items.map(
      (e) =>
        html`<tr><td>${darTime(e.createdAt)}</td><td>${e.action}</td><td class="muted">${e.actorUserId ?? 'system'}</td><td>${e.targetType} <span class="muted">${e.targetId}</span></td><td>${e.reason ?? ''}</td></tr>`,
    );
    const body = html`<form method="get" action="/admin/audit" class="filters"><label>Action <input name="action" value="${action ?? ''}" placeholder="e.g. product.verified"></label><button type="submit">Filter</button></form>
${table(['When', 'Action', 'Actor', 'Target', 'Reason'], rows, 'No audit events.')}
${nextLink('/admin/audit', { action }, r.next_cursor)}`;
    return reply.type('text/html').send(page('Audit trail', admin, body).value);
  });
}
