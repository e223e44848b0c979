import { describe, expect, it } from 'vitest';
import type { FakeVodacomRequest } from '../../../test/fakes/vodacom.js';
import {
  clock,
  collection,
  digits,
  disbursement,
  fake,
  newRef,
  provider,
  providerError,
  received,
  SP_CODE,
  useFakeVodacom,
  watch,
} from './vodacom.fixtures.js';

// The Vodacom TZ (M-Pesa Open API) adapter against a local fake of the real API
// (test/fakes/vodacom.ts). Shared setup lives in vodacom.fixtures.ts.

useFakeVodacom();

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
