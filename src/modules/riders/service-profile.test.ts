import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { AppError } from '../../shared/errors.js';
import { randomIds } from '../../shared/ids.js';
import { cellOf } from '../zones/index.js';
import {
  ADMIN,
  clock,
  db,
  newUser,
  north,
  refusal,
  riderAt,
  svc,
  useRidersService,
  ZONE,
} from './service.fixtures.js';

// Riders and assignment on the database: PGlite, or PostgreSQL with TEST_DATABASE_URL (where the
// races really run in parallel, and the EXPLAIN test checks the candidate query's plan). The tables
// come from the committed migrations, like every other table. Shared setup lives in service.fixtures.ts.

useRidersService();

describe('profile and verification', () => {
  it('applies with a normalised plate and the default capacity, grants the role, audits', async () => {
    const id = await newUser();
    const p = await svc.apply(id, { vehicle: 'bajaji', plate: 'mc 456 xyz', homeZoneId: ZONE });
    expect([p.status, p.plate, p.capacity, p.availability]).toEqual(['pending', 'MC456XYZ', 3, 'offline']);
    const r = await db.execute(sql`select roles from users where id = ${id}`);
    expect((r as unknown as { rows: Array<{ roles: string[] }> }).rows[0]!.roles).toContain('rider');
    const again = await svc.apply(id, { vehicle: 'bicycle', homeZoneId: ZONE });
    expect([again.plate, again.capacity]).toEqual([null, 1]);
  });

  it('refuses an unknown zone, a missing plate and a bad capacity', async () => {
    const id = await newUser();
    const e1 = await refusal(
      svc.apply(id, { vehicle: 'car', plate: 'T 123 ABC', homeZoneId: randomIds.newId() }),
    );
    expect([e1.code, e1.extra.field]).toEqual(['UNKNOWN_ZONE', 'home_zone_id']);
    expect((await refusal(svc.apply(id, { vehicle: 'car', homeZoneId: ZONE }))).code).toBe('PLATE_REQUIRED');
    expect((await refusal(svc.apply(id, { vehicle: 'bicycle', homeZoneId: ZONE, capacity: 6 }))).code).toBe(
      'INVALID_CAPACITY',
    );
    expect(await svc.profileOf(id)).toBeNull();
  });

  it('only a verified rider goes online; reject takes them offline with a reason, audited', async () => {
    const id = await newUser();
    await svc.apply(id, { vehicle: 'car', plate: 'T 123 ABC', homeZoneId: ZONE });
    expect((await refusal(svc.goOnline(id))).code).toBe('RIDER_NOT_VERIFIED');
    await svc.verify(ADMIN, id, undefined);
    expect((await refusal(svc.verify(ADMIN, id, undefined))).code).toBe('RIDER_ALREADY_VERIFIED');
    expect((await refusal(svc.apply(id, { vehicle: 'bicycle', homeZoneId: ZONE }))).code).toBe(
      'RIDER_ALREADY_VERIFIED',
    );
    expect((await svc.goOnline(id)).availability).toBe('available');
    const rejected = await svc.reject(ADMIN, id, 'ID card does not match');
    expect([rejected.status, rejected.availability, rejected.statusReason]).toEqual([
      'rejected',
      'offline',
      'ID card does not match',
    ]);
    expect((await refusal(svc.goOnline(id))).code).toBe('RIDER_NOT_VERIFIED');
    const r = await db.execute(
      sql`select action, reason from audit_events where target_id = ${id} order by created_at, id`,
    );
    expect((r as unknown as { rows: Array<{ action: string }> }).rows.map((x) => x.action)).toEqual([
      'rider.applied',
      'rider.verified',
      'rider.rejected',
    ]);
    expect((await svc.list({ status: 'rejected' })).map((p) => p.userId)).toContain(id);
    expect((await refusal(svc.verify(ADMIN, randomIds.newId(), undefined))).status).toBe(404);
  });
});

describe('pings', () => {
  it('stores the position and its H3 cell, refuses a second ping within 10 s, pruned after N days', async () => {
    const id = await riderAt(north(100));
    const p = (await svc.profileOf(id))!;
    expect(p.lastCell).toBe(cellOf(north(100)));
    expect(p.lastPingAt).toEqual(clock.now());
    clock.advanceSeconds(5);
    const e = await refusal(svc.ping(id, north(120)));
    expect([e.status, e.code]).toEqual([429, 'PING_TOO_FREQUENT']);
    clock.advanceSeconds(5);
    await svc.ping(id, north(150));
    expect(await svc.pingsOf(id)).toHaveLength(2);
    clock.advance(8 * 24 * 3_600_000);
    await svc.goOnline(id);
    await svc.ping(id, north(150));
    expect(await svc.prunePings(7)).toBe(2);
    expect(await svc.pingsOf(id)).toHaveLength(1);
  });

  it('refuses a ping from the future, impossible coordinates, and an offline rider', async () => {
    const id = await riderAt(north(100));
    clock.advanceSeconds(60);
    const fut = await refusal(svc.ping(id, { ...north(1), at: new Date(clock.now().getTime() + 31_000) }));
    expect([fut.status, fut.code]).toEqual([422, 'PING_FROM_FUTURE']);
    const bad = await refusal(svc.ping(id, { lat: -6.8, lng: 200 }));
    expect([bad.code, bad.extra.field]).toEqual(['INVALID_COORDINATES', 'lng']);
    await svc.goOffline(id);
    expect((await refusal(svc.ping(id, north(1)))).code).toBe('RIDER_OFFLINE');
  });

  it('two pings at once: one is stored, the other is too frequent', async () => {
    const id = await riderAt(north(100));
    clock.advanceSeconds(30);
    const results = await Promise.allSettled([svc.ping(id, north(10)), svc.ping(id, north(20))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      ((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as AppError).code,
    ).toBe('PING_TOO_FREQUENT');
  });
});
