// Logistics, the changes: create and edit a delivery zone, replace the zone-to-zone fee table, set the
// service hours — the admin API's POST/PATCH /zones, PUT /delivery-fees and PUT /service-hours, through
// the zones service's own commands (closed ring, overlap, complete table, hours; one audit row with
// the reason). The console only turns form fields into the API's shapes.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { unprocessable } from '../../shared/errors.js';
import { MONEY_UNIT } from '../../shared/money.js';
import type { DayHoursInput, FeeRowInput, Ring } from '../zones/index.js';
import { doneUrl, flashOf, formValue, idParam, requireReason, requireText } from './forms.js';
import { adminOf } from './guard.js';
import { type Html, html } from './html.js';
import { csrfField, page, reasonField, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
const uuid = z.uuid();

/** The polygon textarea: JSON `[[lng, lat], …]`; the zones service checks the ring itself. */
function polygonOf(request: FastifyRequest): Ring {
  const raw = formValue(request, 'polygon');
  try {
    return JSON.parse(raw) as Ring;
  } catch {
    throw unprocessable('INVALID_POLYGON', 'polygon', 'polygon must be JSON: [[lng, lat], …], closed.');
  }
}

function zoneForm(csrf: string, action: string, values: { name: string; polygon: string; active: boolean }) {
  return html`<form method="post" action="${action}" class="card stack">${csrfField(csrf)}
<label>Name <input name="name" required maxlength="80" value="${values.name}"></label>
<label>Polygon <span class="muted">(JSON [[lng, lat], …], the last point repeating the first)</span>
<textarea name="polygon" rows="6" required>${values.polygon}</textarea></label>
<label><input type="checkbox" name="active"${values.active ? html` checked` : ''}> Active (takes deliveries)</label>
${reasonField()}<button type="submit">Save zone</button></form>`;
}

export function logisticsEditRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const { zones } = deps;
  const hide = { schema: { hide: true } };
  const send = (request: FastifyRequest, title: string, body: Html) =>
    page(title, adminOf(request), body, flashOf(request)).value;

  app.get('/logistics/zones/new', hide, async (request, reply) => {
    const body = html`<p><a href="/admin/logistics">← Logistics</a></p>
${zoneForm(adminOf(request).csrf, '/admin/logistics/zones', { name: '', polygon: '', active: true })}`;
    return reply.type('text/html').send(send(request, 'New delivery zone', body));
  });

  app.post('/logistics/zones', hide, async (request, reply) => {
    const reason = requireReason(request);
    const zone = await zones.createZone(adminOf(request).userId, {
      name: requireText(request, 'name', 80),
      polygon: polygonOf(request),
      active: formValue(request, 'active') === 'on',
      reason,
    });
    return reply.redirect(doneUrl(`/admin/logistics/zones/${zone.id}`, 'created'), 303);
  });

  app.get('/logistics/zones/:id', hide, async (request, reply) => {
    const { zone, cells } = await zones.getZone(idParam(request));
    const body = html`<p><a href="/admin/logistics">← Logistics</a></p>
<p>${cells.length} cells · ${zone.active ? 'active' : 'off'}</p>
${zoneForm(adminOf(request).csrf, `/admin/logistics/zones/${zone.id}`, {
  name: zone.name,
  polygon: JSON.stringify(zone.polygon),
  active: zone.active,
})}`;
    return reply.type('text/html').send(send(request, `Zone ${zone.name}`, body));
  });

  // The form sends every field; only what differs is passed on, so the audit row names the real change.
  app.post('/logistics/zones/:id', hide, async (request, reply) => {
    const id = idParam(request);
    const reason = requireReason(request);
    const { zone } = await zones.getZone(id);
    const name = requireText(request, 'name', 80);
    const polygon = polygonOf(request);
    const active = formValue(request, 'active') === 'on';
    await zones.updateZone(adminOf(request).userId, id, {
      ...(name !== zone.name ? { name } : {}),
      ...(JSON.stringify(polygon) !== JSON.stringify(zone.polygon) ? { polygon } : {}),
      active,
      reason,
    });
    return reply.redirect(doneUrl(`/admin/logistics/zones/${id}`, 'saved'), 303);
  });

  app.get('/logistics/fees', hide, async (request, reply) => {
    const [all, fees] = await Promise.all([zones.listZones(), zones.feeTable()]);
    // Every pair of active zones, and any pair the table already holds (an inactive zone's row may stay).
    const byPair = new Map(fees.items.map((f) => [`${f.fromZoneId}.${f.toZoneId}`, f]));
    const involved = all.filter(
      (z) => z.active || fees.items.some((f) => f.fromZoneId === z.id || f.toZoneId === z.id),
    );
    const rows = involved.flatMap((from) =>
      involved.map((to) => {
        const key = `${from.id}.${to.id}`;
        const f = byPair.get(key);
        return html`<tr data-pair="${key}"><td>${from.name}</td><td>${to.name}</td><td><input name="fee.${key}" inputmode="numeric" aria-label="Fee ${from.name} to ${to.name}" value="${f ? String(f.fee / MONEY_UNIT) : ''}"></td><td><input name="minutes.${key}" inputmode="numeric" aria-label="Minutes ${from.name} to ${to.name}" value="${f ? String(f.durationMinutes) : ''}"></td></tr>`;
      }),
    );
    const body = html`<p><a href="/admin/logistics">← Logistics</a></p>
<p class="muted">The whole table is replaced. Every pair of active zones needs a fee (whole shillings) and the minutes promised; leave a pair empty to drop it.</p>
<form method="post" action="/admin/logistics/fees" class="card">${csrfField(adminOf(request).csrf)}
${table(['From', 'To', 'Fee (TZS)', 'Promised (min)'], rows, 'No zones yet.')}
${reasonField()}<button type="submit">Replace the fee table</button></form>`;
    return reply.type('text/html').send(send(request, 'Delivery fees', body));
  });

  app.post('/logistics/fees', hide, async (request, reply) => {
    const reason = requireReason(request);
    const form = (request.body ?? {}) as Record<string, unknown>;
    const fees: FeeRowInput[] = [];
    for (const [name, value] of Object.entries(form)) {
      const m = /^fee\.([^.]+)\.([^.]+)$/.exec(name);
      if (!m || typeof value !== 'string' || value.trim() === '') continue;
      const [, from, to] = m as unknown as [string, string, string];
      if (!uuid.safeParse(from).success || !uuid.safeParse(to).success)
        throw unprocessable('INVALID_FIELD', name, 'Not a pair of zones.');
      const fee = value.trim();
      const minutes = formValue(request, `minutes.${from}.${to}`);
      if (!/^\d{1,9}$/.test(fee))
        throw unprocessable('INVALID_DELIVERY_FEE', name, 'A fee is a whole number of shillings.');
      if (!/^\d{1,6}$/.test(minutes))
        throw unprocessable('INVALID_DURATION', `minutes.${from}.${to}`, 'Give the minutes promised.');
      fees.push({
        from_zone_id: from,
        to_zone_id: to,
        fee: Number(fee) * MONEY_UNIT,
        duration_minutes: Number(minutes),
      });
    }
    await zones.replaceFees(adminOf(request).userId, { fees, reason });
    return reply.redirect(doneUrl('/admin/logistics', 'saved'), 303);
  });

  app.get('/logistics/hours', hide, async (request, reply) => {
    const { hours, isDefault } = await zones.serviceHours();
    const rows = hours.map(
      (h, i) =>
        html`<tr data-weekday="${i}"><td>${WEEKDAYS[i]}</td><td><input name="open.${i}" placeholder="HH:MM" aria-label="${WEEKDAYS[i]} opens" value="${h ? hhmm(h.open) : ''}"></td><td><input name="close.${i}" placeholder="HH:MM" aria-label="${WEEKDAYS[i]} closes" value="${h ? hhmm(h.close) : ''}"></td></tr>`,
    );
    const body = html`<p><a href="/admin/logistics">← Logistics</a></p>
<p class="muted">Dar es Salaam time${isDefault ? '; these are the defaults, no admin has set hours yet' : ''}. Leave both empty for a closed day; a day may close at 24:00.</p>
<form method="post" action="/admin/logistics/hours" class="card">${csrfField(adminOf(request).csrf)}
${table(['Day', 'Opens', 'Closes'], rows)}
${reasonField()}<button type="submit">Save service hours</button></form>`;
    return reply.type('text/html').send(send(request, 'Service hours', body));
  });

  app.post('/logistics/hours', hide, async (request, reply) => {
    const reason = requireReason(request);
    const days: DayHoursInput[] = WEEKDAYS.map((_, weekday) => {
      const open = formValue(request, `open.${weekday}`);
      const close = formValue(request, `close.${weekday}`);
      return { weekday, open: open || null, close: close || null };
    });
    await zones.replaceServiceHours(adminOf(request).userId, { days, reason });
    return reply.redirect(doneUrl('/admin/logistics', 'saved'), 303);
  });
}
