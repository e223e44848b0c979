import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { type ConsoleSession, consoleSignIn, rowsOf } from '../../../test/support/console.js';
import { DAR_DEMO_ZONES } from '../../demo-zones.js';

// Logistics changes from the console: a zone created and edited, the fee table replaced, the service
// hours set — each through the zones service (its ring, overlap, table and hours rules), each with one
// audit row carrying the reason; every refusal writes nothing.

const EVIL = '<script>alert(1)</script>"onmouseover=alert(2) x="';
let t: TestApp;
let admin: ConsoleSession;
let adminId: string;

beforeAll(async () => {
  t = await createTestApp({ CONSOLE_IDLE_MINUTES: '1440', CONSOLE_ABSOLUTE_HOURS: '168' });
  adminId = (await t.app.services.identity.governance.createAdmin('+255754950001')).user.id;
  admin = await consoleSignIn(t, '+255754950001');
});
afterAll(() => t.close());

const one = async <T>(q: ReturnType<typeof sql>) => (await rowsOf<T>(t, q))[0] as T;
const count = async (q: ReturnType<typeof sql>) => (await one<{ n: number }>(q)).n;
const ring = (name: string) => JSON.stringify(DAR_DEMO_ZONES.find((z) => z.name === name)!.polygon);
const zoneAudits = (action: string) =>
  rowsOf<{ target_id: string; reason: string; actor_user_id: string; data: unknown }>(
    t,
    sql`select target_id, reason, actor_user_id, data from audit_events where action = ${action} order by created_at`,
  );

let kariakoo: string;
let kinondoni: string;

