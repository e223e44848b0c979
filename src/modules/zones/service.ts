import type { Clock } from '../../shared/clock.js';
import { AppError, conflict, notFound, unprocessable } from '../../shared/errors.js';
import type { IdGenerator } from '../../shared/ids.js';
import { type FeeRowInput, type MissingPair, missingPairs, validateFeeTable } from './fees.js';
import { cellOf, cellsAround, type LatLng, type Ring, ringToCells } from './geo.js';
import {
  type DayHoursInput,
  DEFAULT_SERVICE_HOURS,
  formatClock,
  parseServiceHours,
  promise,
  type WeeklyHours,
} from './promise.js';
import {
  CellTakenError,
  type FeeRecord,
  type HoursRecord,
  type ZoneRecord,
  type ZonesStore,
  type ZonesWriter,
} from './store.js';

/** Delivery fees are in this currency (K'KOO delivers in Dar es Salaam). */
export const DELIVERY_CURRENCY = 'TZS';

export type Zone = ZoneRecord;

export interface ZoneInput {
  name: string;
  polygon: Ring;
  /** default true */
  active?: boolean | undefined;
  reason: string;
}

export interface ZonePatch {
  name?: string | undefined;
  polygon?: Ring | undefined;
  active?: boolean | undefined;
  reason: string;
}

export interface FeeTableEntry {
  fromZoneId: string;
  fromZone: string;
  toZoneId: string;
  toZone: string;
  fee: number;
  currency: string;
  durationMinutes: number;
}

export interface FeeTable {
  items: FeeTableEntry[];
  /** pairs of active zones with no row: quotes between them are refused until an admin adds them */
  missing: MissingPair[];
  updatedAt: Date | null;
}

export interface ServiceHoursView {
  hours: WeeklyHours;
  /** true while no admin has set hours: the defaults apply */
  isDefault: boolean;
  updatedAt: Date | null;
}

export interface Quote {
  fromZone: { id: string; name: string };
  toZone: { id: string; name: string };
  /** minor units, whole shillings */
  fee: number;
  currency: string;
  durationMinutes: number;
  promisedBy: Date;
}

/** "  Mbezi   Beach " → "Mbezi Beach". */
const cleanName = (name: string) => name.trim().replace(/\s+/g, ' ');

async function assertNoOverlap(w: ZonesWriter, cells: readonly string[], exceptZoneId?: string) {
  const owners = await w.owners(cells, exceptZoneId);
  if (!owners.length) return;
  const names = owners.map((o) => `${o.name} (${o.cells} cell${o.cells === 1 ? '' : 's'})`).join(', ');
  throw new AppError(
    'ZONE_OVERLAP',
    409,
    `The polygon overlaps the zone(s) ${names}: zones may not share a cell.`,
    {
      field: 'polygon',
      errors: owners.map((o) => ({
        field: 'polygon',
        code: 'ZONE_OVERLAP',
        message: `overlaps ${o.name} (${o.zoneId}) on ${o.cells} cell(s)`,
      })),
      extensions: { overlapping_zones: owners.map((o) => ({ id: o.zoneId, name: o.name, cells: o.cells })) },
    },
  );
}

async function storeCells(w: ZonesWriter, zoneId: string, cells: readonly string[]) {
  await assertNoOverlap(w, cells, zoneId);
  try {
    await w.replaceCells(zoneId, cells);
  } catch (err) {
    if (err instanceof CellTakenError) {
      throw new AppError(
        'ZONE_OVERLAP',
        409,
        'The polygon overlaps another zone: zones may not share a cell.',
        {
          field: 'polygon',
        },
      );
    }
    throw err;
  }
}

const hoursOut = (hours: WeeklyHours) =>
  hours.map((h, weekday) => ({
    weekday,
    open: h ? formatClock(h.open) : null,
    close: h ? formatClock(h.close) : null,
  }));

