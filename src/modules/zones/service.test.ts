import { sql } from 'drizzle-orm';
import { cellToLatLng } from 'h3-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import { memoryZonesStore } from '../../../test/support/zones-memory-store.js';
import type { DatabaseHandle } from '../../db/client.js';
import { DAR_DEMO_ZONES, demoFeeTable } from '../../demo-zones.js';
import { ManualClock } from '../../shared/clock.js';
import type { AppError } from '../../shared/errors.js';
import { randomIds } from '../../shared/ids.js';
import { createAuditService } from '../audit/index.js';
import { cellsAround, type Ring, ringToCells } from './geo.js';
import { createZonesModule, type Zone, type ZonesService } from './index.js';
import { createZonesService } from './service.js';
import { CellTakenError, drizzleZonesStore, type ZonesStore } from './store.js';

// The zones service, run twice with the same tests: on the in-memory store and on the database
// (PGlite, or PostgreSQL with TEST_DATABASE_URL). The database run creates the zone tables itself
// with the SQL drizzle-kit generates for schema.ts (IF NOT EXISTS: once the migration is
// committed, the tables are already there and these statements do nothing).

interface AuditRow {
  actorUserId: string | null;
  action: string;
  targetId: string;
  reason?: string | null | undefined;
  data?: Record<string, unknown> | null | undefined;
}

interface Harness {
  store: ZonesStore;
  service: ZonesService;
  clock: ManualClock;
  auditRows(): Promise<AuditRow[]>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

async function memoryHarness(): Promise<Harness> {
  const clock = new ManualClock('2026-11-24T09:00:00Z');
  const h: Harness = {
    store: memoryZonesStore(),
    service: null as unknown as ZonesService,
    clock,
    auditRows: async () => [...(h.store as ReturnType<typeof memoryZonesStore>).auditEntries],
    async reset() {
      h.store = memoryZonesStore();
      h.service = createZonesService({ store: h.store, clock, ids: randomIds });
    },
    close: async () => {},
  };
  await h.reset();
  return h;
}

async function databaseHarness(): Promise<Harness> {
  const handle: DatabaseHandle = await createTestDatabase();
  const clock = new ManualClock('2026-11-24T09:00:00Z');
  const audit = createAuditService({ db: handle.db, clock, ids: randomIds });
  const mod = createZonesModule({ db: handle.db, clock, ids: randomIds, audit });
  return {
    store: drizzleZonesStore(handle.db, audit),
    service: mod.service,
    clock,
    async auditRows() {
      const page = await audit.list({ limit: 100 });
      return page.items.reverse();
    },
    async reset() {
      for (const table of [
        'delivery_fees',
        'zone_cells',
        'service_hours',
        'delivery_zones',
        'audit_events',
      ]) {
        await handle.db.execute(sql.raw(`delete from ${table}`));
      }
    },
    close: () => handle.close(),
  };
}

const ADMIN = '00000000-0000-7000-8000-00000000ad01';
const demo = (name: string) => DAR_DEMO_ZONES.find((z) => z.name === name)!;
const local = (s: string) => new Date(`${s}+03:00`);
/** A point in the Indian Ocean east of Dar es Salaam: no zone there. */
const OCEAN = { lat: -6.8, lng: 39.6 };

async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    return e as AppError;
  }
  throw new Error('not refused');
}

const shift = (ring: Ring, dLng: number, dLat: number): Ring =>
  ring.map(([lng, lat]) => [lng + dLng, lat + dLat]);