describe('zones', () => {
  it('creates a zone from the form through the zones service, audited, its name shown inert', async () => {
    expect((await admin.get('/admin/logistics/zones/new')).statusCode).toBe(200);
    const res = await admin.post('/admin/logistics/zones', {
      name: `Kariakoo ${EVIL}`.slice(0, 80),
      polygon: ring('Kariakoo'),
      active: 'on',
      reason: 'opening Kariakoo',
    });
    expect(res.statusCode, res.body).toBe(303);
    kariakoo = /\/admin\/logistics\/zones\/([0-9a-f-]{36})\?done=created/.exec(
      res.headers.location as string,
    )![1]!;
    const row = await one<{ name: string; active: boolean; cell_count: number }>(
      sql`select name, active, cell_count from delivery_zones where id = ${kariakoo}`,
    );
    expect(row.active).toBe(true);
    expect(row.cell_count).toBeGreaterThan(0);
    expect(await count(sql`select count(*)::int as n from zone_cells where zone_id = ${kariakoo}`)).toBe(
      row.cell_count,
    );
    const audit = await zoneAudits('delivery_zone.created');
    expect(audit.map((a) => [a.target_id, a.reason, a.actor_user_id])).toEqual([
      [kariakoo, 'opening Kariakoo', adminId],
    ]);
    for (const url of ['/admin/logistics', `/admin/logistics/zones/${kariakoo}`]) {
      const page = await admin.get(url);
      expect(page.statusCode).toBe(200);
      expect(page.body).not.toContain('<script>alert(1)');
      expect(page.body).not.toMatch(/"onmouseover=/);
      expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover&#61;alert(2)');
    }
  });

  it('refuses a bad zone form (422), an overlap (409), no CSRF token (403), writing nothing', async () => {
    const zones = () => count(sql`select count(*)::int as n from delivery_zones`);
    const before = await zones();
    const audits = (await zoneAudits('delivery_zone.created')).length;
    const post = (form: Record<string, string>, opts?: { csrf?: string | null }) =>
      admin.post('/admin/logistics/zones', form, opts);
    const base = { name: 'Kinondoni', polygon: ring('Kinondoni'), active: 'on', reason: 'opening' };
    for (const [form, status] of [
      [{ ...base, reason: '' }, 422],
      [{ ...base, name: '' }, 422],
      [{ ...base, polygon: 'not json [' }, 422],
      [{ ...base, polygon: '"a string"' }, 422],
      [{ ...base, polygon: JSON.stringify(JSON.parse(ring('Kinondoni')).slice(0, -1)) }, 422],
      [{ ...base, polygon: '[[500, 1], [1, 2], [2, 2], [500, 1]]' }, 422],
      [{ ...base, name: 'Kariakoo twin', polygon: ring('Kariakoo') }, 409],
    ] as const) {
      const res = await post(form);
      expect(res.statusCode, JSON.stringify(form).slice(0, 80)).toBe(status);
      expect(res.headers['content-type']).toMatch(/text\/html/);
    }
    expect((await post(base, { csrf: null })).statusCode).toBe(403);
    expect(await zones()).toBe(before);
    expect(await zoneAudits('delivery_zone.created')).toHaveLength(audits);

    const ok = await post(base);
    expect(ok.statusCode, ok.body).toBe(303);
    kinondoni = (await one<{ id: string }>(sql`select id from delivery_zones where name = 'Kinondoni'`)).id;
  });

  it('edits a zone: renamed and switched off, the audit row naming only what changed', async () => {
    const res = await admin.post(`/admin/logistics/zones/${kinondoni}`, {
      name: 'Kinondoni North',
      polygon: ring('Kinondoni'),
      reason: 'rain closes the road',
    });
    expect(res.statusCode, res.body).toBe(303);
    expect(await one(sql`select name, active from delivery_zones where id = ${kinondoni}`)).toEqual({
      name: 'Kinondoni North',
      active: false,
    });
    expect(await count(sql`select count(*)::int as n from zone_cells where zone_id = ${kinondoni}`)).toBe(0);
    const [audit] = (await zoneAudits('delivery_zone.updated')).filter((a) => a.target_id === kinondoni);
    expect(audit!.reason).toBe('rain closes the road');
    expect(Object.keys((audit!.data as { changes: object }).changes).sort()).toEqual(['active', 'name']);
    // Back on, the same shape.
    const on = await admin.post(`/admin/logistics/zones/${kinondoni}`, {
      name: 'Kinondoni North',
      polygon: ring('Kinondoni'),
      active: 'on',
      reason: 'road open again',
    });
    expect(on.statusCode, on.body).toBe(303);
    expect(await one(sql`select active from delivery_zones where id = ${kinondoni}`)).toEqual({
      active: true,
    });
    // Unknown zone, no reason.
    expect(
      (
        await admin.post('/admin/logistics/zones/0b0f8f43-8c1e-4f8e-9b55-0a3c2b1d4e5f', {
          name: 'x',
          polygon: ring('Mbezi'),
          reason: 'ghost zone',
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (await admin.post(`/admin/logistics/zones/${kinondoni}`, { name: 'Nope', polygon: ring('Kinondoni') }))
        .statusCode,
    ).toBe(422);
    expect(await one(sql`select name from delivery_zones where id = ${kinondoni}`)).toEqual({
      name: 'Kinondoni North',
    });
  });
});

describe('the fee table', () => {
  const full = () => {
    const form: Record<string, string> = { reason: 'first price list' };
    for (const [from, to, fee] of [
      [kariakoo, kariakoo, '2000'],
      [kariakoo, kinondoni, '3500'],
      [kinondoni, kariakoo, '3500'],
      [kinondoni, kinondoni, '2500'],
    ] as const) {
      form[`fee.${from}.${to}`] = fee;
      form[`minutes.${from}.${to}`] = '90';
    }
    return form;
  };
  const fees = () =>
    rowsOf<{ from_zone_id: string; to_zone_id: string; fee: number; duration_minutes: number }>(
      t,
      sql`select from_zone_id, to_zone_id, fee::int as fee, duration_minutes from delivery_fees order by fee, from_zone_id`,
    );

  it('shows every pair of active zones and replaces the table through the zones service (audited)', async () => {
    const page = await admin.get('/admin/logistics/fees');
    expect(page.statusCode).toBe(200);
    expect(page.body.match(/<tr data-pair="/g)).toHaveLength(4);
    expect(page.body).toContain(`name="fee.${kariakoo}.${kinondoni}"`);
    const res = await admin.post('/admin/logistics/fees', full());
    expect(res.statusCode, res.body).toBe(303);
    const rows = await fees();
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatchObject({ fee: 2000_00, duration_minutes: 90 });
    const audit = await zoneAudits('delivery_fees.replaced');
    expect(audit.map((a) => [a.reason, a.actor_user_id])).toEqual([['first price list', adminId]]);
    // The form shows the table back, in shillings.
    expect((await admin.get('/admin/logistics/fees')).body).toContain('value="3500"');
  });

  it('refuses an incomplete table, a bad fee or duration (422), no reason (422), no CSRF token (403), writing nothing', async () => {
    const before = await fees();
    const audits = (await zoneAudits('delivery_fees.replaced')).length;
    const missing = full();
    delete missing[`fee.${kinondoni}.${kariakoo}`];
    const incomplete = await admin.post('/admin/logistics/fees', missing);
    expect(incomplete.statusCode).toBe(422);
    for (const patch of <Array<Record<string, string>>>[
      { [`fee.${kariakoo}.${kariakoo}`]: 'abc' },
      { [`fee.${kariakoo}.${kariakoo}`]: '-5' },
      { [`fee.${kariakoo}.${kariakoo}`]: '99999999' },
      { [`minutes.${kariakoo}.${kariakoo}`]: '' },
      { [`minutes.${kariakoo}.${kariakoo}`]: '0' },
      { 'fee.not-a-zone.x': '100' },
      { reason: '' },
    ])
      expect((await admin.post('/admin/logistics/fees', { ...full(), ...patch })).statusCode).toBe(422);
    expect((await admin.post('/admin/logistics/fees', full(), { csrf: null })).statusCode).toBe(403);
    expect(await fees()).toEqual(before);
    expect(await zoneAudits('delivery_fees.replaced')).toHaveLength(audits);
  });
});

describe('service hours', () => {
  const week = () => {
    const form: Record<string, string> = { reason: 'new shifts' };
    for (let d = 1; d <= 6; d++) {
      form[`open.${d}`] = '08:00';
      form[`close.${d}`] = d === 6 ? '14:00' : '20:00';
    }
    return form;
  };
  const hours = () =>
    rowsOf(t, sql`select weekday, opens_at_minute, closes_at_minute from service_hours order by weekday`);

  it('sets the week through the zones service (Sunday closed), audited, shown back on the form', async () => {
    const res = await admin.post('/admin/logistics/hours', week());
    expect(res.statusCode, res.body).toBe(303);
    const rows = (await hours()) as Array<{
      weekday: number;
      opens_at_minute: number | null;
      closes_at_minute: number | null;
    }>;
    expect(rows).toHaveLength(7);
    expect(rows[0]).toEqual({ weekday: 0, opens_at_minute: null, closes_at_minute: null });
    expect(rows[6]).toEqual({ weekday: 6, opens_at_minute: 480, closes_at_minute: 840 });
    expect((await zoneAudits('service_hours.replaced')).map((a) => a.reason)).toEqual(['new shifts']);
    const page = await admin.get('/admin/logistics/hours');
    expect(page.body).toContain(
      'name="close.6" placeholder="HH:MM" aria-label="Saturday closes" value="14:00"',
    );
  });

  it('refuses a bad time, half a day, close before open, no reason (422) and no CSRF token (403), writing nothing', async () => {
    const before = await hours();
    for (const patch of <Array<Record<string, string>>>[
      { 'open.1': '25:00' },
      { 'close.1': '' },
      { 'open.2': '18:00', 'close.2': '09:00' },
      { 'open.3': '<b>' },
      { reason: '' },
    ])
      expect((await admin.post('/admin/logistics/hours', { ...week(), ...patch })).statusCode).toBe(422);
    expect((await admin.post('/admin/logistics/hours', week(), { csrf: null })).statusCode).toBe(403);
    expect(await hours()).toEqual(before);
    expect(await zoneAudits('service_hours.replaced')).toHaveLength(1);
  });
});
