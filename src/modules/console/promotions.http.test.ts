import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { type ConsoleSession, consoleSignIn, rowsOf } from '../../../test/support/console.js';

// A promotion's page: money burned per Dar es Salaam day (a server-drawn SVG) and the days its
// budget left lasts at the pace of the last week. Burns are written by hand with the counters that
// match them (the checkout paths that write burns have their own tests).

let t: TestApp;
let admin: ConsoleSession;

beforeAll(async () => {
  t = await createTestApp();
  await t.loginAdmin('+255754920001');
  admin = await consoleSignIn(t, '+255754920001');
});
afterAll(() => t.close());

const one = async <T>(q: ReturnType<typeof sql>) => (await rowsOf<T>(t, q))[0] as T;
const form = {
  name: 'Console burn',
  value_type: 'percentage',
  percent: '10',
  cap: '',
  amount: '',
  scope_type: 'all',
  scope_id: '',
  starts_at: '2026-11-25T08:00',
  ends_at: '2026-12-31T23:00',
  priority: '3',
  budget: '250000',
  per_buyer_limit: '',
  active: 'on',
};

describe('promotion burn', () => {
  it('charts the money burned per day (reversed burns left out) and the days the budget left lasts', async () => {
    // Switched off: later tests' orders must not take it (the burns below are written by hand).
    const res = await admin.post('/admin/promotions', { ...form, name: 'Console burn', active: '' });
    expect(res.statusCode, res.body).toBe(303);
    const { id } = await one<{ id: string }>(sql`select id from promotions where name = 'Console burn'`);
    const page0 = await admin.get(`/admin/promotions/${id}`);
    expect(/data-figure="days-to-exhaustion">([^<]*)</.exec(page0.body)![1]).toBe(
      'no burn in the last 7 days',
    );
    const day = 86_400_000;
    const now = t.clock.now().getTime();
    for (const [ago, amount, reversed] of [
      [2, 3_000_00, false],
      [1, 4_000_00, false],
      [1, 9_999_00, true],
    ] as const) {
      const at = new Date(now - ago * day).toISOString();
      await t.handle.db.execute(sql`insert into incentive_burns (id, kind, promotion_id, buyer_id, checkout_id, amount, created_at, reversed_at)
        values (gen_random_uuid(), 'promotion', ${id}, gen_random_uuid(), gen_random_uuid(), ${amount}, ${at}, ${reversed ? at : null})`);
    }
    await t.handle.db.execute(
      sql`update promotion_budget_slices set burned_amount = case when slice = 0 then 700000 else 0 end,
        uses = case when slice = 0 then 2 else 0 end where promotion_id = ${id}`,
    );
    const burn = await t.app.services.promotions.service.promotionBurn(id);
    expect(burn.per_day).toHaveLength(30);
    expect(burn.per_day.slice(-3).map((d) => d.amount)).toEqual([3_000_00, 4_000_00, 0]);
    // 243,000 left at 7,000 a week (1,000 a day): 243 days.
    expect(burn).toMatchObject({ budget_left: 243_000_00, days_to_exhaustion: 243 });
    const page = await admin.get(`/admin/promotions/${id}`);
    expect(/data-figure="days-to-exhaustion">([^<]*)</.exec(page.body)![1]).toBe(
      '243 days at the pace of the last 7 days',
    );
    const img =
      /<img class="chart" alt="Money burned per day, last 30 days" src="data:image\/svg\+xml;base64,([^"]+)"/.exec(
        page.body,
      );
    const svg = Buffer.from(img![1]!, 'base64').toString();
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Money burned per day');
    expect(svg).not.toContain('<script');
    expect(
      (await admin.get(`/admin/promotions/${'0'.repeat(8)}-0000-4000-8000-000000000000`)).statusCode,
    ).toBe(404);
  });
});

