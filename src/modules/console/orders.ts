// Orders: search (id, buyer or seller phone, status, Dar es Salaam dates), one order's timeline
// (who, when, where), snapshot, ledger transfers and payments, and the admin actions (cancel,
// refund undeliverable, return received) through the orders state machine, with a reason. A
// cancellation or refund that pays back more than the four-eyes amount waits for a second admin.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { unprocessable } from '../../shared/errors.js';
import { maskPhone } from '../notifications/index.js';
import { ORDER_STATUSES } from '../orders/index.js';
import { cursorOf, doneUrl, flashOf, idParam, queryValue, requireReason } from './forms.js';
import { adminOf } from './guard.js';
import { html } from './html.js';
import { csrfField, darTime, money, nextLink, page, reasonField, table } from './layout.js';
import { ledgerPath } from './money-ledger.js';
import type { ConsoleDeps } from './ports.js';

/** The newest messages shown on an order's page. */
const MESSAGES_SHOWN = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ACTIONS = [
  ['cancel', 'cancel', 'Cancel (refund in full)'],
  ['refund-undeliverable', 'refund_undeliverable', 'Refund undeliverable'],
  ['return-received', 'record_return', 'Return received'],
] as const;

/** A date typed as YYYY-MM-DD, as the start of that day in Dar es Salaam. */
function darDay(raw: string | undefined, field: string, plusDays = 0): Date | undefined {
  if (!raw) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw))
    throw unprocessable('INVALID_DATE', field, `${field} must be a date (YYYY-MM-DD).`);
  const d = new Date(`${raw}T00:00:00+03:00`);
  if (Number.isNaN(d.getTime())) throw unprocessable('INVALID_DATE', field, `${field} is not a date.`);
  return new Date(d.getTime() + plusDays * 86_400_000);
}

