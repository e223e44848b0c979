import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Actor, nextPhone } from '../../../test/support/fixtures.js';
import { CAMPAIGN, type ReferralsTestApp, referralsTestApp } from '../../../test/support/referrals-app.js';

// Referral attribution over HTTP: at sign-in (otp/verify) and by the endpoint, its rules, and bad
// input on every referrals route (types, missing fields, role, unknown ids, state).

let h: ReferralsTestApp;
let t: ReferralsTestApp['t'];
let admin: Actor;
let api: ReferralsTestApp['api'];
let setCampaign: ReferralsTestApp['setCampaign'];
let person: ReferralsTestApp['person'];
let codeOf: ReferralsTestApp['codeOf'];
let attribute: ReferralsTestApp['attribute'];
let checkout: ReferralsTestApp['checkout'];
let windowPasses: ReferralsTestApp['windowPasses'];
let firstOrder: ReferralsTestApp['firstOrder'];
let mine: ReferralsTestApp['mine'];
let pair: ReferralsTestApp['pair'];

beforeAll(async () => {
  h = await referralsTestApp();
  ({ t, admin, api, setCampaign, person, codeOf, attribute, checkout } = h);
  ({ windowPasses, firstOrder, mine, pair } = h);
});
afterAll(() => t.close());

// Every scenario leaves the books reconciled, the referral burn included.
afterEach(async () => {
  expect(await t.app.services.orders.service.reconcile()).toEqual([]);
});

describe('attribution at sign-in (referral_code on otp/verify)', () => {
  /** Request a code for `phone` and verify it with `extra`; the SMS code is read from the fake. */
  async function signIn(phone: string, extra: object, code?: string) {
    if (!code) {
      const req = await api('POST', '/api/v1/auth/otp/request', {}, { phone });
      expect(req.statusCode, req.body).toBe(202);
      code = t.sms.lastCode(t.sms.sent.at(-1)!.to);
    }
    const res = await api('POST', '/api/v1/auth/otp/verify', {}, { phone, code, ...extra });
    return { res, code };
  }

  it('an unknown code is refused before the OTP is spent; the same OTP then signs in and attributes', async () => {
    const referrer = await person();
    const phone = nextPhone();
    const bad = await signIn(phone, { referral_code: 'ZZZZZZZ' });
    expect(bad.res.statusCode).toBe(422);
    expect(bad.res.json()).toMatchObject({ code: 'REFERRAL_CODE_UNKNOWN', field: 'code' });
    const ok = await signIn(phone, { referral_code: await codeOf(referrer) }, bad.code);
    expect(ok.res.statusCode, ok.res.body).toBe(200);
    expect(ok.res.json()).toMatchObject({ new_user: true, referral: { attributed: true, refusal: null } });
    const auth = { authorization: `Bearer ${ok.res.json().token}` };
    expect((await api('GET', '/api/v1/me/referrals', auth)).json().referred_by).toMatchObject({
      state: 'attributed',
    });
    expect((await mine(referrer)).items[0].state).toBe('attributed');
  });

  it('a later sign-in after a checkout signs in but does not attribute; no code, no referral field', async () => {
    const referrer = await person();
    const u = await person();
    await checkout(u, '0754 777 701');
    t.clock.advanceSeconds(61);
    const later = await signIn(u.phone, { referral_code: await codeOf(referrer) });
    expect(later.res.statusCode, later.res.body).toBe(200);
    expect(later.res.json().referral).toEqual({ attributed: false, refusal: 'ATTRIBUTION_CLOSED' });
    t.clock.advanceSeconds(61);
    const plain = await signIn(u.phone, {});
    expect(plain.res.statusCode).toBe(200);
    expect(plain.res.json().referral).toBeUndefined();
    expect((await mine(referrer)).items).toEqual([]);
  });

  it('a referral_code of the wrong type is 400', async () => {
    for (const referral_code of [1234567, '', null, ['ABCDEFG']]) {
      const r = await api(
        'POST',
        '/api/v1/auth/otp/verify',
        {},
        { phone: nextPhone(), code: '123456', referral_code },
      );
      expect(r.statusCode, JSON.stringify(referral_code)).toBe(400);
    }
  });
});

