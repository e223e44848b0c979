import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { type ConsoleSession, consoleSignIn, rowsOf } from '../../../test/support/console.js';
import { nextPhone } from '../../../test/support/fixtures.js';

// Loyalty points on a user's People page: the balance and entries, and the admin's adjustment through
// the promotions module's own command (never below zero; one entry and one audit row with the reason).

const EVIL = '<script>alert(1)</script>"onmouseover=alert(2) x="';
let t: TestApp;
let admin: ConsoleSession;
let adminId: string;

beforeAll(async () => {
  t = await createTestApp({ CONSOLE_IDLE_MINUTES: '1440', CONSOLE_ABSOLUTE_HOURS: '168' });
  adminId = (await t.app.services.identity.governance.createAdmin('+255754940001')).user.id;
  admin = await consoleSignIn(t, '+255754940001');
});
afterAll(() => t.close());

const entries = (buyerId: string) =>
  rowsOf<{ kind: string; points: number; reason: string; created_by: string }>(
    t,
    sql`select kind, points, reason, created_by from loyalty_entries where buyer_id = ${buyerId} order by created_at`,
  );
const audits = (buyerId: string) =>
  rowsOf<{ reason: string; actor_user_id: string }>(
    t,
    sql`select reason, actor_user_id from audit_events where action = 'loyalty.adjusted' and target_id = ${buyerId}`,
  );

describe('loyalty points', () => {
  it('adds points with a reason: one entry, one audit row, the balance and the reason (inert) on the page', async () => {
    const buyer = await t.login(nextPhone());
    const before = await admin.get(`/admin/people/${buyer.userId}`);
    expect(before.body).toMatch(/data-loyalty-balance>0</);
    expect(before.body).toContain(`action="/admin/people/${buyer.userId}/loyalty"`);

    const res = await admin.post(`/admin/people/${buyer.userId}/loyalty`, {
      points: '150',
      reason: `late delivery goodwill ${EVIL}`,
    });
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe(`/admin/people/${buyer.userId}?done=points_adjusted`);
    expect(await entries(buyer.userId)).toEqual([
      { kind: 'adjust', points: 150, reason: `late delivery goodwill ${EVIL}`, created_by: adminId },
    ]);
    expect(await audits(buyer.userId)).toEqual([
      { reason: `late delivery goodwill ${EVIL}`, actor_user_id: adminId },
    ]);
    const after = await admin.get(`/admin/people/${buyer.userId}`);
    expect(after.body).toMatch(/data-loyalty-balance>150</);
    expect(after.body).not.toContain('<script>alert(1)');
    expect(after.body).not.toMatch(/"onmouseover=/);
    expect(after.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover&#61;alert(2)');
    // Takes some away again.
    expect(
      (await admin.post(`/admin/people/${buyer.userId}/loyalty`, { points: '-50', reason: 'typo fixed' }))
        .statusCode,
    ).toBe(303);
    expect((await admin.get(`/admin/people/${buyer.userId}`)).body).toMatch(/data-loyalty-balance>100</);
  });

  it('refuses below zero, bad points, no reason (422), no CSRF token (403), an unknown user (404): nothing written', async () => {
    const buyer = await t.login(nextPhone());
    const url = `/admin/people/${buyer.userId}/loyalty`;
    const below = await admin.post(url, { points: '-1', reason: 'take one' });
    expect(below.statusCode).toBe(422);
    expect(below.body).toContain('cannot go below zero');
    for (const points of ['abc', '0', '2000000', '1.5', ''])
      expect((await admin.post(url, { points, reason: 'bad input' })).statusCode, points).toBe(422);
    expect((await admin.post(url, { points: '10', reason: '' })).statusCode).toBe(422);
    expect((await admin.post(url, { points: '10', reason: 'forged' }, { csrf: null })).statusCode).toBe(403);
    expect(
      (
        await admin.post('/admin/people/0b0f8f43-8c1e-4f8e-9b55-0a3c2b1d4e5f/loyalty', {
          points: '10',
          reason: 'ghost',
        })
      ).statusCode,
    ).toBe(404);
    expect(await entries(buyer.userId)).toEqual([]);
    expect(await audits(buyer.userId)).toEqual([]);
  });
});
