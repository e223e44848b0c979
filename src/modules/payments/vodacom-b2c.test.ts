import { describe, expect, it } from 'vitest';
import {
  collection,
  digits,
  disbursement,
  fake,
  newRef,
  provider,
  providerError,
  SP_CODE,
  useFakeVodacom,
  watch,
} from './vodacom.fixtures.js';

// The Vodacom TZ (M-Pesa Open API) adapter against a local fake of the real API
// (test/fakes/vodacom.ts). Shared setup lives in vodacom.fixtures.ts.

useFakeVodacom();

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
