// Money: payouts (with their provider calls) and "pay now" for a seller or rider, settling a payout
// only a callback reported failed; refunds, with "send again" for a failed one; the ledger reconcile
// result. Collections and provider callbacks are in money-feeds.ts. Payouts and refund retries above
// the four-eyes amount go to the approvals queue instead of running.
import type { FastifyInstance } from 'fastify';
import { unprocessable } from '../../shared/errors.js';
import { doneUrl, flashOf, formValue, idParam, pick, queryValue, requireReason } from './forms.js';
import { adminOf } from './guard.js';
import { html } from './html.js';
import { csrfField, darTime, money, page, reasonField, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';

export function moneyRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const { payments } = deps;
  const hide = { schema: { hide: true } };

  app.get('/money', hide, async (request, reply) => {
    const admin = adminOf(request);
    const kind = pick(queryValue(request, 'kind'), ['payout', 'refund'] as const, 'payout');
    const status = pick(
      queryValue(request, 'status'),
      ['all', 'queued', 'sending', 'succeeded', 'failed'] as const,
      'all',
    );
    const rows = await payments.disbursementsOf({ kind, status: status === 'all' ? undefined : status });
    const problems = await deps.orders.service.reconcile();
    // A payout only a callback reported failed keeps its reserve until an admin settles it from the
    // statement (payments.resolvePayout refuses one that holds none).
    const resolveForm = (id: string) =>
      html`<form method="post" action="/admin/money/payouts/${id}/resolve" class="inline">${csrfField(admin.csrf)}<select name="sent" aria-label="On the statement?"><option value="no">not sent: back to available</option><option value="yes">sent: settle as paid</option></select><input name="receipt" placeholder="receipt (if sent)" maxlength="40"><input name="reason" placeholder="reason" required minlength="3"><button type="submit">Settle</button></form>`;
    const list = rows.map(
      (d) =>
        html`<tr><td><a href="/admin/money/calls/${d.reference}">${d.reference}</a></td><td>${d.status}</td><td class="num">${money(d.amount, d.currency)}</td><td class="muted">${d.partyId}</td><td>${d.msisdn}</td><td class="num">${d.attempts}</td><td>${darTime(d.createdAt)}</td><td>${
          d.kind === 'refund' && d.status === 'failed'
            ? html`<form method="post" action="/admin/money/refunds/${d.id}/retry" class="inline">${csrfField(admin.csrf)}<input name="reason" placeholder="reason" required minlength="3"><button type="submit">Send again</button></form>`
            : d.kind === 'payout' && d.status === 'failed'
              ? html`${d.resultMessage ?? ''}${resolveForm(d.id)}`
              : (d.resultMessage ?? '')
        }</td></tr>`,
    );
    const body = html`<p><a href="/admin/money?kind=payout">Payouts</a> · <a href="/admin/money?kind=refund">Refunds</a> · <a href="/admin/money?kind=${kind}&status=failed">Failed only</a> · <a href="/admin/money/collections">Collections</a> · <a href="/admin/money/callbacks">Provider callbacks</a> · <a href="/admin/money/ledger">Ledger by account</a> · <a href="/admin/money/statement">Import a provider statement</a></p>
<h2>Ledger reconcile</h2>${problems.length ? html`<ul class="error">${problems.map((p) => html`<li>${p}</li>`)}</ul>` : html`<p class="reconcile-ok">The ledger reconciles: no problems found.</p>`}
<h2>Pay now</h2>
<form method="post" action="/admin/money/payouts" class="card stack">${csrfField(admin.csrf)}
<label>Who <select name="party"><option value="seller">seller</option><option value="rider">rider</option></select></label>
<label>Their phone <input name="phone" type="tel" required></label>
${reasonField()}
<p class="muted">Above ${money(deps.settings.fourEyesAboveMinor)} a second admin must approve.</p>
<button type="submit">Pay available balance</button></form>
<h2>${kind === 'payout' ? 'Payouts' : 'Refunds'}</h2>
${table(['Reference', 'Status', 'Amount', 'Party', 'Phone', 'Attempts', 'Created', ''], list, 'None.')}`;
    return reply.type('text/html').send(page('Money', admin, body, flashOf(request)).value);
  });

  app.get('/money/calls/:reference', hide, async (request, reply) => {
    const admin = adminOf(request);
    const reference = (request.params as { reference: string }).reference.slice(0, 100);
    const calls = await payments.providerCalls(reference);
    const rows = calls.map(
      (c) =>
        html`<tr><td>${darTime(c.createdAt)}</td><td>${c.provider} ${c.operation}</td><td class="num">${c.responseStatus ?? '—'}</td><td><code>${JSON.stringify(c.responseBody ?? c.error ?? null).slice(0, 300)}</code></td></tr>`,
    );
    const body = table(['When', 'Call', 'HTTP', 'Reply'], rows, 'No provider calls for this reference.');
    return reply.type('text/html').send(page(`Provider calls · ${reference}`, admin, body).value);
  });

  app.post('/money/payouts', hide, async (request, reply) => {
    const admin = adminOf(request);
    const reason = requireReason(request);
    const party = pick(formValue(request, 'party'), ['seller', 'rider'] as const, 'seller');
    const phone = formValue(request, 'phone');
    const found = await deps.identity.governance.listUsers({ phone, limit: 1 });
    const user = found.items[0];
    if (!user) throw unprocessable('USER_NOT_FOUND', 'phone', 'No user has this phone number.');
    const r = await deps.fourEyes.payout(party, user.id, { userId: admin.userId, reason });
    if (r.approval) return reply.redirect(doneUrl('/admin/approvals', 'approval_requested'), 303);
    return reply.redirect(doneUrl('/admin/money', 'payout_started'), 303);
  });

  app.post('/money/payouts/:id/resolve', hide, async (request, reply) => {
    const id = idParam(request);
    const reason = requireReason(request);
    const sent = formValue(request, 'sent');
    if (sent !== 'yes' && sent !== 'no')
      throw unprocessable('INVALID_FIELD', 'sent', 'Say whether the statement shows it sent.');
    const receipt = formValue(request, 'receipt');
    if (receipt.length > 40)
      throw unprocessable('INVALID_FIELD', 'receipt', 'receipt is at most 40 characters.');
    await payments.resolvePayout(id, adminOf(request).userId, {
      sent: sent === 'yes',
      reason,
      ...(receipt ? { receipt } : {}),
    });
    return reply.redirect(doneUrl('/admin/money?kind=payout', 'payout_resolved'), 303);
  });

  app.post('/money/refunds/:id/retry', hide, async (request, reply) => {
    const admin = adminOf(request);
    const id = idParam(request);
    const reason = requireReason(request);
    const r = await deps.fourEyes.retryRefund(id, admin.userId, reason);
    if (r.approval) return reply.redirect(doneUrl('/admin/approvals', 'approval_requested'), 303);
    return reply.redirect(doneUrl('/admin/money?kind=refund', 'refund_retried'), 303);
  });
}
