import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { type ConsoleSession, consoleSignIn, rowsOf } from '../../../test/support/console.js';
import { type Actor, brand, category, nextPhone } from '../../../test/support/fixtures.js';

// Renaming a brand or a category from the console: the same taxonomy command as the API's PATCH,
// the row and one audit row (with the admin's reason) written together, bad input refused with
// nothing written, names shown inert, and no way in without an admin session and its CSRF token.

const EVIL = '<script>alert(1)</script>"onmouseover=alert(2) x="';
let t: TestApp;
let admin: ConsoleSession;
let apiAdmin: Actor;

beforeAll(async () => {
  t = await createTestApp({ CONSOLE_IDLE_MINUTES: '1440', CONSOLE_ABSOLUTE_HOURS: '168' });
  apiAdmin = await t.loginAdmin('+255754930001');
  admin = await consoleSignIn(t, '+255754930001');
});
afterAll(() => t.close());

const one = async <T>(q: ReturnType<typeof sql>) => (await rowsOf<T>(t, q))[0] as T;
const audit = (action: string, id: string) =>
  rowsOf<{ actor_user_id: string; reason: string | null; data: unknown }>(
    t,
    sql`select actor_user_id, reason, data from audit_events where action = ${action} and target_id = ${id}`,
  );

describe.each([
  ['brand', 'brands', 'brand.renamed', (name: string) => brand(t, apiAdmin, name)],
  ['category', 'categories', 'category.renamed', (name: string) => category(t, apiAdmin, name)],
] as const)('renaming a %s', (kind, table, action, make) => {
  const list = `/admin/catalog/${table}`;
  const nameOf = async (id: string) =>
    (await one<{ name: string }>(sql`select name from ${sql.raw(table)} where id = ${id}`)).name;

  it('shows the edit form from the list, then renames with one audit row carrying the reason', async () => {
    const id = await make(`Old ${kind} name`);
    const listed = await admin.get(list);
    expect(listed.body).toContain(`href="${list}/${id}/edit"`);
    const form = await admin.get(`${list}/${id}/edit`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain(`value="Old ${kind} name"`);
    expect(form.body).toContain(`action="${list}/${id}"`);
    expect(form.body).toMatch(/name="_csrf" value="[0-9a-f]{64}"/);

    const res = await admin.post(`${list}/${id}`, {
      name: `  New ${kind} name `,
      reason: 'typo on the sign',
    });
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe(`${list}?done=saved`);
    expect(await nameOf(id)).toBe(`New ${kind} name`);
    expect(await audit(action, id)).toEqual([
      {
        actor_user_id: apiAdmin.userId,
        reason: 'typo on the sign',
        data: { name: `New ${kind} name`, from: `Old ${kind} name` },
      },
    ]);
    expect((await admin.get(`${list}?done=saved`)).body).toContain(`New ${kind} name`);
  });

  it('refuses an empty name, a name over 80 characters and a missing reason (422), writing nothing', async () => {
    const id = await make(`Steady ${kind}`);
    for (const form of [
      { name: '   ', reason: 'clearing it' },
      { name: 'x'.repeat(81), reason: 'too long' },
      { name: `Fine ${kind}`, reason: '' },
      { name: `Fine ${kind}`, reason: 'no' },
    ]) {
      const res = await admin.post(`${list}/${id}`, form);
      expect(res.statusCode, JSON.stringify(form)).toBe(422);
      expect(res.headers['content-type']).toMatch(/text\/html/);
    }
    expect(await nameOf(id)).toBe(`Steady ${kind}`);
    expect(await audit(action, id)).toEqual([]);
  });

  it('refuses a name another one already has, whatever its case (409), writing nothing', async () => {
    await make(`Taken ${kind}`);
    const id = await make(`Free ${kind}`);
    const res = await admin.post(`${list}/${id}`, { name: `TAKEN ${kind}`, reason: 'merge the names' });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('already exists');
    expect(await nameOf(id)).toBe(`Free ${kind}`);
    expect(await audit(action, id)).toEqual([]);
  });

  it('answers 404 for an unknown or malformed id, on the form and on the post', async () => {
    const unknown = '0b0f8f43-8c1e-4f8e-9b55-0a3c2b1d4e5f';
    expect((await admin.get(`${list}/${unknown}/edit`)).statusCode).toBe(404);
    expect((await admin.get(`${list}/nope/edit`)).statusCode).toBe(404);
    expect((await admin.post(`${list}/${unknown}`, { name: 'Ghost', reason: 'not there' })).statusCode).toBe(
      404,
    );
  });

  it('refuses a post without the CSRF token (403), writing nothing', async () => {
    const id = await make(`Guarded ${kind}`);
    const res = await admin.post(`${list}/${id}`, { name: 'Sneaky', reason: 'cross-site' }, { csrf: null });
    expect(res.statusCode).toBe(403);
    expect(await nameOf(id)).toBe(`Guarded ${kind}`);
    expect(await audit(action, id)).toEqual([]);
  });

  it('refuses a seller session (403) on the form and the post, writing nothing', async () => {
    const id = await make(`Admin-only ${kind}`);
    const phone = nextPhone();
    await t.app.services.identity.governance.createAdmin(phone);
    const s = await consoleSignIn(t, phone);
    await rowsOf(t, sql`update users set roles = '{buyer,seller}'::text[] where phone = ${phone}`);
    expect((await s.get(`${list}/${id}/edit`)).statusCode).toBe(403);
    const res = await s.post(`${list}/${id}`, { name: 'Seller pick', reason: 'my own brand' });
    expect(res.statusCode).toBe(403);
    expect(await nameOf(id)).toBe(`Admin-only ${kind}`);
  });

  it('renders a name with markup inert, on the list and in the edit form', async () => {
    const id = await make(`Evil ${kind}`);
    expect(
      (await admin.post(`${list}/${id}`, { name: `${kind} ${EVIL}`, reason: 'escaping test' })).statusCode,
    ).toBe(303);
    for (const res of [await admin.get(list), await admin.get(`${list}/${id}/edit`)]) {
      expect(res.body).not.toContain('<script>alert(1)');
      expect(res.body).not.toMatch(/"onmouseover=/);
      expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover&#61;alert(2)');
    }
  });
});

describe('the API rename', () => {
  it('renames a brand through PATCH /api/v1/admin/brands/:id, with its optional reason audited', async () => {
    const id = await brand(t, apiAdmin, 'Api Brand');
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/brands/${id}`,
      headers: apiAdmin.auth,
      payload: { name: 'Api Brand Two', reason: 'rebrand' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id, name: 'Api Brand Two' });
    expect((await audit('brand.renamed', id)).map((r) => r.reason)).toEqual(['rebrand']);
    const bad = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/brands/${id}`,
      headers: apiAdmin.auth,
      payload: { name: '' },
    });
    expect(bad.statusCode).toBe(400);
  });
});
