import type { AuditEntry } from '../../src/modules/audit/index.js';
import {
  CellTakenError,
  type FeeRecord,
  type HoursRecord,
  type ZoneOwner,
  type ZoneRecord,
  type ZonesReader,
  type ZonesStore,
  type ZonesWriter,
} from '../../src/modules/zones/index.js';

// A ZonesStore in memory, for tests that need no database (the HTTP tests of this module, and
// the rider assignment's). It behaves like drizzleZonesStore: writes are all-or-nothing and one at a
// time, a cell belongs to one zone at most, inactive zones' cells are not found. The same service
// tests run against both, so the two cannot drift apart unnoticed.

interface State {
  zones: Map<string, ZoneRecord>;
  cells: Map<string, string>;
  fees: Map<string, FeeRecord>;
  hours: HoursRecord[];
  audit: AuditEntry[];
}

const clone = <T extends object>(v: T): T => structuredClone(v);

function readerOf(get: () => State): ZonesReader {
  return {
    async listZones() {
      return [...get().zones.values()].sort((a, b) => a.name.localeCompare(b.name)).map(clone);
    },
    async getZone(id) {
      const z = get().zones.get(id);
      return z ? clone(z) : null;
    },
    async findZoneByName(name) {
      const z = [...get().zones.values()].find((x) => x.name.toLowerCase() === name.toLowerCase());
      return z ? clone(z) : null;
    },
    async cellsOfZone(id) {
      return [...get().cells]
        .filter(([, z]) => z === id)
        .map(([c]) => c)
        .sort();
    },
    async zoneOfCell(cell) {
      const id = get().cells.get(cell);
      const z = id ? get().zones.get(id) : undefined;
      return z?.active ? clone(z) : null;
    },
    async owners(cells, exceptZoneId) {
      const s = get();
      const counts = new Map<string, ZoneOwner>();
      for (const c of new Set(cells)) {
        const id = s.cells.get(c);
        if (!id || id === exceptZoneId) continue;
        const prev = counts.get(id);
        counts.set(id, { zoneId: id, name: s.zones.get(id)!.name, cells: (prev?.cells ?? 0) + 1 });
      }
      return [...counts.values()].sort((a, b) => a.name.localeCompare(b.name));
    },
    async fee(fromZoneId, toZoneId) {
      const f = get().fees.get(`${fromZoneId}|${toZoneId}`);
      return f ? clone(f) : null;
    },
    async listFees() {
      return [...get().fees.values()].map(clone);
    },
    async listHours() {
      return [...get().hours].sort((a, b) => a.weekday - b.weekday).map(clone);
    },
  };
}

export interface MemoryZonesStore extends ZonesStore {
  /** audit entries committed so far, oldest first */
  readonly auditEntries: readonly AuditEntry[];
}

export function memoryZonesStore(): MemoryZonesStore {
  let state: State = { zones: new Map(), cells: new Map(), fees: new Map(), hours: [], audit: [] };
  let queue: Promise<unknown> = Promise.resolve();

  return {
    ...readerOf(() => state),
    get auditEntries() {
      return state.audit;
    },
    write<T>(fn: (w: ZonesWriter) => Promise<T>): Promise<T> {
      const run = async () => {
        const work = structuredClone(state);
        const w: ZonesWriter = {
          ...readerOf(() => work),
          async insertZone(zone) {
            if (work.zones.has(zone.id)) throw new Error(`zone ${zone.id} exists`);
            if ([...work.zones.values()].some((z) => z.name.toLowerCase() === zone.name.toLowerCase())) {
              throw new Error(`a zone is already named ${zone.name}`);
            }
            work.zones.set(zone.id, clone(zone));
          },
          async updateZone(id, fields) {
            const z = work.zones.get(id);
            if (!z) throw new Error(`no zone ${id}`);
            work.zones.set(id, { ...z, ...clone(fields) });
          },
          async replaceCells(zoneId, cells) {
            for (const [c, z] of [...work.cells]) if (z === zoneId) work.cells.delete(c);
            for (const c of cells) {
              if (work.cells.has(c)) throw new CellTakenError();
              work.cells.set(c, zoneId);
            }
          },
          async replaceFees(rows) {
            work.fees = new Map(rows.map((r) => [`${r.fromZoneId}|${r.toZoneId}`, clone(r)]));
          },
          async replaceHours(rows) {
            work.hours = rows.map(clone);
          },
          async audit(entry) {
            work.audit.push(clone(entry));
          },
        };
        const result = await fn(w);
        state = work; // commit only when fn finished without throwing
        return result;
      };
      const next = queue.then(run, run);
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
