import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  admin,
  consoleOf,
  get,
  mikocheniId,
  ok,
  range,
  rider,
  seller,
  t,
  useAnalyticsHistory,
} from '../../../test/support/analytics-history.js';
import { DAR_DEMO_ZONES } from '../../demo-zones.js';

// Analytics over a known history: on time on the Logistics screen, bad input refused as problem+json,
// admins only, and the default range.

useAnalyticsHistory();

describe('on time on the Logistics screen', () => {
  it('by destination zone and by rider, as the admin API and the orders table have them', async () => {
    // Hand-computed: O1, O3, O4, O5 were delivered to Mikocheni with a promise, by one rider, O4 late.
    const res = (await t.handle.db.execute(sql`
      select o.snapshot->'delivery'->>'to_zone' as zone, count(*)::int as delivered,
        (count(*) filter (where o.delivered_at > o.promised_by))::int as late
      from orders o
      where o.promised_by is not null and o.delivered_at is not null
      group by 1`)) as unknown as { rows: Array<{ zone: string; delivered: number; late: number }> };
    expect(res.rows.map((r) => [r.zone, Number(r.delivered), Number(r.late)])).toEqual([['Mikocheni', 4, 1]]);
    const now = t.clock.now();
    const apiRows = (
      await ok(
        get(
          `/admin/logistics/on-time?by=zone&from=${encodeURIComponent(new Date(now.getTime() - 30 * 86_400_000).toISOString())}&to=${encodeURIComponent(now.toISOString())}`,
          admin.auth,
        ),
      )
    ).json().items;
    expect(apiRows).toEqual([{ key: 'Mikocheni', delivered: 4, late: 1, on_time_rate: 0.75 }]);
    // The console shows the same (its range: the last 30 days of deliveries).
    const c = await consoleOf();
    const page = await c.get('/admin/logistics');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(
      '<tr data-on-time="Mikocheni"><td>Mikocheni</td><td class="num">4</td><td class="num">3</td><td class="num">1</td><td class="num">75%</td></tr>',
    );
    const byRider = await c.get('/admin/logistics?on_time_by=rider');
    expect(byRider.body).toMatch(
      new RegExp(
        `<tr data-on-time="${rider.userId}"><td><a href="/admin/people/${rider.userId}">[0-9a-f]{8}</a></td><td class="num">4</td><td class="num">3</td><td class="num">1</td><td class="num">75%</td></tr>`,
      ),
    );
    // An unknown grouping falls back to zones rather than failing.
    expect((await c.get('/admin/logistics?on_time_by=planet')).body).toContain('data-on-time="Mikocheni"');
    // And the zones map: the demo zones, each drawn.
    const img = /src="data:image\/svg\+xml;base64,([^"]+)"/.exec(page.body);
    const svg = Buffer.from(img![1]!, 'base64').toString('utf8');
    expect(svg.match(/<g data-zone="/g)).toHaveLength(DAR_DEMO_ZONES.length);
    expect(svg).toContain(`<g data-zone="${mikocheniId}">`);
  });
});

describe('bad input and the wrong caller', () => {
  const bad = async (q: string, status: number, code: string | null, field: string) => {
    const res = await get(`/admin/analytics/summary?${q}`, admin.auth);
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    if (code) expect(res.json().code).toBe(code);
    expect(JSON.stringify(res.json())).toContain(field);
  };

  it('refuses ranges that are backwards, too long, or not calendar days', async () => {
    await bad('from=2026-12-02&to=2026-11-30', 422, 'INVALID_RANGE', 'from');
    await bad('from=2025-01-01&to=2026-12-01&grain=month', 422, 'RANGE_TOO_LONG', 'to');
    await bad('from=2026-01-01&to=2026-12-01&grain=day', 422, 'RANGE_TOO_LONG', 'grain');
    await bad('from=2026-02-30&to=2026-03-02', 422, 'INVALID_DATE', 'from');
    await bad('from=30-11-2026', 400, null, 'from');
    await bad('from=2026-11-30&to=2026-12-02&grain=hour', 400, null, 'grain');
  });

  it('refuses wrong types and unknown zones, categories, sellers, promotions, parameters', async () => {
    await bad('zone=Kariakoo', 400, null, 'zone');
    await bad('zone=00000000-0000-4000-8000-000000000000', 422, 'UNKNOWN_ZONE', 'zone');
    await bad('category=00000000-0000-4000-8000-000000000000', 422, 'UNKNOWN_CATEGORY', 'category');
    await bad(`seller=${rider.userId}`, 422, 'UNKNOWN_SELLER', 'seller');
    await bad('promotion=00000000-0000-4000-8000-000000000000', 422, 'UNKNOWN_PROMOTION', 'promotion');
    await bad('format=xlsx', 400, null, 'format');
    await bad('colour=blue', 400, null, 'colour');
    const drill = await get('/admin/analytics/orders?figure=everything', admin.auth);
    expect(drill.statusCode).toBe(400);
    const limit = await get('/admin/analytics/orders?limit=501', admin.auth);
    expect(limit.statusCode).toBe(400);
    const period = await get(`/admin/analytics/orders?${range}&grain=week&period=2026-12-01`, admin.auth);
    expect([period.statusCode, period.json().code]).toEqual([422, 'INVALID_PERIOD']);
    const cursor = await get('/admin/analytics/orders?cursor=forged', admin.auth);
    expect([cursor.statusCode, cursor.json().code]).toEqual([400, 'INVALID_CURSOR']);
    const by = await get('/admin/analytics/unit-economics?by=buyer', admin.auth);
    expect(by.statusCode).toBe(400);
  });

  it('admins only: a seller, a rider, a buyer get 403, a stranger 401', async () => {
    for (const path of ['summary', 'unit-economics', 'cohorts', 'top', 'orders', 'reconciliation']) {
      expect((await get(`/admin/analytics/${path}`, seller.auth)).statusCode).toBe(403);
      expect((await get(`/admin/analytics/${path}`, rider.auth)).statusCode).toBe(403);
      const anon = await t.app.inject({ method: 'GET', url: `/api/v1/admin/analytics/${path}` });
      expect(anon.statusCode).toBe(401);
    }
  });

  it('with no range given: the last 30 Dar es Salaam days up to today', async () => {
    const body = (await ok(get('/admin/analytics/summary', admin.auth))).json();
    expect(body.range).toEqual({ from: '2026-11-03', to: '2026-12-02', grain: 'day' });
    expect(body.series).toHaveLength(30);
    expect(body.totals.orders).toBe(6);
  });
});