describe.each([
  ['in memory', memoryHarness],
  ['on the database', databaseHarness],
])('zones service %s', (_kind, make) => {
  let h: Harness;
  let svc: ZonesService;
  beforeAll(async () => {
    h = await make();
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(async () => {
    await h.reset();
    svc = h.service;
    h.clock.set('2026-11-24T09:00:00Z');
  });

  async function createDemoZones(): Promise<Map<string, Zone>> {
    const out = new Map<string, Zone>();
    for (const z of DAR_DEMO_ZONES) {
      out.set(z.name, await svc.createZone(ADMIN, { name: z.name, polygon: z.polygon, reason: 'demo city' }));
    }
    return out;
  }
  const idsOf = (zones: Map<string, Zone>) => new Map([...zones].map(([n, z]) => [n, z.id]));

  it('creates zones from polygons; a point finds its zone through its cell', async () => {
    const zones = await createDemoZones();
    expect((await svc.listZones()).map((z) => z.name)).toEqual([
      'Kariakoo',
      'Kigamboni',
      'Kinondoni',
      'Mbezi',
      'Mikocheni',
    ]);
    const k = zones.get('Kariakoo')!;
    expect(k).toMatchObject({
      name: 'Kariakoo',
      active: true,
      cellCount: ringToCells(demo('Kariakoo').polygon).length,
    });
    expect((await svc.getZone(k.id)).cells).toEqual(ringToCells(demo('Kariakoo').polygon));
    for (const z of DAR_DEMO_ZONES) expect((await svc.zoneOfPoint(z.centre))?.name).toBe(z.name);
    expect(await svc.zoneOfPoint(OCEAN)).toBeNull();
    expect((await svc.getZone(k.id)).zone.polygon).toEqual(demo('Kariakoo').polygon);
    const audit = await h.auditRows();
    expect(audit).toHaveLength(5);
    expect(audit[0]).toMatchObject({
      actorUserId: ADMIN,
      action: 'delivery_zone.created',
      targetId: k.id,
      reason: 'demo city',
    });
  });

  it('refuses a zone over an existing one (409 ZONE_OVERLAP naming it) and writes nothing', async () => {
    const zones = await createDemoZones();
    const err = await refusal(
      svc.createZone(ADMIN, {
        name: 'Kariakoo Market',
        polygon: shift(demo('Kariakoo').polygon, 0.01, 0),
        reason: 'more',
      }),
    );
    expect(err).toMatchObject({ code: 'ZONE_OVERLAP', status: 409, extra: { field: 'polygon' } });
    expect(err.detail).toContain('Kariakoo');
    expect(err.extra.extensions?.overlapping_zones).toEqual([
      { id: zones.get('Kariakoo')!.id, name: 'Kariakoo', cells: expect.any(Number) },
    ]);
    expect(await svc.listZones()).toHaveLength(5);
    expect(await h.auditRows()).toHaveLength(5);
  });

  it('two overlapping zones created at once: one is made, the other refused', async () => {
    const a = demo('Mbezi').polygon;
    const results = await Promise.allSettled([
      svc.createZone(ADMIN, { name: 'Mbezi A', polygon: a, reason: 'race' }),
      svc.createZone(ADMIN, { name: 'Mbezi B', polygon: shift(a, 0.005, 0), reason: 'race' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(failed.reason).toMatchObject({ code: 'ZONE_OVERLAP' });
    expect(await svc.listZones()).toHaveLength(1);
  });

  it('names are unique without regard to case or spacing', async () => {
    await svc.createZone(ADMIN, { name: 'Kariakoo', polygon: demo('Kariakoo').polygon, reason: 'r' });
    const err = await refusal(
      svc.createZone(ADMIN, { name: '  KARIAKOO ', polygon: demo('Mbezi').polygon, reason: 'r' }),
    );
    expect(err).toMatchObject({ code: 'ZONE_NAME_TAKEN', status: 409, extra: { field: 'name' } });
    const mbezi = await svc.createZone(ADMIN, {
      name: 'Mbezi   Beach',
      polygon: demo('Mbezi').polygon,
      reason: 'r',
    });
    expect(mbezi.name).toBe('Mbezi Beach');
    expect((await refusal(svc.updateZone(ADMIN, mbezi.id, { name: 'kariakoo', reason: 'r' }))).code).toBe(
      'ZONE_NAME_TAKEN',
    );
    // Renaming a zone to its own name in another case is fine.
    expect((await svc.updateZone(ADMIN, mbezi.id, { name: 'MBEZI BEACH', reason: 'r' })).name).toBe(
      'MBEZI BEACH',
    );
  });

  it('a bad polygon is refused before anything is written', async () => {
    const open = demo('Kariakoo').polygon.slice(0, -1) as Ring;
    expect(await refusal(svc.createZone(ADMIN, { name: 'Open', polygon: open, reason: 'r' }))).toMatchObject({
      code: 'POLYGON_NOT_CLOSED',
      status: 422,
      extra: { field: 'polygon' },
    });
    expect(await svc.listZones()).toEqual([]);
    expect(await h.auditRows()).toEqual([]);
    const zone = await svc.createZone(ADMIN, {
      name: 'Kariakoo',
      polygon: demo('Kariakoo').polygon,
      reason: 'r',
    });
    expect((await refusal(svc.updateZone(ADMIN, zone.id, { polygon: open, reason: 'r' }))).code).toBe(
      'POLYGON_NOT_CLOSED',
    );
    expect(
      (
        await refusal(
          svc.updateZone(ADMIN, '00000000-0000-7000-8000-000000000999', { active: false, reason: 'r' }),
        )
      ).code,
    ).toBe('NOT_FOUND');
  });

  it('redrawing a zone moves its cells; switching it off frees them; switching on checks overlap again', async () => {
    const k = await svc.createZone(ADMIN, {
      name: 'Kariakoo',
      polygon: demo('Kariakoo').polygon,
      reason: 'r',
    });
    const moved = shift(demo('Kariakoo').polygon, 0, 0.05);
    const redrawn = await svc.updateZone(ADMIN, k.id, { polygon: moved, reason: 'drawn wrong' });
    expect(redrawn.cellCount).toBe(ringToCells(moved).length);
    expect(await svc.zoneOfPoint(demo('Kariakoo').centre)).toBeNull();
    expect((await svc.zoneOfPoint({ lat: -6.82 + 0.05, lng: 39.275 }))?.id).toBe(k.id);
    expect((await svc.getZone(k.id)).cells).toEqual(ringToCells(moved));

    // Back in place, then off: the point is outside every zone and another zone may take the cells.
    await svc.updateZone(ADMIN, k.id, { polygon: demo('Kariakoo').polygon, reason: 'r' });
    const off = await svc.updateZone(ADMIN, k.id, { active: false, reason: 'no riders' });
    expect(off.active).toBe(false);
    expect(await svc.zoneOfPoint(demo('Kariakoo').centre)).toBeNull();
    expect((await svc.getZone(k.id)).cells).toEqual(ringToCells(demo('Kariakoo').polygon));
    const market = await svc.createZone(ADMIN, {
      name: 'Soko',
      polygon: demo('Kariakoo').polygon,
      reason: 'r',
    });
    expect((await svc.zoneOfPoint(demo('Kariakoo').centre))?.id).toBe(market.id);

    const err = await refusal(svc.updateZone(ADMIN, k.id, { active: true, reason: 'riders back' }));
    expect(err).toMatchObject({ code: 'ZONE_OVERLAP', status: 409 });
    expect(err.detail).toContain('Soko');
    expect((await svc.getZone(k.id)).zone.active).toBe(false);

    const audit = await h.auditRows();
    expect(audit.map((a) => a.action)).toEqual([
      'delivery_zone.created',
      'delivery_zone.updated',
      'delivery_zone.updated',
      'delivery_zone.updated',
      'delivery_zone.created',
    ]);
    expect(audit[3]).toMatchObject({
      reason: 'no riders',
      data: { changes: { active: { from: true, to: false } } },
    });
    expect(audit[1]!.data).toMatchObject({
      changes: { polygon: { to: moved, to_cells: redrawn.cellCount } },
    });
  });

  it('a zone created inactive holds no cell until switched on', async () => {
    const k = await svc.createZone(ADMIN, {
      name: 'Kariakoo',
      polygon: demo('Kariakoo').polygon,
      active: false,
      reason: 'later',
    });
    expect(await svc.zoneOfPoint(demo('Kariakoo').centre)).toBeNull();
    await svc.updateZone(ADMIN, k.id, { active: true, reason: 'now' });
    expect((await svc.zoneOfPoint(demo('Kariakoo').centre))?.id).toBe(k.id);
  });

  it('the store itself refuses a cell held by another zone, and rolls back the whole change', async () => {
    const k = await svc.createZone(ADMIN, {
      name: 'Kariakoo',
      polygon: demo('Kariakoo').polygon,
      reason: 'r',
    });
    const m = await svc.createZone(ADMIN, { name: 'Mbezi', polygon: demo('Mbezi').polygon, reason: 'r' });
    const kCells = (await svc.getZone(k.id)).cells;
    await expect(
      h.store.write(async (w) => {
        await w.updateZone(m.id, { name: 'Changed' });
        await w.replaceCells(m.id, [kCells[0]!]);
      }),
    ).rejects.toBeInstanceOf(CellTakenError);
    expect((await svc.getZone(m.id)).zone.name).toBe('Mbezi');
    expect((await svc.getZone(m.id)).cells).toEqual(ringToCells(demo('Mbezi').polygon));
  });

  it('the fee table is replaced whole, must be complete, and shows the pairs a new zone lacks', async () => {
    const zones = await createDemoZones();
    const table = demoFeeTable(idsOf(zones));
    const put = await svc.replaceFees(ADMIN, { fees: table, reason: 'launch prices' });
    expect(put.items).toHaveLength(25);
    expect(put.missing).toEqual([]);
    expect(put.items[0]).toMatchObject({
      fromZone: 'Kariakoo',
      toZone: 'Kariakoo',
      fee: 200_000,
      currency: 'TZS',
      durationMinutes: 120,
    });
    expect(await svc.feeTable()).toEqual(put);

    const err = await refusal(svc.replaceFees(ADMIN, { fees: table.slice(1), reason: 'oops' }));
    expect(err).toMatchObject({ code: 'FEE_TABLE_INCOMPLETE', status: 422 });
    expect(err.extra.extensions?.missing_pairs).toEqual([
      expect.objectContaining({ from_zone: 'Kariakoo', to_zone: 'Kariakoo' }),
    ]);
    expect((await svc.feeTable()).items).toHaveLength(25);

    const cheaper = table.map((r) => ({ ...r, fee: r.fee - 100_000 }));
    await svc.replaceFees(ADMIN, { fees: cheaper, reason: 'promo month' });
    expect((await svc.feeTable()).items[0]!.fee).toBe(100_000);

    const fees = (await h.auditRows()).filter((a) => a.action === 'delivery_fees.replaced');
    expect(fees).toHaveLength(2);
    expect(fees[1]).toMatchObject({ reason: 'promo month', actorUserId: ADMIN, data: { rows: 25 } });
    expect((fees[1]!.data as { changed: unknown[] }).changed).toHaveLength(25);

    const ubungo = await svc.createZone(ADMIN, {
      name: 'Ubungo',
      polygon: shift(demo('Kariakoo').polygon, -0.06, 0),
      reason: 'growing',
    });
    const missing = (await svc.feeTable()).missing;
    expect(missing).toHaveLength(11);
    expect(missing).toContainEqual({
      from_zone_id: ubungo.id,
      from_zone: 'Ubungo',
      to_zone_id: ubungo.id,
      to_zone: 'Ubungo',
    });
    expect(
      await refusal(
        svc.quote({
          pickup: { lat: -6.82, lng: 39.215 },
          dropoff: demo('Kariakoo').centre,
          now: h.clock.now(),
        }),
      ),
    ).toMatchObject({ code: 'NO_FEE_FOR_ROUTE', status: 409 });
  });

  it('service hours: defaults until set, then replaced whole and audited; refused hours change nothing', async () => {
    const before = await svc.serviceHours();
    expect(before.isDefault).toBe(true);
    expect(before.hours[0]).toBeNull();
    expect(before.hours[1]).toEqual({ open: 480, close: 1200 });
    const days = Array.from({ length: 7 }, (_, weekday) => ({ weekday, open: '07:00', close: '22:00' }));
    const after = await svc.replaceServiceHours(ADMIN, { days, reason: 'Sunday service' });
    expect(after.isDefault).toBe(false);
    expect(await svc.serviceHours()).toEqual({
      hours: after.hours,
      isDefault: false,
      updatedAt: h.clock.now(),
    });
    await expect(svc.replaceServiceHours(ADMIN, { days: days.slice(1), reason: 'x' })).rejects.toMatchObject({
      code: 'INVALID_SERVICE_HOURS',
    });
    expect((await svc.serviceHours()).hours[0]).toEqual({ open: 420, close: 1320 });
    const audit = (await h.auditRows()).filter((a) => a.action === 'service_hours.replaced');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      reason: 'Sunday service',
      data: {
        from: expect.arrayContaining([{ weekday: 0, open: null, close: null }]),
        to: expect.any(Array),
      },
    });
  });

  describe('quote', () => {
    let zones: Map<string, Zone>;
    beforeEach(async () => {
      zones = await createDemoZones();
      await svc.replaceFees(ADMIN, { fees: demoFeeTable(idsOf(zones)), reason: 'launch' });
    });

    it('from the pickup zone to the address zone: fee, duration and the promise inside service hours', async () => {
      // Tuesday 19:00 local, Kariakoo → Mbezi 5 h: 1 h on Tuesday, 4 h on Wednesday from 08:00.
      const q = await svc.quote({
        pickup: demo('Kariakoo').centre,
        dropoff: demo('Mbezi').centre,
        now: local('2026-11-24T19:00'),
      });
      expect(q).toEqual({
        fromZone: { id: zones.get('Kariakoo')!.id, name: 'Kariakoo' },
        toZone: { id: zones.get('Mbezi')!.id, name: 'Mbezi' },
        fee: 600_000,
        currency: 'TZS',
        durationMinutes: 300,
        promisedBy: local('2026-11-25T12:00'),
      });
      // Same zone, asked at 10:00 by the clock: 2 h later.
      h.clock.set(local('2026-11-25T10:00'));
      const same = await svc.quote({
        pickup: demo('Mikocheni').centre,
        dropoff: { lat: -6.745, lng: 39.26 },
      });
      expect(same).toMatchObject({
        fee: 200_000,
        durationMinutes: 120,
        promisedBy: local('2026-11-25T12:00'),
      });
    });

    it('follows the hours an admin set', async () => {
      const days = Array.from({ length: 7 }, (_, weekday) => ({ weekday, open: '06:00', close: '23:00' }));
      await svc.replaceServiceHours(ADMIN, { days, reason: 'longer days' });
      const q = await svc.quote({
        pickup: demo('Kariakoo').centre,
        dropoff: demo('Kariakoo').centre,
        now: local('2026-11-29T22:00'),
      });
      expect(q.promisedBy).toEqual(local('2026-11-30T07:00'));
      const closed = Array.from({ length: 7 }, (_, weekday) => ({ weekday, open: null, close: null }));
      await svc.replaceServiceHours(ADMIN, { days: closed, reason: 'strike' });
      await expect(
        svc.quote({
          pickup: demo('Kariakoo').centre,
          dropoff: demo('Kariakoo').centre,
          now: local('2026-11-29T22:00'),
        }),
      ).rejects.toMatchObject({ code: 'NO_SERVICE_HOURS', status: 409 });
    });

    it('an address outside every zone is refused (422 ADDRESS_OUTSIDE_ZONES), on the field the caller names', async () => {
      const now = h.clock.now();
      expect(
        await refusal(svc.quote({ pickup: demo('Kariakoo').centre, dropoff: OCEAN, now })),
      ).toMatchObject({
        code: 'ADDRESS_OUTSIDE_ZONES',
        status: 422,
        extra: { field: 'address' },
      });
      expect(
        (await refusal(svc.quote({ pickup: OCEAN, dropoff: demo('Kariakoo').centre, now }))).extra.field,
      ).toBe('pickup');
      const custom = await refusal(
        svc.quote({
          pickup: demo('Kariakoo').centre,
          dropoff: OCEAN,
          now,
          fields: { dropoff: 'address_id' },
        }),
      );
      expect(custom.extra).toMatchObject({
        field: 'address_id',
        errors: [{ field: 'address_id', code: 'ADDRESS_OUTSIDE_ZONES' }],
      });
      expect(
        await refusal(svc.quote({ pickup: { lat: -95, lng: 39.2 }, dropoff: demo('Kariakoo').centre, now })),
      ).toMatchObject({ code: 'INVALID_COORDINATES', status: 422, extra: { field: 'pickup' } });
    });

    it('a point in a cell next to a zone is outside it, but among the cells around it', async () => {
      const kariakoo = zones.get('Kariakoo')!;
      const { cells } = await svc.getZone(kariakoo.id);
      const border = cellsAround(cells, 1).filter((c) => !cells.includes(c));
      const [lat, lng] = cellToLatLng(border[0]!);
      const nextDoor = { lat, lng };
      expect(await svc.zoneOfPoint(nextDoor)).toBeNull();
      expect((await refusal(svc.quote({ pickup: demo('Kariakoo').centre, dropoff: nextDoor }))).code).toBe(
        'ADDRESS_OUTSIDE_ZONES',
      );
      const around = await svc.cellsAroundZone(kariakoo.id, 1);
      expect(around).toEqual(expect.arrayContaining([...cells, border[0]!]));
      expect(around).toHaveLength(new Set(around).size);
      // Kinondoni and Mikocheni touch: a Mikocheni cell is among the cells around Kinondoni.
      const mikocheni = new Set((await svc.getZone(zones.get('Mikocheni')!.id)).cells);
      expect((await svc.cellsAroundZone(zones.get('Kinondoni')!.id, 1)).some((c) => mikocheni.has(c))).toBe(
        true,
      );
    });
  });
});
