import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { SmsError } from '../notifications/index.js';
import { otpChallenges, sessions, users } from './schema.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

// Each test uses its own phone numbers, so limits from one never leak into another.
let n = 100;
const freshPhone = () => `+2557150${String(n++).padStart(5, '0')}`;

const request = (phone: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/otp/request', payload: { phone }, headers });
const verify = (phone: unknown, code: unknown) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/otp/verify', payload: { phone, code } });

beforeEach(() => {
  t.sms.failWith = null;
});

describe('POST /api/v1/auth/otp/request', () => {
  it('sends a 6-digit code by SMS to the E.164 number and says how long it lives', async () => {
    const res = await request('0715 000 001');
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'sent', expires_in_seconds: 300, resend_after_seconds: 60 });
    expect(t.sms.sent.at(-1)!.to).toBe('+255715000001');
    expect(t.sms.lastCode('+255715000001')).toMatch(/^\d{6}$/);
  });

  it('answers a known and an unknown phone identically', async () => {
    const known = freshPhone();
    await t.login(known);
    const a = await request(known);
    const b = await request(freshPhone());
    expect(a.statusCode).toBe(b.statusCode);
    expect(a.json()).toEqual(b.json());
  });

  it('stores only a keyed hash of the code', async () => {
    const phone = freshPhone();
    await request(phone);
    const code = t.sms.lastCode(phone);
    const [row] = await t.handle.db.select().from(otpChallenges).where(eq(otpChallenges.phone, phone));
    expect(row!.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(code);
  });

  it.each([
    ['a fixed line', '+255222123456'],
    ['a foreign number', '+12025550100'],
    ['letters', 'not-a-phone'],
    ['a too-short number', '0712'],
  ])('refuses %s with 422 INVALID_PHONE naming the field', async (_what, phone) => {
    const res = await request(phone);
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'INVALID_PHONE', field: 'phone', status: 422 });
  });

  it('refuses a missing phone, a wrong type and unknown fields with 400 naming the field', async () => {
    const missing = await t.app.inject({ method: 'POST', url: '/api/v1/auth/otp/request', payload: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'phone' });

    const wrongType = await request(712345678);
    expect(wrongType.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'phone',
      errors: [{ code: 'INVALID_TYPE' }],
    });

    const extra = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/otp/request',
      payload: { phone: freshPhone(), role: 'admin' },
    });
    expect(extra.statusCode).toBe(400);
    expect(extra.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'role',
      errors: [{ code: 'UNKNOWN_FIELD' }],
    });
  });

  it('refuses a body that is not JSON, and one that is too large', async () => {
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/otp/request',
      payload: '{"phone":',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('INVALID_JSON');

    const huge = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/otp/request',
      payload: JSON.stringify({ phone: 'x'.repeat(70_000) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a second code within 60 s, with Retry-After, then allows it', async () => {
    const phone = freshPhone();
    expect((await request(phone)).statusCode).toBe(202);
    t.clock.advanceSeconds(20);
    const again = await request(phone);
    expect(again.statusCode).toBe(429);
    expect(again.json()).toMatchObject({ code: 'OTP_COOLDOWN', field: 'phone' });
    expect(again.headers['retry-after']).toBe('40');
    t.clock.advanceSeconds(40);
    expect((await request(phone)).statusCode).toBe(202);
  });

  it('allows at most 5 codes an hour per phone', async () => {
    const phone = freshPhone();
    for (let i = 0; i < 5; i++) {
      expect((await request(phone)).statusCode).toBe(202);
      t.clock.advanceSeconds(61);
    }
    const sixth = await request(phone);
    expect(sixth.statusCode).toBe(429);
    expect(sixth.json().code).toBe('OTP_HOURLY_LIMIT');
    t.clock.advanceSeconds(3600);
    expect((await request(phone)).statusCode).toBe(202);
  });

  it('does not count a code whose SMS could not be sent', async () => {
    const phone = freshPhone();
    t.sms.failWith = new SmsError('TIMEOUT', 'provider timed out', true);
    const res = await request(phone);
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('SMS_UNAVAILABLE');
    const [{ c } = { c: -1 }] = await t.handle.db
      .select({ c: count() })
      .from(otpChallenges)
      .where(eq(otpChallenges.phone, phone));
    expect(c).toBe(0);
    t.sms.failWith = null;
    expect((await request(phone)).statusCode).toBe(202);
  });
});

