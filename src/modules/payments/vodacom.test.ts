import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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

const API_KEY = 'kkoo0a1b2c3d4e5f6a7b8c9d0e1f2a3b';
const SP_CODE = '000000';

let clock = new ManualClock();
let fake: FakeVodacom;
let listener: Server;
let listenerProvider: PaymentProvider;
/** what our test listener got from the fake, parsed by the adapter */
const received: Array<{ body: unknown; parsed: ParsedCallback | null }> = [];

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

function provider(over: Partial<VodacomConfig> = {}, deps: Partial<VodacomDeps> = {}) {
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

const newRef = () => randomBytes(16).toString('hex');
let phoneSeq = 100;
/** A fresh payer per test, so per-MSISDN scripts never leak between tests. */
const newPhone = () => `+255744${String(++phoneSeq).padStart(6, '0')}`;
const digits = (e164: string) => e164.slice(1);

function collection(over: Partial<CollectionRequest> = {}): CollectionRequest {
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

function disbursement(over: Partial<DisbursementRequest> = {}): DisbursementRequest {
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
function watch(): () => FakeVodacomRequest[] {
  const mark = fake.requests.length;
  return () => fake.requests.slice(mark);
}

async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

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

describe('Vodacom TZ C2B single stage', () => {
  it('posts the exact input_* body and maps 201 INS-0 with a TransactionID to succeeded', async () => {
    const { p } = provider();
    const req = collection({ amount: 1_500_00, description: `  Order K-1001:\n${'x'.repeat(400)}` });
    const seen = watch();
    const r = await p.initiateCollection(req);
    const c2b = seen().find((x) => x.operation === 'c2b')!;
    expect(c2b.method).toBe('POST');
    expect(c2b.path).toBe(`${fake.pathPrefix}/c2bPayment/singleStage/`);
    expect(c2b.headers['content-type']).toBe('application/json');
    const desc = `Order K-1001: ${'x'.repeat(400)}`.slice(0, 256);
    expect(c2b.body).toEqual({
      input_Amount: '1500',
      input_Country: 'TZN',
      input_Currency: 'TZS',
      input_CustomerMSISDN: digits(req.msisdn),
      input_ServiceProviderCode: SP_CODE,
      input_ThirdPartyConversationID: req.reference,
      input_TransactionReference: req.reference.slice(0, 20),
      input_PurchasedItemsDesc: desc,
    });
    const tx = fake.transactions.get(req.reference)!;
    expect(r).toEqual({
      outcome: 'succeeded',
      providerRef: tx.conversationId,
      receipt: tx.transactionId,
      amount: null,
      msisdn: null,
      code: 'INS-0',
      message: 'Request processed successfully',
    });
    expect(tx.transactionId).toMatch(/^[a-z0-9]{12}$/);
  });

  it.each([
    ['cancel', 'cancelled', 'INS-5'],
    ['timeout', 'timeout', 'INS-9'],
    ['insufficient', 'failed', 'INS-2006'],
    ['wrongPin', 'failed', 'INS-2001'],
  ] as const)(
    'maps a scripted %s to %s and keeps the raw code %s, without resending',
    async (kind, outcome, code) => {
      const { p } = provider();
      const req = collection();
      fake.script.set(digits(req.msisdn), { kind });
      const seen = watch();
      const r = await p.initiateCollection(req);
      expect(r).toMatchObject({ outcome, code, receipt: null });
      expect(r.providerRef).toBe(fake.transactions.get(req.reference)!.conversationId);
      // one session, one payment request: a 401 INS-5 is an answer, not a session problem
      expect(seen().map((x) => x.operation)).toEqual(['getSession', 'c2b']);
    },
  );

  it('refuses an amount with a fraction of a shilling before any HTTP call', async () => {
    const { p, records } = provider();
    const seen = watch();
    const err = await providerError(p.initiateCollection(collection({ amount: 150_050 })));
    expect(err).toMatchObject({ code: 'AMOUNT_NOT_WHOLE', retryable: false });
    expect(seen()).toHaveLength(0);
    expect(records).toHaveLength(0);
  });

  it('refuses another currency and a malformed phone before any HTTP call', async () => {
    const { p } = provider();
    const seen = watch();
    expect((await providerError(p.initiateCollection(collection({ currency: 'KES' })))).code).toBe(
      'CURRENCY_MISMATCH',
    );
    expect((await providerError(p.initiateCollection(collection({ msisdn: '0744000001' })))).code).toBe(
      'INVALID_MSISDN',
    );
    expect(seen()).toHaveLength(0);
  });

  it('returns pending (not an error) when the synchronous call outlives c2bTimeoutMs, and sends it once', async () => {
    const { p, sleeps } = provider({ c2bTimeoutMs: 300, timeoutMs: 10_000, retries: 3 });
    const req = collection();
    fake.script.set(digits(req.msisdn), { kind: 'hang' });
    const seen = watch();
    const started = Date.now();
    const r = await p.initiateCollection(req);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r).toMatchObject({ outcome: 'pending', code: 'TIMEOUT', receipt: null });
    expect(seen().filter((x) => x.operation === 'c2b')).toHaveLength(1);
    expect(sleeps).toEqual([]);
    // the service then asks: still undecided
    const q = await p.queryCollection({ reference: req.reference, providerRef: null });
    expect(q.outcome).toBe('pending');
    expect(q.message).toContain('Pending');
  });

  it('treats a reused ThirdPartyConversationID (409 INS-10) as already sent: pending, then query', async () => {
    const { p } = provider();
    const req = collection();
    const first = await p.initiateCollection(req);
    expect(first.outcome).toBe('succeeded');
    const seen = watch();
    const again = await p.initiateCollection(req);
    expect(again).toMatchObject({ outcome: 'pending', code: 'INS-10', receipt: null });
    expect(seen().length).toBe(1);
    expect(fake.transactions.get(req.reference)!.status).toBe('Completed');
    const q = await p.queryCollection({ reference: req.reference, providerRef: first.providerRef });
    expect(q).toMatchObject({ outcome: 'succeeded', receipt: first.receipt });
  });

  it('never resends C2B on a gateway 5xx: one request, outcome pending', async () => {
    const { p, sleeps } = provider({ retries: 3 });
    const req = collection();
    fake.script.set(digits(req.msisdn), { kind: 'reply', status: 503, body: 'Service Unavailable' });
    const seen = watch();
    const r = await p.initiateCollection(req);
    expect(r).toMatchObject({ outcome: 'pending', code: 'HTTP_503' });
    expect(seen().filter((x) => x.operation === 'c2b')).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });
  it('reports a gateway refusal without an INS code as HTTP_ERROR (a throttle may pass later)', async () => {
    const { p } = provider();
    const gone = collection();
    fake.script.set(digits(gone.msisdn), { kind: 'reply', status: 404, body: 'Not Found' });
    expect(await providerError(p.initiateCollection(gone))).toMatchObject({
      code: 'HTTP_ERROR',
      retryable: false,
    });
    const busy = disbursement();
    fake.script.set(digits(busy.msisdn), { kind: 'reply', status: 429, body: 'Too Many Requests' });
    expect(await providerError(p.sendMoney(busy))).toMatchObject({ code: 'HTTP_ERROR', retryable: true });
  });
});

describe('Vodacom TZ asynchronous result', () => {
  it('answers pending, then parses the result the platform POSTs to our listener', async () => {
    const { p } = provider();
    const req = collection();
    fake.script.set(digits(req.msisdn), { kind: 'async', delayMs: 30_000 });
    const r = await p.initiateCollection(req);
    const tx = fake.transactions.get(req.reference)!;
    expect(r).toMatchObject({
      outcome: 'pending',
      code: 'INS-0',
      receipt: null,
      providerRef: tx.conversationId,
    });

    expect((await p.queryCollection({ reference: req.reference, providerRef: r.providerRef })).outcome).toBe(
      'pending',
    );
    await fake.deliverCallbacks();
    expect(
      fake.callbacks.filter((c) => c.body.input_ThirdPartyConversationID === req.reference),
    ).toHaveLength(0);

    clock.advance(30_000);
    await fake.deliverCallbacks();
    const mine = received.filter(
      (x) => (x.body as Record<string, unknown>)?.input_ThirdPartyConversationID === req.reference,
    );
    expect(mine).toHaveLength(1);
    expect(tx.transactionId).toMatch(/^[a-z0-9]{12}$/);
    expect(mine[0]!.parsed).toEqual({
      outcome: 'succeeded',
      reference: req.reference,
      providerRef: tx.conversationId,
      receipt: tx.transactionId,
      amount: null,
      msisdn: null,
      code: 'INS-0',
      message: 'Request processed successfully',
    });
    const delivered = fake.callbacks.find((c) => c.body.input_ThirdPartyConversationID === req.reference)!;
    expect(delivered.status).toBe(200);
    expect(delivered.reply).toEqual({
      output_OriginalConversationID: tx.conversationId,
      output_ResponseCode: '0',
      output_ResponseDesc: 'Successfully Accepted Result',
      output_ThirdPartyConversationID: req.reference,
    });
    expect(tx.callbackDelivered).toBe(true);

    const q = await p.queryCollection({ reference: req.reference, providerRef: r.providerRef });
    expect(q).toMatchObject({
      outcome: 'succeeded',
      receipt: tx.transactionId,
      providerRef: tx.conversationId,
    });
  });

  it('parses an asynchronous cancel as cancelled with no receipt', async () => {
    const { p } = provider();
    const req = collection();
    fake.script.set(digits(req.msisdn), { kind: 'async', delayMs: 1000, result: 'cancel' });
    await p.initiateCollection(req);
    clock.advance(1000);
    await fake.deliverCallbacks();
    const mine = received.find(
      (x) => (x.body as Record<string, unknown>)?.input_ThirdPartyConversationID === req.reference,
    );
    expect(mine?.parsed).toMatchObject({
      outcome: 'cancelled',
      code: 'INS-5',
      receipt: null,
      reference: req.reference,
    });
    expect((await p.queryCollection({ reference: req.reference, providerRef: null })).outcome).toBe(
      'cancelled',
    );
  });

  const valid = {
    input_OriginalConversationID: 'fd1e91430c8c4a2c9a6cf1f0f1b2c3d4',
    input_TransactionID: 'hv9ahxcg4ccv',
    input_ResultCode: 'INS-0',
    input_ResultDesc: 'Request processed successfully',
    input_ThirdPartyConversationID: '1e9b774d1da34af78412a498cbc28f5e',
  };
  const throwing = Object.defineProperty({ ...valid }, 'input_ResultCode', {
    enumerable: true,
    get() {
      throw new Error('boom');
    },
  });

  it('parses a well-formed result (control for the malformed cases below)', () => {
    const parsed = provider().p.parseCallback('disbursement', valid);
    expect(parsed).toMatchObject({
      outcome: 'succeeded',
      receipt: 'hv9ahxcg4ccv',
      reference: valid.input_ThirdPartyConversationID,
    });
    expect(
      provider().p.parseCallback('disbursement', {
        ...valid,
        input_ResultCode: 'INS-9',
        input_TransactionID: '',
      }),
    ).toMatchObject({ outcome: 'failed', code: 'INS-9', receipt: null });
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['a string', JSON.stringify(valid)],
    ['a number', 42],
    ['an array', [valid]],
    ['an empty object', {}],
    ['no OriginalConversationID', { ...valid, input_OriginalConversationID: undefined }],
    ['no ThirdPartyConversationID', { ...valid, input_ThirdPartyConversationID: undefined }],
    ['no ResultDesc', { ...valid, input_ResultDesc: undefined }],
    ['no TransactionID', { ...valid, input_TransactionID: undefined }],
    ['a numeric ResultCode', { ...valid, input_ResultCode: 0 }],
    ['a ResultCode that is not INS-n', { ...valid, input_ResultCode: 'OK' }],
    ['an object TransactionID', { ...valid, input_TransactionID: { id: 'x' } }],
    ['a success without a TransactionID', { ...valid, input_TransactionID: '' }],
    ['a reference with hyphens', { ...valid, input_ThirdPartyConversationID: '1e9b774d-1da3-4af7' }],
    ['a getter that throws', throwing],
  ])('returns null for %s and never throws', (_label, body) => {
    const p = provider().p;
    expect(p.parseCallback('collection', body)).toBeNull();
    expect(p.callbackReply('collection', null).status).toBe(400);
  });
});

describe('Vodacom TZ queryTransactionStatus', () => {
  it('is a GET with the parameters in the query string and a fresh ThirdPartyConversationID', async () => {
    const { p } = provider();
    const req = collection();
    const paid = await p.initiateCollection(req);
    const seen = watch();
    const r = await p.queryCollection({ reference: req.reference, providerRef: paid.providerRef });
    const [q] = seen() as [FakeVodacomRequest];
    expect(seen()).toHaveLength(1);
    expect(q.method).toBe('GET');
    expect(q.path).toBe(`${fake.pathPrefix}/queryTransactionStatus/`);
    expect(q.rawBody).toBe('');
    expect(q.headers['content-type']).toBeUndefined();
    expect(q.query).toEqual({
      input_QueryReference: req.reference,
      input_ServiceProviderCode: SP_CODE,
      input_ThirdPartyConversationID: expect.stringMatching(/^[0-9a-f]{32}$/),
      input_Country: 'TZN',
    });
    expect(q.query.input_ThirdPartyConversationID).not.toBe(req.reference);
    expect(r).toMatchObject({
      outcome: 'succeeded',
      code: 'INS-0',
      receipt: paid.receipt,
      providerRef: paid.providerRef,
    });
  });

  it('maps the stored state: Failed, Cancelled, Expired; INS-23 (not found) stays pending with its code', async () => {
    const { p } = provider();
    const cases = [
      ['insufficient', 'failed'],
      ['cancel', 'cancelled'],
      ['timeout', 'timeout'],
    ] as const;
    for (const [kind, outcome] of cases) {
      const req = collection();
      fake.script.set(digits(req.msisdn), { kind });
      await p.initiateCollection(req);
      const q = await p.queryCollection({ reference: req.reference, providerRef: null });
      expect(q).toMatchObject({ outcome, receipt: null });
    }
    const missing = await p.queryCollection({ reference: newRef(), providerRef: null });
    expect(missing).toMatchObject({ outcome: 'pending', code: 'INS-23', receipt: null });
  });

  it('retries a safe query after a 503 (with backoff) and gets the answer', async () => {
    const { p, sleeps } = provider({ retries: 2, backoffMs: 50 });
    const req = collection();
    await p.initiateCollection(req);
    fake.faults.set('query', [{ status: 503, body: { output_error: 'Service Unavailable' } }]);
    const seen = watch();
    const r = await p.queryCollection({ reference: req.reference, providerRef: null });
    expect(r.outcome).toBe('succeeded');
    expect(seen().map((x) => x.operation)).toEqual(['query', 'query']);
    expect(sleeps).toEqual([50]);
  });

  it('stops after the configured retries and reports pending', async () => {
    const { p, sleeps } = provider({ retries: 2, backoffMs: 10 });
    await p.queryCollection({ reference: newRef(), providerRef: null });
    const down = { status: 503, body: 'Service Unavailable' };
    fake.faults.set('query', [down, down, down, down]);
    const seen = watch();
    const r = await p.queryCollection({ reference: newRef(), providerRef: null });
    expect(r).toMatchObject({ outcome: 'pending', code: 'HTTP_503' });
    expect(seen()).toHaveLength(3);
    expect(sleeps).toEqual([10, 20]);
    fake.faults.delete('query');
  });
});

describe('Vodacom TZ B2C and reversal', () => {
  it('sends money with input_PaymentItemsDesc and reads the send back', async () => {
    const { p } = provider();
    const req = disbursement();
    const seen = watch();
    const r = await p.sendMoney(req);
    const b2c = seen().find((x) => x.operation === 'b2c')!;
    expect(b2c.method).toBe('POST');
    expect(b2c.path).toBe(`${fake.pathPrefix}/b2cPayment/`);
    expect(b2c.body).toEqual({
      input_Amount: '500',
      input_Country: 'TZN',
      input_Currency: 'TZS',
      input_CustomerMSISDN: digits(req.msisdn),
      input_ServiceProviderCode: SP_CODE,
      input_ThirdPartyConversationID: req.reference,
      input_TransactionReference: req.reference.slice(0, 20),
      input_PaymentItemsDesc: 'Refund K-1001',
    });
    const tx = fake.transactions.get(req.reference)!;
    expect(tx.kind).toBe('b2c');
    expect(r).toMatchObject({ outcome: 'succeeded', code: 'INS-0', receipt: tx.transactionId });
    const q = await p.querySend({ reference: req.reference, providerRef: r.providerRef, receipt: r.receipt });
    expect(q).toMatchObject({ outcome: 'succeeded', receipt: tx.transactionId });
  });

  it('never pays twice: a resent reference is INS-10 → pending, and one transaction exists', async () => {
    const { p } = provider();
    const req = disbursement();
    await p.sendMoney(req);
    const again = await p.sendMoney(req);
    expect(again).toMatchObject({ outcome: 'pending', code: 'INS-10' });
    expect(
      [...fake.transactions.values()].filter((t) => t.thirdPartyConversationId === req.reference),
    ).toHaveLength(1);
  });

  it('maps B2C failures: insufficient funds → failed, a provider timeout → pending (money may have moved)', async () => {
    const { p } = provider();
    const poor = disbursement();
    fake.script.set(digits(poor.msisdn), { kind: 'insufficient' });
    expect(await p.sendMoney(poor)).toMatchObject({ outcome: 'failed', code: 'INS-2006' });
    const slow = disbursement();
    fake.script.set(digits(slow.msisdn), { kind: 'timeout' });
    expect(await p.sendMoney(slow)).toMatchObject({ outcome: 'pending', code: 'INS-9' });
  });

  it('reverses a collection with a PUT carrying the receipt, and a second reversal fails with its code', async () => {
    const { p } = provider();
    const paid = collection();
    const c = await p.initiateCollection(paid);
    const reversal = {
      reference: newRef(),
      receipt: c.receipt!,
      amount: paid.amount,
      currency: 'TZS',
      resultUrl: 'https://api.kkoo.test/r',
      timeoutUrl: 'https://api.kkoo.test/t',
    };
    const seen = watch();
    const r = await p.reverseCollection(reversal);
    const put = seen()[0]!;
    expect(put.method).toBe('PUT');
    expect(put.path).toBe(`${fake.pathPrefix}/reversal/`);
    expect(put.body).toEqual({
      input_ReversalAmount: '1500',
      input_Country: 'TZN',
      input_ServiceProviderCode: SP_CODE,
      input_ThirdPartyConversationID: reversal.reference,
      input_TransactionID: c.receipt,
    });
    const tx = fake.transactions.get(reversal.reference)!;
    expect(r).toMatchObject({ outcome: 'succeeded', code: 'INS-0', receipt: tx.transactionId });
    expect(fake.transactions.get(paid.reference)!.reversed).toBe(true);
    expect((await p.queryCollection({ reference: paid.reference, providerRef: null })).message).toContain(
      'reversed',
    );

    expect(await p.reverseCollection({ ...reversal, reference: newRef() })).toMatchObject({
      outcome: 'failed',
      code: 'INS-6',
    });
    expect(
      await p.reverseCollection({ ...reversal, reference: newRef(), receipt: 'nosuchreceipt' }),
    ).toMatchObject({
      outcome: 'failed',
      code: 'INS-18',
    });
  });

  it('the fake accepts reversal only as PUT', async () => {
    const res = await fetch(`${fake.baseUrl}${fake.pathPrefix}/reversal/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: '*' },
      body: '{}',
    });
    expect(res.status).toBe(405);
  });

  it('refuses a reversal amount with a fraction before any call', async () => {
    const { p } = provider();
    const seen = watch();
    const err = await providerError(
      p.reverseCollection({
        reference: newRef(),
        receipt: 'hv9ahxcg4ccv',
        amount: 99,
        currency: 'TZS',
        resultUrl: 'https://api.kkoo.test/r',
        timeoutUrl: 'https://api.kkoo.test/t',
      }),
    );
    expect(err.code).toBe('AMOUNT_NOT_WHOLE');
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
