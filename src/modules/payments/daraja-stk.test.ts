import { describe, expect, it } from 'vitest';
import type { DarajaScript } from '../../../test/fakes/daraja.js';
import {
  adapter,
  clock,
  collection,
  creds,
  failure,
  fake,
  fresh,
  hook,
  PATH,
  requestsTo,
  useFakeDaraja,
} from './daraja.fixtures.js';
import { stkPassword } from './daraja-wire.js';

// The Daraja adapter against a local fake of the real API (test/fakes/daraja.ts). The adapter and
// the fake share one ManualClock: token lifetimes, STK timestamps and scripted outcomes follow it.
// Shared setup lives in daraja.fixtures.ts.

useFakeDaraja();

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
