import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { type ConsoleSession, consoleSignIn, rowsOf } from '../../../test/support/console.js';
import { nextPhone } from '../../../test/support/fixtures.js';

// The Referrals screen over HTTP: the held queue shows what held each reward; approve, reject, claw
// back and the campaign form go through the referrals module's own commands (state, ledger, budget
// and one audit row with the reason); a refusal (CSRF, no reason, bad input, wrong state) writes nothing.

const EVIL = '<script>alert(1)</script>"onmouseover=alert(2) x="';
let t: TestApp;
let admin: ConsoleSession;
let adminId: string;

beforeAll(async () => {
  t = await createTestApp({ CONSOLE_IDLE_MINUTES: '1440', CONSOLE_ABSOLUTE_HOURS: '168' });
  adminId = (await t.app.services.identity.governance.createAdmin('+255754920001')).user.id;
  admin = await consoleSignIn(t, '+255754920001');
});
afterAll(() => t.close());
// Whatever a test did, the books and the campaign's burn still reconcile with the ledger.
afterEach(async () => {
  expect(await t.app.services.orders.service.reconcile()).toEqual([]);
});

const one = async <T>(q: ReturnType<typeof sql>) => (await rowsOf<T>(t, q))[0] as T;
const auditCount = async (action: string, targetId: string) =>
  (
    await one<{ n: number }>(
      sql`select count(*)::int as n from audit_events where action = ${action} and target_id = ${targetId}`,
    )
  ).n;
const stateOf = async (id: string) =>
  (await one<{ state: string }>(sql`select state from referrals where id = ${id}`)).state;
const campaign = () =>
  one<{ active: boolean; referrer_reward: number; budget_amount: number; spent_amount: number }>(
    sql`select active, referrer_reward::int, budget_amount::bigint::float8 as budget_amount, spent_amount::bigint::float8 as spent_amount from referral_campaigns where id = 'default'`,
  );

/** A referral the completion hook held (seeded as the hook leaves it): real users, the given signals. */
async function heldReferral(signals: string[], rewards: readonly [number, number] = [3_000_00, 2_000_00]) {
  const referrer = await t.login(nextPhone());
  const referee = await t.login(nextPhone());
  const id = randomUUID();
  const now = t.clock.now().toISOString();
  await rowsOf(
    t,
    sql`insert into referrals (id, referrer_id, referee_id, code, state, attributed_at, qualified_at, signals, referrer_reward, referee_reward, currency, updated_at)
        values (${id}, ${referrer.userId}, ${referee.userId}, 'ABCDEFG', 'held', ${now}, ${now}, ${JSON.stringify(signals)}::jsonb, ${rewards[0]}, ${rewards[1]}, 'TZS', ${now})`,
  );
  return { id, referrer, referee };
}

const CAMPAIGN_FORM = {
  active: 'on',
  referrer_reward: '3000',
  referee_reward: '2000',
  min_order_amount: '10000',
  budget_amount: '50000',
  per_referrer_daily_cap: '5',
  per_referrer_total_cap: '',
  nearby_radius_meters: '50',
};

