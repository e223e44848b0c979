import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type ConsoleSession,
  consoleSignIn,
  consoleSignInAttempt,
  formBody,
  rowsOf,
  sessionFor,
} from '../../../test/support/console.js';
import { nextPhone } from '../../../test/support/fixtures.js';
import { cookieOptions } from './guard.js';
import { CONSOLE_CSP, registeredConsoleRoutes } from './index.js';

// The console's doors: who gets in (admins with a live console session), who is refused (buyers,
// sellers, riders: 403; strangers: sent to sign in), what every reply carries (CSP, no framing),
// CSRF on every form, and the session's end (idle, absolute, sign-out, ban).

let t: TestApp;
let admin: ConsoleSession;
const ADMIN_PHONE = '+255754900001';

beforeAll(async () => {
  t = await createTestApp({ CONSOLE_IDLE_MINUTES: '30', CONSOLE_ABSOLUTE_HOURS: '12' });
  await t.app.services.identity.governance.createAdmin(ADMIN_PHONE);
  admin = await consoleSignIn(t, ADMIN_PHONE);
});
afterAll(() => t.close());

const ANY_ID = '0b0f8f43-8c1e-4f8e-9b55-0a3c2b1d4e5f';
/** Every registered console page and form, with ids filled in, except the public sign-in and assets. */
function guardedRoutes() {
  return [...registeredConsoleRoutes]
    .map((r) => r.split(' ') as [string, string])
    .filter(([, url]) => !/^\/admin\/(sign-in|assets)/.test(url))
    .map(
      ([method, url]) => [method, url.replace(/:reference/g, 'REF1').replace(/:[A-Za-z]+/g, ANY_ID)] as const,
    );
}

/** A console session for a user who is not (or no longer) an admin. */
async function nonAdminSession(roles: string[]): Promise<ConsoleSession> {
  const phone = nextPhone();
  await t.app.services.identity.governance.createAdmin(phone);
  const s = await consoleSignIn(t, phone);
  await rowsOf(t, sql`update users set roles = ${`{${roles.join(',')}}`}::text[] where phone = ${phone}`);
  expect(s.csrf).toMatch(/^[0-9a-f]{64}$/);
  // Its own valid CSRF token: the 403 is for the role, not for the token.
  return sessionFor(t, s.cookie, s.csrf);
}

