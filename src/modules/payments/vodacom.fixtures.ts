import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { type FakeVodacom, type FakeVodacomRequest, startFakeVodacom } from '../../../test/fakes/vodacom.js';
import { ManualClock } from '../../shared/clock.js';
import {
  type CollectionRequest,
  type DisbursementRequest,
  type ParsedCallback,
  type PaymentProvider,
  type ProviderCallRecord,
  ProviderError,
} from './port.js';
import { createVodacomProvider, type VodacomConfig, type VodacomDeps } from './vodacom.js';

// Shared setup of the vodacom-*.test.ts files (not a test file: vitest collects only *.test.ts).
// `clock`, `fake` and the listener are live bindings set by useFakeVodacom()'s hooks in each file.

export const API_KEY = 'kkoo0a1b2c3d4e5f6a7b8c9d0e1f2a3b';
export const SP_CODE = '000000';

export let clock = new ManualClock();
export let fake: FakeVodacom;
export let listener: Server;
export let listenerProvider: PaymentProvider;
/** what our test listener got from the fake, parsed by the adapter */
export const received: Array<{ body: unknown; parsed: ParsedCallback | null }> = [];

/** Starts the fake Vodacom gateway and our result listener for the calling test file; a fresh clock per test. */
export function useFakeVodacom(): void {
  beforeAll(async () => {
    listener = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let body: unknown = null;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {}
        const parsed = listenerProvider.parseCallback('collection', body);
        received.push({ body, parsed });
        const reply = listenerProvider.callbackReply('collection', parsed);
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const { port } = listener.address() as AddressInfo;
    fake = await startFakeVodacom({
      now: () => clock.now(),
      apiKey: API_KEY,
      serviceProviderCode: SP_CODE,
      listenerUrl: `http://127.0.0.1:${port}/payments/vodacom/result`,
    });
    listenerProvider = provider().p;
  });

  afterAll(async () => {
    await fake.close();
    listener.closeAllConnections();
    await new Promise<void>((r) => listener.close(() => r()));
  });

  beforeEach(() => {
    clock = new ManualClock();
  });
}

export function provider(over: Partial<VodacomConfig> = {}, deps: Partial<VodacomDeps> = {}) {
  const records: ProviderCallRecord[] = [];
  const sleeps: number[] = [];
  const p = createVodacomProvider(
    {
      baseUrl: fake.baseUrl,
      pathPrefix: fake.pathPrefix,
      apiKey: API_KEY,
      publicKey: fake.publicKeyBase64,
      serviceProviderCode: SP_CODE,
      origin: '*',
      country: 'TZN',
      currency: 'TZS',
      timeoutMs: 2000,
      c2bTimeoutMs: 5000,
      retries: 2,
      backoffMs: 50,
      sessionTtlSeconds: 3600,
      ...over,
    },
    {
      clock,
      record: (r) => {
        records.push(r);
      },
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...deps,
    },
  );
  return { p, records, sleeps };
}

export const newRef = () => randomBytes(16).toString('hex');
export let phoneSeq = 100;
/** A fresh payer per test, so per-MSISDN scripts never leak between tests. */
export const newPhone = () => `+255744${String(++phoneSeq).padStart(6, '0')}`;
export const digits = (e164: string) => e164.slice(1);

export function collection(over: Partial<CollectionRequest> = {}): CollectionRequest {
  return {
    reference: newRef(),
    msisdn: newPhone(),
    amount: 150_000,
    currency: 'TZS',
    description: 'Order K-1001',
    callbackUrl: 'https://api.kkoo.test/payments/vodacom/result',
    ...over,
  };
}

export function disbursement(over: Partial<DisbursementRequest> = {}): DisbursementRequest {
  return {
    reference: newRef(),
    msisdn: newPhone(),
    amount: 50_000,
    currency: 'TZS',
    remarks: 'Refund K-1001',
    resultUrl: 'https://api.kkoo.test/payments/vodacom/result',
    timeoutUrl: 'https://api.kkoo.test/payments/vodacom/timeout',
    ...over,
  };
}

/** Requests the fake received from now on. */
export function watch(): () => FakeVodacomRequest[] {
  const mark = fake.requests.length;
  return () => fake.requests.slice(mark);
}

export async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}
