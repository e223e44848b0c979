// Logistics: the delivery zones on a map (drawn from their cells) and as a table, the on-time rate by
// zone, the zone-to-zone fee table with the pairs it lacks, the service hours, and the dispatch queue
// (orders ready for pickup with no rider, the longest wait first). Read-only: zones and fees are
// changed through the zones admin API.
import type { FastifyInstance } from 'fastify';
import { zoneOutline } from '../zones/index.js';
import { chart, percent } from './analytics.js';
import { adminOf } from './guard.js';
import { html } from './html.js';
import { age, darTime, money, page, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';
import { zoneMapSvg } from './zone-map.js';

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
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
    const [zones, fees, hours, ready, onTime] = await Promise.all([
      deps.zones.listZones(),
      deps.zones.feeTable(),
      deps.zones.serviceHours(),
      deps.searchOrders({ status: 'ready_for_pickup', limit: DISPATCH_SHOWN }),
      // The analytics default: the last 30 Dar es Salaam days.
      deps.analytics.onTimeByZone({}),
    ]);
    // Sequential: a zone's cells are read one zone at a time (a city has a handful of zones).
    const outlines = [];
    for (const z of zones) {
      const { cells } = await deps.zones.getZone(z.id);
      outlines.push({ id: z.id, name: z.name, active: z.active, outline: zoneOutline(cells) });
    }
    const map = zoneMapSvg(outlines);
    const onTimeRows = onTime.items.map(
      (r) =>
        html`<tr data-on-time="${r.zone ?? ''}"><td>${r.zone ?? html`<span class="muted">no zone (flat fee)</span>`}</td><td class="num">${r.delivered}</td><td class="num">${r.on_time}</td><td class="num">${r.late}</td><td class="num">${percent(r.on_time_rate_bp)}</td></tr>`,
    );
    const zoneRows = zones.map(
      (z) =>
        html`<tr data-zone="${z.id}"><td>${z.name}</td><td>${z.active ? 'active' : 'off'}</td><td class="num">${z.cellCount}</td><td>${darTime(z.updatedAt)}</td></tr>`,
    );
    const feeRows = fees.items.map(
      (f) =>
        html`<tr><td>${f.fromZone}</td><td>${f.toZone}</td><td class="num">${money(f.fee, f.currency)}</td><td class="num">${f.durationMinutes} min</td></tr>`,
    );
    const hourRows = hours.hours.map(
      (h, weekday) =>
        html`<tr><td>${WEEKDAYS[weekday]}</td><td>${h ? `${clock(h.open)}–${clock(h.close)}` : 'closed'}</td></tr>`,
    );
    // Waiting since it became ready (its last change), the longest first.
    const waiting = ready.items
      .filter((o) => o.riderId === null)
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime());
    const dispatchRows = waiting.map(
      (o) =>
        html`<tr data-dispatch="${o.id}"><td><a href="/admin/orders/${o.id}">${o.id.slice(0, 8)}</a></td><td><a href="/admin/people/${o.sellerId}">seller</a></td><td>${darTime(o.updatedAt)}</td><td class="num wait">${age(o.updatedAt, now)}</td></tr>`,
    );
    const body = html`<h2>Dispatch queue <span class="muted">(ready for pickup, no rider)</span></h2>
${table(['Order', 'From', 'Ready since', 'Waiting'], dispatchRows, 'No order waits for a rider.')}
<h2>Zones</h2>${map ? chart(map, 'Delivery zones drawn from their cells') : ''}
${table(['Zone', 'Status', 'Cells', 'Changed'], zoneRows, 'No delivery zones yet.')}
<h2>On time by zone <span class="muted">(delivered with a promise, ${onTime.range.from} to ${onTime.range.to}, destination zone as at checkout)</span></h2>
${table(['Zone', 'Delivered', 'On time', 'Late', 'On-time rate'], onTimeRows, 'No order with a promised time was delivered in this range.')}
<h2>Fee table</h2>${table(['From', 'To', 'Fee', 'Promised'], feeRows, 'No fees set.')}
${fees.missing.length ? html`<p class="error">Missing pairs (quotes between them are refused): ${fees.missing.map((m, i) => html`${i ? ', ' : ''}${m.from_zone} → ${m.to_zone}`)}</p>` : ''}
<h2>Service hours <span class="muted">(Dar es Salaam${hours.isDefault ? ', defaults' : ''})</span></h2>
${table(['Day', 'Hours'], hourRows)}`;
    return reply.type('text/html').send(page('Logistics', admin, body).value);
  });
}
