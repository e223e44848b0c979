import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuthOnEveryRoute } from '../../shared/auth.js';
import { problemResponse, problemSchema, problems } from '../../shared/errors.js';
import { MONEY_UNIT, WHOLE_SHILLINGS } from '../../shared/money.js';
import { idParam } from '../../shared/pagination.js';
import { toDarTime, toDarTimeOrNull } from '../../shared/time.js';
import { MAX_DELIVERY_FEE } from './fees.js';
import { MAX_RING_POINTS } from './geo.js';
import { DAR_TIMEZONE, formatClock, MAX_PROMISE_MINUTES, WEEKDAY_NAMES } from './promise.js';
import type { FeeTable, ServiceHoursView, Zone, ZonesService } from './service.js';

// Problems that carry members beyond the base problem (RFC 9457 extensions), documented as sent.
const zoneConflictProblem = problemResponse(
  problemSchema.extend({
    overlapping_zones: z
      .array(z.object({ id: z.uuid(), name: z.string(), cells: z.number().int() }))
      .optional()
      .describe('ZONE_OVERLAP: the zones the polygon shares cells with'),
    zone_id: z.uuid().optional().describe('ZONE_NAME_TAKEN: the zone that has the name'),
  }),
  'Conflict (ZONE_OVERLAP, ZONE_NAME_TAKEN)',
);
const feeTableProblem = problemResponse(
  problemSchema.extend({
    missing_pairs: z
      .array(
        z.object({
          from_zone_id: z.uuid(),
          from_zone: z.string(),
          to_zone_id: z.uuid(),
          to_zone: z.string(),
        }),
      )
      .optional()
      .describe('FEE_TABLE_INCOMPLETE: every ordered pair of active zones the table lacks'),
  }),
  'Unprocessable Content',
);

// Admin routes of delivery zones, the fee table and service hours (mounted under /api/v1/admin).
// Shapes are checked here; every rule (closed ring, overlap, complete table, …) is the service's.

const reason = z.string().trim().min(1).max(500).describe('Why: kept in the audit trail');
const zoneName = z.string().trim().min(1).max(80);
const polygon = z
  .array(z.tuple([z.number(), z.number()]))
  .max(MAX_RING_POINTS)
  .describe(
    'GeoJSON-like linear ring of [lng, lat] points; the last point repeats the first. The zone is the H3 cells (resolution 8, ~0.74 km²) whose centre is inside.',
  );

const zoneSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    polygon: z.array(z.tuple([z.number(), z.number()])),
    cell_count: z.number().int(),
    active: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'DeliveryZone' });
const zoneWithCells = zoneSchema
  .extend({ cells: z.array(z.string()).describe('H3 cells, resolution 8') })
  .meta({ id: 'DeliveryZoneWithCells' });

const toZone = (zone: Zone) => ({
  id: zone.id,
  name: zone.name,
  polygon: zone.polygon,
  cell_count: zone.cellCount,
  active: zone.active,
  created_at: toDarTime(zone.createdAt),
  updated_at: toDarTime(zone.updatedAt),
});

const feeRowIn = z.strictObject({
  from_zone_id: z.uuid(),
  to_zone_id: z.uuid(),
  fee: z
    .number()
    .int()
    .min(0)
    .max(MAX_DELIVERY_FEE)
    .multipleOf(MONEY_UNIT, WHOLE_SHILLINGS)
    .describe('Minor units; integer; whole shillings'),
  duration_minutes: z.number().int().min(1).max(MAX_PROMISE_MINUTES).describe('Promised service minutes'),
});
const pairSchema = z.object({
  from_zone_id: z.uuid(),
  from_zone: z.string(),
  to_zone_id: z.uuid(),
  to_zone: z.string(),
});
const feeTableSchema = z
  .object({
    items: z.array(
      pairSchema.extend({
        fee: z.number().int(),
        currency: z.string(),
        duration_minutes: z.number().int(),
      }),
    ),
    missing: z
      .array(pairSchema)
      .describe('Pairs of active zones without a row: quotes between them are refused'),
    updated_at: z.string().nullable(),
  })
  .meta({ id: 'DeliveryFeeTable' });
const toFeeTable = (t: FeeTable) => ({
  items: t.items.map((r) => ({
    from_zone_id: r.fromZoneId,
    from_zone: r.fromZone,
    to_zone_id: r.toZoneId,
    to_zone: r.toZone,
    fee: r.fee,
    currency: r.currency,
    duration_minutes: r.durationMinutes,
  })),
  missing: t.missing,
  updated_at: toDarTimeOrNull(t.updatedAt),
});

