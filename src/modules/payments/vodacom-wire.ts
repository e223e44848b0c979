import type { HttpReply } from './http.js';
import type { CallbackKind, Outcome, ParsedCallback, ProviderResult } from './port.js';

/**
 * The asynchronous result Vodacom POSTs to the listener. All five fields must be strings; the
 * TransactionID may be empty except on INS-0. Anything else is not a result we understand: null.
 */
export function parseResult(kind: CallbackKind, body: unknown): ParsedCallback | null {
  const b = asRecord(body);
  if (!b) return null;
  const original = b.input_OriginalConversationID;
  const transactionId = b.input_TransactionID;
  const resultCode = b.input_ResultCode;
  const resultDesc = b.input_ResultDesc;
  const reference = b.input_ThirdPartyConversationID;
  if (typeof original !== 'string' || original.trim() === '') return null;
  if (typeof transactionId !== 'string' || typeof resultDesc !== 'string') return null;
  if (typeof resultCode !== 'string' || !/^INS-\d+$/.test(resultCode.trim())) return null;
  if (typeof reference !== 'string' || !/^[0-9A-Za-z]{1,40}$/.test(reference)) return null;
  const code = resultCode.trim();
  const receipt = transactionId.trim() || null;
  if (code === 'INS-0' && !receipt) return null;
  const outcome: Outcome =
    code === 'INS-0'
      ? 'succeeded'
      : code === 'INS-5' && kind === 'collection'
        ? 'cancelled'
        : code === 'INS-9' && kind === 'collection'
          ? 'timeout'
          : 'failed';
  return {
    outcome,
    providerRef: original.trim(),
    receipt: outcome === 'succeeded' ? receipt : null,
    amount: null,
    msisdn: null,
    code,
    message: resultDesc,
    reference,
  };
}

export function statusOutcome(kind: 'collection' | 'disbursement', status: string): Outcome {
  const s = status.trim().toLowerCase();
  if (['completed', 'success', 'successful', 'succeeded'].includes(s)) return 'succeeded';
  if (['cancelled', 'canceled'].includes(s)) return kind === 'collection' ? 'cancelled' : 'failed';
  if (['expired', 'timeout', 'timed out', 'timedout'].includes(s))
    return kind === 'collection' ? 'timeout' : 'failed';
  if (['failed', 'failure', 'declined', 'rejected'].includes(s)) return 'failed';
  return 'pending';
}

export function isSessionRefusal(reply: HttpReply): boolean {
  const code = text(asRecord(reply.body)?.output_ResponseCode);
  if (code === 'INS-989') return true;
  return reply.status === 401 && !code;
}

export function result(
  outcome: Outcome,
  code: string,
  message: string,
  providerRef: string | null = null,
  receipt: string | null = null,
): ProviderResult {
  return { outcome, providerRef, receipt, amount: null, msisdn: null, code, message };
}

/** input_TransactionReference: 1–20 of [0-9a-zA-Z], taken from our reference. */
export function transactionReference(reference: string): string {
  return reference.replace(/[^0-9A-Za-z]/g, '').slice(0, 20) || 'KKOO';
}

/** Trim and cut to `max` characters (whole code points); never empty. */
export function clip(value: string, max: number, fallback: string): string {
  const chars = Array.from(value.replace(/\s+/g, ' ').trim());
  return chars.length === 0 ? fallback : chars.slice(0, max).join('');
}

export function ok(reply: HttpReply): boolean {
  return reply.status >= 200 && reply.status < 300;
}

export function asRecord(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

export function text(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}
