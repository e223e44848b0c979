import { describe, expect, it } from 'vitest';
import { B2C_SHORTCODE, clock, creds, initiator, publicPem } from './daraja.fixtures.js';
import { createDarajaProvider, type DarajaConfig } from './daraja.js';

// The Daraja adapter's callback parsing and replies: pure, so no fake server is started here.
// Shared setup lives in daraja.fixtures.ts.

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
