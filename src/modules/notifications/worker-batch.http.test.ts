import { randomUUID } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { rowsOf } from '../../../test/support/console.js';
import { nextPhone } from '../../../test/support/fixtures.js';
import { notificationMessages as m } from './schema.js';

// The job loop marks a batch's finished jobs done in one statement at its end (src/modules/jobs/service.ts):
// a worker that dies mid-batch leaves finished jobs `running`, the sweep hands them out again and
// they run a second time. These tests prove the send handler makes that harmless, and that claim
// loops racing over the same jobs send each message once.

let t: TestApp;
let buyers: { userId: string; phone: string }[];

const svc = () => t.app.services.notifications.service;
const db = () => t.handle.db;

beforeAll(async () => {
  t = await createTestApp();
  buyers = [];
  for (let i = 0; i < 3; i++) {
    const phone = nextPhone();
    buyers.push({ userId: (await t.login(phone)).userId, phone });
  }
  await t.app.services.jobs.drain();
});
afterAll(() => t.close());

/** `n` order.accepted events (one SMS each to a buyer), committed one by one; their event ids. */
async function accepted(n: number) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    ids.push(id);
    await db().transaction((tx) =>
      svc().notify(tx, {
        type: 'order.accepted',
        id,
        order_id: randomUUID(),
        buyer_id: buyers[i % buyers.length]!.userId,
        ready_by: new Date(t.clock.now().getTime() + 3 * 3600_000),
      }),
    );
  }
  return ids;
}

const smsOf = (eventIds: string[]) =>
  db()
    .select({ id: m.id, status: m.status, attempts: m.attempts })
    .from(m)
    .where(and(inArray(m.eventId, eventIds), eq(m.channel, 'sms')));

describe('batched job completion', () => {
  it('a batch rerun after a crash before its completion sends nothing twice', async () => {
    const events = await accepted(6);
    const rows = await smsOf(events);
    expect(rows).toHaveLength(6);
    const before = t.sms.sent.length;
    const r = await t.app.services.jobs.runDue(20);
    expect(r.done).toBeGreaterThanOrEqual(6);
    expect(t.sms.sent.length - before).toBe(6);
    // The crash: the batch's completion never committed, so its jobs are still `running` on a lease
    // that runs out; the sweep hands them out again.
    const ids = rows.map((x) => x.id);
    // The jobs table is the jobs module's: read and written here by SQL, as its own tests do.
    const sendJobs = sql`kind = 'notifications.send' and payload->>'message_id' in (${sql.join(
      ids.map((id) => sql`${id}`),
      sql`, `,
    )})`;
    const expired = new Date(t.clock.now().getTime() - 1000).toISOString();
    const reset = await rowsOf<{ id: string }>(
      t,
      sql`update jobs set status = 'running', locked_by = 'dead-worker', locked_until = ${expired}::timestamptz,
            finished_at = null
          where ${sendJobs} returning id`,
    );
    expect(reset).toHaveLength(6);
    expect(await t.app.services.jobs.sweep()).toBe(6);
    await t.app.services.jobs.drain();
    // Six jobs ran again, no message went out again, and each is still `sent` once.
    expect(t.sms.sent.length - before).toBe(6);
    const after = await smsOf(events);
    expect(after.map((x) => `${x.status}/${x.attempts}`)).toEqual(Array(6).fill('sent/1'));
    const jobRows = await rowsOf<{ status: string }>(t, sql`select status from jobs where ${sendJobs}`);
    expect(jobRows.map((j) => j.status)).toEqual(Array(6).fill('done'));
  });

  it('three claim loops racing over the same jobs send each message exactly once', async (ctx) => {
    if (t.handle.kind !== 'postgres') {
      // PGlite is one connection in one process: three loops' statements run one after another,
      // so there is no race to test. TEST_DATABASE_URL runs it on PostgreSQL.
      console.log(
        'skipped on PGlite: one connection, the claim loops cannot overlap (run with TEST_DATABASE_URL)',
      );
      ctx.skip();
    }
    const events = await accepted(60);
    const before = t.sms.sent.length;
    const jobs = t.app.services.jobs;
    // Three loops of small batches, each claiming again at once while work remains, as start() does.
    const claims: number[] = [];
    await Promise.all(
      [0, 1, 2].map(async () => {
        for (;;) {
          const r = await jobs.runDue(5);
          claims.push(r.claimed);
          if (r.claimed === 0) return;
        }
      }),
    );
    const sent = t.sms.sent.slice(before);
    expect(sent).toHaveLength(60);
    const rows = await smsOf(events);
    expect(rows.map((x) => `${x.status}/${x.attempts}`)).toEqual(Array(60).fill('sent/1'));
    // Batches of 5 over 60 jobs: at least 12 non-empty claims, shared by the three loops.
    expect(claims.filter((c) => c > 0).length).toBeGreaterThanOrEqual(12);
  });
});
