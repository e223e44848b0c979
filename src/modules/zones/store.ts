import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { isUniqueViolation } from '../../db/columns.js';
import type { AuditEntry, AuditService } from '../audit/index.js';
import type { Ring } from './geo.js';
import { deliveryFees, deliveryZones, serviceHours, zoneCells } from './schema.js';

// The zones module's only contact with the database: thin reads and writes, no rules. The service
// holds the rules and is tested against this store (on PGlite/PostgreSQL) and against the
// in-memory store of test/support/zones-memory-store.ts, with the same tests.

export interface ZoneRecord {
  id: string;
  name: string;
  polygon: Ring;
  cellCount: number;
  active: boolean;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface FeeRecord {
  fromZoneId: string;
  toZoneId: string;
  fee: number;
  currency: string;
  durationMinutes: number;
  updatedBy: string;
  updatedAt: Date;
}

export interface HoursRecord {
  weekday: number;
  opensAtMinute: number | null;
  closesAtMinute: number | null;
  updatedBy: string;
  updatedAt: Date;
}

export interface ZoneOwner {
  zoneId: string;
  name: string;
  /** how many of the asked cells this zone holds */
  cells: number;
}

export interface ZonesReader {
  listZones(): Promise<ZoneRecord[]>;
  getZone(id: string): Promise<ZoneRecord | null>;
  findZoneByName(name: string): Promise<ZoneRecord | null>;
  /** the cells of an active zone (an inactive zone has none stored) */
  cellsOfZone(id: string): Promise<string[]>;
  /** the active zone holding a cell */
  zoneOfCell(cell: string): Promise<ZoneRecord | null>;
  /** the zones (other than `exceptZoneId`) holding any of `cells` */
  owners(cells: readonly string[], exceptZoneId?: string): Promise<ZoneOwner[]>;
  fee(fromZoneId: string, toZoneId: string): Promise<FeeRecord | null>;
  listFees(): Promise<FeeRecord[]>;
  listHours(): Promise<HoursRecord[]>;
}

export interface ZonesWriter extends ZonesReader {
  insertZone(zone: ZoneRecord): Promise<void>;
  updateZone(id: string, fields: Partial<Omit<ZoneRecord, 'id' | 'createdBy' | 'createdAt'>>): Promise<void>;
  /** make `cells` the zone's stored cells (none: the zone holds no cell) */
  replaceCells(zoneId: string, cells: readonly string[]): Promise<void>;
  replaceFees(rows: readonly FeeRecord[]): Promise<void>;
  replaceHours(rows: readonly HoursRecord[]): Promise<void>;
  audit(entry: AuditEntry): Promise<void>;
}

export interface ZonesStore extends ZonesReader {
  /**
   * One transaction for a change and its audit record. Writers of zones, fees and hours are
   * serialised against each other (a table lock), so checks made inside hold until the commit.
   */
  write<T>(fn: (w: ZonesWriter) => Promise<T>): Promise<T>;
}

/** Two zones claiming one cell: the `zone_cells` primary key refused the second. */
export class CellTakenError extends Error {
  constructor() {
    super('a cell is held by another zone');
    this.name = 'CellTakenError';
  }
}

const CHUNK = 1000;
function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

function reader(db: Database): ZonesReader {
  return {
    listZones: () => db.select().from(deliveryZones).orderBy(asc(deliveryZones.name)),
    async getZone(id) {
      const [row] = await db.select().from(deliveryZones).where(eq(deliveryZones.id, id));
      return row ?? null;
    },
    async findZoneByName(name) {
      const [row] = await db
        .select()
        .from(deliveryZones)
        .where(sql`lower(${deliveryZones.name}) = lower(${name})`);
      return row ?? null;
    },
    async cellsOfZone(id) {
      const rows = await db
        .select({ cell: zoneCells.cell })
        .from(zoneCells)
        .where(eq(zoneCells.zoneId, id))
        .orderBy(asc(zoneCells.cell));
      return rows.map((r) => r.cell);
    },
    async zoneOfCell(cell) {
      const [row] = await db
        .select({ zone: deliveryZones })
        .from(zoneCells)
        .innerJoin(deliveryZones, eq(deliveryZones.id, zoneCells.zoneId))
        .where(and(eq(zoneCells.cell, cell), eq(deliveryZones.active, true)));
      return row?.zone ?? null;
    },
    async owners(cells, exceptZoneId) {
      const counts = new Map<string, ZoneOwner>();
      for (const part of chunks(cells)) {
        const rows = await db
          .select({ zoneId: zoneCells.zoneId, name: deliveryZones.name, cells: sql<number>`count(*)::int` })
          .from(zoneCells)
          .innerJoin(deliveryZones, eq(deliveryZones.id, zoneCells.zoneId))
          .where(
            and(inArray(zoneCells.cell, part), exceptZoneId ? ne(zoneCells.zoneId, exceptZoneId) : undefined),
          )
          .groupBy(zoneCells.zoneId, deliveryZones.name);
        for (const r of rows) {
          const prev = counts.get(r.zoneId);
          counts.set(r.zoneId, { ...r, cells: (prev?.cells ?? 0) + Number(r.cells) });
        }
      }
      return [...counts.values()].sort((a, b) => a.name.localeCompare(b.name));
    },
    async fee(fromZoneId, toZoneId) {
      const [row] = await db
        .select()
        .from(deliveryFees)
        .where(and(eq(deliveryFees.fromZoneId, fromZoneId), eq(deliveryFees.toZoneId, toZoneId)));
      return row ?? null;
    },
    listFees: () => db.select().from(deliveryFees),
    listHours: () => db.select().from(serviceHours).orderBy(asc(serviceHours.weekday)),
  };
}

/** The store on the app's database (PGlite or PostgreSQL); audit records go through the audit module. */
export function drizzleZonesStore(db: Database, audit: AuditService): ZonesStore {
  return {
    ...reader(db),
    write: (fn) =>
      db.transaction(async (tx) => {
        // Zone, fee and hours changes are rare admin acts: one at a time keeps the overlap,
        // name and completeness checks true until commit. Readers are not blocked.
        await tx.execute(sql`lock table ${deliveryZones} in share row exclusive mode`);
        const w: ZonesWriter = {
          ...reader(tx),
          async insertZone(zone) {
            await tx.insert(deliveryZones).values(zone);
          },
          async updateZone(id, fields) {
            await tx.update(deliveryZones).set(fields).where(eq(deliveryZones.id, id));
          },
          async replaceCells(zoneId, cells) {
            await tx.delete(zoneCells).where(eq(zoneCells.zoneId, zoneId));
            try {
              for (const part of chunks(cells)) {
                await tx.insert(zoneCells).values(part.map((cell) => ({ cell, zoneId })));
              }
            } catch (err) {
              if (isUniqueViolation(err)) throw new CellTakenError();
              throw err;
            }
          },
          async replaceFees(rows) {
            await tx.delete(deliveryFees);
            for (const part of chunks(rows)) await tx.insert(deliveryFees).values(part);
          },
          async replaceHours(rows) {
            await tx.delete(serviceHours);
            if (rows.length) await tx.insert(serviceHours).values([...rows]);
          },
          audit: (entry) => audit.record(tx, entry),
        };
        return fn(w);
      }),
  };
}
