// Bad input that once reached the database as a 500, and abuse paths found in review: each a 4xx now.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, multipartBody, PNG_1x1, type TestApp } from '../test/support/app.js';

let t: TestApp;
let admin: Awaited<ReturnType<TestApp['loginAdmin']>>;
beforeAll(async () => {
  t = await createTestApp({ MEDIA_UPLOADS_PER_HOUR: '3' });
  admin = await t.loginAdmin('+255754700001');
});
afterAll(() => t.close());

let n = 1;
const freshPhone = () => `+2557790${String(n++).padStart(5, '0')}`;

describe('NUL characters never reach PostgreSQL', () => {
  it('in a JSON body, a nested field, and a query string', async () => {
    const me = await t.login(freshPhone());
    const body = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/me',
      headers: me.auth,
      payload: { display_name: 'a\u0000b' },
    });
    expect(body.statusCode).toBe(400);
    expect(body.json()).toMatchObject({ code: 'INVALID_CHARACTER', field: 'display_name' });
    const nested = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/addresses',
      headers: me.auth,
      payload: { label: 'Home', ward: 'Upanga', landmark: 'x', location: null, street: 'ok\u0000' },
    });
    expect(nested.json()).toMatchObject({ code: 'INVALID_CHARACTER', field: 'street' });
    const query = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/audit-events?target_id=%00',
      headers: admin.auth,
    });
    expect(query.json()).toMatchObject({ code: 'INVALID_CHARACTER', field: 'target_id' });
  });

  it('an upload whose file name holds control characters is stored with a clean name', async () => {
    const me = await t.login(freshPhone());
    const body = multipartBody('file', 'id\u0001front.png', 'image/png', PNG_1x1);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/media?purpose=kyc_document',
      headers: { ...me.auth, ...body.headers },
      payload: body.payload,
    });
    expect(res.statusCode).toBe(201);
  });
});

describe('forged cursors', () => {
  it.each([
    ['an id of dashes', ['2026-11-25T00:00:00Z', '-'.repeat(36)]],
    ['a date PostgreSQL cannot hold', ['-271821-04-20T00:00:00Z', '01a211ef-3fcc-7542-96e2-9af11744c6a1']],
    ['not an array', { at: 1 }],
  ])('refuses %s with 400 INVALID_CURSOR', async (_what, value) => {
    const cursor = Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const url of ['/api/v1/admin/users', '/api/v1/admin/kyc', '/api/v1/admin/audit-events']) {
      const res = await t.app.inject({ method: 'GET', url: `${url}?cursor=${cursor}`, headers: admin.auth });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().code).toBe('INVALID_CURSOR');
    }
  });
});

describe('malformed uploads', () => {
  it('a multipart body without a boundary, or cut short, is a 400', async () => {
    const me = await t.login(freshPhone());
    const noBoundary = await t.app.inject({
      method: 'POST',
      url: '/api/v1/media?purpose=kyc_document',
      headers: { ...me.auth, 'content-type': 'multipart/form-data' },
      payload: 'garbage',
    });
    expect(noBoundary.statusCode).toBe(400);
    const body = multipartBody('file', 'a.png', 'image/png', PNG_1x1);
    const cut = await t.app.inject({
      method: 'POST',
      url: '/api/v1/media?purpose=kyc_document',
      headers: { ...me.auth, ...body.headers },
      payload: body.payload.subarray(0, body.payload.length - 20),
    });
    expect(cut.statusCode).toBe(400);
    expect(cut.json().code).toBe('INVALID_MULTIPART');
  });

  it('uploads are capped per caller per hour', async () => {
    const me = await t.login(freshPhone());
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const body = multipartBody('file', 'a.png', 'image/png', PNG_1x1);
      codes.push(
        (
          await t.app.inject({
            method: 'POST',
            url: '/api/v1/media?purpose=kyc_document',
            headers: { ...me.auth, ...body.headers },
            payload: body.payload,
          })
        ).statusCode,
      );
    }
    expect(codes).toEqual([201, 201, 201, 429]);
    const other = await t.login(freshPhone());
    const body = multipartBody('file', 'a.png', 'image/png', PNG_1x1);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/media?purpose=kyc_document',
          headers: { ...other.auth, ...body.headers },
          payload: body.payload,
        })
      ).statusCode,
    ).toBe(201);
  });
});

describe('KYC documents', () => {
  it('the same document twice is refused, not a 500', async () => {
    const me = await t.login(freshPhone());
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/seller-profile',
      headers: me.auth,
      payload: {
        shop_name: 'S',
        business_type: 'informal',
        ward: 'W',
        landmark: 'L',
        payout_phone: '0754 111 000',
        payout_wallet: 'mpesa',
      },
    });
    const id = '01a211ef-3fcc-7542-96e2-9af11744c6a1';
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/kyc',
      headers: me.auth,
      payload: { id_type: 'nida', id_number: '19900101123456789012', document_media_ids: [id, id] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe('document_media_ids');
  });
});