describe('the campaign form', () => {
  it('saves through the module (shillings to minor units, empty cap = none), one audit row with the reason', async () => {
    const res = await admin.post('/admin/referrals/campaign', { ...CAMPAIGN_FORM, reason: 'launch in Dar' });
    expect(res.statusCode, res.body).toBe(303);
    const row = await one<Record<string, unknown>>(
      sql`select active, referrer_reward::int as rr, referee_reward::int as er, budget_amount::float8 as budget, per_referrer_daily_cap as daily, per_referrer_total_cap as total, updated_by from referral_campaigns`,
    );
    expect(row).toEqual({
      active: true,
      rr: 3_000_00,
      er: 2_000_00,
      budget: 50_000_00,
      daily: 5,
      total: null,
      updated_by: adminId,
    });
    const audit = await rowsOf<{ reason: string; actor_user_id: string }>(
      t,
      sql`select reason, actor_user_id from audit_events where action = 'referral_campaign.updated'`,
    );
    expect(audit).toEqual([{ reason: 'launch in Dar', actor_user_id: adminId }]);
    const page = await admin.get('/admin/referrals');
    expect(page.body).toContain('name="referrer_reward" inputmode="numeric" value="3000"');
    expect(page.body).toMatch(/name="active" checked/);
  });

  it('refuses bad input (422), a missing reason (422), no CSRF token (403) and a budget below spent (409), writing nothing', async () => {
    const before = await campaign();
    const audits = await auditCount('referral_campaign.updated', 'default');
    for (const [form, status] of [
      [{ ...CAMPAIGN_FORM, referrer_reward: 'lots', reason: 'typo test' }, 422],
      [{ ...CAMPAIGN_FORM, referrer_reward: '-5', reason: 'typo test' }, 422],
      [{ ...CAMPAIGN_FORM, nearby_radius_meters: '99999', reason: 'typo test' }, 422],
      [{ ...CAMPAIGN_FORM, per_referrer_daily_cap: '0', reason: 'typo test' }, 422],
      [{ ...CAMPAIGN_FORM, reason: '' }, 422],
    ] as const) {
      const res = await admin.post('/admin/referrals/campaign', form);
      expect(res.statusCode, JSON.stringify(form)).toBe(status);
      expect(res.headers['content-type']).toMatch(/text\/html/);
    }
    const noCsrf = await admin.post(
      '/admin/referrals/campaign',
      { ...CAMPAIGN_FORM, budget_amount: '1', reason: 'forged form' },
      { csrf: null },
    );
    expect(noCsrf.statusCode).toBe(403);
    expect(await campaign()).toEqual(before);
    expect(await auditCount('referral_campaign.updated', 'default')).toBe(audits);
  });
});