describe('POST /api/v1/auth/otp/verify', () => {
  it('creates a buyer on first login and returns an opaque token stored only as a hash', async () => {
    const phone = freshPhone();
    await request(phone);
    const res = await verify(phone, t.sms.lastCode(phone));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      token_type: 'Bearer',
      new_user: true,
      user: { phone, roles: ['buyer'], status: 'active' },
    });
    expect(body.expires_at).toMatch(/\+03:00$/);
    const raw = body.token.replace(/^kks_/, '');
    expect(Buffer.from(raw, 'base64url').length).toBeGreaterThanOrEqual(32);
    const stored = await t.handle.db.select().from(sessions).where(eq(sessions.userId, body.user.id));
    expect(stored).toHaveLength(1);
    expect(stored[0]!.tokenHash).not.toContain(raw);

    t.clock.advanceSeconds(61);
    await request(phone);
    const second = await verify(phone, t.sms.lastCode(phone));
    expect(second.json()).toMatchObject({ new_user: false, user: { id: body.user.id } });
  });

  it('refuses a wrong code without saying why (the same reply as any unusable code)', async () => {
    const phone = freshPhone();
    await request(phone);
    const code = t.sms.lastCode(phone);
    const wrong = code === '000000' ? '111111' : '000000';
    const res = await verify(phone, wrong);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'OTP_INVALID', field: 'code' });
    expect((await verify(phone, code)).statusCode).toBe(200);
  });

  it('kills the code after 5 wrong tries, even for the right code afterwards', async () => {
    const phone = freshPhone();
    await request(phone);
    const code = t.sms.lastCode(phone);
    const wrong = code === '000000' ? '111111' : '000000';
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await verify(phone, wrong)).statusCode);
    expect(statuses).toEqual([400, 400, 400, 400, 429]);
    const after = await verify(phone, code);
    expect(after.statusCode).toBe(429);
    expect(after.json().code).toBe('OTP_TOO_MANY_ATTEMPTS');
  });

  it('refuses an expired code', async () => {
    const phone = freshPhone();
    await request(phone);
    t.clock.advanceSeconds(301);
    const res = await verify(phone, t.sms.lastCode(phone));
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('OTP_INVALID');
  });

  it('refuses a code used once already', async () => {
    const phone = freshPhone();
    await request(phone);
    const code = t.sms.lastCode(phone);
    expect((await verify(phone, code)).statusCode).toBe(200);
    const again = await verify(phone, code);
    expect(again.statusCode).toBe(400);
    expect(again.json().code).toBe('OTP_INVALID');
  });

  it('accepts only the newest code once another was requested', async () => {
    const phone = freshPhone();
    await request(phone);
    const first = t.sms.lastCode(phone);
    t.clock.advanceSeconds(61);
    await request(phone);
    const second = t.sms.lastCode(phone);
    if (first !== second) expect((await verify(phone, first)).json().code).toBe('OTP_INVALID');
    expect((await verify(phone, second)).statusCode).toBe(200);
  });

  it('refuses a code for a phone that never asked for one', async () => {
    const res = await verify(freshPhone(), '123456');
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('OTP_INVALID');
  });

  it.each([['12345'], ['1234567'], ['12a456'], [123456]])(
    'refuses the malformed code %s with 400 naming the field',
    async (code) => {
      const res = await verify(freshPhone(), code);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'code' });
    },
  );

  it('turns two verifies of one code at once into exactly one session', async () => {
    const phone = freshPhone();
    await request(phone);
    const code = t.sms.lastCode(phone);
    const results = await Promise.all([verify(phone, code), verify(phone, code), verify(phone, code)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 400, 400]);
    const [user] = await t.handle.db.select().from(users).where(eq(users.phone, phone));
    const rows = await t.handle.db.select().from(sessions).where(eq(sessions.userId, user!.id));
    expect(rows).toHaveLength(1);
  });
});

describe('sessions', () => {
  it('GET /me needs a token, a well-formed header and a known token', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/api/v1/me' });
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('UNAUTHENTICATED');
    expect(none.headers['www-authenticate']).toBe('Bearer');

    const malformed = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: 'Token abc' },
    });
    expect(malformed.json().code).toBe('INVALID_TOKEN');

    const unknown = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: 'Bearer kks_notarealtokennotarealtoken' },
    });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().code).toBe('INVALID_TOKEN');
  });

  it('GET /me returns the caller', async () => {
    const phone = freshPhone();
    const me = await t.login(phone);
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: me.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      user: { id: me.userId, phone, roles: ['buyer'] },
      seller_profile: null,
    });
  });

  it('logout revokes the token at once', async () => {
    const me = await t.login(freshPhone());
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: me.auth });
    expect(out.statusCode).toBe(204);
    const after = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: me.auth });
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('SESSION_REVOKED');
  });

  it('a session ends when it expires', async () => {
    const me = await t.login(freshPhone());
    t.clock.advanceSeconds(31 * 24 * 3600);
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: me.auth });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('SESSION_EXPIRED');
  });

  it('PATCH /me sets the display name and refuses bad input', async () => {
    const me = await t.login(freshPhone());
    const ok = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/me',
      headers: me.auth,
      payload: { display_name: 'Asha Mwakyusa' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().display_name).toBe('Asha Mwakyusa');
    const wrong = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/me',
      headers: me.auth,
      payload: { display_name: 42 },
    });
    expect(wrong.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'display_name' });
    const sneaky = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/me',
      headers: me.auth,
      payload: { display_name: 'x', roles: ['admin'] },
    });
    expect(sneaky.statusCode).toBe(400);
    const [row] = await t.handle.db.select().from(users).where(eq(users.id, me.userId));
    expect(row!.roles).toEqual(['buyer']);
  });
});

describe('per-IP limit on the sign-in endpoints', () => {
  it('answers 429 RATE_LIMITED once one address has asked too often, whatever the phone', async () => {
    const limited = await createTestApp({ OTP_IP_MAX_PER_HOUR: '3' }, { handle: t.handle });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await limited.app.inject({
          method: 'POST',
          url: '/api/v1/auth/otp/request',
          payload: { phone: freshPhone() },
        });
        codes.push(res.statusCode);
        if (res.statusCode === 429) {
          expect(res.json().code).toBe('RATE_LIMITED');
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
          // The wait is a number of seconds, not the source of the template that should compute it.
          expect(res.json().detail).toBe(
            `Too many requests from this address; try again in ${res.headers['retry-after']} s.`,
          );
        }
      }
      expect(codes).toEqual([202, 202, 202, 429]);
      const other = await limited.app.inject({
        method: 'POST',
        url: '/api/v1/auth/otp/request',
        payload: { phone: freshPhone() },
        remoteAddress: '10.1.2.3',
      });
      expect(other.statusCode).toBe(202);
    } finally {
      await limited.close();
    }
  });
});
