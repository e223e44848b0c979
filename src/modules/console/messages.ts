// Messages: every notification sent, searched by the recipient's phone, an order, status and channel
// (the admin API's GET /notifications: the title, never the body, which may hold a delivery code; the
// phone masked), and the per-channel, per-day delivery report (/notifications/report).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, unprocessable } from '../../shared/errors.js';
import { DAY, toDarTime } from '../../shared/time.js';
import { CHANNELS, MESSAGE_STATUSES, maskPhone } from '../notifications/index.js';
import { queryValue } from './forms.js';
import { adminOf } from './guard.js';
import { html } from './html.js';
import { darTime, money, nextLink, page, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';

const PAGE = 50;
/** The report's longest range, as the API allows. */
const MAX_REPORT_DAYS = 92;
const uuid = z.uuid();
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
/** A Dar es Salaam calendar day's first instant (the zone has no daylight saving). */
const darDayStart = (day: string) => new Date(`${day}T00:00:00+03:00`);

export function messageRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const hide = { schema: { hide: true } };

  app.get('/messages', hide, async (request, reply) => {
    const admin = adminOf(request);
    const phone = queryValue(request, 'phone')?.slice(0, 30);
    const order = queryValue(request, 'order')?.trim();
    if (order && !uuid.safeParse(order).success)
      throw unprocessable('INVALID_FIELD', 'order', 'order must be an order id.');
    const status = MESSAGE_STATUSES.find((s) => s === queryValue(request, 'status'));
    const channel = CHANNELS.find((c) => c === queryValue(request, 'channel'));
    let userId: string | undefined;
    let nobody = false;
    if (phone) {
      const found = await deps.identity.governance.listUsers({ phone, limit: 1 });
      userId = found.items[0]?.id;
      nobody = !userId;
    }
    const r = nobody
      ? null
      : await deps.messages.search({
          userId,
          orderId: order,
          status,
          channel,
          limit: PAGE,
          cursor: queryValue(request, 'cursor'),
        });
    const rows = (r?.items ?? []).map(
      (m) =>
        html`<tr data-message="${m.id}"><td>${darTime(m.createdAt)}</td><td><a href="/admin/people/${m.recipientId}">${m.recipientId.slice(0, 8)}</a> <span class="muted">${maskPhone(m.address) ?? ''}</span></td><td>${m.orderId ? html`<a href="/admin/orders/${m.orderId}">${m.orderId.slice(0, 8)}</a>` : ''}</td><td>${m.channel}</td><td>${m.title} <span class="muted">${m.templateKey}</span></td><td class="message-status">${m.status}${m.lastError ? html` <span class="muted">${m.lastError}</span>` : ''}</td><td class="num">${m.costMinor === null ? '—' : money(m.costMinor, m.costCurrency ?? 'TZS')}</td></tr>`,
    );
    const options = (values: readonly string[], current: string | undefined) =>
      html`<option value="">any</option>${values.map((v) => html`<option value="${v}"${v === current ? html` selected` : ''}>${v}</option>`)}`;
    const body = html`<p><a href="/admin/messages/report">Delivery report</a></p>
<form method="get" action="/admin/messages" class="filters"><label>Recipient phone <input name="phone" type="tel" value="${phone ?? ''}"></label><label>Order id <input name="order" value="${order ?? ''}"></label><label>Status <select name="status">${options(MESSAGE_STATUSES, status)}</select></label><label>Channel <select name="channel">${options(CHANNELS, channel)}</select></label><button type="submit">Search</button></form>
${nobody ? html`<p class="empty">No user has this phone.</p>` : table(['When', 'To', 'Order', 'Channel', 'Message', 'Status', 'Cost'], rows, 'No messages.')}
${nextLink('/admin/messages', { phone, order, status, channel }, r?.next_cursor ?? null)}`;
    return reply.type('text/html').send(page('Messages', admin, body).value);
  });

  app.get('/messages/report', hide, async (request, reply) => {
    const admin = adminOf(request);
    const today = toDarTime(deps.clock.now()).slice(0, 10);
    const bad = (field: string) =>
      new AppError('INVALID_RANGE', 400, `${field} must be a date, YYYY-MM-DD.`, { field });
    const to = queryValue(request, 'to') ?? today;
    if (!DAY_RE.test(to) || Number.isNaN(darDayStart(to).getTime())) throw bad('to');
    const from =
      queryValue(request, 'from') ?? toDarTime(new Date(darDayStart(to).getTime() - 6 * DAY)).slice(0, 10);
    if (!DAY_RE.test(from) || Number.isNaN(darDayStart(from).getTime())) throw bad('from');
    const start = darDayStart(from);
    const end = new Date(darDayStart(to).getTime() + DAY);
    if (end <= start)
      throw new AppError('INVALID_RANGE', 400, 'from must be on or before to.', { field: 'from' });
    if (end.getTime() - start.getTime() > MAX_REPORT_DAYS * DAY)
      throw new AppError('RANGE_TOO_LONG', 400, `Ask for at most ${MAX_REPORT_DAYS} days at once.`, {
        field: 'to',
      });
    const items = await deps.messages.report({ from: start, to: end });
    const ms = (v: number | null) => (v === null ? '—' : `${(v / 1000).toFixed(1)} s`);
    const rows = items.map(
      (r) =>
        html`<tr data-report="${r.day}.${r.channel}"><td>${r.day}</td><td>${r.channel}</td><td class="num">${r.sent}</td><td class="num">${r.delivered}</td><td class="num">${r.failed}</td><td class="num">${r.delivery_rate === null ? '—' : `${Math.floor(r.delivery_rate * 1000) / 10}%`}</td><td class="num">${ms(r.p50_latency_ms)}</td><td class="num">${ms(r.p95_latency_ms)}</td><td class="num">${money(r.cost_minor, r.cost_currency)}</td></tr>`,
    );
    const body = html`<p><a href="/admin/messages">← Messages</a></p>
<form method="get" action="/admin/messages/report" class="filters"><label>From <input name="from" type="date" value="${from}"></label><label>To <input name="to" type="date" value="${to}"></label><button type="submit">Show</button></form>
${table(['Day', 'Channel', 'Sent', 'Delivered', 'Failed', 'Delivery rate', 'p50', 'p95', 'Cost'], rows, 'No messages in this range.')}
<p class="muted">Days of the causing commit, Dar es Salaam; latency from that commit to delivery.</p>`;
    return reply.type('text/html').send(page('Message delivery', admin, body).value);
  });
}
