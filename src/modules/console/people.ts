// People: users found by phone or name, one user's roles and status with ban / suspend / reinstate
// (with a reason, through identity's governance commands), their orders and open sessions (an API
// session revoked with a reason), a seller's scorecard, their loyalty points (loyalty.ts), and riders
// waiting for verification.
import type { FastifyInstance } from 'fastify';
import { AppError, unprocessable } from '../../shared/errors.js';
import { DAY } from '../../shared/time.js';
import { localDay, localDayStart } from '../analytics/index.js';
import { effectiveStatus } from '../identity/index.js';
import { filterQuery, percent } from './analytics.js';
import { cursorOf, doneUrl, flashOf, idParam, pick, queryValue, requireReason } from './forms.js';
import { adminOf } from './guard.js';
import { html } from './html.js';
import { csrfField, darTime, money, nextLink, page, reasonField, table } from './layout.js';
import { loyaltySection } from './loyalty.js';
import type { ConsoleDeps } from './ports.js';
import type { ConsoleSessions } from './sessions.js';

const RIDER_STATUSES = ['pending', 'verified', 'rejected'] as const;

/** Orders shown on a user's page, per side (the Orders screen pages through the rest). */
const USER_ORDERS = 20;

export function peopleRoutes(app: FastifyInstance, deps: ConsoleDeps, sessions: ConsoleSessions) {
  const { governance } = deps.identity;
  const hide = { schema: { hide: true } };

  app.get('/people', hide, async (request, reply) => {
    const admin = adminOf(request);
    const phone = queryValue(request, 'phone')?.slice(0, 30);
    const name = queryValue(request, 'name')?.trim().slice(0, 80);
    if (name !== undefined && name.length < 2)
      throw unprocessable('INVALID_FIELD', 'name', 'Type at least 2 letters of the name.');
    const r = await governance.listUsers({
      limit: 25,
      cursor: cursorOf(request),
      ...(phone ? { phone } : {}),
      ...(name ? { name } : {}),
    });
    const now = deps.clock.now();
    const rows = r.items.map(
      (u) =>
        html`<tr><td><a href="/admin/people/${u.id}">${u.phone}</a></td><td>${u.displayName ?? ''}</td><td>${u.roles.join(', ')}</td><td>${effectiveStatus(u, now)}</td><td>${darTime(u.createdAt)}</td></tr>`,
    );
    const body = html`<p><a href="/admin/riders">Riders</a></p>
<form method="get" action="/admin/people" class="filters"><label>Phone <input name="phone" type="tel" value="${phone ?? ''}"></label><label>Name or shop <input name="name" value="${name ?? ''}" maxlength="80"></label><button type="submit">Search</button></form>
${table(['Phone', 'Name', 'Roles', 'Status', 'Joined'], rows, 'No users.')}
${nextLink('/admin/people', { phone, name }, r.next_cursor)}`;
    return reply.type('text/html').send(page('People', admin, body, flashOf(request)).value);
  });

  /**
   * A seller's scorecard over the last year, every figure from the analytics module (the same rules
   * as the analytics page, each count opening to its orders): orders, GMV, acceptance (rejections
   * and missed accept deadlines counted as refusals), on time, disputes, refunds, contribution.
   */
  async function scorecard(sellerId: string) {
    const now = deps.clock.now();
    const q = {
      seller: sellerId,
      from: localDay(new Date(now.getTime() - 365 * DAY)),
      to: localDay(now),
      grain: 'month' as const,
    };
    const a = deps.analytics.service;
    let s: Awaited<ReturnType<typeof a.summary>>;
    try {
      s = await a.summary(q);
    } catch (err) {
      // A user with the role but no seller profile yet has no scorecard.
      if (err instanceof AppError) return html`<p class="muted">No seller scorecard: ${err.message}</p>`;
      throw err;
    }
    // Payouts to this seller asked within the scorecard's period (its last day included), in the
    // scorecard's currency, by status: the same window as every other figure in the row.
    const payouts = await deps.payments.payoutTotals({
      partyId: sellerId,
      currency: s.currency,
      from: localDayStart(q.from),
      to: new Date(localDayStart(q.to).getTime() + DAY),
    });
    const [refused, disputed, lost] = await Promise.all(
      (['refused', 'disputed', 'disputes_lost'] as const).map((figure) =>
        a.orders({ ...q, figure, limit: 500 }),
      ),
    );
    const f = s.totals;
    const drill = (figure: string, shown: string) =>
      html`<a href="/admin/analytics/orders?${filterQuery(q, { figure })}" data-drill="${figure}">${shown}</a>`;
    const count = (r: { items: unknown[]; next_cursor: string | null }) =>
      `${r.items.length}${r.next_cursor ? '+' : ''}`;
    return html`<h2>Scorecard <span class="muted">(${q.from} to ${q.to})</span></h2>
${table(
  [
    'Orders',
    'GMV',
    'Acceptance',
    'Refused (rejected or no-show)',
    'On time',
    'Disputes',
    'Disputes lost',
    'Refund rate',
    'Payouts paid',
    'Paid out',
    'Payouts pending / failed',
  ],
  [
    html`<tr data-row="scorecard"><td class="num" data-score="orders">${drill('orders', String(f.orders))}</td><td class="num">${money(f.gmv, s.currency)}</td><td class="num" data-score="acceptance">${percent(f.acceptance_rate_bp)}</td><td class="num" data-score="refused">${drill('refused', count(refused!))}</td><td class="num" data-score="on-time">${percent(f.on_time_rate_bp)}</td><td class="num" data-score="disputes">${drill('disputed', count(disputed!))}</td><td class="num" data-score="disputes-lost">${drill('disputes_lost', count(lost!))}</td><td class="num">${percent(f.refund_rate_bp)}</td><td class="num" data-score="payouts"><a href="/admin/money?kind=payout">${String(payouts.paid.count)}</a></td><td class="num" data-score="paid-out">${money(payouts.paid.amount, s.currency)}</td><td class="num" data-score="payouts-open">${`${payouts.pending.count} / ${payouts.failed.count}`}</td></tr>`,
  ],
)}`;
  }

  app.get('/people/:id', hide, async (request, reply) => {
    const admin = adminOf(request);
    const { user: u, seller } = await governance.getUser(idParam(request));
    const now = deps.clock.now();
    const status = effectiveStatus(u, now);
    const [asBuyer, asSeller, apiSessions, consoleSessions] = await Promise.all([
      deps.searchOrders({ buyerId: u.id, limit: USER_ORDERS }),
      u.roles.includes('seller')
        ? deps.searchOrders({ sellerId: u.id, limit: USER_ORDERS })
        : Promise.resolve({ items: [], next_cursor: null }),
      governance.activeSessions(u.id),
      sessions.activeOf(u.id),
    ]);
    const orderRows = [
      ...asBuyer.items.map((o) => ['buyer', o] as const),
      ...asSeller.items.map((o) => ['seller', o] as const),
    ].map(
      ([side, o]) =>
        html`<tr data-order="${o.id}"><td><a href="/admin/orders/${o.id}">${o.id.slice(0, 8)}</a></td><td>${side}</td><td>${o.status}</td><td class="num">${money(o.finalAmount + o.deliveryFee, o.currency)}</td><td>${darTime(o.createdAt)}</td></tr>`,
    );
    const more = (side: 'buyer' | 'seller', r: { next_cursor: string | null }) =>
      r.next_cursor
        ? html`<p class="pager"><a href="/admin/orders?${side}=${encodeURIComponent(u.phone)}">All their orders as ${side} →</a></p>`
        : '';
    const sessionRows = [
      ...apiSessions.map(
        (x) =>
          html`<tr data-session="${x.id}"><td>app / API</td><td>${darTime(x.createdAt)}</td><td>${darTime(x.expiresAt)}</td><td>${x.userAgent ?? '—'} <span class="muted">${x.ip ?? ''}</span></td><td><form method="post" action="/admin/people/${u.id}/sessions/${x.id}/revoke" class="inline">${csrfField(admin.csrf)}<input name="reason" placeholder="reason" required minlength="3" maxlength="500"><button type="submit" class="danger">Revoke</button></form></td></tr>`,
      ),
      ...consoleSessions.map(
        (x) =>
          html`<tr data-console-session="${x.id}"><td>console</td><td>${darTime(x.createdAt)}</td><td>${darTime(x.expiresAt)}</td><td class="muted">last seen ${darTime(x.lastSeenAt)}</td><td class="muted">ends on ban or suspension</td></tr>`,
      ),
    ];
    const card = u.roles.includes('seller') ? await scorecard(u.id) : null;
    const points = await loyaltySection(deps, admin.csrf, u.id);
    const action = (name: string, label: string, danger = false) =>
      html`<form method="post" action="/admin/people/${u.id}/${name}" class="card">${csrfField(admin.csrf)}${reasonField()}<button type="submit"${danger ? html` class="danger"` : ''}>${label}</button></form>`;
    const body = html`<table><tbody>
<tr><th>Phone</th><td>${u.phone}</td></tr>
<tr><th>Name</th><td>${u.displayName ?? '—'}</td></tr>
<tr><th>Roles</th><td>${u.roles.join(', ')}</td></tr>
<tr><th>Status</th><td class="user-status">${status}${u.statusReason ? html` — ${u.statusReason}` : ''}</td></tr>
<tr><th>Shop</th><td>${seller?.shopName ?? '—'}</td></tr>
${u.roles.includes('rider') ? html`<tr><th>Rider</th><td><a href="/admin/riders/${u.id}">Rider scorecard</a></td></tr>` : ''}
</tbody></table>
${card ?? ''}
<div class="side-by-side">${
      status === 'active'
        ? html`${action('suspend', 'Suspend', true)}${action('ban', 'Ban', true)}`
        : action('reinstate', 'Reinstate')
    }</div>
<h2>Orders</h2>${table(['Order', 'As', 'Status', 'Paid', 'Created'], orderRows, 'No orders.')}
${more('buyer', asBuyer)}${more('seller', asSeller)}
<h2>Open sessions</h2>${table(['Kind', 'Signed in', 'Ends', 'Device', ''], sessionRows, 'No open sessions.')}
${points}`;
    return reply.type('text/html').send(page('User', admin, body, flashOf(request)).value);
  });

  for (const name of ['suspend', 'ban', 'reinstate'] as const) {
    app.post(`/people/:id/${name}`, hide, async (request, reply) => {
      const id = idParam(request);
      await governance[name](adminOf(request).userId, id, { reason: requireReason(request) });
      return reply.redirect(doneUrl(`/admin/people/${id}`, 'saved'), 303);
    });
  }

  app.post('/people/:id/sessions/:sessionId/revoke', hide, async (request, reply) => {
    const id = idParam(request);
    const sessionId = idParam(request, 'sessionId');
    await governance.revokeSession(adminOf(request).userId, id, sessionId, {
      reason: requireReason(request),
    });
    return reply.redirect(doneUrl(`/admin/people/${id}`, 'session_revoked'), 303);
  });

  app.get('/riders', hide, async (request, reply) => {
    const admin = adminOf(request);
    const status = pick(queryValue(request, 'status'), RIDER_STATUSES, 'pending');
    const riders = await deps.riders.list({ status });
    const rows = riders.map(
      (r) =>
        html`<tr data-rider="${r.userId}"><td><a href="/admin/riders/${r.userId}">${r.userId}</a></td><td>${r.vehicle} ${r.plate ?? ''}</td><td>${r.status}${r.statusReason ? html` — ${r.statusReason}` : ''}</td><td>${darTime(r.createdAt)}</td><td>${
          r.status === 'pending'
            ? html`<form method="post" action="/admin/riders/${r.userId}/verify" class="inline">${csrfField(admin.csrf)}<input name="reason" placeholder="reason" required minlength="3"><button type="submit">Verify</button></form>
<form method="post" action="/admin/riders/${r.userId}/reject" class="inline">${csrfField(admin.csrf)}<input name="reason" placeholder="reason" required minlength="3"><button type="submit" class="danger">Reject</button></form>`
            : ''
        }</td></tr>`,
    );
    const body = html`<p>${RIDER_STATUSES.map((s) => html`<a href="/admin/riders?status=${s}">${s}</a> `)}</p>
${table(['Rider', 'Vehicle', 'Status', 'Applied', ''], rows, 'No riders.')}`;
    return reply.type('text/html').send(page(`Riders (${status})`, admin, body, flashOf(request)).value);
  });

  for (const name of ['verify', 'reject'] as const) {
    app.post(`/riders/:id/${name}`, hide, async (request, reply) => {
      await deps.riders[name](adminOf(request).userId, idParam(request), requireReason(request));
      return reply.redirect(doneUrl('/admin/riders', name === 'verify' ? 'verified' : 'rejected'), 303);
    });
  }
}
