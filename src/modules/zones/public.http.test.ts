import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { DAR_DEMO_ZONES } from '../../demo-zones.js';

// GET /api/v1/zones: anyone (a would-be rider choosing home_zone_id, a buyer) sees the active zones.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('GET /api/v1/zones (public)', () => {
  it('lists the active zones by name with id, name and outline only, to a caller without a token', async () => {
    const empty = await t.app.inject({ method: 'GET', url: '/api/v1/zones' });
    expect(empty.statusCode).toBe(200);
    expect(empty.json()).toEqual({ items: [] });

    const admin = await t.loginAdmin();
    const ids = new Map<string, string>();
    for (const z of DAR_DEMO_ZONES.slice(0, 3)) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/admin/zones',
        headers: admin.auth,
        payload: { name: z.name, polygon: z.polygon, reason: 'launch' },
      });
      expect(res.statusCode, res.body).toBe(201);
      ids.set(z.name, res.json().id);
    }
    const [first, second, third] = DAR_DEMO_ZONES.slice(0, 3);
    const off = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/zones/${ids.get(second!.name)}`,
      headers: admin.auth,
      payload: { active: false, reason: 'no riders there yet' },
    });
    expect(off.statusCode, off.body).toBe(200);

    const res = await t.app.inject({ method: 'GET', url: '/api/v1/zones' });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<Record<string, unknown>>;
    const expected = [first!, third!].sort((a, b) => a.name.localeCompare(b.name));
    expect(items.map((z) => z.name)).toEqual(expected.map((z) => z.name));
    for (const z of items) {
      // No internals: no cells, counts, activity flags or timestamps.
      expect(Object.keys(z).sort()).toEqual(['id', 'name', 'polygon']);
      expect(z.id).toBe(ids.get(z.name as string));
      expect(z.polygon).toEqual(DAR_DEMO_ZONES.find((d) => d.name === z.name)!.polygon);
    }
  });

  it('is described in the OpenAPI document without a security requirement', () => {
    const doc = t.app.swagger() as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    const get = doc.paths['/api/v1/zones']?.get;
    expect(get).toBeDefined();
    expect(get!.security ?? []).toEqual([]);
  });
});
