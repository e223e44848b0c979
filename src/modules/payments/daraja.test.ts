import { constants, createHash, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DarajaScript, type FakeDaraja, startFakeDaraja } from '../../../test/fakes/daraja.js';
import { ManualClock } from '../../shared/clock.js';
import { createDarajaProvider, type DarajaConfig } from './daraja.js';
import { darajaTimestamp, securityCredential, stkPassword } from './daraja-wire.js';
import { type CollectionRequest, type ProviderCallRecord, ProviderError } from './port.js';

// The Daraja adapter against a local fake of the real API (test/fakes/daraja.ts). The adapter and
// the fake share one ManualClock: token lifetimes, STK timestamps and scripted outcomes follow it.

const creds = {
  consumerKey: 'ck_kkoo_test_2f9a',
  consumerSecret: 'cs_kkoo_SECRET_7d41e0',
  shortcode: '174379',
  passkey: 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919',
};
const initiator = { initiatorName: 'testapi', initiatorPassword: 'Initiator-PW-Safaricom999!' };
const B2C_SHORTCODE = '600992';
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

// A throwaway self-signed certificate (public part only), standing in for Safaricom's .cer file.
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIDFzCCAf+gAwIBAgIUC8E9sIGlpxqk8iX3VV5wYySzgscwDQYJKoZIhvcNAQEL
BQAwGzEZMBcGA1UEAwwQa2tvby10ZXN0LWRhcmFqYTAeFw0yNjExMjUxMDQ5MjVa
Fw0zNjExMjIxMDQ5MjVaMBsxGTAXBgNVBAMMEGtrb28tdGVzdC1kYXJhamEwggEi
MA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCkxD1eR/D0+mmI1yUNmmwgSZ2J
gLAqwYEIJT7ndZ6Y837L94oSiDoiHUfWb2jkFlJpBJjrOdZYikJzH0q/xQrtRXv/
QeQ7UkW7S/y3h6ew2ZZdUdt1pcv6i5VtGrR9kMQRNdD0xYn3vOnJGmvz4N0I3BWk
GwWlVBRr7RGCiegTH4tZRYwRgO1GM+AA6jnpc1lTsJ1YUyH6eri1zgXbHz+SyCFb
PZUQJP3+6lnnS8reCtm4sVQUKJlY5FDaXspOuSH0ivYVM2izwCF7SOJSWgH18jge
J0otdj1FxnyVPgjciv41GL3FL8KVljHuuiddnTPdPFYq1M0YEHERi55jhdCXAgMB
AAGjUzBRMB0GA1UdDgQWBBRD6wI/KYIvYMI5XhaLDka8jefChjAfBgNVHSMEGDAW
gBRD6wI/KYIvYMI5XhaLDka8jefChjAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3
DQEBCwUAA4IBAQAg4RuJxXlxjGKzRoSQpP1aQ66ldSlfRauvGSWTNVcmn9ThFSmd
Ts/8g5Fl+uvIIejk5ryz5K5tCZpTNu4CyhzKVk39fufz3alCECjT4tZmNQ2VjE1H
mt1koTawKqrRpksnIekScQeSW+MkgwT4wfhWn5XUesVzvSno53DgHK2tD9WWkKK0
ieTWLoRBjOulSn/H+kfVjnjdj4E60v58jjl20CgPoKdTammF0t7cHLrARCqJNWrm
Cg+04pECUp24le9ngs0iFvD5gMvXVW22d5Q0u8udLcX+R/xi8ScBvWihDS7tz1Fc
6DWfr3N4Iu/73j4cPqZ0Ax0a40qYnsMILUru
-----END CERTIFICATE-----`;

const PATH = {
  token: '/oauth/v1/generate',
  stk: '/mpesa/stkpush/v1/processrequest',
  query: '/mpesa/stkpushquery/v1/query',
  b2c: '/mpesa/b2c/v3/paymentrequest',
  status: '/mpesa/transactionstatus/v1/query',
  reversal: '/mpesa/reversal/v1/request',
};

const clock = new ManualClock('2026-11-25T09:00:00Z');
let fake: FakeDaraja;
/** Our webhook: records what the fake posts to it. */
let hook: { url: string; received: Array<{ path: string; body: unknown }>; server: Server };

beforeAll(async () => {
  fake = await startFakeDaraja({
    now: () => clock.now(),
    ...creds,
    b2cShortcode: B2C_SHORTCODE,
    initiatorName: initiator.initiatorName,
  });
  const received: Array<{ path: string; body: unknown }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ResultCode":0,"ResultDesc":"Accepted"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hook = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
});
afterAll(async () => {
  await fake.close();
  hook.server.closeAllConnections();
  await new Promise<void>((r) => hook.server.close(() => r()));
});
beforeEach(async () => {
  // drain callbacks earlier tests left due, so each test sees only its own
  clock.set('2030-01-01T00:00:00Z');
  await fake.deliverCallbacks();
  clock.set('2026-11-25T09:00:00Z');
  hook.received.length = 0;
});

function adapter(over: Partial<DarajaConfig> = {}, fetchImpl?: typeof fetch) {
  const records: ProviderCallRecord[] = [];
  const sleeps: number[] = [];
  const cfg: DarajaConfig = {
    baseUrl: fake.baseUrl,
    ...creds,
    transactionType: 'CustomerPayBillOnline',
    partyB: creds.shortcode,
    ...initiator,
    certificatePem: publicPem,
    b2cShortcode: B2C_SHORTCODE,
    currency: 'KES',
    timeoutMs: 2000,
    retries: 2,
    backoffMs: 50,
    statusResultUrl: `${hook.url}/mpesa-status/result`,
    statusTimeoutUrl: `${hook.url}/mpesa-status/timeout`,
    ...over,
  };
  const provider = createDarajaProvider(cfg, {
    clock,
    record: (r) => {
      records.push(r);
    },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...(fetchImpl ? { fetchImpl } : {}),
  });
  return { provider, records, sleeps };
}

let seq = 0;
/** A fresh Safaricom number (and our 32-hex reference) per test, so scripts never collide. */
function fresh(script?: DarajaScript) {
  const n = ++seq;
  const digits = `2547${String(10_000_000 + n * 7919).slice(-8)}`;
  if (script) fake.script.set(digits, script);
  return { digits, msisdn: `+${digits}`, reference: createHash('md5').update(`ref-${n}`).digest('hex') };
}

const collection = (f: { msisdn: string; reference: string }, over: Partial<CollectionRequest> = {}) => ({
  reference: f.reference,
  msisdn: f.msisdn,
  amount: 150_000,
  currency: 'KES',
  description: 'Order 1234',
  callbackUrl: `${hook.url}/hooks/mpesa/stk/s3cr3t-path-token`,
  ...over,
});

const requestsTo = (path: string) => fake.requests.filter((r) => r.path === path);

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

/** PKCS#1 v1.5 decryption by hand (Node 20 refuses RSA_PKCS1_PADDING for privateDecrypt). */
function decryptCredential(b64: string): string {
  const em = privateDecrypt(
    { key: privateKey, padding: constants.RSA_NO_PADDING },
    Buffer.from(b64, 'base64'),
  );
  expect(em[0]).toBe(0);
  expect(em[1]).toBe(2);
  return em.subarray(em.indexOf(0, 2) + 1).toString('utf8');
}

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

describe('Daraja STK push (collections)', () => {
  it('sends the exact STK push body, with the timestamp in EAT from the clock', async () => {
    clock.set('2026-11-25T21:30:05Z'); // 00:30:05 on the 26th in Nairobi
    const { provider } = adapter();
    const f = fresh();
    const r = await provider.initiateCollection(
      collection(f, { amount: 250_000, description: "K'KOO order #12345 (shoes)" }),
    );
    const req = requestsTo(PATH.stk).at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toBe(`Bearer ${fake.tokens.at(-1)}`);
    expect(req.body).toEqual({
      BusinessShortCode: 174379,
      Password: stkPassword(creds.shortcode, creds.passkey, '20261126003005'),
      Timestamp: '20261126003005',
      TransactionType: 'CustomerPayBillOnline',
      Amount: 2500,
      PartyA: Number(f.digits),
      PartyB: 174379,
      PhoneNumber: Number(f.digits),
      CallBackURL: `${hook.url}/hooks/mpesa/stk/s3cr3t-path-token`,
      AccountReference: f.reference.slice(0, 12),
      TransactionDesc: 'KKOO order 12',
    });
    expect(r).toEqual({
      outcome: 'pending',
      providerRef: expect.stringMatching(/^ws_CO_/),
      receipt: null,
      amount: null,
      msisdn: null,
      code: '0',
      message: 'Success. Request accepted for processing',
    });
  });

  it('sends the till as PartyB for Buy Goods', async () => {
    const { provider } = adapter({ transactionType: 'CustomerBuyGoodsOnline', partyB: '5551234' });
    await provider.initiateCollection(collection(fresh()));
    expect(requestsTo(PATH.stk).at(-1)!.body).toMatchObject({
      BusinessShortCode: 174379,
      TransactionType: 'CustomerBuyGoodsOnline',
      PartyB: 5551234,
    });
  });

  it('refuses fractions, other currencies and non-Kenyan numbers before any HTTP call', async () => {
    const { provider, records } = adapter();
    const before = fake.requests.length;
    const f = fresh();
    expect((await failure(provider.initiateCollection(collection(f, { amount: 150_050 })))).code).toBe(
      'AMOUNT_NOT_WHOLE',
    );
    expect((await failure(provider.initiateCollection(collection(f, { amount: 0 })))).code).toBe(
      'AMOUNT_OUT_OF_RANGE',
    );
    expect((await failure(provider.initiateCollection(collection(f, { currency: 'TZS' })))).code).toBe(
      'CURRENCY_MISMATCH',
    );
    expect(
      (await failure(provider.initiateCollection(collection(f, { msisdn: '+255712345678' })))).code,
    ).toBe('INVALID_MSISDN');
    expect((await failure(provider.initiateCollection(collection(f, { msisdn: '0712345678' })))).code).toBe(
      'INVALID_MSISDN',
    );
    expect(fake.requests.length).toBe(before);
    expect(records).toEqual([]);
  });

  it('maps a gateway error body to failed with its errorCode (wrong passkey → Wrong credentials)', async () => {
    const { provider } = adapter({ passkey: 'not-the-passkey' });
    const r = await provider.initiateCollection(collection(fresh()));
    expect(r).toMatchObject({
      outcome: 'failed',
      providerRef: null,
      code: '500.001.1001',
      message: 'Wrong credentials',
    });
  });

  it('answers pending without a CheckoutRequestID when Daraja does not answer, and never repeats the push', async () => {
    const { provider } = adapter({ timeoutMs: 300, retries: 2 });
    const f = fresh({ kind: 'hang' });
    const before = requestsTo(PATH.stk).length;
    const r = await provider.initiateCollection(collection(f));
    expect(r).toMatchObject({ outcome: 'pending', providerRef: null, code: 'NO_REPLY' });
    expect(requestsTo(PATH.stk).length - before).toBe(1);
    // nothing to query with: no HTTP call, still pending
    const queriesBefore = requestsTo(PATH.query).length;
    expect(await provider.queryCollection({ reference: f.reference, providerRef: null })).toMatchObject({
      outcome: 'pending',
      code: 'NO_CHECKOUT_ID',
    });
    expect(requestsTo(PATH.query).length).toBe(queriesBefore);
  });

  it('does not repeat the push after a 5xx without a gateway body (outcome unknown → pending)', async () => {
    const { provider, sleeps } = adapter({ retries: 2 });
    const f = fresh();
    await provider.initiateCollection(collection(fresh())); // warm the token
    fake.failNext(PATH.stk, { status: 503, body: 'Service Unavailable' });
    const before = requestsTo(PATH.stk).length;
    const r = await provider.initiateCollection(collection(f));
    expect(r).toMatchObject({ outcome: 'pending', providerRef: null, code: 'HTTP_503' });
    expect(requestsTo(PATH.stk).length - before).toBe(1);
    expect(sleeps).toEqual([]);
  });

  const cases: Array<[DarajaScript['kind'], string, string]> = [
    ['success', 'succeeded', '0'],
    ['cancel', 'cancelled', '1032'],
    ['timeout', 'timeout', '1037'],
    ['insufficient', 'failed', '1'],
    ['wrongPin', 'failed', '2001'],
  ];
  it.each(cases)(
    'script %s: query pending while processing, then %s (%s), callback agrees',
    async (kind, outcome, code) => {
      const { provider } = adapter();
      const f = fresh({ kind, afterMs: 30_000 } as DarajaScript);
      const started = await provider.initiateCollection(collection(f));
      const ref = { reference: f.reference, providerRef: started.providerRef };

      const early = await provider.queryCollection(ref);
      expect(early).toMatchObject({
        outcome: 'pending',
        code: '500.001.1001',
        providerRef: started.providerRef,
      });
      expect(early.message).toMatch(/being processed/);
      expect(await fake.deliverCallbacks()).toBe(0);

      clock.advanceSeconds(31);
      const final = await provider.queryCollection(ref);
      expect(final).toMatchObject({
        outcome,
        code,
        providerRef: started.providerRef,
        receipt: null,
        amount: null,
      });

      expect(await fake.deliverCallbacks()).toBe(1);
      const posted = hook.received.at(-1)!;
      expect(posted.path).toBe('/hooks/mpesa/stk/s3cr3t-path-token');
      const parsed = provider.parseCallback('collection', posted.body);
      expect(parsed).toMatchObject({ outcome, code, reference: null, providerRef: started.providerRef });
      if (kind === 'success') {
        expect(parsed).toMatchObject({
          amount: 150_000,
          msisdn: f.msisdn,
          receipt: expect.stringMatching(/^TK/),
        });
        // the fake sends the Balance item without a Value, as real callbacks do
        expect(JSON.stringify(posted.body)).toContain('{"Name":"Balance"}');
      } else {
        expect(parsed).toMatchObject({ amount: null, msisdn: null, receipt: null });
      }
    },
  );

  it('"never calls back": the query resolves, no callback is posted', async () => {
    const { provider } = adapter();
    const f = fresh({ kind: 'noCallback', afterMs: 5_000 });
    const started = await provider.initiateCollection(collection(f));
    clock.advanceSeconds(6);
    expect(await fake.deliverCallbacks()).toBe(0);
    expect(
      await provider.queryCollection({ reference: f.reference, providerRef: started.providerRef }),
    ).toMatchObject({
      outcome: 'succeeded',
      code: '0',
    });
  });

  it('treats "system busy" (500.003.02) on the query as pending', async () => {
    const { provider } = adapter();
    const f = fresh();
    const started = await provider.initiateCollection(collection(f));
    clock.advanceSeconds(60);
    fake.failNext(PATH.query, {
      status: 500,
      body: {
        requestId: '1-1',
        errorCode: '500.003.02',
        errorMessage: 'System is busy. Please try again in few minutes.',
      },
    });
    const ref = { reference: f.reference, providerRef: started.providerRef };
    expect(await provider.queryCollection(ref)).toMatchObject({ outcome: 'pending', code: '500.003.02' });
    expect(await provider.queryCollection(ref)).toMatchObject({ outcome: 'succeeded', code: '0' });
  });

  it('repeats a query after a transient 503 (safe call), with backoff', async () => {
    const { provider, sleeps } = adapter({ retries: 2, backoffMs: 50 });
    const f = fresh();
    const started = await provider.initiateCollection(collection(f));
    clock.advanceSeconds(60);
    fake.failNext(PATH.query, { status: 503, body: 'Service Unavailable' });
    const before = requestsTo(PATH.query).length;
    const r = await provider.queryCollection({ reference: f.reference, providerRef: started.providerRef });
    expect(r).toMatchObject({ outcome: 'succeeded', code: '0' });
    expect(requestsTo(PATH.query).length - before).toBe(2);
    expect(sleeps).toEqual([50]);
  });

  it('throws instead of guessing when the query itself is refused (wrong credentials)', async () => {
    const { provider } = adapter();
    const f = fresh();
    const started = await provider.initiateCollection(collection(f));
    const { provider: wrong } = adapter({ passkey: 'not-the-passkey' });
    const err = await failure(
      wrong.queryCollection({ reference: f.reference, providerRef: started.providerRef }),
    );
    expect(err).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
  });
});

describe('Daraja B2C, transaction status and reversal', () => {
  const disbursement = (f: { msisdn: string; reference: string }) => ({
    reference: f.reference,
    msisdn: f.msisdn,
    amount: 75_000,
    currency: 'KES',
    remarks: "Refund for order #12345 (K'KOO)",
    resultUrl: `${hook.url}/hooks/mpesa/b2c/result/s3cr3t`,
    timeoutUrl: `${hook.url}/hooks/mpesa/b2c/timeout/s3cr3t`,
  });

  it('sends B2C v3 keyed by our reference; a repeat is refused as duplicate and stays pending', async () => {
    const { provider } = adapter();
    const f = fresh({ kind: 'success', afterMs: 3_000 });
    const r = await provider.sendMoney(disbursement(f));
    expect(r).toMatchObject({ outcome: 'pending', code: '0', providerRef: expect.stringMatching(/^AG_/) });
    const req = requestsTo(PATH.b2c).at(-1)!;
    const body = req.body as Record<string, unknown>;
    expect(body).toEqual({
      OriginatorConversationID: f.reference,
      InitiatorName: 'testapi',
      SecurityCredential: expect.any(String),
      CommandID: 'BusinessPayment',
      Amount: 750,
      PartyA: 600992,
      PartyB: Number(f.digits),
      Remarks: 'Refund for order 12345 KKOO',
      QueueTimeOutURL: `${hook.url}/hooks/mpesa/b2c/timeout/s3cr3t`,
      ResultURL: `${hook.url}/hooks/mpesa/b2c/result/s3cr3t`,
      Occassion: f.reference,
    });
    expect(decryptCredential(body.SecurityCredential as string)).toBe(initiator.initiatorPassword);

    const before = requestsTo(PATH.b2c).length;
    const again = await provider.sendMoney(disbursement(f));
    expect(again).toMatchObject({ outcome: 'pending', code: '500.002.1001', providerRef: null });
    expect(requestsTo(PATH.b2c).length - before).toBe(1); // a 500 answer, not a transient error

    clock.advanceSeconds(4);
    expect(await fake.deliverCallbacks()).toBe(1);
    const posted = hook.received.at(-1)!;
    expect(posted.path).toBe('/hooks/mpesa/b2c/result/s3cr3t');
    expect(provider.parseCallback('disbursement', posted.body)).toEqual({
      outcome: 'succeeded',
      reference: f.reference,
      providerRef: r.providerRef,
      receipt: expect.stringMatching(/^SG/),
      amount: 75_000,
      msisdn: f.msisdn,
      code: '0',
      message: 'The service request is processed successfully.',
    });
  });

  it('parses a failed B2C result (no ResultParameters)', async () => {
    const { provider } = adapter();
    const f = fresh({ kind: 'insufficient', afterMs: 0 });
    await provider.sendMoney(disbursement(f));
    await fake.deliverCallbacks();
    expect(provider.parseCallback('disbursement', hook.received.at(-1)!.body)).toMatchObject({
      outcome: 'failed',
      reference: f.reference,
      receipt: null,
      amount: null,
      code: '1',
    });
  });

  it('repeats a B2C that got no answer (same OriginatorConversationID), then reports pending', async () => {
    const { provider, sleeps } = adapter({ timeoutMs: 300, retries: 1, backoffMs: 10 });
    const f = fresh({ kind: 'hang' });
    const before = requestsTo(PATH.b2c).length;
    const r = await provider.sendMoney(disbursement(f));
    expect(r).toMatchObject({ outcome: 'pending', providerRef: null, code: 'NO_REPLY' });
    const sent = requestsTo(PATH.b2c).slice(before);
    expect(sent).toHaveLength(2);
    expect(sent.map((s) => (s.body as Record<string, unknown>).OriginatorConversationID)).toEqual([
      f.reference,
      f.reference,
    ]);
    expect(sleeps).toEqual([10]);
  });

  it('refuses a B2C fraction before any call', async () => {
    const { provider } = adapter();
    const before = fake.requests.length;
    const err = await failure(provider.sendMoney({ ...disbursement(fresh()), amount: 99 }));
    expect(err.code).toBe('AMOUNT_NOT_WHOLE');
    expect(fake.requests.length).toBe(before);
  });

  it('querySend asks Transaction Status and answers pending; the result arrives as a disbursement callback', async () => {
    const { provider } = adapter();
    const f = fresh({ kind: 'success', afterMs: 1_000 });
    const sent = await provider.sendMoney(disbursement(f));
    clock.advanceSeconds(2);
    const r = await provider.querySend({
      reference: f.reference,
      providerRef: sent.providerRef,
      receipt: null,
    });
    expect(r).toMatchObject({
      outcome: 'pending',
      code: 'STATUS_QUERY_ACCEPTED',
      providerRef: sent.providerRef,
    });
    const body = requestsTo(PATH.status).at(-1)!.body as Record<string, unknown>;
    expect(body).toMatchObject({
      Initiator: 'testapi',
      CommandID: 'TransactionStatusQuery',
      OriginalConversationID: f.reference,
      PartyA: 600992,
      IdentifierType: '4',
      ResultURL: `${hook.url}/mpesa-status/result`,
      QueueTimeOutURL: `${hook.url}/mpesa-status/timeout`,
    });
    expect(body).not.toHaveProperty('TransactionID');

    expect(await fake.deliverCallbacks()).toBe(2); // the B2C result and the status result
    const status = hook.received.find((h) => h.path === '/mpesa-status/result')!;
    const parsed = provider.parseCallback('disbursement', status.body);
    expect(parsed).toMatchObject({
      outcome: 'succeeded',
      reference: f.reference,
      providerRef: sent.providerRef,
      receipt: expect.stringMatching(/^SG/),
      amount: 75_000,
      code: 'Completed',
    });

    await provider.querySend({
      reference: f.reference,
      providerRef: sent.providerRef,
      receipt: parsed!.receipt,
    });
    expect(requestsTo(PATH.status).at(-1)!.body).toMatchObject({ TransactionID: parsed!.receipt });
    expect(requestsTo(PATH.status).at(-1)!.body).not.toHaveProperty('OriginalConversationID');
  });

  it('querySend without status URLs makes no call', async () => {
    const { provider } = adapter({ statusResultUrl: undefined, statusTimeoutUrl: undefined });
    const before = fake.requests.length;
    expect(await provider.querySend({ reference: 'x', providerRef: null, receipt: null })).toMatchObject({
      outcome: 'pending',
      code: 'STATUS_QUERY_NOT_CONFIGURED',
    });
    expect(fake.requests.length).toBe(before);
  });

  it('reverses a collection with the misspelt RecieverIdentifierType; a second reversal fails', async () => {
    const { provider } = adapter();
    const f = fresh({ kind: 'success', afterMs: 1_000 });
    await provider.initiateCollection(collection(f));
    clock.advanceSeconds(2);
    await fake.deliverCallbacks();
    const paid = provider.parseCallback('collection', hook.received.at(-1)!.body)!;
    expect(paid.receipt).toMatch(/^TK/);

    const req = {
      reference: fresh().reference,
      receipt: paid.receipt!,
      amount: 150_000,
      currency: 'KES',
      resultUrl: `${hook.url}/hooks/mpesa/reversal/result`,
      timeoutUrl: `${hook.url}/hooks/mpesa/reversal/timeout`,
    };
    const r = await provider.reverseCollection(req);
    expect(r).toMatchObject({ outcome: 'pending', code: '0', providerRef: expect.stringMatching(/^AG_/) });
    const body = requestsTo(PATH.reversal).at(-1)!.body as Record<string, unknown>;
    expect(body).toMatchObject({
      Initiator: 'testapi',
      CommandID: 'TransactionReversal',
      TransactionID: paid.receipt,
      Amount: 1500,
      ReceiverParty: 174379,
      RecieverIdentifierType: '11',
      ResultURL: req.resultUrl,
      QueueTimeOutURL: req.timeoutUrl,
    });
    expect(body).not.toHaveProperty('ReceiverIdentifierType');
    expect(decryptCredential(body.SecurityCredential as string)).toBe(initiator.initiatorPassword);

    await fake.deliverCallbacks();
    expect(provider.parseCallback('disbursement', hook.received.at(-1)!.body)).toMatchObject({
      outcome: 'succeeded',
      providerRef: r.providerRef,
      amount: 150_000,
      receipt: expect.stringMatching(/^RV/),
      code: '0',
    });

    const again = await provider.reverseCollection(req);
    await fake.deliverCallbacks();
    expect(provider.parseCallback('disbursement', hook.received.at(-1)!.body)).toMatchObject({
      outcome: 'failed',
      providerRef: again.providerRef,
      code: 'R000001',
    });
  });
});

describe('Daraja callbacks', () => {
  const provider = createDarajaProvider(baseConfig(), { clock });

  function baseConfig(): DarajaConfig {
    return {
      baseUrl: 'http://127.0.0.1:1',
      ...creds,
      transactionType: 'CustomerPayBillOnline',
      partyB: creds.shortcode,
      ...initiator,
      certificatePem: publicPem,
      b2cShortcode: B2C_SHORTCODE,
      currency: 'KES',
      timeoutMs: 1000,
      retries: 0,
      backoffMs: 0,
    };
  }

  const stk = (cb: Record<string, unknown>) => ({
    Body: {
      stkCallback: {
        MerchantRequestID: '29115-34620561-1',
        CheckoutRequestID: 'ws_CO_191220191020363925',
        ResultCode: 0,
        ResultDesc: 'The service request is processed successfully.',
        ...cb,
      },
    },
  });

  it('reads metadata by name, not position, with a Balance item that has no Value', () => {
    const parsed = provider.parseCallback(
      'collection',
      JSON.parse(
        JSON.stringify(
          stk({
            CallbackMetadata: {
              Item: [
                { Name: 'PhoneNumber', Value: 254708374149 },
                { Name: 'Balance' },
                { Name: 'TransactionDate', Value: 20191219102115 },
                { Name: 'MpesaReceiptNumber', Value: 'NLJ7RT61SV' },
                { Name: 'Amount', Value: 1.0 },
              ],
            },
          }),
        ),
      ),
    );
    expect(parsed).toEqual({
      outcome: 'succeeded',
      reference: null,
      providerRef: 'ws_CO_191220191020363925',
      receipt: 'NLJ7RT61SV',
      amount: 100,
      msisdn: '+254708374149',
      code: '0',
      message: 'The service request is processed successfully.',
    });
  });

  it('keeps string result codes and maps expiry (1019) to timeout', () => {
    expect(
      provider.parseCallback('collection', stk({ ResultCode: 1019, ResultDesc: 'Transaction has expired' })),
    ).toMatchObject({ outcome: 'timeout', code: '1019', receipt: null });
    expect(
      provider.parseCallback('collection', stk({ ResultCode: 'SFC_IC0003', ResultDesc: 'x' })),
    ).toMatchObject({
      outcome: 'failed',
      code: 'SFC_IC0003',
    });
  });

  it('returns null for malformed collection callbacks, never throws', () => {
    const bad: unknown[] = [
      null,
      'text',
      42,
      [],
      [stk({})],
      {},
      { Body: null },
      { Body: { stkCallback: [] } },
      { Body: { stkCallback: 'x' } },
      stk({ CheckoutRequestID: undefined }),
      stk({ CheckoutRequestID: '' }),
      stk({ CheckoutRequestID: 12345 }),
      stk({ MerchantRequestID: undefined }),
      stk({ ResultCode: undefined }),
      stk({ ResultCode: null }),
      stk({ ResultCode: 1.5 }),
      stk({ ResultCode: { code: 0 } }),
      stk({ ResultDesc: 7 }),
      stk({ CallbackMetadata: 'x' }),
      stk({ CallbackMetadata: { Item: 'x' } }),
      stk({ CallbackMetadata: {} }),
    ];
    for (const body of bad)
      expect(provider.parseCallback('collection', body), JSON.stringify(body)).toBeNull();
    // a B2C result is not an STK callback, and the other way round
    expect(
      provider.parseCallback('collection', { Result: { ResultCode: 0, OriginatorConversationID: 'x' } }),
    ).toBeNull();
    expect(provider.parseCallback('disbursement', stk({}))).toBeNull();
  });

  it('returns null for malformed disbursement results', () => {
    const result = (r: Record<string, unknown>) => ({
      Result: {
        ResultType: 0,
        ResultCode: 0,
        ResultDesc: 'ok',
        OriginatorConversationID: 'abc',
        ConversationID: 'AG_1',
        TransactionID: 'SG1',
        ...r,
      },
    });
    expect(provider.parseCallback('disbursement', result({}))).toMatchObject({
      outcome: 'succeeded',
      receipt: 'SG1',
    });
    const bad: unknown[] = [
      null,
      [],
      'x',
      { Result: [] },
      { Result: null },
      result({ OriginatorConversationID: undefined }),
      result({ OriginatorConversationID: 5 }),
      result({ ResultCode: null }),
      result({ ResultCode: true }),
      result({ ConversationID: 9 }),
      result({ TransactionID: {} }),
      result({ ResultParameters: 'x' }),
      result({ ResultParameters: { ResultParameter: 7 } }),
    ];
    for (const body of bad)
      expect(provider.parseCallback('disbursement', body), JSON.stringify(body)).toBeNull();
  });

  it('treats a queue-timeout post that names our request as pending', () => {
    expect(
      provider.parseCallback('disbursement', {
        Result: { OriginatorConversationID: 'abc123', ConversationID: 'AG_9', ResultDesc: 'queue timeout' },
      }),
    ).toMatchObject({ outcome: 'pending', reference: 'abc123', providerRef: 'AG_9', code: 'QUEUE_TIMEOUT' });
    expect(provider.parseCallback('disbursement', { OriginatorConversationID: 'abc123' })).toMatchObject({
      outcome: 'pending',
      reference: 'abc123',
    });
    expect(provider.parseCallback('disbursement', { Result: { ConversationID: 'AG_9' } })).toBeNull();
  });

  it('answers every callback with ResultCode 0', () => {
    expect(provider.callbackReply('collection', null)).toEqual({
      status: 200,
      body: { ResultCode: 0, ResultDesc: 'Accepted' },
    });
    expect(provider.callbackReply('disbursement', null).status).toBe(200);
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