const localTime = z.string().regex(/^\d{2}:\d{2}$/, 'must be "HH:MM" local time');
const dayIn = z.strictObject({
  weekday: z.number().int().min(0).max(6).describe('0 = Sunday … 6 = Saturday'),
  open: localTime.nullable().describe('Opening, Dar es Salaam time; null with close null: closed'),
  close: localTime.nullable().describe('Closing (exclusive), up to "24:00"'),
});
const hoursSchema = z
  .object({
    timezone: z.literal(DAR_TIMEZONE),
    is_default: z.boolean().describe('No admin has set hours yet: these are the defaults'),
    days: z.array(
      z.object({
        weekday: z.number().int(),
        day: z.string(),
        open: z.string().nullable(),
        close: z.string().nullable(),
        closed: z.boolean(),
      }),
    ),
    updated_at: z.string().nullable(),
  })
  .meta({ id: 'ServiceHours' });
const toHours = (v: ServiceHoursView) => ({
  timezone: DAR_TIMEZONE,
  is_default: v.isDefault,
  days: v.hours.map((h, weekday) => ({
    weekday,
    day: WEEKDAY_NAMES[weekday]!,
    open: h ? formatClock(h.open) : null,
    close: h ? formatClock(h.close) : null,
    closed: h === null,
  })),
  updated_at: toDarTimeOrNull(v.updatedAt),
});

/** Admin-only: zones, the zone-to-zone fee table and service hours. Every change is audited with its reason. */
export function zonesAdminRoutes(deps: { zones: ZonesService }): FastifyPluginAsyncZod {
  const { zones } = deps;
  return async (app) => {
    requireAuthOnEveryRoute(app, 'admin');
    const s = { tags: ['admin', 'logistics'], security: bearerSecurity };

    app.post(
      '/zones',
      {
        schema: {
          ...s,
          summary: 'Create a delivery zone from a polygon (audited)',
          body: z.strictObject({
            name: zoneName,
            polygon,
            active: z.boolean().optional().describe('Default true'),
            reason,
          }),
          response: { 201: zoneSchema, ...problems(400, 401, 403, 422), 409: zoneConflictProblem },
        },
      },
      async (request, reply) =>
        reply.code(201).send(toZone(await zones.createZone(caller(request).userId, request.body))),
    );
    app.get(
      '/zones',
      {
        schema: {
          ...s,
          summary: 'All delivery zones, active or not, by name',
          response: { 200: z.object({ items: z.array(zoneSchema) }), ...problems(401, 403) },
        },
      },
      async () => ({ items: (await zones.listZones()).map(toZone) }),
    );
    app.get(
      '/zones/:id',
      {
        schema: {
          ...s,
          summary: 'A delivery zone with its H3 cells',
          params: idParam,
          response: { 200: zoneWithCells, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { zone, cells } = await zones.getZone(request.params.id);
        return { ...toZone(zone), cells };
      },
    );
    app.patch(
      '/zones/:id',
      {
        schema: {
          ...s,
          summary: 'Rename, redraw, switch a zone on or off (audited)',
          params: idParam,
          body: z
            .strictObject({
              name: zoneName.optional(),
              polygon: polygon.optional(),
              active: z.boolean().optional(),
              reason,
            })
            .refine((v) => Object.keys(v).length > 1, 'send at least one field besides the reason'),
          response: { 200: zoneSchema, ...problems(400, 401, 403, 404, 422), 409: zoneConflictProblem },
        },
      },
      async (request) =>
        toZone(await zones.updateZone(caller(request).userId, request.params.id, request.body)),
    );

    app.put(
      '/delivery-fees',
      {
        // A table of n zones has n² rows: 10,000 rows is about 1.3 MB of JSON.
        bodyLimit: 2 * 1024 * 1024,
        schema: {
          ...s,
          summary: 'Replace the whole zone-to-zone fee table (audited)',
          description:
            'Every ordered pair of active zones, same zone included, needs exactly one row; a pair may name an inactive zone.',
          body: z.strictObject({ fees: z.array(feeRowIn).max(10_000), reason }),
          response: { 200: feeTableSchema, ...problems(400, 401, 403, 413), 422: feeTableProblem },
        },
      },
      async (request) => toFeeTable(await zones.replaceFees(caller(request).userId, request.body)),
    );
    app.get(
      '/delivery-fees',
      {
        schema: {
          ...s,
          summary: 'The zone-to-zone fee table, and the pairs of active zones it lacks',
          response: { 200: feeTableSchema, ...problems(401, 403) },
        },
      },
      async () => toFeeTable(await zones.feeTable()),
    );

    app.put(
      '/service-hours',
      {
        schema: {
          ...s,
          summary: 'Replace the delivery hours of the week (audited)',
          description:
            'All seven weekdays, Africa/Dar_es_Salaam time. The promise clock runs only inside these hours.',
          body: z.strictObject({ days: z.array(dayIn).max(7), reason }),
          response: { 200: hoursSchema, ...problems(400, 401, 403, 422) },
        },
      },
      async (request) => toHours(await zones.replaceServiceHours(caller(request).userId, request.body)),
    );
    app.get(
      '/service-hours',
      {
        schema: {
          ...s,
          summary: 'Delivery hours of the week',
          response: { 200: hoursSchema, ...problems(401, 403) },
        },
      },
      async () => toHours(await zones.serviceHours()),
    );
  };
}
