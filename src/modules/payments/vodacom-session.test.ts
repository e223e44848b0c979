import { describe, expect, it } from 'vitest';
import type { FakeVodacomRequest } from '../../../test/fakes/vodacom.js';
import {
  API_KEY,
  clock,
  collection,
  disbursement,
  fake,
  newRef,
  provider,
  providerError,
  useFakeVodacom,
  watch,
} from './vodacom.fixtures.js';

// The Vodacom TZ (M-Pesa Open API) adapter against a local fake of the real API
// (test/fakes/vodacom.ts). Shared setup lives in vodacom.fixtures.ts.

useFakeVodacom();

describe('Vodacom TZ session key', () => {
  it('gets a session with the RSA-encrypted API key, then sends the encrypted session id, and caches it', async () => {
    const { p } = provider();
    const seen = watch();
    await p.initiateCollection(collection());
    await p.initiateCollection(collection());
    const reqs = seen();
    expect(reqs.map((r) => r.operation)).toEqual(['getSession', 'c2b', 'c2b']);
    const [getSession, first, second] = reqs as [FakeVodacomRequest, FakeVodacomRequest, FakeVodacomRequest];
    expect(getSession.method).toBe('GET');
    expect(getSession.path).toBe(`${fake.pathPrefix}/getSession/`);
    expect(getSession.rawBody).toBe('');
    expect(getSession.headers.origin).toBe('*');
    expect(getSession.token).toBe(API_KEY);
    expect(getSession.headers.authorization).toMatch(/^Bearer [A-Za-z0-9+/]+=*$/);
    expect(getSession.headers.authorization).not.toContain(API_KEY);
    // later calls carry RSA(session id), not the key and not the id in clear
    expect(first.token).not.toBe(API_KEY);
    expect(fake.sessions.has(first.token!)).toBe(true);
    expect(first.headers.authorization).not.toContain(first.token!);
    expect(second.token).toBe(first.token);
    expect(first.headers.origin).toBe('*');
  });

  it('fetches a new session once the configured lifetime has passed (by the injected clock)', async () => {
    const { p } = provider({ sessionTtlSeconds: 60 });
    const seen = watch();
    await p.queryCollection({ reference: newRef(), providerRef: null });
    clock.advanceSeconds(59);
    await p.queryCollection({ reference: newRef(), providerRef: null });
    clock.advanceSeconds(2);
    await p.queryCollection({ reference: newRef(), providerRef: null });
    const reqs = seen();
    expect(reqs.map((r) => r.operation)).toEqual(['getSession', 'query', 'query', 'getSession', 'query']);
    expect(reqs[4]!.token).not.toBe(reqs[1]!.token);
    expect(reqs[2]!.token).toBe(reqs[1]!.token);
  });

  it('shares one session request between concurrent callers', async () => {
    const { p } = provider();
    const seen = watch();
    await Promise.all([
      p.queryCollection({ reference: newRef(), providerRef: null }),
      p.queryCollection({ reference: newRef(), providerRef: null }),
      p.initiateCollection(collection()),
    ]);
    expect(seen().filter((r) => r.operation === 'getSession')).toHaveLength(1);
  });

  it('drops a session the gateway refuses (401 INS-989), fetches a new one and resends once', async () => {
    const { p } = provider();
    await p.queryCollection({ reference: newRef(), providerRef: null });
    fake.expireSessions();
    const req = collection();
    const seen = watch();
    const r = await p.initiateCollection(req);
    expect(r.outcome).toBe('succeeded');
    expect(seen().map((x) => x.operation)).toEqual(['c2b', 'getSession', 'c2b']);
    expect(fake.transactions.get(req.reference)!.status).toBe('Completed');
  });

  it('also treats a 401 without an INS code as a refused session', async () => {
    const { p } = provider();
    await p.queryCollection({ reference: newRef(), providerRef: null });
    fake.faults.set('query', [{ status: 401, body: { output_error: 'Session ID Invalid' } }]);
    const seen = watch();
    const r = await p.queryCollection({ reference: newRef(), providerRef: null });
    expect(r.code).toBe('INS-23');
    expect(seen().map((x) => x.operation)).toEqual(['query', 'getSession', 'query']);
  });

  it('gives up with AUTH_FAILED when a fresh session is refused as well', async () => {
    const { p } = provider();
    const refused = { status: 401, body: { output_ResponseCode: 'INS-989', output_ResponseDesc: 'x' } };
    fake.faults.set('query', [refused, refused, refused]);
    const seen = watch();
    const err = await providerError(p.queryCollection({ reference: newRef(), providerRef: null }));
    expect(err).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
    expect(seen().map((x) => x.operation)).toEqual(['getSession', 'query', 'getSession', 'query']);
    fake.faults.delete('query');
  });

  it('reports a wrong API key as AUTH_FAILED (not retryable) and sends no payment', async () => {
    const { p } = provider({ apiKey: 'not-the-key' });
    const seen = watch();
    const err = await providerError(p.initiateCollection(collection()));
    expect(err).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
    expect(err.message).toContain('INS-989');
    expect(err.message).not.toContain('not-the-key');
    expect(seen().map((r) => r.operation)).toEqual(['getSession']);
  });

  it('accepts the public key as a PEM too, and refuses an unusable key before any call', async () => {
    const b64 = fake.publicKeyBase64;
    const pem = `-----BEGIN PUBLIC KEY-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----\n`;
    expect((await provider({ publicKey: pem }).p.initiateCollection(collection())).outcome).toBe('succeeded');

    const seen = watch();
    const err = await providerError(
      provider({ publicKey: 'bm90IGEga2V5' }).p.initiateCollection(collection()),
    );
    expect(err.code).toBe('AUTH_FAILED');
    expect(seen()).toHaveLength(0);
  });
});

describe('Vodacom TZ call records', () => {
  it('record every call with no API key, session id or bearer in them', async () => {
    const { p, records } = provider();
    const seen = watch();
    const c = collection();
    const paid = await p.initiateCollection(c);
    await p.queryCollection({ reference: c.reference, providerRef: paid.providerRef });
    fake.expireSessions();
    await p.sendMoney(disbursement());
    await p.reverseCollection({
      reference: newRef(),
      receipt: paid.receipt!,
      amount: c.amount,
      currency: 'TZS',
      resultUrl: 'https://api.kkoo.test/r',
      timeoutUrl: 'https://api.kkoo.test/t',
    });
    const json = JSON.stringify(records);
    // the records are real: every call is there, with its reference
    expect(records.map((r) => r.operation)).toEqual([
      'getSession',
      'initiateCollection',
      'queryCollection',
      'sendMoney',
      'getSession',
      'sendMoney',
      'reverseCollection',
    ]);
    expect(json).toContain(c.reference);
    expect(records[0]!.responseBody).toMatchObject({ output_ResponseCode: 'INS-0', output_SessionID: '***' });

    const reqs = seen();
    const sessionIds = reqs.map((r) => r.token).filter((t): t is string => !!t && t !== API_KEY);
    expect(new Set(sessionIds).size).toBe(2);
    expect(json).not.toContain(API_KEY);
    for (const id of sessionIds) expect(json).not.toContain(id);
    for (const r of reqs) expect(json).not.toContain(String(r.headers.authorization).slice('Bearer '.length));
    expect(json).not.toMatch(/bearer/i);
  });
});
