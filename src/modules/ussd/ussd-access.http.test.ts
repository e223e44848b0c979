// The USSD callback as Africa's Talking posts it: form fields in, text/plain `CON …`/`END …` out.
// Shared setup and helpers live in ussd.fixtures.ts.
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../../test/support/app.js';
import { nextPhone } from '../../../test/support/fixtures.js';
import {
  admin,
  api,
  deliveredOrder,
  dial,
  newSession,
  phoneOf,
  rowsOf,
  screen,
  TOKEN,
  t,
  URL_OK,
  useUssdApp,
} from './ussd.fixtures.js';

useUssdApp();

describe('who may use it', () => {
  it('an unknown number gets one short END on how to shop, and nothing else', async () => {
    const s = newSession();
    for (const text of ['', '1', '2*1*1', '4*2']) {
      const r = await screen(s, '+255739999990', text);
      expect(r.type).toBe('END');
      expect(r.text).toMatch(/^K'KOO: Pakua app/);
    }
    const rows = await rowsOf(sql`select count(*)::int as n from ussd_sessions where session_id = ${s}`);
    expect(rows[0]).toEqual({ n: 0 });
  });

  it('a banned buyer is told exactly what a stranger is told', async () => {
    const b = await t.login(nextPhone());
    const phone = await phoneOf(b.userId);
    const stranger = await screen(newSession(), '+255739999991', '');
    const ban = await api('POST', `/api/v1/admin/users/${b.userId}/ban`, admin.auth, { reason: 'fraud' });
    expect(ban.statusCode, ban.body).toBe(200);
    expect(await screen(newSession(), phone, '')).toEqual(stranger);
  });

  it('a wrong token gets a 404 like the payment callbacks, before any body is read, and changes nothing', async () => {
    const o = await deliveredOrder();
    const phone = await phoneOf(o.buyer.userId);
    const s = newSession();
    for (const url of [
      '/api/v1/ussd/callback/UssdTestToken0123456789abcdefABCDEX',
      '/api/v1/ussd/callback/short',
      '/api/v1/ussd/callback/',
    ]) {
      const res = await dial(s, phone, '2*1*1', url);
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const json = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ussd/callback/nope',
      headers: { 'content-type': 'application/json' },
      payload: '{"not json',
    });
    expect(json.statusCode).toBe(404);
    expect((await api('GET', `/api/v1/orders/${o.id}`, o.buyer.auth)).json().status).toBe('delivered');
    const rows = await rowsOf(sql`select count(*)::int as n from ussd_sessions where session_id = ${s}`);
    expect(rows[0]).toEqual({ n: 0 });
  });

  it('malformed requests get a clean END with HTTP 200, never a 4xx or 5xx', async () => {
    const bodies: Array<{ headers: Record<string, string>; payload: string }> = [
      { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' },
      { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'sessionId=abc' },
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'sessionId=abc&phoneNumber=0754123456&text=',
      },
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'sessionId=a%00b&phoneNumber=%2B255754123456&text=',
      },
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `sessionId=abc&phoneNumber=%2B255754123456&text=${'1*'.repeat(3000)}`,
      },
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `sessionId=${'x'.repeat(300)}&phoneNumber=%2B255754123456&text=`,
      },
      { headers: { 'content-type': 'application/json' }, payload: '{"sessionId":"abc"}' },
      { headers: { 'content-type': 'text/plain' }, payload: 'hello' },
      { headers: {}, payload: '' },
    ];
    for (const b of bodies) {
      const res = await t.app.inject({ method: 'POST', url: URL_OK, ...b });
      expect(res.statusCode, `${b.payload.slice(0, 40)} → ${res.body}`).toBe(200);
      expect(res.body).toMatch(/^END Samahani, ombi halikueleweka/);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
    }
  });

  it('one phone making too many requests a minute is told to wait, with a 200 END', async () => {
    const phone = '+255739999992';
    const s = newSession();
    for (let i = 0; i < 200; i++) await dial(s, phone, '');
    const r = await screen(s, phone, '');
    expect(r).toEqual({ type: 'END', text: expect.stringMatching(/^Maombi mengi mno/) });
    // another phone is not held back, and the phone is free again a minute later
    expect((await screen(newSession(), '+255739999993', '')).text).toMatch(/^K'KOO: Pakua/);
    t.clock.advanceSeconds(61);
    expect((await screen(s, phone, '')).text).toMatch(/^K'KOO: Pakua/);
  });
});

describe('logs', () => {
  it('the secret path token never reaches a log line', async () => {
    const { maskCallbackToken } = await import('../../app.js');
    expect(maskCallbackToken(`/api/v1/ussd/callback/${TOKEN}`)).toBe('/api/v1/ussd/callback/***');
    expect(maskCallbackToken(`/api/v1/ussd/callback/${TOKEN}?x=1`)).toBe('/api/v1/ussd/callback/***?x=1');
  });
});

describe('address checks', () => {
  it('with an allow-list, another address gets a 403 like the payment callbacks, and the gateway gets its screen', async () => {
    const t2 = await createTestApp(
      { USSD_CALLBACK_TOKEN: TOKEN, USSD_ALLOWED_IPS: '10.0.0.7' },
      { handle: t.handle },
    );
    try {
      const post = (remoteAddress: string) =>
        t2.app.inject({
          method: 'POST',
          url: URL_OK,
          remoteAddress,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'sessionId=ip1&phoneNumber=%2B255739999994&text=',
        });
      const refused = await post('10.0.0.8');
      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe('CALLBACK_FORBIDDEN');
      const ok = await post('10.0.0.7');
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toMatch(/^END K'KOO: Pakua/);
    } finally {
      await t2.close();
    }
  });
});
