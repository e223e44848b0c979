// Disputes: the open ones (oldest first) and the resolved; one dispute with both sides' evidence
// side by side, resolved by the orders service (full refund, partial refund of an amount, or
// release to the seller) with a note and whose fault it was. A refund above the four-eyes amount
// waits for a second admin (the approvals queue) instead of running. The GPS the order's own records
// hold sits on the side it belongs to: the delivery address on the buyer's, where the seller or rider
// said they delivered (or failed to) on theirs, each with its distance from the address.
import type { FastifyInstance } from 'fastify';
import { AppError, unprocessable } from '../../shared/errors.js';
import { DISPUTE_FAULTS, DISPUTE_RESOLUTIONS } from '../orders/index.js';
import {
  doneUrl,
  flashOf,
  formValue,
  idParam,
  pick,
  queryValue,
  requireReason,
  shillingsToMinor,
} from './forms.js';
import { adminOf } from './guard.js';
import { type Html, html } from './html.js';
import { age, csrfField, darTime, money, page, table } from './layout.js';
import { metresApart, metresText, placeCell, pointOf } from './places.js';
import type { ConsoleDeps } from './ports.js';

export function disputeRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const { service: orders } = deps.orders;
  const hide = { schema: { hide: true } };

  app.get('/disputes', hide, async (request, reply) => {
    const admin = adminOf(request);
    const status = pick(queryValue(request, 'status'), ['open', 'resolved'] as const, 'open');
    const list = await orders.listDisputes(status);
    const now = deps.clock.now();
    const rows = list.map(
      (d) =>
        html`<tr><td><a href="/admin/disputes/${d.id}">${d.reason}</a></td><td>${d.status}${d.resolution ? html` (${d.resolution})` : ''}</td><td>${darTime(d.openedAt)}</td><td class="num">${age(d.openedAt, now)}</td><td class="muted">${d.orderId}</td></tr>`,
    );
    const body = html`<p><a href="/admin/disputes?status=open">Open</a> · <a href="/admin/disputes?status=resolved">Resolved</a></p>
${table(['Reason', 'Status', 'Opened', 'Waiting', 'Order'], rows, 'No disputes.')}`;
    return reply.type('text/html').send(page(`Disputes (${status})`, admin, body, flashOf(request)).value);
  });

  app.get('/disputes/:id', hide, async (request, reply) => {
    const admin = adminOf(request);
    const { dispute: d, evidence } = await orders.disputeOf(idParam(request));
    const { order: o, timeline } = await orders.view(d.orderId, { userId: admin.userId, role: 'admin' });
    const side = (rows: typeof evidence): Html =>
      rows.length
        ? html`${rows.map((e) => html`<figure class="media"><img src="/admin/media/${e.mediaId}" alt="Evidence photo"><figcaption>${e.note ?? ''} <span class="muted">${darTime(e.createdAt)}</span></figcaption></figure>`)}`
        : html`<p class="empty">No photos.</p>`;
    const buyerSide = evidence.filter((e) => e.addedBy === d.buyerId);
    const otherSide = evidence.filter((e) => e.addedBy !== d.buyerId);
    const address = o.snapshot.delivery_address;
    const home = pointOf(address.location?.lat, address.location?.lng);
    // The seller's or rider's steps that carry a GPS point (deliver, a failed attempt, the return);
    // the deliver step is listed even without one, so a missing proof location shows as missing.
    const fieldSteps = timeline.filter(
      (e) =>
        (e.actorRole === 'seller' || e.actorRole === 'rider') &&
        (e.event === 'deliver' || pointOf(e.latitude, e.longitude)),
    );
    const stepRows = fieldSteps.map((e) => {
      const at = pointOf(e.latitude, e.longitude);
      const apart = metresApart(at, home);
      return html`<tr data-event="${e.event}"><td>${e.event.replaceAll('_', ' ')} (${e.actorRole})</td><td>${darTime(e.createdAt)}</td><td>${placeCell(at)}</td><td class="num">${apart === null ? '—' : html`<span class="distance">${metresText(apart)}</span> from the address`}</td></tr>`;
    });
    const whereDelivered = stepRows.length
      ? html`<table class="places"><thead><tr><th>Step</th><th>When</th><th>Where</th><th>Distance</th></tr></thead><tbody>${stepRows}</tbody></table>`
      : html`<p class="empty">Delivery proof: <span class="muted">no location recorded</span></p>`;
    const whereAddress = html`<p class="address">Delivery address: ${address.label}, ${address.ward}${address.street ? html`, ${address.street}` : ''} (${address.landmark}) — ${placeCell(home)}</p>`;
    const paid = o.finalAmount + o.deliveryFee;
    const waiting = d.status === 'open' ? await deps.approvals.openFor('dispute_refund', d.id) : null;
    const resolveForm = waiting
      ? html`<p class="waiting" data-approval="${waiting.id}">A ${waiting.details && 'resolution' in waiting.details ? waiting.details.resolution.replaceAll('_', ' ') : 'refund'} of ${money(waiting.amount, o.currency)} waits for a second admin (<a href="/admin/approvals">approvals</a>).</p>`
      : d.status === 'open'
        ? html`<form method="post" action="/admin/disputes/${d.id}/resolve" class="card stack">${csrfField(admin.csrf)}
<label>Resolution <select name="resolution">${DISPUTE_RESOLUTIONS.map((r) => html`<option value="${r}">${r.replaceAll('_', ' ')}</option>`)}</select></label>
<label>Refund amount for a partial refund (TZS) <input name="amount" inputmode="numeric"></label>
<label>Whose fault <select name="fault">${DISPUTE_FAULTS.map((f) => html`<option value="${f}">${f}</option>`)}</select></label>
<label>Reason <input name="reason" required minlength="3" maxlength="500"></label>
<p class="muted">A refund above ${money(deps.settings.fourEyesAboveMinor, o.currency)} needs a second admin’s approval.</p>
<button type="submit">Resolve</button></form>`
        : html`<p>Resolved: <strong>${d.resolution}</strong>, refund ${money(d.refundAmount ?? 0, o.currency)}, fault ${d.fault ?? '—'} — ${d.resolutionNote}</p>`;
    const body = html`<table><tbody>
<tr><th>Order</th><td>${o.id} (${o.status})</td></tr>
<tr><th>Paid</th><td>${money(paid, o.currency)} (goods ${money(o.finalAmount, o.currency)}, delivery ${money(o.deliveryFee, o.currency)})</td></tr>
<tr><th>Opened</th><td>${darTime(d.openedAt)}</td></tr>
</tbody></table>
<div class="side-by-side">
<section><h2>Buyer</h2><p class="statement">${d.reason}: ${d.description}</p>${whereAddress}${side(buyerSide)}</section>
<section><h2>Seller / rider</h2>${whereDelivered}${side(otherSide)}</section>
</div>
${resolveForm}`;
    return reply.type('text/html').send(page('Dispute', admin, body, flashOf(request)).value);
  });

  app.post('/disputes/:id/resolve', hide, async (request, reply) => {
    const id = idParam(request);
    const reason = requireReason(request);
    const resolution = formValue(request, 'resolution');
    if (!(DISPUTE_RESOLUTIONS as readonly string[]).includes(resolution))
      throw unprocessable('INVALID_FIELD', 'resolution', 'Choose a resolution.');
    const fault = formValue(request, 'fault');
    if (fault && !(DISPUTE_FAULTS as readonly string[]).includes(fault))
      throw unprocessable('INVALID_FIELD', 'fault', 'Choose whose fault it was.');
    const rawAmount = formValue(request, 'amount');
    if (resolution !== 'partial_refund' && rawAmount)
      throw new AppError('AMOUNT_NOT_ALLOWED', 422, 'Only a partial refund takes an amount.', {
        field: 'amount',
      });
    const admin = adminOf(request);
    const input = {
      resolution: resolution as (typeof DISPUTE_RESOLUTIONS)[number],
      amount: rawAmount ? shillingsToMinor(rawAmount, 'amount') : undefined,
      note: reason,
      fault: (fault || undefined) as (typeof DISPUTE_FAULTS)[number] | undefined,
    };
    const r = await deps.fourEyes.resolveDispute(id, admin.userId, input);
    if (r.approval) return reply.redirect(doneUrl('/admin/approvals', 'approval_requested'), 303);
    return reply.redirect(doneUrl(`/admin/disputes/${id}`, 'resolved'), 303);
  });
}
