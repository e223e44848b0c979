// Logistics: the delivery zones on a map (drawn from their cells) and as a table, the on-time rate by
// zone, the zone-to-zone fee table with the pairs it lacks, the service hours, and the dispatch queue
// (orders ready for pickup with no rider, the longest wait first). Zones, fees and hours are changed
// on the pages of logistics-edit.ts.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { unprocessable } from '../../shared/errors.js';
import { DAY } from '../../shared/time.js';
import { zoneOutline } from '../zones/index.js';
import { chart } from './analytics.js';
import { doneUrl, flashOf, formValue, idParam, requireReason } from './forms.js';
import { adminOf } from './guard.js';
import { html } from './html.js';
import { age, csrfField, darTime, money, page, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';
import { zoneMapSvg } from './zone-map.js';

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
/** The on-time table's groupings: the admin API's `/logistics/on-time` `by`. */
const ON_TIME_BY = ['zone', 'seller', 'rider', 'day'] as const;
const ON_TIME_DAYS = 30;
/** The dispatch queue shown (the home page counts them all). */
const DISPATCH_SHOWN = 100;

/** Minutes after midnight as "08:30". */
const clock = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

export function logisticsRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const hide = { schema: { hide: true } };

  app.get('/logistics', hide, async (request, reply) => {
    const admin = adminOf(request);
    const now = deps.clock.now();
    const by = z
      .enum(ON_TIME_BY)
      .catch('zone')
      .parse((request.query as Record<string, unknown> | undefined)?.on_time_by);
    const [zones, fees, hours, ready, onTime, verifiedRiders, held] = await Promise.all([
      deps.zones.listZones(),
      deps.zones.feeTable(),
      deps.zones.serviceHours(),
      deps.searchOrders({ status: 'ready_for_pickup', limit: DISPATCH_SHOWN }),
      // The orders module's rate, as the admin API gives it: deliveries of the last 30 days.
      deps.orders.service.onTimeRate({ by, from: new Date(now.getTime() - ON_TIME_DAYS * DAY), to: now }),
      deps.riders.list({ status: 'verified' }),
      deps.riders.awaitingPickupOrderIds().then((ids) => new Set(ids)),
    ]);
    // Assign by hand: the riders module's own command (the API's /dispatch/:orderId/assign).
    const riderOptions = verifiedRiders.map(
      (r) =>
        html`<option value="${r.userId}">${r.userId.slice(0, 8)} · ${r.vehicle} · ${r.availability}</option>`,
    );
    const assignForm = (orderId: string) =>
      verifiedRiders.length
        ? html`<form method="post" action="/admin/dispatch/${orderId}/assign" class="inline">${csrfField(admin.csrf)}<select name="rider_id" aria-label="Rider">${riderOptions}</select><input name="reason" placeholder="reason" required minlength="3"><button type="submit">Assign</button></form>`
        : html`<span class="muted">no verified rider</span>`;
    // Sequential: a zone's cells are read one zone at a time (a city has a handful of zones).
    const outlines = [];
    for (const z of zones) {
      const { cells } = await deps.zones.getZone(z.id);
      outlines.push({ id: z.id, name: z.name, active: z.active, outline: zoneOutline(cells) });
    }
    const map = zoneMapSvg(outlines);
    const onTimeRows = onTime.map((r) => {
      const key =
        by === 'seller' || by === 'rider'
          ? r.key === 'no rider'
            ? html`${r.key}`
            : html`<a href="/admin/people/${r.key}">${r.key.slice(0, 8)}</a>`
          : html`${r.key}`;
      // A rate in tenths of a percent, rounded down (never shown better than it is).
      const rate = r.onTimeRate === null ? '—' : `${Math.floor(r.onTimeRate * 1000) / 10}%`;
      return html`<tr data-on-time="${r.key}"><td>${key}</td><td class="num">${r.delivered}</td><td class="num">${r.delivered - r.late}</td><td class="num">${r.late}</td><td class="num">${rate}</td></tr>`;
    });
    const byLinks = ON_TIME_BY.map(
      (b, i) =>
        html`${i ? ' · ' : ''}${b === by ? html`<strong>${b}</strong>` : html`<a href="/admin/logistics?on_time_by=${b}">${b}</a>`}`,
    );
    const zoneRows = zones.map(
      (z) =>
        html`<tr data-zone="${z.id}"><td><a href="/admin/logistics/zones/${z.id}">${z.name}</a></td><td>${z.active ? 'active' : 'off'}</td><td class="num">${z.cellCount}</td><td>${darTime(z.updatedAt)}</td></tr>`,
    );
    const feeRows = fees.items.map(
      (f) =>
        html`<tr><td>${f.fromZone}</td><td>${f.toZone}</td><td class="num">${money(f.fee, f.currency)}</td><td class="num">${f.durationMinutes} min</td></tr>`,
    );
    const hourRows = hours.hours.map(
      (h, weekday) =>
        html`<tr><td>${WEEKDAYS[weekday]}</td><td>${h ? `${clock(h.open)}–${clock(h.close)}` : 'closed'}</td></tr>`,
    );
    // Waiting since it became ready (its last change), the longest first; an order a rider has taken
    // but not collected is not waiting (orders.rider_id is only set at pickup).
    const waiting = ready.items
      .filter((o) => o.riderId === null && !held.has(o.id))
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime());
    const dispatchRows = waiting.map(
      (o) =>
        html`<tr data-dispatch="${o.id}"><td><a href="/admin/orders/${o.id}">${o.id.slice(0, 8)}</a></td><td><a href="/admin/people/${o.sellerId}">seller</a></td><td>${darTime(o.updatedAt)}</td><td class="num wait">${age(o.updatedAt, now)}</td><td>${assignForm(o.id)}</td></tr>`,
    );
    const body = html`<h2>Dispatch queue <span class="muted">(ready for pickup, no rider)</span></h2>
${table(['Order', 'From', 'Ready since', 'Waiting', 'Assign'], dispatchRows, 'No order waits for a rider.')}
<h2>Zones</h2><p><a href="/admin/logistics/zones/new">New zone</a> · <a href="/admin/logistics/fees">Edit the fee table</a> · <a href="/admin/logistics/hours">Edit service hours</a></p>${map ? chart(map, 'Delivery zones drawn from their cells') : ''}
${table(['Zone', 'Status', 'Cells', 'Changed'], zoneRows, 'No delivery zones yet.')}
<h2>On time by ${by} <span class="muted">(deliveries with a promise, last ${ON_TIME_DAYS} days${by === 'zone' ? ', destination zone as at checkout' : ''})</span></h2>
<p>By ${byLinks}</p>
${table([by, 'Delivered', 'On time', 'Late', 'On-time rate'], onTimeRows, 'No order with a promised time was delivered in this range.')}
<h2>Fee table</h2>${table(['From', 'To', 'Fee', 'Promised'], feeRows, 'No fees set.')}
${fees.missing.length ? html`<p class="error">Missing pairs (quotes between them are refused): ${fees.missing.map((m, i) => html`${i ? ', ' : ''}${m.from_zone} → ${m.to_zone}`)}</p>` : ''}
<h2>Service hours <span class="muted">(Dar es Salaam${hours.isDefault ? ', defaults' : ''})</span></h2>
${table(['Day', 'Hours'], hourRows)}`;
    return reply.type('text/html').send(page('Logistics', admin, body, flashOf(request)).value);
  });

  app.post('/dispatch/:orderId/assign', hide, async (request, reply) => {
    const orderId = idParam(request, 'orderId');
    const riderId = formValue(request, 'rider_id');
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(riderId))
      throw unprocessable('VALIDATION_FAILED', 'rider_id', 'Choose a rider.');
    await deps.riders.adminAssign(adminOf(request).userId, orderId, riderId, requireReason(request));
    return reply.redirect(doneUrl('/admin/logistics', 'rider_assigned'), 303);
  });
}
