import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/support/db.js';
import { rawQuery, writeBatch } from './batch.js';
import type { DatabaseHandle } from './client.js';
import { auditEvents, jobs, users } from './schema.js';

// The batched writer runs on PGlite and PostgreSQL alike (TEST_DATABASE_URL); what it writes must
// read back exactly as Drizzle's own insert would have written it.

let h: DatabaseHandle;
beforeAll(async () => {
  h = await createTestDatabase();
});
afterAll(() => h.close());

const at = new Date('2026-11-25T10:00:00.123Z');

describe('writeBatch', () => {
  it('writes inserts, an update and a delete as one statement, with dates, jsonb, nulls and defaults', async () => {
    const id = '0193a8e0-0000-7000-8000-000000000001';
    await h.db
      .insert(users)
      .values({ id, phone: '+255754000001', roles: ['buyer'], createdAt: at, updatedAt: at });
    await writeBatch(h.db, [
      {
        insert: jobs,
        rows: [
          {
            id: '0193a8e0-0000-7000-8000-0000000000a1',
            kind: 'k.one',
            payload: { n: 1, nested: { s: 'x' } },
            status: 'pending',
            runAt: at,
            maxAttempts: 3,
            createdAt: at,
          },
          {
            id: '0193a8e0-0000-7000-8000-0000000000a2',
            kind: 'k.two',
            payload: {},
            dedupeKey: 'once',
            status: 'pending',
            runAt: at,
            maxAttempts: 3,
            createdAt: at,
          },
        ],
        onConflictDoNothing: 'dedupeKey',
      },
      {
        insert: auditEvents,
        rows: [
          {
            id: '0193a8e0-0000-7000-8000-0000000000b1',
            actorUserId: id,
            action: 'a.b',
            targetType: 'user',
            targetId: id,
            data: null,
            createdAt: at,
          },
        ],
      },
      {
        update: users,
        set: { displayName: 'Asha', updatedAt: new Date(at.getTime() + 1000) },
        where: { id },
      },
      { delete: jobs, where: { kind: 'nothing-matches' } },
    ]);
    const js = await h.db.select().from(jobs).orderBy(jobs.kind);
    expect(js.map((j) => [j.kind, j.payload, j.dedupeKey, j.runAt.toISOString(), j.attempts])).toEqual([
      ['k.one', { n: 1, nested: { s: 'x' } }, null, at.toISOString(), 0],
      ['k.two', {}, 'once', at.toISOString(), 0],
    ]);
    const [a] = await h.db.select().from(auditEvents);
    expect([a?.action, a?.data, a?.reason]).toEqual(['a.b', null, null]);
    const [u] = await h.db.select().from(users).where(eq(users.id, id));
    expect([u?.displayName, u?.updatedAt.toISOString()]).toEqual(['Asha', '2026-11-25T10:00:01.123Z']);

    // on conflict do nothing: the same dedupe key again writes nothing and does not fail
    await writeBatch(h.db, [
      {
        insert: jobs,
        rows: [
          {
            id: '0193a8e0-0000-7000-8000-0000000000a3',
            kind: 'k.three',
            payload: {},
            dedupeKey: 'once',
            status: 'pending',
            runAt: at,
            maxAttempts: 3,
            createdAt: at,
          },
        ],
        onConflictDoNothing: 'dedupeKey',
      },
    ]);
    expect((await h.db.select().from(jobs)).length).toBe(2);
  });

  it('is all or nothing: a failing part leaves no part written', async () => {
    const before = (await h.db.select().from(auditEvents)).length;
    await expect(
      writeBatch(h.db, [
        {
          insert: auditEvents,
          rows: [
            {
              id: '0193a8e0-0000-7000-8000-0000000000b2',
              action: 'x',
              targetType: 't',
              targetId: 't',
              createdAt: at,
            },
          ],
        },
        // NOT NULL kind is missing: the whole statement fails
        {
          insert: jobs,
          rows: [
            {
              id: '0193a8e0-0000-7000-8000-0000000000a4',
              payload: {},
              status: 'pending',
              runAt: at,
              createdAt: at,
            },
          ],
        },
      ]),
    ).rejects.toThrow();
    expect((await h.db.select().from(auditEvents)).length).toBe(before);
  });

  it("a module's own statement is checked: fewer rows than it needs fails the whole batch with its error", async () => {
    const auditBefore = (await h.db.select().from(auditEvents)).length;
    const phones = ['+255754000001', '+255799999999']; // the second one does not exist
    const touch = (wanted: string[]) => ({
      statement: ($: (v: unknown) => string) =>
        `update users set display_name = 'touched' where phone = any(${$(wanted)}::text[]) returning id`,
      rows: wanted.length,
      short: () => new Error('not every user was there'),
    });
    // The count is checked after the statement ran: inside the caller's transaction (as checkout
    // does), the error rolls every part back.
    await expect(
      h.db.transaction((tx) =>
        writeBatch(tx, [
          {
            insert: auditEvents,
            rows: [
              {
                id: '0193a8e0-0000-7000-8000-0000000000b3',
                action: 'y',
                targetType: 't',
                targetId: 't',
                createdAt: at,
              },
            ],
          },
          touch(phones),
        ]),
      ),
    ).rejects.toThrow('not every user was there');
    expect((await h.db.select().from(auditEvents)).length).toBe(auditBefore);
    const [u] = await h.db.select().from(users).where(eq(users.phone, phones[0]!));
    expect(u?.displayName).toBe('Asha');

    await writeBatch(h.db, [touch(phones.slice(0, 1))]);
    const [v] = await h.db.select().from(users).where(eq(users.phone, phones[0]!));
    expect(v?.displayName).toBe('touched');
    await h.db.update(users).set({ displayName: 'Asha' }).where(eq(users.phone, phones[0]!));
  });

  it('refuses a property that is not a column, before sending anything', async () => {
    await expect(writeBatch(h.db, [{ delete: jobs, where: { nope: 1 } }])).rejects.toThrow(
      /jobs has no column nope/,
    );
  });
});

describe('rawQuery', () => {
  it('returns rows with the same types on both drivers, named or not', async () => {
    for (const name of [undefined, 'batch-test-select']) {
      const rows = await rawQuery<{ n: number; at: Date; j: unknown }>(
        h.db,
        { name, text: 'select $1::int as n, $2::timestamptz as at, $3::jsonb as j' },
        [7, at, JSON.stringify({ a: [1] })],
      );
      expect(rows[0]!.n).toBe(7);
      expect(rows[0]!.at).toBeInstanceOf(Date);
      expect(rows[0]!.at.toISOString()).toBe(at.toISOString());
      expect(rows[0]!.j).toEqual({ a: [1] });
    }
  });

  it('runs inside the caller transaction (rolled back with it)', async () => {
    await h.db
      .transaction(async (tx) => {
        await rawQuery(tx, { text: "update users set display_name = 'inside' where phone = $1" }, [
          '+255754000001',
        ]);
        throw new Error('roll back');
      })
      .catch(() => {});
    const [u] = await h.db.select().from(users).where(eq(users.phone, '+255754000001'));
    expect(u?.displayName).toBe('Asha');
  });
});