export function createZonesService(deps: { store: ZonesStore; clock: Clock; ids: IdGenerator }) {
  const { store, clock, ids } = deps;

  async function requireNameFree(w: ZonesWriter, name: string, exceptId?: string) {
    const other = await w.findZoneByName(name);
    if (other && other.id !== exceptId) {
      throw new AppError('ZONE_NAME_TAKEN', 409, `A zone is already named ${other.name}.`, {
        field: 'name',
        extensions: { zone_id: other.id },
      });
    }
  }

  async function loadHours(): Promise<ServiceHoursView> {
    const rows = await store.listHours();
    if (!rows.length) return { hours: DEFAULT_SERVICE_HOURS, isDefault: true, updatedAt: null };
    const updatedAt = new Date(Math.max(...rows.map((r) => r.updatedAt.getTime())));
    return { hours: hoursFrom(rows), isDefault: false, updatedAt };
  }

  async function getZone(id: string): Promise<{ zone: Zone; cells: string[] }> {
    const zone = await store.getZone(id);
    if (!zone) throw notFound('Delivery zone');
    const cells = zone.active ? await store.cellsOfZone(id) : ringToCells(zone.polygon);
    return { zone, cells };
  }

  async function zoneOfPoint(point: LatLng, field = 'location'): Promise<Zone | null> {
    return store.zoneOfCell(cellOf(point, field));
  }

  async function requireZoneOf(point: LatLng, field: string): Promise<Zone> {
    const zone = await zoneOfPoint(point, field);
    if (!zone) {
      throw unprocessable(
        'ADDRESS_OUTSIDE_ZONES',
        field,
        `${field} (${point.lat}, ${point.lng}) is outside every delivery zone: we cannot deliver there yet.`,
      );
    }
    return zone;
  }

  return {
    async createZone(adminId: string, input: ZoneInput): Promise<Zone> {
      const name = cleanName(input.name);
      if (!name) throw unprocessable('INVALID_ZONE_NAME', 'name', 'name must not be blank.');
      const cells = ringToCells(input.polygon, 'polygon');
      const active = input.active ?? true;
      return store.write(async (w) => {
        await requireNameFree(w, name);
        const now = clock.now();
        const zone: Zone = {
          id: ids.newId(),
          name,
          polygon: input.polygon,
          cellCount: cells.length,
          active,
          createdBy: adminId,
          createdAt: now,
          updatedAt: now,
        };
        await w.insertZone(zone);
        // An inactive zone claims no cell; its overlap is checked when it is switched on.
        if (active) await storeCells(w, zone.id, cells);
        await w.audit({
          actorUserId: adminId,
          action: 'delivery_zone.created',
          targetType: 'delivery_zone',
          targetId: zone.id,
          reason: input.reason,
          data: { name, active, polygon: input.polygon, cells: cells.length },
        });
        return zone;
      });
    },

    /** Every zone, active or not, by name. */
    listZones: (): Promise<Zone[]> => store.listZones(),

    /** A zone with its cells (for an inactive zone, the cells it would hold). */
    getZone,

    async updateZone(adminId: string, id: string, patch: ZonePatch): Promise<Zone> {
      const name = patch.name === undefined ? undefined : cleanName(patch.name);
      if (name === '') throw unprocessable('INVALID_ZONE_NAME', 'name', 'name must not be blank.');
      const newCells = patch.polygon ? ringToCells(patch.polygon, 'polygon') : null;
      return store.write(async (w) => {
        const zone = await w.getZone(id);
        if (!zone) throw notFound('Delivery zone');
        const changes: Record<string, unknown> = {};
        if (name !== undefined && name !== zone.name) {
          await requireNameFree(w, name, zone.id);
          changes.name = { from: zone.name, to: name };
        }
        const active = patch.active ?? zone.active;
        if (active !== zone.active) changes.active = { from: zone.active, to: active };
        if (patch.polygon && newCells) {
          changes.polygon = {
            from: zone.polygon,
            to: patch.polygon,
            from_cells: zone.cellCount,
            to_cells: newCells.length,
          };
        }
        if (active) {
          // Switched on, or reshaped while on: (re)claim its cells, refusing any overlap.
          const cells = newCells ?? (zone.active ? null : ringToCells(zone.polygon));
          if (cells) await storeCells(w, zone.id, cells);
        } else if (zone.active) {
          await w.replaceCells(zone.id, []);
        }
        const updated: Zone = {
          ...zone,
          name: name ?? zone.name,
          polygon: patch.polygon ?? zone.polygon,
          cellCount: newCells?.length ?? zone.cellCount,
          active,
          updatedAt: clock.now(),
        };
        await w.updateZone(id, {
          name: updated.name,
          polygon: updated.polygon,
          cellCount: updated.cellCount,
          active: updated.active,
          updatedAt: updated.updatedAt,
        });
        await w.audit({
          actorUserId: adminId,
          action: 'delivery_zone.updated',
          targetType: 'delivery_zone',
          targetId: id,
          reason: patch.reason,
          data: { changes },
        });
        return updated;
      });
    },

    /** The whole fee table with zone names, and the pairs of active zones it lacks. */
    async feeTable(): Promise<FeeTable> {
      const [rows, zones] = await Promise.all([store.listFees(), store.listZones()]);
      return tableOf(rows, zones);
    },

    /** Replaces the whole fee table (see validateFeeTable for what is refused). */
    async replaceFees(adminId: string, input: { fees: FeeRowInput[]; reason: string }): Promise<FeeTable> {
      return store.write(async (w) => {
        const zones = await w.listZones();
        const rows = validateFeeTable(input.fees, zones, 'fees');
        const before = await w.listFees();
        const now = clock.now();
        const records: FeeRecord[] = rows.map((r) => ({
          ...r,
          currency: DELIVERY_CURRENCY,
          updatedBy: adminId,
          updatedAt: now,
        }));
        await w.replaceFees(records);
        // The audit keeps what changed, pair by pair: enough to rebuild any earlier table.
        const key = (r: { fromZoneId: string; toZoneId: string }) => `${r.fromZoneId}|${r.toZoneId}`;
        const old = new Map(before.map((r) => [key(r), r]));
        const changed: unknown[] = [];
        for (const r of records) {
          const o = old.get(key(r));
          old.delete(key(r));
          if (!o || o.fee !== r.fee || o.durationMinutes !== r.durationMinutes) {
            changed.push({
              from_zone_id: r.fromZoneId,
              to_zone_id: r.toZoneId,
              from: o ? { fee: o.fee, duration_minutes: o.durationMinutes } : null,
              to: { fee: r.fee, duration_minutes: r.durationMinutes },
            });
          }
        }
        for (const o of old.values()) {
          changed.push({
            from_zone_id: o.fromZoneId,
            to_zone_id: o.toZoneId,
            from: { fee: o.fee, duration_minutes: o.durationMinutes },
            to: null,
          });
        }
        await w.audit({
          actorUserId: adminId,
          action: 'delivery_fees.replaced',
          targetType: 'delivery_fee_table',
          targetId: 'all',
          reason: input.reason,
          data: { rows: records.length, changed },
        });
        return tableOf(records, zones);
      });
    },

    /** Delivery hours per weekday (the defaults until an admin sets them). */
    serviceHours: loadHours,

    /** Replaces the hours of all seven days (see parseServiceHours for what is refused). */
    async replaceServiceHours(
      adminId: string,
      input: { days: DayHoursInput[]; reason: string },
    ): Promise<ServiceHoursView> {
      const hours = parseServiceHours(input.days, 'days');
      return store.write(async (w) => {
        const before = hoursFrom(await w.listHours());
        const now = clock.now();
        await w.replaceHours(
          hours.map((h, weekday) => ({
            weekday,
            opensAtMinute: h?.open ?? null,
            closesAtMinute: h?.close ?? null,
            updatedBy: adminId,
            updatedAt: now,
          })),
        );
        await w.audit({
          actorUserId: adminId,
          action: 'service_hours.replaced',
          targetType: 'service_hours',
          targetId: 'all',
          reason: input.reason,
          data: { from: hoursOut(before), to: hoursOut(hours) },
        });
        return { hours, isDefault: false, updatedAt: now };
      });
    },

    /** The active zone a point lies in (through its cell), or null when it is outside every zone. */
    zoneOfPoint,

    /**
     * Fee, duration and promised time of a delivery from `pickup` to `dropoff`, asked at `now`
     * (default: the clock). Refusals: 422 `ADDRESS_OUTSIDE_ZONES` on `fields.pickup` (default
     * 'pickup') or `fields.dropoff` (default 'address'); 422 `INVALID_COORDINATES` on the same
     * fields; 409 `NO_FEE_FOR_ROUTE` when the fee table lacks the pair; 409 `NO_SERVICE_HOURS` when
     * every day is closed.
     */
    async quote(input: {
      pickup: LatLng;
      dropoff: LatLng;
      now?: Date | undefined;
      fields?: { pickup?: string; dropoff?: string } | undefined;
    }): Promise<Quote> {
      const from = await requireZoneOf(input.pickup, input.fields?.pickup ?? 'pickup');
      const to = await requireZoneOf(input.dropoff, input.fields?.dropoff ?? 'address');
      const row = await store.fee(from.id, to.id);
      if (!row) {
        throw conflict(
          'NO_FEE_FOR_ROUTE',
          `No delivery fee is set from ${from.name} to ${to.name} yet; an admin must complete the fee table.`,
        );
      }
      const { hours } = await loadHours();
      return {
        fromZone: { id: from.id, name: from.name },
        toZone: { id: to.id, name: to.name },
        fee: row.fee,
        currency: row.currency,
        durationMinutes: row.durationMinutes,
        promisedBy: promise({ now: input.now ?? clock.now(), durationMinutes: row.durationMinutes, hours }),
      };
    },

    /** `minutes` of service time from `start`: the clock stops while nobody delivers (seller deadlines use it). */
    async openDeadline(start: Date, minutes: number): Promise<Date> {
      const { hours } = await loadHours();
      return promise({ now: start, durationMinutes: minutes, hours });
    },

    /** The cells of a zone and every cell within `k` steps of them: "in or next to the zone". */
    async cellsAroundZone(zoneId: string, k = 1): Promise<string[]> {
      const { cells } = await getZone(zoneId);
      return cellsAround(cells, k);
    },
  };
}

