import { and, count, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kycSubmissions, otpChallenges, sessions, users } from '../src/db/schema.js';
import { createTestApp, multipartBody, PNG_1x1, type TestApp } from './support/app.js';
import { onPostgres } from './support/db.js';

// Races need several real connections; PGlite runs one statement at a time, so there they prove nothing.
if (!onPostgres)
  console.log(
    '[races] skipped: PGlite serialises every query; run with TEST_DATABASE_URL (CI does) to race on PostgreSQL',
  );

describe.runIf(onPostgres)('races on PostgreSQL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('ten verifies of one code at once make exactly one session', async () => {
    const phone = '+255744000001';
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/otp/request', payload: { phone } });
    const code = t.sms.lastCode(phone);
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.app.inject({ method: 'POST', url: '/api/v1/auth/otp/verify', payload: { phone, code } }),
      ),
    );
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    const [user] = await t.handle.db.select().from(users).where(eq(users.phone, phone));
    const [{ c } = { c: 0 }] = await t.handle.db
      .select({ c: count() })
      .from(sessions)
      .where(eq(sessions.userId, user!.id));
    expect(c).toBe(1);
  });

  it('twenty wrong guesses at once get no more than the allowed five comparisons', async () => {
    const phone = '+255744000002';
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/otp/request', payload: { phone } });
    const code = t.sms.lastCode(phone);
    const wrong = code === '000000' ? '111111' : '000000';
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.app.inject({ method: 'POST', url: '/api/v1/auth/otp/verify', payload: { phone, code: wrong } }),
      ),
    );
    expect(results.filter((r) => r.json().code === 'OTP_INVALID').length).toBeLessThanOrEqual(5);
    const [row] = await t.handle.db.select().from(otpChallenges).where(eq(otpChallenges.phone, phone));
    expect(row!.attempts).toBe(5);
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/v1/auth/otp/verify', payload: { phone, code } }))
        .statusCode,
    ).toBe(429);
  });

  it('ten code requests for one phone at once send exactly one code', async () => {
    const phone = '+255744000003';
    const before = t.sms.sent.length;
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.app.inject({ method: 'POST', url: '/api/v1/auth/otp/request', payload: { phone } }),
      ),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([202, ...Array(9).fill(429)]);
    expect(t.sms.sent.length - before).toBe(1);
  });

  it('two admins deciding one KYC submission at once: exactly one decision stands', async () => {
    const a1 = await t.loginAdmin('+255744000010');
    const a2 = await t.loginAdmin('+255744000011');
    const seller = await t.login('+255744000012');
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/seller-profile',
      headers: seller.auth,
      payload: {
        shop_name: 'Race Shop',
        business_type: 'informal',
        ward: 'Upanga',
        landmark: 'Near the mosque',
        payout_phone: '+255744000012',
        payout_wallet: 'mpesa',
      },
    });
    const body = multipartBody('file', 'id.png', 'image/png', PNG_1x1);
    const doc = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/media?purpose=kyc_document',
        headers: { ...seller.auth, ...body.headers },
        payload: body.payload,
      })
    ).json().id;
    const sub = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/me/kyc',
        headers: seller.auth,
        payload: { id_type: 'nida', id_number: '19900101123456789012', document_media_ids: [doc] },
      })
    ).json();
    const [approve, reject] = await Promise.all([
      t.app.inject({
        method: 'POST',
        url: `/api/v1/admin/kyc/${sub.id}/approve`,
        headers: a1.auth,
        payload: {},
      }),
      t.app.inject({
        method: 'POST',
        url: `/api/v1/admin/kyc/${sub.id}/reject`,
        headers: a2.auth,
        payload: { reason: 'blurry' },
      }),
    ]);
    expect([approve.statusCode, reject.statusCode].sort()).toEqual([200, 409]);
    const [row] = await t.handle.db.select().from(kycSubmissions).where(eq(kycSubmissions.id, sub.id));
    const profile = (
      await t.app.inject({ method: 'GET', url: '/api/v1/me/kyc', headers: seller.auth })
    ).json();
    expect(profile.status).toBe(row!.status);
  });

  it('a ban racing a login never leaves the banned user with a live session', async () => {
    const admin = await t.loginAdmin('+255744000020');
    const phone = '+255744000021';
    const user = await t.login(phone);
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/otp/request', payload: { phone } });
    const code = t.sms.lastCode(phone);
    await Promise.all([
      t.app.inject({
        method: 'POST',
        url: `/api/v1/admin/users/${user.userId}/ban`,
        headers: admin.auth,
        payload: { reason: 'fraud' },
      }),
      t.app.inject({ method: 'POST', url: '/api/v1/auth/otp/verify', payload: { phone, code } }),
    ]);
    const live = await t.handle.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.userId, user.userId), isNull(sessions.revokedAt)));
    // A session made just before the ban is revoked by it; one attempted after is refused.
    expect(live).toEqual([]);
  });

  it('adding, re-defaulting and deleting addresses at once always leaves exactly one default', async () => {
    const me = await t.login('+255744000030');
    const home = { label: 'Home', ward: 'Upanga', landmark: 'Near the mosque' };
    const a = (
      await t.app.inject({ method: 'POST', url: '/api/v1/me/addresses', headers: me.auth, payload: home })
    ).json();
    const b = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/me/addresses',
        headers: me.auth,
        payload: { ...home, label: 'B' },
      })
    ).json();
    for (let round = 0; round < 15; round++) {
      const c = (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/me/addresses',
          headers: me.auth,
          payload: { ...home, label: `C${round}` },
        })
      ).json();
      const results = await Promise.all([
        t.app.inject({
          method: 'POST',
          url: '/api/v1/me/addresses',
          headers: me.auth,
          payload: { ...home, label: `D${round}`, is_default: true },
        }),
        t.app.inject({
          method: 'PATCH',
          url: `/api/v1/me/addresses/${a.id}`,
          headers: me.auth,
          payload: { is_default: true },
        }),
        t.app.inject({
          method: 'PATCH',
          url: `/api/v1/me/addresses/${b.id}`,
          headers: me.auth,
          payload: { is_default: true },
        }),
        t.app.inject({ method: 'DELETE', url: `/api/v1/me/addresses/${c.id}`, headers: me.auth }),
      ]);
      expect(results.map((r) => r.statusCode).filter((s) => s >= 500)).toEqual([]);
      const list = (
        await t.app.inject({ method: 'GET', url: '/api/v1/me/addresses', headers: me.auth })
      ).json().items;
      expect(list.filter((x: { is_default: boolean }) => x.is_default)).toHaveLength(1);
      // Keep the book under the limit: drop the address this round added.
      const d = results[0]!.json();
      await t.app.inject({ method: 'DELETE', url: `/api/v1/me/addresses/${d.id}`, headers: me.auth });
    }
  });
});
