// Bulk-seeds verified, available riders straight into the riders module's table: for the assignment
// bench and the test of its index, which need thousands of riders with a fresh ping (the service
// takes them one application, verification and ping at a time). The boundary test allows this one
// file to import the riders' schema.
import { latLngToCell } from 'h3-js';
import type { Database } from '../../src/db/client.js';
import type { Vehicle } from '../../src/modules/riders/index.js';
import { riderProfiles } from '../../src/modules/riders/schema.js';
import { type LatLng, ZONE_RESOLUTION } from '../../src/modules/zones/index.js';
import type { IdGenerator } from '../../src/shared/ids.js';
import { randomIds } from '../../src/shared/ids.js';

/** A small deterministic PRNG (mulberry32), so a seed gives the same riders every run. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Inserts `n` verified, available riders with a fresh ping, scattered uniformly over a disc of
 * `radiusKm` (default 15 km: greater Dar es Salaam) around `aroundPoint`, (profiles only: this does not write identity's tables).
 * For the bench and the index test. Returns the rider ids.
 */
export async function seedRidersForBench(
  db: Database,
  n: number,
  aroundPoint: LatLng,
  opts: { now?: Date; radiusKm?: number; seed?: number; ids?: IdGenerator; homeZoneId?: string } = {},
): Promise<string[]> {
  const now = opts.now ?? new Date();
  const ids = opts.ids ?? randomIds;
  const rand = prng(opts.seed ?? 42);
  const radiusKm = opts.radiusKm ?? 15;
  const vehicles: Vehicle[] = ['boda_boda', 'boda_boda', 'bajaji', 'bicycle', 'car'];
  const homeZoneId = opts.homeZoneId ?? '00000000-0000-7000-8000-00000000a0e1';
  const out: string[] = [];
  for (let start = 0; start < n; start += 500) {
    const riderRows: Array<typeof riderProfiles.$inferInsert> = [];
    for (let i = start; i < Math.min(n, start + 500); i++) {
      const id = ids.newId();
      out.push(id);
      const r = radiusKm * Math.sqrt(rand());
      const theta = 2 * Math.PI * rand();
      const lat = aroundPoint.lat + (r / 110.57) * Math.sin(theta);
      const lng =
        aroundPoint.lng + (r / (111.32 * Math.cos((aroundPoint.lat * Math.PI) / 180))) * Math.cos(theta);
      const vehicle = vehicles[i % vehicles.length]!;
      const capacity = 1 + Math.floor(rand() * 3);
      riderRows.push({
        userId: id,
        vehicle,
        plate: vehicle === 'bicycle' ? null : `MC${String(100 + (i % 900))}BEN`,
        homeZoneId,
        capacity,
        status: 'verified',
        availability: 'available',
        activeJobs: Math.floor(rand() * capacity),
        lastLat: lat,
        lastLng: lng,
        lastCell: latLngToCell(lat, lng, ZONE_RESOLUTION),
        lastPingAt: new Date(now.getTime() - Math.floor(rand() * 60_000)),
        createdAt: now,
        updatedAt: now,
      });
    }
    await db.insert(riderProfiles).values(riderRows);
  }
  return out;
}