describe('attribution rules and bad input', () => {
  it('an unknown code is one problem, whether malformed or never issued', async () => {
    const u = await person();
    for (const code of ['ZZZZZZZ', 'abc', '0000000', 'ABCDEFGHJK']) {
      const r = await attribute(u, code);
      expect(r.statusCode, code).toBe(422);
      expect(r.json()).toMatchObject({ code: 'REFERRAL_CODE_UNKNOWN' });
    }
    expect((await mine(u)).referred_by).toBeNull();
  });

  it('wrong types and missing fields are 400; no session is 401', async () => {
    const u = await person();
    for (const body of [{}, { code: 1234567 }, { code: ['A'] }, { code: 'ABCDEFG', extra: 1 }, { code: '' }])
      expect((await api('POST', '/api/v1/me/referral', u.auth, body)).statusCode).toBe(400);
    expect((await attribute({ auth: {} } as Actor, 'ABCDEFG')).statusCode).toBe(401);
    expect((await api('GET', '/api/v1/me/referral-code')).statusCode).toBe(401);
    expect((await api('GET', '/api/v1/me/referrals')).statusCode).toBe(401);
    expect((await api('GET', '/api/v1/me/referrals?limit=0', u.auth)).statusCode).toBe(400);
    expect((await api('GET', '/api/v1/me/referrals?cursor=forged', u.auth)).statusCode).toBe(400);
  });

  it('never oneself, once only, and never after the first checkout', async () => {
    const u = await person();
    const self = await attribute(u, await codeOf(u));
    expect(self.statusCode).toBe(422);
    expect(self.json().code).toBe('SELF_REFERRAL');

    const a = await person();
    const b = await person();
    expect((await attribute(u, await codeOf(a))).statusCode).toBe(201);
    const twice = await attribute(u, await codeOf(b));
    expect(twice.statusCode).toBe(409);
    expect(twice.json().code).toBe('ALREADY_ATTRIBUTED');

    const late = await person();
    await checkout(late, '0754 777 501');
    const closed = await attribute(late, await codeOf(a));
    expect(closed.statusCode).toBe(409);
    expect(closed.json().code).toBe('ATTRIBUTION_CLOSED');
  });

  it('two attributions at once: exactly one wins', async () => {
    const a = await person();
    const b = await person();
    const u = await person();
    const [x, y] = await Promise.all([attribute(u, await codeOf(a)), attribute(u, await codeOf(b))]);
    expect([x.statusCode, y.statusCode].sort()).toEqual([201, 409]);
  });

  it('admin routes: wrong role, bad bodies, unknown and malformed ids', async () => {
    const u = await person();
    for (const [m, url] of [
      ['GET', '/api/v1/admin/referrals/campaign'],
      ['GET', '/api/v1/admin/referrals'],
      ['GET', '/api/v1/admin/referrals/report'],
    ] as const)
      expect((await api(m, url, u.auth)).statusCode, url).toBe(403);
    expect(
      (await api('PUT', '/api/v1/admin/referrals/campaign', u.auth, { ...CAMPAIGN, reason: 'x' })).statusCode,
    ).toBe(403);
    const id = '0190d6f0-0000-7000-8000-000000000001';
    expect(
      (await api('POST', `/api/v1/admin/referrals/${id}/approve`, u.auth, { reason: 'x' })).statusCode,
    ).toBe(403);
    for (const bad of [
      { ...CAMPAIGN }, // no reason
      { ...CAMPAIGN, reason: 'x', referrer_reward: 100_50 }, // not whole shillings
      { ...CAMPAIGN, reason: 'x', budget_amount: -100 },
      { ...CAMPAIGN, reason: 'x', active: 'yes' },
      { ...CAMPAIGN, reason: 'x', per_referrer_daily_cap: 0 },
      { ...CAMPAIGN, reason: 'x', surprise: 1 },
    ])
      expect((await api('PUT', '/api/v1/admin/referrals/campaign', admin.auth, bad)).statusCode).toBe(400);
    expect((await api('GET', '/api/v1/admin/referrals?state=maybe', admin.auth)).statusCode).toBe(400);
    for (const action of ['approve', 'reject', 'claw-back']) {
      expect(
        (await api('POST', `/api/v1/admin/referrals/${id}/${action}`, admin.auth, { reason: 'x' }))
          .statusCode,
      ).toBe(404);
      expect(
        (await api('POST', `/api/v1/admin/referrals/not-a-uuid/${action}`, admin.auth, { reason: 'x' }))
          .statusCode,
      ).toBe(400);
      expect((await api('POST', `/api/v1/admin/referrals/${id}/${action}`, admin.auth, {})).statusCode).toBe(
        400,
      );
    }
  });

  it('an inactive campaign pays nothing', async () => {
    await setCampaign({ active: false });
    try {
      const { referrer, referee } = await pair();
      await firstOrder(referee, '0754 777 601');
      await windowPasses();
      expect((await mine(referrer)).items[0]).toMatchObject({ state: 'rejected', reward: 0 });
    } finally {
      await setCampaign({});
    }
  });
});
