import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { sessions } from './schema.js';

let t: TestApp;
let admin: Awaited<ReturnType<TestApp['loginAdmin']>>;
beforeAll(async () => {
  t = await createTestApp();
  admin = await t.loginAdmin('+255754800001');
});
afterAll(() => t.close());

let n = 1;
const freshPhone = () => `+2557880${String(n++).padStart(5, '0')}`;
const act = (userId: string, action: string, payload: object, auth = admin.auth) =>
  t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${userId}/${action}`, headers: auth, payload });
const me = (auth: Record<string, string>) =>
  t.app.inject({ method: 'GET', url: '/api/v1/me', headers: auth });

async function relogin(phone: string) {
  await t.app.inject({ method: 'POST', url: '/api/v1/auth/otp/request', payload: { phone } });
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/otp/verify',
    payload: { phone, code: t.sms.lastCode(phone) },
  });
  t.clock.advanceSeconds(61);
  return res;
}

describe('admin routes are for admins', () => {
  it('a buyer gets 403 FORBIDDEN_ROLE, a stranger 401, on every admin route', async () => {
    const buyer = await t.login(freshPhone());
    for (const url of [
      '/api/v1/admin/users',
      '/api/v1/admin/kyc',
      '/api/v1/admin/audit-events',
      `/api/v1/admin/users/${buyer.userId}`,
    ]) {
      const asBuyer = await t.app.inject({ method: 'GET', url, headers: buyer.auth });
      expect(asBuyer.statusCode, url).toBe(403);
      expect(asBuyer.json().code).toBe('FORBIDDEN_ROLE');
      expect((await t.app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
    }
    const ban = await act(admin.userId, 'ban', { reason: 'coup' }, buyer.auth);
    expect(ban.statusCode).toBe(403);
  });
});

describe('suspend, ban, reinstate', () => {
  it('a suspension takes effect at once: sessions end, requests get 403, sign-in is refused', async () => {
    const phone = freshPhone();
    const user = await t.login(phone);
    const res = await act(user.userId, 'suspend', { reason: 'Reported for fake listings' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'suspended',
      status_reason: 'Reported for fake listings',
      suspended_until: null,
    });

    const blocked = await me(user.auth);
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().code).toBe('ACCOUNT_SUSPENDED');
    const live = await t.handle.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.userId, user.userId), isNull(sessions.revokedAt)));
    expect(live).toEqual([]);

    // Asking for a code still looks the same as for anyone; using it is refused.
    const ask = await t.app.inject({ method: 'POST', url: '/api/v1/auth/otp/request', payload: { phone } });
    expect(ask.statusCode).toBe(202);
    const signIn = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/otp/verify',
      payload: { phone, code: t.sms.lastCode(phone) },
    });
    expect(signIn.statusCode).toBe(403);
    expect(signIn.json().code).toBe('ACCOUNT_SUSPENDED');
  });

  it('a suspension with an end lapses by itself; the old session stays ended', async () => {
    const phone = freshPhone();
    const user = await t.login(phone);
    const until = new Date(t.clock.now().getTime() + 3600_000).toISOString();
    const res = await act(user.userId, 'suspend', { reason: 'Cooling off', until });
    expect(res.json().suspended_until).toMatch(/\+03:00$/);
    expect((await me(user.auth)).json().code).toBe('ACCOUNT_SUSPENDED');
    t.clock.advanceSeconds(3601);
    expect((await me(user.auth)).json().code).toBe('SESSION_REVOKED');
    const again = await relogin(phone);
    expect(again.statusCode).toBe(200);
    expect(again.json().user.status).toBe('active');
  });

  it('a ban blocks with ACCOUNT_BANNED until reinstated; then a new sign-in works', async () => {
    const phone = freshPhone();
    const user = await t.login(phone);
    expect((await act(user.userId, 'ban', { reason: 'Sold counterfeit phones' })).json().status).toBe(
      'banned',
    );
    expect((await me(user.auth)).json().code).toBe('ACCOUNT_BANNED');
    expect((await relogin(phone)).json().code).toBe('ACCOUNT_BANNED');

    const back = await act(user.userId, 'reinstate', { reason: 'Appeal upheld' });
    expect(back.json()).toMatchObject({ status: 'active', status_reason: null });
    expect((await me(user.auth)).json().code).toBe('SESSION_REVOKED');
    expect((await relogin(phone)).statusCode).toBe(200);
  });

  it('refuses transitions that make no sense', async () => {
    const user = await t.login(freshPhone());
    expect((await act(user.userId, 'reinstate', { reason: 'x' })).json().code).toBe('INVALID_TRANSITION');
    await act(user.userId, 'ban', { reason: 'x' });
    expect((await act(user.userId, 'ban', { reason: 'again' })).statusCode).toBe(409);
    expect((await act(user.userId, 'suspend', { reason: 'softer' })).json().code).toBe('INVALID_TRANSITION');
  });

  it('refuses bad input: no reason, a past end, self, unknown or malformed user', async () => {
    const user = await t.login(freshPhone());
    expect((await act(user.userId, 'ban', {})).json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'reason',
    });
    expect((await act(user.userId, 'ban', { reason: '   ' })).json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'reason',
    });
    const past = await act(user.userId, 'suspend', { reason: 'x', until: '2020-01-01T00:00:00Z' });
    expect(past.statusCode).toBe(422);
    expect(past.json()).toMatchObject({ code: 'INVALID_SUSPENSION_END', field: 'until' });
    expect((await act(user.userId, 'suspend', { reason: 'x', until: 'tomorrow' })).json().field).toBe(
      'until',
    );
    const self = await act(admin.userId, 'ban', { reason: 'oops' });
    expect(self.statusCode).toBe(422);
    expect(self.json().code).toBe('CANNOT_TARGET_SELF');
    expect((await act('8f14e45f-ceea-467f-a8f5-6f1a2b3c4d5e', 'ban', { reason: 'x' })).statusCode).toBe(404);
    expect((await act('nope', 'ban', { reason: 'x' })).statusCode).toBe(400);
    expect((await me(user.auth)).statusCode).toBe(200);
  });

  it('every governance action is in the audit trail with actor, target and reason', async () => {
    const user = await t.login(freshPhone());
    await act(user.userId, 'suspend', { reason: 'r1' });
    await act(user.userId, 'reinstate', { reason: 'r2' });
    await act(user.userId, 'ban', { reason: 'r3' });
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/audit-events?target_type=user&target_id=${user.userId}`,
      headers: admin.auth,
    });
    const items = res.json().items as Array<{
      action: string;
      reason: string | null;
      actor_user_id: string | null;
    }>;
    expect(items.map((i) => [i.action, i.reason])).toEqual([
      ['user.banned', 'r3'],
      ['user.reinstated', 'r2'],
      ['user.suspended', 'r1'],
      ['user.created', null],
    ]);
    expect(items.slice(0, 3).every((i) => i.actor_user_id === admin.userId)).toBe(true);
    const byActor = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/audit-events?actor_user_id=${admin.userId}&action=user.banned`,
      headers: admin.auth,
    });
    expect(byActor.json().items.every((i: { action: string }) => i.action === 'user.banned')).toBe(true);
    const bad = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/audit-events?actor_user_id=me',
      headers: admin.auth,
    });
    expect(bad.statusCode).toBe(400);
  });
});

describe('finding users', () => {
  it('filters by phone (any format), status and role', async () => {
    const phone = freshPhone();
    const user = await t.login(phone);
    const local = `0${phone.slice(4)}`;
    const byPhone = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/users?phone=${encodeURIComponent(local)}`,
      headers: admin.auth,
    });
    expect(byPhone.json().items.map((u: { id: string }) => u.id)).toEqual([user.userId]);
    const admins = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/users?role=admin',
      headers: admin.auth,
    });
    expect(admins.json().items.map((u: { id: string }) => u.id)).toEqual([admin.userId]);
    await act(user.userId, 'ban', { reason: 'x' });
    const banned = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/users?status=banned',
      headers: admin.auth,
    });
    expect(banned.json().items.map((u: { id: string }) => u.id)).toContain(user.userId);
    const detail = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/users/${user.userId}`,
      headers: admin.auth,
    });
    expect(detail.json()).toMatchObject({ id: user.userId, status: 'banned', seller_profile: null });
  });

  it('refuses a bad phone filter and unknown query parameters', async () => {
    expect(
      (
        await t.app.inject({ method: 'GET', url: '/api/v1/admin/users?phone=abc', headers: admin.auth })
      ).json(),
    ).toMatchObject({ code: 'INVALID_PHONE', field: 'phone' });
    expect(
      (
        await t.app.inject({ method: 'GET', url: '/api/v1/admin/users?sort=phone', headers: admin.auth })
      ).json(),
    ).toMatchObject({ code: 'VALIDATION_FAILED', field: 'sort' });
  });
});

describe('admin bootstrap', () => {
  it('createAdmin promotes an existing user and is idempotent', async () => {
    const phone = freshPhone();
    const user = await t.login(phone);
    const first = await t.app.services.identity.governance.createAdmin(phone);
    expect(first).toMatchObject({ created: false, granted: true });
    expect(first.user.roles).toEqual(['buyer', 'admin']);
    const second = await t.app.services.identity.governance.createAdmin(phone);
    expect(second).toMatchObject({ created: false, granted: false });
    expect((await me(user.auth)).json().user.roles).toEqual(['buyer', 'admin']);
    await expect(t.app.services.identity.governance.createAdmin('0222 123 456')).rejects.toMatchObject({
      code: 'INVALID_PHONE',
    });
  });
});