describe('governance edges', () => {
  it('a suspension of more than 5 years is refused, and a date from another age is bad input', async () => {
    const u = await t.login(freshPhone());
    const act = (until: string) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/admin/users/${u.userId}/suspend`,
        headers: admin.auth,
        payload: { reason: 'x', until },
      });
    const long = await act(new Date(t.clock.now().getTime() + 6 * 365 * 24 * 3600_000).toISOString());
    expect(long.statusCode).toBe(422);
    expect(long.json().code).toBe('INVALID_SUSPENSION_END');
    const absurd = await act('9999-12-31T23:59:59Z');
    expect(absurd.statusCode).toBe(400);
    expect(absurd.json().field).toBe('until');
  });

  it('a lapsed suspension is listed as active, not suspended', async () => {
    const u = await t.login(freshPhone());
    const until = new Date(t.clock.now().getTime() + 60_000).toISOString();
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/users/${u.userId}/suspend`,
      headers: admin.auth,
      payload: { reason: 'short', until },
    });
    const ids = async (status: string) =>
      (
        await t.app.inject({
          method: 'GET',
          url: `/api/v1/admin/users?status=${status}&limit=100`,
          headers: admin.auth,
        })
      )
        .json()
        .items.map((x: { id: string }) => x.id);
    expect(await ids('suspended')).toContain(u.userId);
    t.clock.advanceSeconds(61);
    expect(await ids('suspended')).not.toContain(u.userId);
    expect(await ids('active')).toContain(u.userId);
  });
});

describe('sign-in limits', () => {
  it('a code is valid until 5 minutes have passed, and not at 5 minutes', async () => {
    const phone = freshPhone();
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/otp/request', payload: { phone } });
    const code = t.sms.lastCode(phone);
    t.clock.advanceSeconds(300);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/otp/verify',
      payload: { phone, code },
    });
    expect(res.json().code).toBe('OTP_INVALID');
    const phone2 = freshPhone();
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/otp/request', payload: { phone: phone2 } });
    t.clock.advanceSeconds(299);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/otp/verify',
          payload: { phone: phone2, code: t.sms.lastCode(phone2) },
        })
      ).statusCode,
    ).toBe(200);
  });

  it('the per-address cap also guards code verification', async () => {
    const limited = await createTestApp({ OTP_IP_MAX_PER_HOUR: '2' }, { handle: t.handle });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) {
        codes.push(
          (
            await limited.app.inject({
              method: 'POST',
              url: '/api/v1/auth/otp/verify',
              payload: { phone: freshPhone(), code: '123456' },
            })
          ).statusCode,
        );
      }
      expect(codes).toEqual([400, 400, 429]);
    } finally {
      await limited.close();
    }
  });

  it('behind one proxy, a client cannot dodge the cap by writing its own X-Forwarded-For', async () => {
    const proxied = await createTestApp({ OTP_IP_MAX_PER_HOUR: '2', TRUST_PROXY: '1' }, { handle: t.handle });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await proxied.app.inject({
          method: 'POST',
          url: '/api/v1/auth/otp/request',
          payload: { phone: freshPhone() },
          remoteAddress: '10.0.0.5', // the load balancer
          headers: { 'x-forwarded-for': `1.2.3.${i}, 203.0.113.7` }, // client-written, then what the balancer saw
        });
        codes.push(res.statusCode);
      }
      expect(codes).toEqual([202, 202, 429]);
      // A different real client behind the same balancer has its own allowance.
      const other = await proxied.app.inject({
        method: 'POST',
        url: '/api/v1/auth/otp/request',
        payload: { phone: freshPhone() },
        remoteAddress: '10.0.0.5',
        headers: { 'x-forwarded-for': '198.51.100.9' },
      });
      expect(other.statusCode).toBe(202);
    } finally {
      await proxied.close();
    }
  });
});

describe('public catalog reads', () => {
  it('are capped per client address', async () => {
    const limited = await createTestApp({ PUBLIC_READS_PER_MINUTE: '3' }, { handle: t.handle });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++)
        codes.push((await limited.app.inject({ method: 'GET', url: '/api/v1/products' })).statusCode);
      expect(codes).toEqual([200, 200, 200, 429]);
      expect(
        (await limited.app.inject({ method: 'GET', url: '/api/v1/categories', remoteAddress: '10.9.8.7' }))
          .statusCode,
      ).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
