import { describe, expect, it } from 'vitest';
import {
  adapter,
  clock,
  collection,
  creds,
  decryptCredential,
  failure,
  fake,
  fresh,
  hook,
  initiator,
  PATH,
  publicPem,
  requestsTo,
  TEST_CERT,
  useFakeDaraja,
} from './daraja.fixtures.js';
import { darajaTimestamp, securityCredential, stkPassword } from './daraja-wire.js';

// The Daraja adapter against a local fake of the real API (test/fakes/daraja.ts). The adapter and
// the fake share one ManualClock: token lifetimes, STK timestamps and scripted outcomes follow it.
// Shared setup lives in daraja.fixtures.ts.

useFakeDaraja();

describe('Daraja helpers', () => {
  it('builds the STK password of the published test vector', () => {
    expect(stkPassword('174379', creds.passkey, '20160216165627')).toBe(
      'MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQyYzkxOTIwMTYwMjE2MTY1NjI3',
    );
  });

  it('writes timestamps in Nairobi time (UTC+3), across midnight and year end', () => {
    expect(darajaTimestamp(new Date('2016-02-16T13:56:27Z'))).toBe('20160216165627');
    expect(darajaTimestamp(new Date('2026-11-25T21:30:05Z'))).toBe('20261126003005');
    expect(darajaTimestamp(new Date('2026-12-31T21:00:00.999Z'))).toBe('20270101000000');
  });

  it('encrypts the initiator password with the public key (PKCS#1 v1.5) and accepts an X.509 certificate', () => {
    expect(decryptCredential(securityCredential('pw-123', publicPem))).toBe('pw-123');
    const fromCert = Buffer.from(securityCredential('pw-123', TEST_CERT), 'base64');
    expect(fromCert).toHaveLength(256);
  });
});

describe('Daraja OAuth', () => {
  it('caches the token, reads the string expires_in, and refreshes 60 s before expiry', async () => {
    const { provider } = adapter();
    const f = fresh();
    const before = requestsTo(PATH.token).length;
    const first = await provider.initiateCollection(collection(f));
    await provider.queryCollection({ reference: f.reference, providerRef: first.providerRef });
    expect(requestsTo(PATH.token).length - before).toBe(1);
    const tokenReq = requestsTo(PATH.token).at(-1)!;
    expect(tokenReq.method).toBe('GET');
    expect(tokenReq.query).toEqual({ grant_type: 'client_credentials' });
    expect(tokenReq.headers.authorization).toBe(
      `Basic ${Buffer.from(`${creds.consumerKey}:${creds.consumerSecret}`).toString('base64')}`,
    );

    clock.advanceSeconds(3538); // the token ("3599") is still fresh enough
    await provider.queryCollection({ reference: f.reference, providerRef: first.providerRef });
    expect(requestsTo(PATH.token).length - before).toBe(1);

    clock.advanceSeconds(2); // 3540 s: inside the last minute, refreshed before Safaricom expires it
    await provider.queryCollection({ reference: f.reference, providerRef: first.providerRef });
    expect(requestsTo(PATH.token).length - before).toBe(2);
    expect(requestsTo(PATH.query).at(-1)!.headers.authorization).toBe(`Bearer ${fake.tokens.at(-1)}`);
  });

  it('reads a numeric expires_in too (a short lifetime is refreshed at half of it)', async () => {
    const numeric: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).includes(PATH.token)) return res;
      const body = (await res.json()) as Record<string, unknown>;
      return new Response(JSON.stringify({ ...body, expires_in: 100 }), { status: res.status });
    };
    const { provider } = adapter({}, numeric);
    const f = fresh();
    const before = requestsTo(PATH.token).length;
    const r = await provider.initiateCollection(collection(f));
    clock.advanceSeconds(49);
    await provider.queryCollection({ reference: f.reference, providerRef: r.providerRef });
    expect(requestsTo(PATH.token).length - before).toBe(1);
    clock.advanceSeconds(1);
    await provider.queryCollection({ reference: f.reference, providerRef: r.providerRef });
    expect(requestsTo(PATH.token).length - before).toBe(2);
  });

  it('lets concurrent callers share one token request', async () => {
    const { provider } = adapter();
    const fs = [fresh(), fresh(), fresh()];
    const before = requestsTo(PATH.token).length;
    const results = await Promise.all(fs.map((f) => provider.initiateCollection(collection(f))));
    expect(results.map((r) => r.outcome)).toEqual(['pending', 'pending', 'pending']);
    expect(requestsTo(PATH.token).length - before).toBe(1);
  });

  it('fetches a new token and repeats the call once when the token went stale (404.001.03)', async () => {
    const { provider } = adapter();
    const f = fresh();
    await provider.initiateCollection(collection(f)); // holds a token now
    const stkBefore = requestsTo(PATH.stk).length;
    const tokensBefore = fake.tokens.length;
    fake.expireTokens();
    const r = await provider.initiateCollection(collection(fresh()));
    expect(r.outcome).toBe('pending');
    expect(r.providerRef).toMatch(/^ws_CO_/);
    expect(fake.tokens.length).toBe(tokensBefore + 1);
    const stks = requestsTo(PATH.stk).slice(stkBefore);
    expect(stks).toHaveLength(2); // the refused one, then the one with the new token
    expect(stks[0]!.headers.authorization).toBe(`Bearer ${fake.tokens[tokensBefore - 1]}`);
    expect(stks[1]!.headers.authorization).toBe(`Bearer ${fake.tokens.at(-1)}`);
  });

  it('repeats only once: a fresh token refused again is an AUTH_FAILED', async () => {
    const { provider } = adapter();
    const f = fresh();
    const r = await provider.initiateCollection(collection(f));
    const invalid = { status: 404, body: { errorCode: '404.001.03', errorMessage: 'Invalid Access Token' } };
    fake.failNext(PATH.query, invalid, 2);
    const before = requestsTo(PATH.query).length;
    const err = await failure(
      provider.queryCollection({ reference: f.reference, providerRef: r.providerRef }),
    );
    expect(err.code).toBe('AUTH_FAILED');
    expect(requestsTo(PATH.query).length - before).toBe(2);
  });

  it('reports wrong consumer credentials as AUTH_FAILED, before any API call', async () => {
    const { provider } = adapter({ consumerSecret: 'not-the-secret' });
    const stkBefore = requestsTo(PATH.stk).length;
    const err = await failure(provider.initiateCollection(collection(fresh())));
    expect(err).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
    expect(requestsTo(PATH.stk).length).toBe(stkBefore);
  });
});