describe('discount codes', () => {
  const codeForm = {
    code: ' karibu 10 ',
    value_type: 'percentage',
    percent: '10',
    cap: '5000',
    amount: '',
    min_order: '20000',
    starts_at: '2026-11-25T08:00',
    ends_at: '2026-12-31T23:00',
    max_uses: '500',
    per_buyer_limit: '1',
    budget: '100000',
    active: 'on',
  };
  type CodeRow = {
    id: string;
    code: string;
    active: boolean;
    budget_amount: number | null;
    max_uses: number | null;
    percent_bp: number | null;
    cap_amount: number | null;
    min_order_amount: number;
    starts_at: Date;
  };
  const codeRow = (code: string) => one<CodeRow>(sql`select * from discount_codes where code = ${code}`);
  const audits = (id: string) =>
    rowsOf<{ action: string; reason: string | null }>(
      t,
      sql`select action, reason from audit_events where target_id = ${id} order by created_at, id`,
    );

  it('created from the console as the API would (its schema, normalised), then edited and switched off with reasons', async () => {
    // No CSRF token: refused, nothing written. A bad value: the API schema's refusal, nothing written.
    expect((await admin.post('/admin/codes', codeForm, { csrf: null })).statusCode).toBe(403);
    expect((await admin.post('/admin/codes', { ...codeForm, percent: 'ten' })).statusCode).toBe(422);
    expect((await admin.post('/admin/codes', { ...codeForm, code: 'x' })).statusCode).toBe(422);
    expect(await rowsOf(t, sql`select id from discount_codes`)).toEqual([]);

    const res = await admin.post('/admin/codes', codeForm);
    expect(res.statusCode, res.body).toBe(303);
    const row = await codeRow('KARIBU10');
    expect(res.headers.location).toBe(`/admin/codes/${row.id}?done=created`);
    expect(row).toMatchObject({
      active: true,
      percent_bp: 1000,
      cap_amount: 5_000_00,
      min_order_amount: 20_000_00,
      budget_amount: 100_000_00,
      max_uses: 500,
    });
    // The form's wall time is Dar es Salaam's (UTC+3).
    expect(new Date(row.starts_at).toISOString()).toBe('2026-11-25T05:00:00.000Z');
    // A second code with the same text: the service's refusal.
    expect((await admin.post('/admin/codes', codeForm)).statusCode).toBe(409);

    const list = await admin.get('/admin/codes');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(
      `<tr data-code="${row.id}"><td><a href="/admin/codes/${row.id}">KARIBU10</a>`,
    );
    const detail = await admin.get(`/admin/codes/${row.id}?done=created`);
    expect(detail.body).toContain('<td data-figure="code">KARIBU10</td>');
    expect(detail.body).toContain('<td data-figure="budget">TZS 100,000</td>');

    const edit = `/admin/codes/${row.id}/edit`;
    expect((await admin.post(edit, { budget: '150000', reason: '' })).statusCode).toBe(422);
    expect((await admin.post(edit, { budget: '150000', reason: 'more' }, { csrf: null })).statusCode).toBe(
      403,
    );
    expect((await codeRow('KARIBU10')).budget_amount).toBe(100_000_00);
    const edited = await admin.post(edit, {
      budget: '150000',
      max_uses: '800',
      reason: 'more <b>demand</b>',
    });
    expect(edited.statusCode, edited.body).toBe(303);
    expect(await codeRow('KARIBU10')).toMatchObject({ budget_amount: 150_000_00, max_uses: 800 });

    const off = await admin.post(`/admin/codes/${row.id}/switch-off`, { reason: 'abused' });
    expect(off.statusCode, off.body).toBe(303);
    expect((await codeRow('KARIBU10')).active).toBe(false);
    const after = await admin.get(`/admin/codes/${row.id}`);
    expect(after.body).toContain('<td data-figure="active">off</td>');
    expect(after.body).not.toContain('/switch-off"');
    // The edits are audited with their reasons (escaped on any page that shows them).
    const reasons = (await audits(row.id)).map((a) => a.reason);
    expect(reasons).toEqual(expect.arrayContaining(['more <b>demand</b>', 'abused']));
    expect((await admin.get(`/admin/codes/${'0'.repeat(8)}-0000-4000-8000-000000000000`)).statusCode).toBe(
      404,
    );
  });
});
