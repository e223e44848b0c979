import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestApp } from '../../../test/support/app.js';
import type { Database, DatabaseHandle } from '../../db/client.js';

import { otpChallenges } from './schema.js';

// Count the hashing and comparing done per request, without changing what they return.
const crypto = vi.hoisted(() => ({ hashes: 0, compares: 0 }));
vi.mock('../../shared/secrets.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../shared/secrets.js')>();
  return {
    ...real,
    keyedHash: (...args: Parameters<typeof real.keyedHash>) => {
      crypto.hashes++;
      return real.keyedHash(...args);
    },
    constantTimeEqual: (a: string, b: string) => {
      crypto.compares++;
      return real.constantTimeEqual(a, b);
    },
  };
});

// Count the statements the app starts against the database (select, update, insert, …).
let statements = 0;
function counting(db: Database): Database {
  const counted = new Set(['select', 'update', 'insert', 'delete', 'execute', 'transaction']);
  return new Proxy(db, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof prop === 'string' && counted.has(prop) && typeof value === 'function') {
        return (...args: unknown[]) => {
          statements++;
          return value.apply(receiver, args);
        };
      }
      return value;
    },
  });
}

let t: TestApp;
let handle: DatabaseHandle;
beforeAll(async () => {
  // Test files share module instances (isolate: false): load the app afresh so it is built on the
  // counting secrets above, whatever file ran before this one.
  vi.resetModules();
  const { createTestApp } = await import('../../../test/support/app.js');
  const { createTestDatabase } = await import('../../../test/support/db.js');
  handle = await createTestDatabase();
  t = await createTestApp({}, { handle: { ...handle, db: counting(handle.db) } });
});
afterAll(async () => {
  await t.close();
  await handle.close();
});

let n = 100;
const freshPhone = () => `+2557160${String(n++).padStart(5, '0')}`;
const request = (phone: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/otp/request', payload: { phone } });

/** Verify once, measuring the work it caused. */
async function verify(phone: string, code: string) {
  statements = 0;
  crypto.hashes = 0;
  crypto.compares = 0;
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/otp/verify',
    payload: { phone, code },
  });
  return { res, work: { statements, hashes: crypto.hashes, compares: crypto.compares } };
}

/** The reply without the request id (which differs on every request by design). */
function shape(res: Awaited<ReturnType<typeof verify>>['res']) {
  const { request_id, ...body } = res.json();
  expect(request_id).toEqual(expect.any(String));
  return {
    status: res.statusCode,
    type: res.headers['content-type'],
    body: JSON.stringify(body),
  };
}

describe('OTP verification does not tell which phones have signed in', () => {
  it('answers an unknown phone, a used code, an expired code and a wrong code identically, after the same work', async () => {
    // A phone that never asked for a code.
    const unknown = await verify(freshPhone(), '123456');

    // A phone that signed in before, trying its spent code again.
    const returning = freshPhone();
    await t.login(returning);
    const used = await verify(returning, t.sms.lastCode(returning));

    // An abandoned request whose code expired.
    const abandoned = freshPhone();
    await request(abandoned);
    t.clock.advanceSeconds(301);
    const expired = await verify(abandoned, t.sms.lastCode(abandoned));

    // A live code, guessed wrong.
    const guessed = freshPhone();
    await request(guessed);
    const right = t.sms.lastCode(guessed);
    const wrong = await verify(guessed, right === '000000' ? '111111' : '000000');

    const replies = [unknown, used, expired, wrong].map((r) => shape(r.res));
    expect(replies[0]).toMatchObject({
      status: 400,
      type: expect.stringContaining('application/problem+json'),
    });
    expect(JSON.parse(replies[0]!.body)).toMatchObject({ code: 'OTP_INVALID', field: 'code' });
    for (const r of replies) expect(r).toEqual(replies[0]);

    const work = [unknown, used, expired, wrong].map((r) => r.work);
    expect(work[0]!.statements).toBeGreaterThan(0);
    expect(work[0]!.hashes).toBe(1);
    expect(work[0]!.compares).toBe(1);
    for (const w of work) expect(w).toEqual(work[0]);

    // The wrong guess spent one try: the right code still works.
    expect((await verify(guessed, right)).res.statusCode).toBe(200);
  });

  it('still stops a live code after 5 wrong tries', async () => {
    const phone = freshPhone();
    await request(phone);
    const code = t.sms.lastCode(phone);
    const wrong = code === '000000' ? '111111' : '000000';
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await verify(phone, wrong)).res.statusCode);
    expect(statuses).toEqual([400, 400, 400, 400, 429]);
    const after = await verify(phone, code);
    expect(after.res.json().code).toBe('OTP_TOO_MANY_ATTEMPTS');
  });
});

describe('spent and expired codes are purged by a job', () => {
  it('the scheduled purge deletes used and expired codes older than an hour and schedules its next run', async () => {
    const used = freshPhone();
    await t.login(used);
    const expired = freshPhone();
    await request(expired);
    t.clock.advanceSeconds(2 * 3600);

    await t.app.services.startSchedules();
    t.clock.advanceSeconds(3600);
    await t.app.services.jobs.drain();

    const phonesLeft = async (...phones: string[]) => {
      const out: string[] = [];
      for (const p of phones) {
        const rows = await handle.db.select().from(otpChallenges).where(eq(otpChallenges.phone, p));
        if (rows.length) out.push(p);
      }
      return out;
    };
    expect(await phonesLeft(used, expired)).toEqual([]);

    const { jobs } = await import('../jobs/schema.js');
    const purges = await handle.db.select().from(jobs).where(eq(jobs.kind, 'identity.purge_spent_codes'));
    expect(purges.filter((j) => j.status === 'done').length).toBeGreaterThanOrEqual(1);
    const next = purges.filter((j) => j.status === 'pending');
    expect(next).toHaveLength(1);
    expect(next[0]!.runAt.getTime()).toBeGreaterThan(t.clock.now().getTime());
  });

  it('keeps codes younger than an hour, used or not (the per-phone limits count them)', async () => {
    const used = freshPhone();
    await t.login(used);
    const pending = freshPhone();
    await request(pending);
    t.clock.advanceSeconds(30 * 60);
    expect(await t.app.services.identity.auth.purgeSpentCodes()).toBe(0);
    const rows = await handle.db.select().from(otpChallenges).where(eq(otpChallenges.phone, used));
    expect(rows).toHaveLength(1);
    t.clock.advanceSeconds(31 * 60);
    expect(await t.app.services.identity.auth.purgeSpentCodes()).toBeGreaterThanOrEqual(2);
  });
});