describe('Daraja call records', () => {
  it('record every call with no secret in them', async () => {
    const { provider, records } = adapter();
    const f = fresh({ kind: 'success', afterMs: 1_000 });
    const started = await provider.initiateCollection(collection(f));
    fake.expireTokens(); // forces a second token
    await provider.queryCollection({ reference: f.reference, providerRef: started.providerRef });
    clock.advanceSeconds(2);
    await provider.queryCollection({ reference: f.reference, providerRef: started.providerRef });
    const sent = await provider.sendMoney({
      reference: fresh().reference,
      msisdn: fresh().msisdn,
      amount: 10_000,
      currency: 'KES',
      remarks: 'Payout',
      resultUrl: `${hook.url}/r`,
      timeoutUrl: `${hook.url}/t`,
    });
    await provider.querySend({ reference: f.reference, providerRef: sent.providerRef, receipt: null });
    await provider.reverseCollection({
      reference: fresh().reference,
      receipt: 'TK00000001',
      amount: 10_000,
      currency: 'KES',
      resultUrl: `${hook.url}/r`,
      timeoutUrl: `${hook.url}/t`,
    });

    expect(records.map((r) => r.operation)).toEqual([
      'oauth_token',
      'stk_push',
      'stk_query', // 404.001.03
      'oauth_token',
      'stk_query',
      'stk_query',
      'b2c_payment',
      'transaction_status',
      'reversal',
    ]);
    expect(records[1]).toMatchObject({ provider: 'daraja', reference: f.reference, responseStatus: 200 });
    expect(records[2]).toMatchObject({ responseStatus: 404 });

    const secrets = [
      creds.consumerSecret,
      creds.passkey,
      initiator.initiatorPassword,
      Buffer.from(`${creds.consumerKey}:${creds.consumerSecret}`).toString('base64'),
      ...fake.tokens,
    ];
    for (const r of fake.requests) {
      const b = r.body as Record<string, unknown> | null;
      if (b && typeof b.Password === 'string') secrets.push(b.Password);
      if (b && typeof b.SecurityCredential === 'string') secrets.push(b.SecurityCredential);
    }
    const logged = JSON.stringify(records);
    expect(secrets.length).toBeGreaterThan(8);
    for (const s of secrets) expect(logged).not.toContain(s);
    expect(logged).toContain('***');
  });
});
