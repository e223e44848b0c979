// The console's home page and analytics page as an operator gets them: rendered HTML over real HTTP
// from the production entry point (bench/server.ts), with a signed-in admin's session cookie, on the
// analytics bench's 100,000 orders. Issue 19's target: both under 300 ms at p95. The admin and their
// console session are written straight to the tables (the OTP sign-in needs an SMS round trip).
import { sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../src/db/client.js';
import { createConsoleSessions } from '../src/modules/console/index.js';
import { systemClock } from '../src/shared/clock.js';
import { randomIds } from '../src/shared/ids.js';
import { pct } from './stats.js';

export interface PageTiming {
  name: string;
  runs: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  bytes: number;
}

/** A signed-in admin's console cookie, as the sign-in would set it. */
async function adminCookie(db: Database) {
  const id = uuidv7();
  const now = new Date();
  await db.execute(sql`
    insert into users (id, phone, roles, created_at, updated_at)
    values (${id}, '+255799999001', '{buyer,admin}'::text[], ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz)`);
  const sessions = createConsoleSessions({
    db,
    clock: systemClock,
    ids: randomIds,
    // Only create() is used: the server checks the session with its own settings and secret.
    settings: { idleMinutes: 24 * 60, absoluteHours: 24, secret: 'unused-by-create' },
  });
  return `kkoo_console=${(await sessions.create(id)).token}`;
}

/** `runs` sequential GETs after three warm-ups; fails unless each is a 200 page containing `expect`. */
async function timePage(
  base: string,
  cookie: string,
  c: { name: string; path: string; runs: number; expect: string; before?: () => Promise<unknown> },
): Promise<PageTiming> {
  let bytes = 0;
  const once = async () => {
    const res = await fetch(base + c.path, { headers: { cookie }, redirect: 'manual' });
    const body = await res.text();
    if (res.status !== 200 || !body.includes(c.expect))
      throw new Error(`${c.path}: ${res.status} ${body.slice(0, 200)}`);
    bytes = body.length;
  };
  for (let i = 0; i < 3; i++) {
    await c.before?.();
    await once();
  }
  const lat: number[] = [];
  for (let i = 0; i < c.runs; i++) {
    // Outside the timing: what makes a run recompute (a fold of one logged order).
    await c.before?.();
    const t0 = performance.now();
    await once();
    lat.push(performance.now() - t0);
  }
  lat.sort((a, b) => a - b);
  return {
    name: c.name,
    runs: c.runs,
    p50: pct(lat, 50),
    p95: pct(lat, 95),
    p99: pct(lat, 99),
    max: lat[lat.length - 1]!,
    bytes,
  };
}

export async function consolePagesBench(db: Database, base: string): Promise<PageTiming[]> {
  const cookie = await adminCookie(db);
  // One order logged as changed before each run: the fold bumps the facts version, the page cache misses.
  const dirty = () =>
    db.execute(
      sql`insert into analytics_dirty_orders (order_id) select order_id from analytics_order_facts limit 1`,
    );
  const out: PageTiming[] = [];
  out.push(
    await timePage(base, cookie, {
      name: 'home page (/admin)',
      path: '/admin',
      runs: 100,
      expect: 'data-queue=',
    }),
  );
  out.push(
    await timePage(base, cookie, {
      name: 'analytics page (/admin/analytics, last 30 days), recomputed',
      path: '/admin/analytics',
      runs: 40,
      expect: 'Unit economics',
      before: dirty,
    }),
  );
  out.push(
    await timePage(base, cookie, {
      name: 'analytics page (/admin/analytics, last 30 days), cached',
      path: '/admin/analytics',
      runs: 100,
      expect: 'Unit economics',
    }),
  );
  return out;
}