export function orderRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const { service: orders } = deps.orders;
  const hide = { schema: { hide: true } };

  async function userIdByPhone(request: FastifyRequest, field: string) {
    const phone = queryValue(request, field)?.slice(0, 30);
    if (!phone) return undefined;
    const found = await deps.identity.governance.listUsers({ phone, limit: 1 });
    // An unknown phone matches no order (an id nobody has).
    return found.items[0]?.id ?? '00000000-0000-0000-0000-000000000000';
  }

  app.get('/orders', hide, async (request, reply) => {
    const admin = adminOf(request);
    const id = queryValue(request, 'id');
    if (id && !UUID.test(id)) throw unprocessable('INVALID_FIELD', 'id', 'An order id is a UUID.');
    const status = queryValue(request, 'status');
    if (status && !(ORDER_STATUSES as readonly string[]).includes(status))
      throw unprocessable('INVALID_FIELD', 'status', 'Unknown order status.');
    const q = {
      id,
      buyerId: await userIdByPhone(request, 'buyer'),
      sellerId: await userIdByPhone(request, 'seller'),
      status: status as (typeof ORDER_STATUSES)[number] | undefined,
      from: darDay(queryValue(request, 'from'), 'from'),
      to: darDay(queryValue(request, 'to'), 'to', 1),
      limit: 25,
      cursor: cursorOf(request),
    };
    const r = await deps.searchOrders(q);
    const rows = r.items.map(
      (o) =>
        html`<tr><td><a href="/admin/orders/${o.id}">${o.id.slice(0, 8)}</a></td><td>${o.status}</td><td class="num">${money(o.finalAmount + o.deliveryFee, o.currency)}</td><td>${darTime(o.createdAt)}</td></tr>`,
    );
    const v = (n: string) => queryValue(request, n) ?? '';
    const body = html`<form method="get" action="/admin/orders" class="filters">
<label>Order id <input name="id" value="${v('id')}"></label>
<label>Buyer phone <input name="buyer" value="${v('buyer')}"></label>
<label>Seller phone <input name="seller" value="${v('seller')}"></label>
<label>Status <select name="status"><option value="">any</option>${ORDER_STATUSES.map((s) => html`<option value="${s}"${s === status ? html` selected` : ''}>${s}</option>`)}</select></label>
<label>From <input type="date" name="from" value="${v('from')}"></label>
<label>To <input type="date" name="to" value="${v('to')}"></label>
<button type="submit">Search</button></form>
${table(['Order', 'Status', 'Paid', 'Created'], rows, 'No orders match.')}
${nextLink('/admin/orders', { id: v('id'), buyer: v('buyer'), seller: v('seller'), status: status ?? '', from: v('from'), to: v('to') }, r.next_cursor)}`;
    return reply.type('text/html').send(page('Orders', admin, body, flashOf(request)).value);
  });

  app.get('/orders/:id', hide, async (request, reply) => {
    const admin = adminOf(request);
    const {
      order: o,
      timeline,
      dispute,
    } = await orders.view(idParam(request), { userId: admin.userId, role: 'admin' });
    const [transfers, disbursements, collections, waiting, messages] = await Promise.all([
      deps.ledger.transfersOf({ orderId: o.id }),
      deps.payments.disbursementsOf({ orderId: o.id }),
      deps.payments.collectionsOfCheckout(o.checkoutId),
      deps.approvals.openFor('order_refund', o.id),
      deps.messages.search({ orderId: o.id, limit: MESSAGES_SHOWN }),
    ]);
    const who = (id: string) =>
      id === o.buyerId ? 'buyer' : id === o.sellerId ? 'seller' : id === o.riderId ? 'rider' : 'admin';
    // As the admin API shows them: the title, not the body; the phone masked.
    const messageRows = messages.items.map(
      (m) =>
        html`<tr data-message="${m.id}"><td>${darTime(m.createdAt)}</td><td><a href="/admin/people/${m.recipientId}">${who(m.recipientId)}</a> <span class="muted">${maskPhone(m.address) ?? ''}</span></td><td>${m.channel}</td><td>${m.title} <span class="muted">${m.templateKey}</span></td><td class="message-status">${m.status}${m.lastError ? html` <span class="muted">${m.lastError}</span>` : ''}</td><td class="num">${m.costMinor === null ? '—' : money(m.costMinor, m.costCurrency ?? o.currency)}</td></tr>`,
    );
    const events = timeline.map(
      (e) =>
        html`<tr><td>${darTime(e.createdAt)}</td><td>${e.event}</td><td>${e.fromStatus ?? '—'} → ${e.toStatus}</td><td>${e.actorRole}</td><td>${e.note ?? ''}</td><td>${e.latitude !== null && e.longitude !== null ? html`<a href="${`https://www.openstreetmap.org/?mlat=${e.latitude}&mlon=${e.longitude}`}" rel="noreferrer">map</a>` : ''}</td></tr>`,
    );
    const ledgerRows = transfers.map(
      (x) =>
        html`<tr><td>${x.kind}</td><td>${x.phase}</td><td><a href="${ledgerPath(x.debitAccount)}">${x.debitAccount}</a></td><td><a href="${ledgerPath(x.creditAccount)}">${x.creditAccount}</a></td><td class="num">${money(x.amount, x.currency)}</td><td>${darTime(x.createdAt)}</td></tr>`,
    );
    const payRows = [
      ...collections.map(
        (c) =>
          html`<tr><td>collection</td><td>${c.status}</td><td class="num">${money(c.amount, o.currency)}</td><td>${c.reference}</td><td>${darTime(c.createdAt)}</td></tr>`,
      ),
      ...disbursements.map(
        (d) =>
          html`<tr><td>${d.kind}</td><td>${d.status}</td><td class="num">${money(d.amount, d.currency)}</td><td><a href="/admin/money/calls/${d.reference}">${d.reference}</a></td><td>${darTime(d.createdAt)}</td></tr>`,
      ),
    ];
    const body = html`<table><tbody>
<tr><th>Order</th><td>${o.id}</td></tr>
<tr><th>Status</th><td class="order-status">${o.status}</td></tr>
<tr><th>Goods / delivery</th><td>${money(o.finalAmount, o.currency)} / ${money(o.deliveryFee, o.currency)}</td></tr>
<tr><th>Buyer / seller</th><td><a href="/admin/people/${o.buyerId}">buyer</a> · <a href="/admin/people/${o.sellerId}">seller</a></td></tr>
${dispute ? html`<tr><th>Dispute</th><td><a href="/admin/disputes/${dispute.id}">${dispute.status}</a></td></tr>` : ''}
</tbody></table>
<h2>Timeline</h2>${table(['When', 'Event', 'Status', 'By', 'Note', 'Where'], events)}
<h2>Payments</h2>${table(['Kind', 'Status', 'Amount', 'Reference', 'When'], payRows, 'No payments.')}
<h2>Messages sent</h2>${table(['When', 'To', 'Channel', 'Message', 'Status', 'Cost'], messageRows, 'No messages about this order.')}
${messages.next_cursor ? html`<p class="muted">The ${MESSAGES_SHOWN} latest are shown.</p>` : ''}
<h2>Ledger transfers</h2>${table(['Kind', 'Phase', 'Debit', 'Credit', 'Amount', 'When'], ledgerRows, 'No transfers.')}
<h2>Snapshot</h2><pre class="snapshot">${JSON.stringify(o.snapshot, null, 2)}</pre>
<h2>Admin actions</h2>${waiting ? html`<p class="waiting" data-approval="${waiting.id}">${waiting.details && 'event' in waiting.details ? waiting.details.event.replaceAll('_', ' ') : 'A refund'} of ${money(waiting.amount, o.currency)} waits for a second admin (<a href="/admin/approvals">approvals</a>).</p>` : ''}
<p class="muted">A cancellation or refund above ${money(deps.settings.fourEyesAboveMinor, o.currency)} needs a second admin’s approval.</p>
<div class="side-by-side">${ACTIONS.map(([path, , label]) => html`<form method="post" action="/admin/orders/${o.id}/${path}" class="card">${csrfField(admin.csrf)}${reasonField()}<button type="submit" class="danger">${label}</button></form>`)}</div>`;
    return reply.type('text/html').send(page('Order', admin, body, flashOf(request)).value);
  });

  for (const [path, event] of ACTIONS) {
    app.post(`/orders/:id/${path}`, hide, async (request, reply) => {
      const id = idParam(request);
      const admin = adminOf(request);
      const reason = requireReason(request);
      if (event === 'record_return')
        await orders.act(id, event, { userId: admin.userId, role: 'admin' }, reason);
      else {
        const r = await deps.fourEyes.orderAct(id, event, admin.userId, reason);
        if (r.approval) return reply.redirect(doneUrl('/admin/approvals', 'approval_requested'), 303);
      }
      return reply.redirect(doneUrl(`/admin/orders/${id}`, 'saved'), 303);
    });
  }
}