describe('the held queue', () => {
  it('shows each held reward with the signal that held it, and the report counts them', async () => {
    const { id } = await heldReferral(['SHARED_PAYING_PHONE', 'SHARED_DEVICE']);
    const res = await admin.get('/admin/referrals');
    expect(res.statusCode).toBe(200);
    const row = new RegExp(`<tr data-referral="${id}">(.*?)</tr>`, 's').exec(res.body)![1]!;
    expect(row).toContain('data-signal="SHARED_PAYING_PHONE"');
    expect(row).toContain('paid from the referrer’s phone');
    expect(row).toContain('data-signal="SHARED_DEVICE"');
    expect(row).toContain(`action="/admin/referrals/${id}/approve"`);
    expect(row).toContain(`action="/admin/referrals/${id}/reject"`);
    const held = await one<{ n: number }>(sql`select count(*)::int as n from referrals where state = 'held'`);
    expect(/data-report="held">(\d+)</.exec(res.body)![1]).toBe(String(held.n));
    // Unknown state filter: the held queue, not an error.
    expect((await admin.get('/admin/referrals?state=nonsense')).statusCode).toBe(200);
  });

  it('approves through the module: both rewards in the ledger, budget burned, one audit row; a second approval is 409 with nothing paid', async () => {
    const { id, referrer, referee } = await heldReferral(['NEARBY_ADDRESS']);
    const spentBefore = (await campaign()).spent_amount;
    const res = await admin.post(`/admin/referrals/${id}/approve`, { reason: 'same family, checked' });
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe('/admin/referrals?state=held&done=approved');
    expect(await stateOf(id)).toBe('rewarded');
    const transfers = await rowsOf<{ credit_account: string; amount: number }>(
      t,
      sql`select credit_account, amount::int from ledger_transfers where kind = 'REFERRAL_REWARD' and key like ${`referral-reward:${id}:%`} order by amount desc`,
    );
    expect(transfers).toEqual([
      { credit_account: `user:${referrer.userId}:referral_credit`, amount: 3_000_00 },
      { credit_account: `user:${referee.userId}:referral_credit`, amount: 2_000_00 },
    ]);
    expect((await campaign()).spent_amount - spentBefore).toBe(5_000_00);
    const audit = await rowsOf<{ reason: string; actor_user_id: string }>(
      t,
      sql`select reason, actor_user_id from audit_events where action = 'referral.approved' and target_id = ${id}`,
    );
    expect(audit).toEqual([{ reason: 'same family, checked', actor_user_id: adminId }]);

    const again = await admin.post(`/admin/referrals/${id}/approve`, { reason: 'double click' });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('only a held referral can be decided');
    expect(await auditCount('referral.approved', id)).toBe(1);
    expect((await campaign()).spent_amount - spentBefore).toBe(5_000_00);
  });

  it('refuses an approval the budget has no room for (409), leaving it held', async () => {
    const { id } = await heldReferral(['BUDGET_EXHAUSTED'], [60_000_00, 0]);
    const res = await admin.post(`/admin/referrals/${id}/approve`, { reason: 'pay it anyway' });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('raise it first');
    expect(await stateOf(id)).toBe('held');
    expect(await auditCount('referral.approved', id)).toBe(0);
  });

  it('rejects with the reason, which the rejected list shows inert', async () => {
    const { id } = await heldReferral(['REFERRER_IS_SELLER']);
    const res = await admin.post(`/admin/referrals/${id}/reject`, { reason: `self-dealing ${EVIL}` });
    expect(res.statusCode, res.body).toBe(303);
    expect(await stateOf(id)).toBe('rejected');
    expect(await auditCount('referral.rejected', id)).toBe(1);
    const list = await admin.get('/admin/referrals?state=rejected');
    const row = new RegExp(`<tr data-referral="${id}">(.*?)</tr>`, 's').exec(list.body)![1]!;
    expect(row).not.toContain('<script>alert(1)');
    expect(row).not.toMatch(/"onmouseover=/);
    expect(row).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover&#61;alert(2)');
    // Decided: no more buttons.
    expect(row).not.toContain('<form');
  });

  it('refuses a decision without a reason (422), without the CSRF token (403), or on an unknown id (404), writing nothing', async () => {
    const { id } = await heldReferral(['DAILY_CAP']);
    expect((await admin.post(`/admin/referrals/${id}/approve`, { reason: '' })).statusCode).toBe(422);
    expect((await admin.post(`/admin/referrals/${id}/reject`, { reason: 'x' })).statusCode).toBe(422);
    expect(
      (await admin.post(`/admin/referrals/${id}/approve`, { reason: 'no token' }, { csrf: null })).statusCode,
    ).toBe(403);
    expect(
      (await admin.post(`/admin/referrals/${randomUUID()}/reject`, { reason: 'ghost' })).statusCode,
    ).toBe(404);
    expect((await admin.post('/admin/referrals/not-an-id/reject', { reason: 'ghost' })).statusCode).toBe(404);
    expect(await stateOf(id)).toBe('held');
    const n = await one<{ n: number }>(
      sql`select count(*)::int as n from audit_events where target_id = ${id}`,
    );
    expect(n.n).toBe(0);
  });
});

describe('claw back', () => {
  it('takes a paid reward back once: negative adjustments in the ledger, the budget given back, audited', async () => {
    const { id } = await heldReferral(['SHARED_ADDRESS']);
    expect((await admin.post(`/admin/referrals/${id}/approve`, { reason: 'looked fine' })).statusCode).toBe(
      303,
    );
    const spent = (await campaign()).spent_amount;
    const rewarded = await admin.get('/admin/referrals?state=rewarded');
    expect(rewarded.body).toContain(`action="/admin/referrals/${id}/claw-back"`);

    const res = await admin.post(`/admin/referrals/${id}/claw-back`, { reason: 'fake accounts found' });
    expect(res.statusCode, res.body).toBe(303);
    expect(await stateOf(id)).toBe('clawed_back');
    const back = await one<{ n: number; sum: number }>(
      sql`select count(*)::int as n, sum(amount)::int as sum from ledger_transfers where kind = 'REFERRAL_CLAWBACK' and key like ${`referral-clawback:${id}:%`}`,
    );
    expect(back).toEqual({ n: 2, sum: 5_000_00 });
    expect(spent - (await campaign()).spent_amount).toBe(5_000_00);
    expect(await auditCount('referral.clawed_back', id)).toBe(1);
    const report = await admin.get('/admin/referrals?state=clawed_back');
    expect(report.body).toContain(`data-referral="${id}"`);
  });

  it('refuses to claw back a reward never paid (409), writing nothing', async () => {
    const { id } = await heldReferral(['TOTAL_CAP']);
    const res = await admin.post(`/admin/referrals/${id}/claw-back`, { reason: 'too early' });
    expect(res.statusCode).toBe(409);
    expect(await stateOf(id)).toBe('held');
    expect(await auditCount('referral.clawed_back', id)).toBe(0);
  });
});
