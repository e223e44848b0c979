import { constants, createHash, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { type DarajaScript, type FakeDaraja, startFakeDaraja } from '../../../test/fakes/daraja.js';
import { ManualClock } from '../../shared/clock.js';
import { createDarajaProvider, type DarajaConfig } from './daraja.js';
import { type CollectionRequest, type ProviderCallRecord, ProviderError } from './port.js';

// Shared setup of the daraja-*.test.ts files (not a test file: vitest collects only *.test.ts).
// `fake` and `hook` are live bindings, set by useFakeDaraja()'s beforeAll in each file that calls it.
// The Daraja adapter against a local fake of the real API (test/fakes/daraja.ts). The adapter and
// the fake share one ManualClock: token lifetimes, STK timestamps and scripted outcomes follow it.

export const creds = {
  consumerKey: 'ck_kkoo_test_2f9a',
  consumerSecret: 'cs_kkoo_SECRET_7d41e0',
  shortcode: '174379',
  passkey: 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919',
};
export const initiator = { initiatorName: 'testapi', initiatorPassword: 'Initiator-PW-Safaricom999!' };
export const B2C_SHORTCODE = '600992';
export const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

// A throwaway self-signed certificate (public part only), standing in for Safaricom's .cer file.
export const TEST_CERT = `-----BEGIN CERTIFICATE-----
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

export const PATH = {
  token: '/oauth/v1/generate',
  stk: '/mpesa/stkpush/v1/processrequest',
  query: '/mpesa/stkpushquery/v1/query',
  b2c: '/mpesa/b2c/v3/paymentrequest',
  status: '/mpesa/transactionstatus/v1/query',
  reversal: '/mpesa/reversal/v1/request',
};

export const clock = new ManualClock('2026-11-25T09:00:00Z');
export let fake: FakeDaraja;
/** Our webhook: records what the fake posts to it. */
export let hook: { url: string; received: Array<{ path: string; body: unknown }>; server: Server };

/** Starts the fake Daraja and our webhook for the calling test file, and drains callbacks before each test. */
export function useFakeDaraja(): void {
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
}

export function adapter(over: Partial<DarajaConfig> = {}, fetchImpl?: typeof fetch) {
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

export let seq = 0;
/** A fresh Safaricom number (and our 32-hex reference) per test, so scripts never collide. */
export function fresh(script?: DarajaScript) {
  const n = ++seq;
  const digits = `2547${String(10_000_000 + n * 7919).slice(-8)}`;
  if (script) fake.script.set(digits, script);
  return { digits, msisdn: `+${digits}`, reference: createHash('md5').update(`ref-${n}`).digest('hex') };
}

export const collection = (
  f: { msisdn: string; reference: string },
  over: Partial<CollectionRequest> = {},
) => ({
  reference: f.reference,
  msisdn: f.msisdn,
  amount: 150_000,
  currency: 'KES',
  description: 'Order 1234',
  callbackUrl: `${hook.url}/hooks/mpesa/stk/s3cr3t-path-token`,
  ...over,
});

export const requestsTo = (path: string) => fake.requests.filter((r) => r.path === path);

export async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

/** PKCS#1 v1.5 decryption by hand (Node 20 refuses RSA_PKCS1_PADDING for privateDecrypt). */
export function decryptCredential(b64: string): string {
  const em = privateDecrypt(
    { key: privateKey, padding: constants.RSA_NO_PADDING },
    Buffer.from(b64, 'base64'),
  );
  expect(em[0]).toBe(0);
  expect(em[1]).toBe(2);
  return em.subarray(em.indexOf(0, 2) + 1).toString('utf8');
}