describe('who may enter', () => {
  it('has console routes to walk (GET pages and POST forms)', () => {
    const routes = guardedRoutes();
    expect(routes.filter(([m]) => m === 'GET').length).toBeGreaterThan(10);
    expect(routes.filter(([m]) => m === 'POST').length).toBeGreaterThan(10);
  });

  it('sends an anonymous visitor of every page and form to sign in (303), with the strict CSP', async () => {
    for (const [method, url] of guardedRoutes()) {
      const res = await t.app.inject({
        method,
        url,
        ...(method === 'POST'
          ? {
              payload: formBody({ a: 'b' }),
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
            }
          : {}),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(303);
      expect(res.headers.location).toBe('/admin/sign-in');
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    }
  });

  it.each([
    ['buyer', ['buyer']],
    ['seller', ['buyer', 'seller']],
    ['rider', ['buyer', 'rider']],
  ])('refuses a %s session on every console page and form (403)', async (_who, roles) => {
    const s = await nonAdminSession(roles);
    for (const [method, url] of guardedRoutes()) {
      const res = method === 'GET' ? await s.get(url) : await s.post(url, { reason: 'trying my luck' });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.headers['content-type']).toMatch(/text\/html/);
    }
  });

  it('refuses an API bearer token of a buyer (403) and never makes a console session for a non-admin phone', async () => {
    const buyer = await t.login(nextPhone());
    const res = await t.app.inject({ method: 'GET', url: '/admin', headers: buyer.auth });
    expect(res.statusCode).toBe(403);
    const phone = nextPhone();
    await t.login(phone);
    t.clock.advanceSeconds(61);
    const attempt = await consoleSignInAttempt(t, phone);
    // The "code sent" page is the same for any phone; only the verified code tells the two apart.
    expect(attempt.sent.body).toContain('If this number may sign in, a code is on its way');
    expect(attempt.verify.statusCode).toBe(403);
    expect(attempt.verify.cookies.find((c) => c.name === 'kkoo_console')).toBeUndefined();
  });

  it('shows the same "code sent" page to a phone that has no account', async () => {
    const form = await t.app.inject({ method: 'GET', url: '/admin/sign-in' });
    const pre = form.cookies.find((c) => c.name === 'kkoo_console_pre')!.value;
    const csrf = /name="_csrf" value="([0-9a-f]{64})"/.exec(form.body)![1]!;
    const send = (phone: string) =>
      t.app.inject({
        method: 'POST',
        url: '/admin/sign-in',
        headers: { cookie: `kkoo_console_pre=${pre}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: formBody({ _csrf: csrf, phone }),
      });
    const stranger = await send(nextPhone());
    const known = await send(ADMIN_PHONE);
    expect(stranger.statusCode).toBe(200);
    expect(known.statusCode).toBe(200);
    const strip = (s: string) => s.replace(/value="\+255\d+"/, '');
    expect(strip(stranger.body)).toBe(strip(known.body));
  });
});

describe('every reply', () => {
  it('carries the strict CSP, no framing and no referrer, on pages, sign-in, errors and assets', async () => {
    for (const res of [
      await admin.get('/admin'),
      await t.app.inject({ method: 'GET', url: '/admin/sign-in' }),
      await admin.get('/admin/no-such-page'),
      await admin.get(`/admin/kyc/${ANY_ID}`),
      await t.app.inject({ method: 'GET', url: '/admin/assets/console.css' }),
    ]) {
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
    expect((await admin.get('/admin/no-such-page')).statusCode).toBe(404);
    expect((await admin.get(`/admin/kyc/${ANY_ID}`)).statusCode).toBe(404);
    expect((await admin.get('/admin/kyc/not-a-uuid')).statusCode).toBe(404);
  });

  it('has no inline script or style attribute in any page', async () => {
    for (const url of [
      '/admin',
      '/admin/kyc',
      '/admin/catalog',
      '/admin/promotions',
      '/admin/disputes',
      '/admin/money',
      '/admin/approvals',
      '/admin/audit',
      '/admin/analytics',
      '/admin/people',
      '/admin/riders',
      '/admin/orders',
      '/admin/catalog/brands',
      '/admin/catalog/categories',
      '/admin/referrals',
      '/admin/money/collections',
      '/admin/money/callbacks',
      '/admin/messages',
      '/admin/messages/report',
      '/admin/logistics',
      '/admin/logistics/zones/new',
      '/admin/logistics/fees',
      '/admin/logistics/hours',
    ]) {
      const res = await admin.get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(res.body).not.toMatch(/\sstyle=/);
      expect(res.body).not.toMatch(/\son[a-z]+=/);
    }
  });

  it('serves htmx and the stylesheet from /admin/assets', async () => {
    const js = await t.app.inject({ method: 'GET', url: '/admin/assets/htmx.min.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.body).toContain('htmx');
    expect(js.rawPayload.length).toBeLessThan(150 * 1024);
  });

  it('keeps the console out of the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: object };
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/admin'))).toEqual([]);
  });
});

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Strict, scoped to /admin, and not Secure outside production', async () => {
    const phone = nextPhone();
    await t.app.services.identity.governance.createAdmin(phone);
    const { verify } = await consoleSignInAttempt(t, phone);
    const c = verify.cookies.find((x) => x.name === 'kkoo_console')!;
    expect(c).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
    expect(c.secure).toBeFalsy();
    expect(c.value).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    // Stored only as its hash.
    const rows = await rowsOf(
      t,
      sql`select count(*)::int as n from console_sessions where token_hash = ${c.value}`,
    );
    expect((rows[0] as { n: number }).n).toBe(0);
  });

  it('is Secure in production', () => {
    expect(cookieOptions(true)).toMatchObject({
      secure: true,
      httpOnly: true,
      sameSite: 'strict',
      path: '/admin',
    });
    expect(cookieOptions(false).secure).toBe(false);
  });
});

describe('CSRF', () => {
  it('refuses a form posted without the token, or with a wrong one (403), and changes nothing', async () => {
    const before = await rowsOf(t, sql`select count(*)::int as n from brands`);
    const none = await admin.post('/admin/catalog/brands', { name: 'No Token Brand' }, { csrf: null });
    expect(none.statusCode).toBe(403);
    const wrong = await admin.post(
      '/admin/catalog/brands',
      { name: 'Wrong Token Brand' },
      { csrf: 'a'.repeat(64) },
    );
    expect(wrong.statusCode).toBe(403);
    const after = await rowsOf(t, sql`select count(*)::int as n from brands`);
    expect(after[0]).toEqual(before[0]);
    const ok = await admin.post('/admin/catalog/brands', { name: 'Token Brand' });
    expect(ok.statusCode, ok.body).toBe(303);
  });

  it("refuses another session's token", async () => {
    const phone = nextPhone();
    await t.app.services.identity.governance.createAdmin(phone);
    const other = await consoleSignIn(t, phone);
    expect(other.csrf).not.toBe(admin.csrf);
    expect(
      (await admin.post('/admin/catalog/brands', { name: 'Cross Brand' }, { csrf: other.csrf })).statusCode,
    ).toBe(403);
  });

  it('guards the sign-in forms too (a pre-session token)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: formBody({ phone: ADMIN_PHONE }),
    });
    expect(res.statusCode).toBe(403);
  });
});

describe('the session ends', () => {
  async function freshAdmin() {
    const phone = nextPhone();
    const { user } = await t.app.services.identity.governance.createAdmin(phone);
    return { s: await consoleSignIn(t, phone), userId: user.id };
  }

  it('after the idle limit without a request, not before', async () => {
    const { s } = await freshAdmin();
    t.clock.advanceSeconds(29 * 60);
    expect((await s.get('/admin')).statusCode).toBe(200);
    t.clock.advanceSeconds(29 * 60);
    expect((await s.get('/admin')).statusCode).toBe(200);
    t.clock.advanceSeconds(30 * 60);
    const res = await s.get('/admin');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/sign-in');
    // Gone for good: coming back sooner does not revive it.
    expect((await s.get('/admin')).statusCode).toBe(303);
  });

  it('at the absolute limit, however active', async () => {
    const { s } = await freshAdmin();
    for (let minutes = 0; minutes < 12 * 60 - 20; minutes += 20) {
      t.clock.advanceSeconds(20 * 60);
      expect((await s.get('/admin')).statusCode, `after ${minutes + 20} min`).toBe(200);
    }
    t.clock.advanceSeconds(20 * 60);
    expect((await s.get('/admin')).statusCode).toBe(303);
  });

  it('at sign-out', async () => {
    const { s } = await freshAdmin();
    const out = await s.post('/admin/sign-out', {});
    expect(out.statusCode).toBe(303);
    expect((await s.get('/admin')).statusCode).toBe(303);
  });

  it('at once when the admin is banned (or suspended) by another admin', async () => {
    const { s, userId } = await freshAdmin();
    expect((await s.get('/admin/kyc')).statusCode).toBe(200);
    const me = (await rowsOf(t, sql`select id from users where phone = ${ADMIN_PHONE}`))[0] as {
      id: string;
    };
    await t.app.services.identity.governance.ban(me.id, userId, { reason: 'compromised phone' });
    const res = await s.get('/admin/kyc');
    expect(res.statusCode).toBe(403);
    const row = (
      await rowsOf(t, sql`select revoked_reason from console_sessions where user_id = ${userId}`)
    )[0];
    expect(row).toMatchObject({ revoked_reason: 'account_banned' });
    expect((await s.get('/admin/kyc')).statusCode).toBe(303);

    const other = await freshAdmin();
    await t.app.services.identity.governance.suspend(me.id, other.userId, { reason: 'leave' });
    expect((await other.s.get('/admin')).statusCode).toBe(403);
  });
});
