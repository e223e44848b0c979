import { describe, expect, it } from 'vitest';
import {
  adapter,
  clock,
  collection,
  decryptCredential,
  failure,
  fake,
  fresh,
  hook,
  initiator,
  PATH,
  requestsTo,
  useFakeDaraja,
} from './daraja.fixtures.js';

// The Daraja adapter against a local fake of the real API (test/fakes/daraja.ts). The adapter and
// the fake share one ManualClock: token lifetimes, STK timestamps and scripted outcomes follow it.
// Shared setup lives in daraja.fixtures.ts.

useFakeDaraja();

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
