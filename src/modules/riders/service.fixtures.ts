import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import { staticOrdersPort } from '../../../test/support/static-orders-port.js';
import type { Database, DatabaseHandle } from '../../db/client.js';
import { ManualClock } from '../../shared/clock.js';
import { type AppError, notFound } from '../../shared/errors.js';
import { randomIds } from '../../shared/ids.js';
import { createAuditService } from '../audit/index.js';
import { users } from '../identity/schema.js';
import { createJobService } from '../jobs/index.js';
import { createRidersModule, type RidersModuleService } from './index.js';

// Shared setup of the service-*.test.ts files (not a test file: vitest collects only *.test.ts).
// Each file that calls useRidersService() gets its own database; `handle`, `db`, `svc` and `mod`
// are live bindings set by its beforeAll.

export const ZONE = '00000000-0000-7000-8000-00000000a0e1';
export const ADMIN = '00000000-0000-7000-8000-00000000ad01';
export const KARIAKOO = { lat: -6.819, lng: 39.274 };
/** `m` metres north (positive) or south of Kariakoo. */
export const north = (m: number) => ({ lat: KARIAKOO.lat + m / 111_195, lng: KARIAKOO.lng });

export let handle: DatabaseHandle;
export let db: Database;
export const clock = new ManualClock('2026-11-25T09:00:00Z');
export const orders = staticOrdersPort(new Map());
export let svc: RidersModuleService;
export let mod: ReturnType<typeof createRidersModule>;
export let phoneSeq = 0;

export const zones = {
  zoneOfPoint: async () => ({ id: ZONE, name: 'Kariakoo' }),
  getZone: async (id: string) => {
    if (id !== ZONE) throw notFound('Delivery zone');
    return { zone: { id, name: 'Kariakoo', active: true } };
  },
};

export async function grantRiderRole(userId: string, tx: Database) {
  await tx.execute(
    sql`update users set roles = array_append(roles, 'rider') where id = ${userId} and not ('rider' = any(roles))`,
  );
}

export async function newUser(): Promise<string> {
  const id = randomIds.newId();
  phoneSeq++;
  await db.insert(users).values({
    id,
    phone: `+2557${String(phoneSeq).padStart(8, '0')}`,
    createdAt: clock.now(),
    updatedAt: clock.now(),
  });
  return id;
}

/** A verified rider, online, who pinged just now at `at`. */
export async function riderAt(at: { lat: number; lng: number }, capacity = 2): Promise<string> {
  const id = await newUser();
  await svc.apply(id, { vehicle: 'boda_boda', plate: 'MC 123 ABC', homeZoneId: ZONE, capacity });
  await svc.verify(ADMIN, id, 'papers seen');
  await svc.goOnline(id);
  await svc.ping(id, at);
  return id;
}

export function newOrder(pickup = KARIAKOO): string {
  const id = randomIds.newId();
  orders.pickups.set(id, pickup);
  return id;
}

export async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    return e as AppError;
  }
  throw new Error('not refused');
}

export async function jobsOfKind(kind: string) {
  const r = await db.execute(sql`select payload, run_at from jobs where kind = ${kind} order by created_at`);
  return (r as unknown as { rows: Array<{ payload: Record<string, string>; run_at: Date }> }).rows;
}

export async function activeJobs(riderId: string): Promise<number> {
  return (await svc.profileOf(riderId))!.activeJobs;
}

/** A database with the riders module on it, for the calling test file; empty riders' tables and an hour later before each test. */
export function useRidersService(): void {
  beforeAll(async () => {
    handle = await createTestDatabase();
    db = handle.db;
    const audit = createAuditService({ db, clock, ids: randomIds });
    const jobs = createJobService({ db, clock, ids: randomIds, log: { info() {}, error() {} } });
    mod = createRidersModule({ db, clock, ids: randomIds, audit, jobs, zones, orders, grantRiderRole });
    svc = mod.service;
  });
  afterAll(async () => {
    await handle?.close();
  });
  beforeEach(async () => {
    for (const t of [
      'rider_pings',
      'rider_offers',
      'order_assignments',
      'dispatch_queue',
      'rider_profiles',
      'jobs',
    ]) {
      await db.execute(sql.raw(`delete from ${t}`));
    }
    orders.pickups.clear();
    orders.calls.length = 0;
    clock.advance(3_600_000);
  });
}
