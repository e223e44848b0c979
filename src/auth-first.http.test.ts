// A caller with no right to a route learns nothing about its inputs: for every operation of the
// OpenAPI document that declares security, an anonymous call with invalid input is a 401 and a call
// by a role the route does not accept is a 403, before any validation. The accepted roles come from
// the document (`x-roles`, written from the requireAuth guard of each route), not from a hand list.
import { eq } from 'drizzle-orm';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test/support/app.js';
import { users } from './modules/identity/schema.js';

interface Operation {
  security?: unknown[];
  requestBody?: unknown;
  'x-roles'?: string[];
}

let t: TestApp;
let operations: Array<{ method: string; path: string; op: Operation }>;
/** Callers holding exactly one role each. */
const only: Record<string, { authorization: string }> = {};

beforeAll(async () => {
  t = await createTestApp();
  const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
    paths: Record<string, Record<string, Operation>>;
  };
  operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
  let n = 0;
  for (const role of ['buyer', 'seller', 'rider', 'admin'] as const) {
    const me = await t.login(`+25577988${String(n++).padStart(4, '0')}`);
    await t.handle.db
      .update(users)
      .set({ roles: [role] })
      .where(eq(users.id, me.userId));
    only[role] = me.auth;
  }
});
afterAll(() => t.close());

/** Secured, and not optionally so: an empty requirement (`{}`) in the list means anonymous is allowed too. */
const signInRequired = (op: Operation) =>
  Boolean(op.security?.length) &&
  !op.security!.some((r) => typeof r === 'object' && r !== null && Object.keys(r).length === 0);

/** The operation's path with every parameter replaced by something that is not an id. */
const badPath = (path: string) => path.replaceAll(/\{[^}]+\}/g, 'not-a-uuid');
const badQuery = '?limit=-5&cursor=%25%25&status=nonsense&unknown_field=1';

/** Three kinds of invalid input for one operation: wrong shape, broken JSON, too deep. */
function badRequests(
  method: string,
  path: string,
  op: Operation,
): Array<InjectOptions & { url: string; headers: Record<string, string> }> {
  const url = `${badPath(path)}${badQuery}`;
  const m = method as InjectOptions['method'];
  const json = { 'content-type': 'application/json' };
  if (!op.requestBody) return [{ method: m, url, headers: {} }];
  return [
    { method: m, url, headers: json, payload: JSON.stringify({ unknown_field: -1, id: 'x'.repeat(5000) }) },
    { method: m, url, headers: json, payload: '{"broken": tru' },
    { method: m, url, headers: json, payload: `${'['.repeat(1000)}${']'.repeat(1000)}` },
  ];
}

describe('authentication and roles come before validation, on every protected operation', () => {
  it('the document marks each secured operation with the roles it accepts, and only those', () => {
    const secured = operations.filter(({ op }) => signInRequired(op));
    // The walk below must cover the whole API (112 protected operations take input alone).
    expect(secured.length).toBeGreaterThan(120);
    for (const { method, path, op } of operations) {
      const name = `${method} ${path}`;
      if (signInRequired(op)) expect(op['x-roles'], `${name} has x-roles`).toBeInstanceOf(Array);
      else expect(op['x-roles'], `${name} is public, so it has no x-roles`).toBeUndefined();
    }
  });

  it('anonymous → 401 problem, whatever the input', async () => {
    const secured = operations.filter(({ op }) => signInRequired(op));
    for (const { method, path, op } of secured) {
      for (const req of badRequests(method, path, op)) {
        const res = await t.app.inject(req);
        const name = `${method} ${req.url} ${String(req.payload).slice(0, 20)}`;
        expect(res.statusCode, `${name}: ${res.body}`).toBe(401);
        expect(res.headers['content-type'], name).toMatch(/^application\/problem\+json/);
        expect(res.json().code, name).toBe('UNAUTHENTICATED');
      }
    }
  });

  it('a malformed Authorization header is a 401 too, before validation', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me/addresses/not-a-uuid',
      headers: { authorization: 'Basic abc' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('INVALID_TOKEN');
  });

  it('a role the route does not accept → 403 problem, whatever the input', async () => {
    let checked = 0;
    for (const { method, path, op } of operations) {
      const roles = op['x-roles'];
      // [] accepts any signed-in caller: no role is refused there.
      if (!roles || roles.length === 0) continue;
      const outsider = Object.keys(only).find((r) => !roles.includes(r));
      expect(outsider, `${method} ${path}: some role is refused`).toBeDefined();
      for (const req of badRequests(method, path, op)) {
        const res = await t.app.inject({
          ...req,
          headers: { ...req.headers, ...only[outsider!] },
        });
        const name = `${method} ${req.url} as ${outsider}`;
        expect(res.statusCode, `${name}: ${res.body}`).toBe(403);
        expect(res.headers['content-type'], name).toMatch(/^application\/problem\+json/);
        expect(res.json().code, name).toBe('FORBIDDEN_ROLE');
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(60);
  });

  it('the cases from the issue', async () => {
    const limit = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/users?limit=-5',
      headers: only.buyer,
    });
    expect(limit.statusCode).toBe(403);
    const id = await t.app.inject({ method: 'GET', url: '/api/v1/me/addresses/not-a-uuid' });
    expect(id.statusCode).toBe(401);
    // The HEAD twin Fastify adds to every GET is guarded the same way.
    const head = await t.app.inject({ method: 'HEAD', url: '/api/v1/admin/users?limit=-5' });
    expect(head.statusCode).toBe(401);
    const headAsBuyer = await t.app.inject({
      method: 'HEAD',
      url: '/api/v1/admin/users?limit=-5',
      headers: only.buyer,
    });
    expect(headAsBuyer.statusCode).toBe(403);
    // Signed in with the right role, validation still answers.
    const valid = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/users?limit=-5',
      headers: only.admin,
    });
    expect(valid.statusCode).toBe(400);
    expect(valid.json().code).toBe('VALIDATION_FAILED');
  });
});
