// The daily purge of old USSD sessions, on the database (PGlite, or PostgreSQL with
// TEST_DATABASE_URL): old rows go; recent rows, and what a replay still needs, stay.
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import type { Database, DatabaseHandle } from '../../db/client.js';
import { ManualClock } from '../../shared/clock.js';
import { randomIds } from '../../shared/ids.js';
import { DAY } from '../../shared/time.js';
import { createJobService } from '../jobs/index.js';
import { ussdHousekeeping } from './housekeeping.js';
import { ussdJobs } from './jobs.js';
import { ussdActions, ussdSessions } from './schema.js';

let handle: DatabaseHandle;
let db: Database;
const clock = new ManualClock('2026-11-25T09:00:00Z');
const silent = { info() {}, error() {} };

beforeAll(async () => {
  handle = await createTestDatabase();
  db = handle.db;
});
afterAll(() => handle.close());

/** The rows of a raw query (the jobs table is the jobs module's: read here by SQL, not its schema). */
const rows = <T>(r: unknown) => (r as { rows: T[] }).rows;
const daysAgo = (d: number) => new Date(clock.now().getTime() - d * DAY);

async function session(createdAt: Date, ...actions: Array<{ at: Date; reply: string | null }>) {
  const sessionId = `ATUid_${randomIds.newId()}`;
  await db.insert(ussdSessions).values({
    sessionId,
    phone: '+255754000123',
    userId: randomIds.newId(),
    orders: { recent: [], delivered: [] },
    createdAt,
  });
  for (const a of actions)
    await db.insert(ussdActions).values({
      sessionId,
      orderId: randomIds.newId(),
      action: 'confirm_receipt',
      reply: a.reply,
      createdAt: a.at,
    });
  return sessionId;
}

const left = async (sessionId: string) => ({
  session: (await db.select().from(ussdSessions).where(eq(ussdSessions.sessionId, sessionId))).length,
  actions: (await db.select().from(ussdActions).where(eq(ussdActions.sessionId, sessionId))).length,
});

describe('ussd.purge_sessions', () => {
  const queue = () => createJobService({ db, clock, ids: randomIds, log: silent }).queue(ussdJobs);

  it('deletes sessions and answered actions past the retention; keeps recent ones and what a replay still needs', async () => {
    const h = ussdHousekeeping({ db, clock, jobs: queue(), settings: { retentionDays: 30 } });
    const oldAnswered = await session(daysAgo(31), { at: daysAgo(31), reply: 'Asante!' });
    const oldBare = await session(daysAgo(40));
    const recent = await session(daysAgo(29), { at: daysAgo(29), reply: 'Asante!' });
    // A first attempt that never answered (its claim stops a replay running it twice): kept, with its session.
    const unanswered = await session(daysAgo(60), { at: daysAgo(60), reply: null });
    // A session begun just before the line, its action just after: the session stays for its action.
    const straddling = await session(new Date(daysAgo(30).getTime() - 60_000), {
      at: new Date(daysAgo(30).getTime() + 60_000),
      reply: 'Asante!',
    });

    expect(await h.purgeOld()).toEqual({ sessions: 2, actions: 1 });
    expect(await left(oldAnswered)).toEqual({ session: 0, actions: 0 });
    expect(await left(oldBare)).toEqual({ session: 0, actions: 0 });
    expect(await left(recent)).toEqual({ session: 1, actions: 1 });
    expect(await left(unanswered)).toEqual({ session: 1, actions: 1 });
    expect(await left(straddling)).toEqual({ session: 1, actions: 1 });
    // Running it again changes nothing.
    expect(await h.purgeOld()).toEqual({ sessions: 0, actions: 0 });
  });

  it('the retention is a setting: 7 days purges what 30 keeps', async () => {
    const week = await session(daysAgo(8), { at: daysAgo(8), reply: 'Asante!' });
    const h30 = ussdHousekeeping({ db, clock, jobs: queue(), settings: { retentionDays: 30 } });
    await h30.purgeOld();
    expect(await left(week)).toEqual({ session: 1, actions: 1 });
    const h7 = ussdHousekeeping({ db, clock, jobs: queue(), settings: { retentionDays: 7 } });
    await h7.purgeOld();
    expect(await left(week)).toEqual({ session: 0, actions: 0 });
  });

  it('runs as a typed job at the next UTC midnight, schedules the next day once, and refuses a bad payload', async () => {
    await db.execute(sql`delete from jobs`);
    const worker = createJobService({ db, clock, ids: randomIds, log: silent });
    const h = ussdHousekeeping({
      db,
      clock,
      jobs: worker.queue(ussdJobs),
      settings: { retentionDays: 30 },
    });
    worker.register(ussdJobs, h.jobHandlers);
    const old = await session(daysAgo(45), { at: daysAgo(45), reply: 'Asante!' });
    await h.startSchedule();
    await h.startSchedule(); // a second process starting: still one job
    const pending = async () =>
      rows<{ status: string; run_at: Date | string }>(
        await db.execute(sql`select status, run_at from jobs where kind = 'ussd.purge_sessions'`),
      ).map((j) => ({ status: j.status, runAt: new Date(j.run_at) }));
    expect(await pending()).toHaveLength(1);
    const firstRun = (await pending())[0]!.runAt;
    expect(firstRun.toISOString()).toBe('2026-11-26T00:00:00.000Z');
    await worker.drain();
    expect(await left(old)).toEqual({ session: 1, actions: 1 }); // not due yet
    clock.advanceSeconds(15 * 3600);
    await worker.drain();
    expect(await left(old)).toEqual({ session: 0, actions: 0 });
    const runs = await pending();
    expect(runs.map((j) => [j.status, j.runAt.toISOString()]).sort()).toEqual([
      ['done', '2026-11-26T00:00:00.000Z'],
      ['pending', '2026-11-27T00:00:00.000Z'],
    ]);

    const bad = randomIds.newId();
    await worker.enqueue(db, { kind: 'ussd.purge_sessions', payload: { day: 'soon' }, dedupeKey: bad });
    await worker.drain();
    const [row] = rows<{ status: string; attempts: number; last_error: string }>(
      await db.execute(sql`select status, attempts, last_error from jobs where dedupe_key = ${bad}`),
    );
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row!.last_error).toMatch(/day/);
  });
});
