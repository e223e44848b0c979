// People → a rider's scorecard: verification state (verify/reject while pending), online now, and
// over the last 30 days (the window of Logistics' on-time table) the jobs taken and how they ended,
// deliveries and the on-time rate (the orders module's rule, as on Logistics), and offers missed.
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../shared/errors.js';
import { DAY } from '../../shared/time.js';
import { presenceOf } from '../riders/index.js';
import { flashOf, idParam } from './forms.js';
import { adminOf } from './guard.js';
import { html } from './html.js';
import { csrfField, darTime, page, reasonField, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';

/** The same window as the on-time table on Logistics. */
export const RIDER_SCORECARD_DAYS = 30;

/** A share in tenths of a percent, rounded down (never shown better than it is); '—' for none. */
function share(part: number, whole: number) {
  return whole === 0 ? '—' : `${Math.floor((part * 1000) / whole) / 10}%`;
}

export function riderScorecardRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const hide = { schema: { hide: true } };

  app.get('/riders/:id', hide, async (request, reply) => {
    const admin = adminOf(request);
    const id = idParam(request);
    const profile = await deps.riders.profileOf(id);
    if (!profile) throw notFound('Rider');
    const now = deps.clock.now();
    const period = { from: new Date(now.getTime() - RIDER_SCORECARD_DAYS * DAY), to: now };
    const [{ user }, card, inHand, onTime] = await Promise.all([
      deps.identity.governance.getUser(id),
      deps.riders.scorecard(id, period),
      deps.riders.jobsInHand([id]),
      deps.orders.service.onTimeRate({ by: 'rider', ...period }),
    ]);
    const mine = onTime.find((r) => r.key === id);
    const delivered = mine?.delivered ?? 0;
    const late = mine?.late ?? 0;
    const presence = presenceOf(profile.availability, inHand.get(id) ?? 0);
    const decide =
      profile.status === 'pending'
        ? html`<div class="side-by-side"><form method="post" action="/admin/riders/${id}/verify" class="card">${csrfField(admin.csrf)}${reasonField()}<button type="submit">Verify rider</button></form>
<form method="post" action="/admin/riders/${id}/reject" class="card">${csrfField(admin.csrf)}${reasonField()}<button type="submit" class="danger">Reject rider</button></form></div>`
        : '';
    const c = card;
    const body = html`<p><a href="/admin/riders?status=${profile.status}">← Riders</a> · <a href="/admin/people/${id}">Their account</a></p>
<table><tbody>
<tr><th>Phone</th><td>${user.phone}</td></tr>
<tr><th>Name</th><td class="rider-name">${user.displayName ?? '—'}</td></tr>
<tr><th>Vehicle</th><td>${profile.vehicle} ${profile.plate ?? ''}</td></tr>
<tr><th>Verification</th><td class="rider-status">${profile.status}${profile.statusReason ? html` — ${profile.statusReason}` : ''}</td></tr>
<tr><th>Now</th><td class="rider-presence">${presence}${profile.lastPingAt ? html` <span class="muted">(last position ${darTime(profile.lastPingAt)})</span>` : ''}</td></tr>
</tbody></table>
${decide}
<h2>Scorecard <span class="muted">(last ${RIDER_SCORECARD_DAYS} days)</span></h2>
${table(
  [
    'Jobs',
    'Delivered',
    'Failed or returned',
    'Released',
    'In hand',
    'On time',
    'Late',
    'On-time rate',
    'Offers',
    'Accepted',
    'Declined',
    'No-shows (offer expired)',
  ],
  [
    html`<tr data-row="rider-scorecard"><td class="num" data-score="jobs">${c.jobs}</td><td class="num" data-score="delivered">${c.delivered}</td><td class="num" data-score="failed">${c.failed}</td><td class="num" data-score="released">${c.released}</td><td class="num" data-score="in-hand">${c.inHand}</td><td class="num" data-score="on-time">${delivered - late}</td><td class="num" data-score="late">${late}</td><td class="num" data-score="on-time-rate">${share(delivered - late, delivered)}</td><td class="num" data-score="offers">${c.offers.sent}</td><td class="num" data-score="accepted">${c.offers.accepted}</td><td class="num" data-score="declined">${c.offers.declined}</td><td class="num" data-score="no-shows">${c.offers.expired}</td></tr>`,
  ],
)}
<p class="muted">Jobs count by when they were assigned; on time counts deliveries with a promised time, by when they were delivered. Acceptance of offers: ${share(c.offers.accepted, c.offers.sent)}.</p>`;
    return reply.type('text/html').send(page('Rider', admin, body, flashOf(request)).value);
  });
}
