import { describe, expect, it } from 'vitest';
import { type CallbackTarget, screenCallback, screenCaller } from './callback-screen.js';
import type { ParsedCallback } from './port.js';

const parsed = (over: Partial<ParsedCallback> = {}): ParsedCallback => ({
  outcome: 'succeeded',
  providerRef: 'PR1',
  reference: 'ref1',
  receipt: 'RCPT1',
  amount: 5000,
  msisdn: '+255712345678',
  code: '0',
  message: 'ok',
  ...over,
});

const push = (
  over: Partial<Extract<CallbackTarget, { kind: 'collection' }>['movement']> = {},
  receiptTaken = false,
) =>
  ({
    kind: 'collection',
    movement: { status: 'pending', resultCode: null, amount: 5000, msisdn: '+255712345678', ...over },
    receiptTaken,
  }) as const;

const send = (status: 'queued' | 'sending' | 'succeeded' | 'failed' = 'sending', amount = 5000) =>
  ({ kind: 'disbursement', movement: { status, amount } }) as const;

describe('screenCaller', () => {
  const ours = { provider: 'vodacom_tz', token: 's3cret-token', allowedIps: null };

  it('lets in our provider with the right token', () => {
    expect(screenCaller({ provider: 'vodacom_tz', token: 's3cret-token', ip: '10.0.0.1' }, ours)).toBeNull();
  });

  it('refuses a wrong token, a token of another length, and another provider as bad_token', () => {
    for (const q of [
      { provider: 'vodacom_tz', token: 's3cret-tokeN', ip: null },
      { provider: 'vodacom_tz', token: 's3cret', ip: null },
      { provider: 'vodacom_tz', token: '', ip: null },
      { provider: 'daraja', token: 's3cret-token', ip: null },
    ])
      expect(screenCaller(q, ours)).toEqual({ verdict: 'bad_token', detail: `provider ${q.provider}` });
  });

  it('checks the allow-list only after the token, and refuses an unknown address', () => {
    const listed = { ...ours, allowedIps: ['196.0.0.1'] };
    expect(
      screenCaller({ provider: 'vodacom_tz', token: 's3cret-token', ip: '196.0.0.1' }, listed),
    ).toBeNull();
    expect(screenCaller({ provider: 'vodacom_tz', token: 's3cret-token', ip: '10.0.0.9' }, listed)).toEqual({
      verdict: 'ip_not_allowed',
      detail: null,
    });
    expect(screenCaller({ provider: 'vodacom_tz', token: 's3cret-token', ip: null }, listed)?.verdict).toBe(
      'ip_not_allowed',
    );
    expect(screenCaller({ provider: 'vodacom_tz', token: 'nope', ip: '10.0.0.9' }, listed)?.verdict).toBe(
      'bad_token',
    );
  });
});

describe('screenCallback: both kinds', () => {
  it('names the reference (or the provider id) when nothing matches', () => {
    expect(screenCallback(parsed(), null)).toEqual({ verdict: 'unknown_reference', detail: 'ref1' });
    expect(screenCallback(parsed({ reference: null }), null)).toEqual({
      verdict: 'unknown_reference',
      detail: 'PR1',
    });
  });

  it('accepts a matching callback, with its outcome as the detail', () => {
    expect(screenCallback(parsed(), push())).toEqual({ verdict: 'accepted', detail: 'succeeded' });
    expect(screenCallback(parsed({ outcome: 'failed' }), send())).toEqual({
      verdict: 'accepted',
      detail: 'failed',
    });
  });

  it('takes an amount it was not told as no contradiction', () => {
    expect(screenCallback(parsed({ amount: null }), push()).verdict).toBe('accepted');
    expect(screenCallback(parsed({ amount: null }), send()).verdict).toBe('accepted');
  });

  it('refuses a different amount for either kind', () => {
    const wrong = parsed({ amount: 4999 });
    expect(screenCallback(wrong, push())).toEqual({
      verdict: 'amount_mismatch',
      detail: 'expected 5000, got 4999',
    });
    expect(screenCallback(wrong, send())).toEqual({
      verdict: 'amount_mismatch',
      detail: 'expected 5000, got 4999',
    });
  });
});

describe('screenCallback: collections', () => {
  it('calls a callback for a decided push a duplicate, before any other check', () => {
    for (const status of ['succeeded', 'failed', 'cancelled'] as const)
      expect(screenCallback(parsed({ amount: 1 }), push({ status }))).toEqual({
        verdict: 'duplicate',
        detail: status,
      });
  });

  it('reopens a push we gave up ourselves only for money that moved', () => {
    const givenUp = push({ status: 'timeout', resultCode: 'UNCONFIRMED' });
    expect(screenCallback(parsed(), givenUp).verdict).toBe('accepted');
    expect(screenCallback(parsed({ outcome: 'failed' }), givenUp)).toEqual({
      verdict: 'duplicate',
      detail: 'timeout',
    });
    // A timeout the provider reported is final, whatever a later callback says.
    expect(screenCallback(parsed(), push({ status: 'timeout', resultCode: '1037' })).verdict).toBe(
      'duplicate',
    );
  });

  it('refuses money from another phone, but not a callback that names no phone', () => {
    expect(screenCallback(parsed({ msisdn: '+255700000000' }), push())).toEqual({
      verdict: 'phone_mismatch',
      detail: null,
    });
    expect(screenCallback(parsed({ msisdn: null }), push()).verdict).toBe('accepted');
  });

  it('refuses a receipt another push already holds; the amount is checked first', () => {
    expect(screenCallback(parsed(), push({}, true))).toEqual({ verdict: 'receipt_reused', detail: 'RCPT1' });
    expect(screenCallback(parsed({ amount: 1 }), push({}, true)).verdict).toBe('amount_mismatch');
    expect(screenCallback(parsed({ receipt: null }), push({}, true)).verdict).toBe('accepted');
  });
});

describe('screenCallback: sends', () => {
  it('takes a callback only for a send still in flight', () => {
    for (const status of ['queued', 'succeeded', 'failed'] as const)
      expect(screenCallback(parsed(), send(status))).toEqual({ verdict: 'duplicate', detail: status });
  });

  it('does not check the phone or the receipt of a send', () => {
    expect(screenCallback(parsed({ msisdn: '+255700000000', receipt: 'ANY' }), send()).verdict).toBe(
      'accepted',
    );
  });
});