/** Stored rows as WeeklyHours; no rows at all means the defaults. */
function hoursFrom(rows: readonly HoursRecord[]): WeeklyHours {
  if (!rows.length) return DEFAULT_SERVICE_HOURS;
  const hours: Array<WeeklyHours[number]> = Array.from({ length: 7 }, () => null);
  for (const r of rows) {
    hours[r.weekday] =
      r.opensAtMinute !== null && r.closesAtMinute !== null
        ? { open: r.opensAtMinute, close: r.closesAtMinute }
        : null;
  }
  return hours;
}

function tableOf(rows: readonly FeeRecord[], zones: readonly Zone[]): FeeTable {
  const names = new Map(zones.map((z) => [z.id, z.name]));
  const items = rows
    .map((r) => ({
      fromZoneId: r.fromZoneId,
      fromZone: names.get(r.fromZoneId) ?? '?',
      toZoneId: r.toZoneId,
      toZone: names.get(r.toZoneId) ?? '?',
      fee: r.fee,
      currency: r.currency,
      durationMinutes: r.durationMinutes,
    }))
    .sort((a, b) => a.fromZone.localeCompare(b.fromZone) || a.toZone.localeCompare(b.toZone));
  const updatedAt = rows.length ? new Date(Math.max(...rows.map((r) => r.updatedAt.getTime()))) : null;
  return { items, missing: missingPairs(rows, zones), updatedAt };
}

export type ZonesService = ReturnType<typeof createZonesService>;
