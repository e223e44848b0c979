// Daraja's wire format (pure): timestamps, the STK password, the encrypted initiator credential, and
// the small readers of Safaricom's JSON shared by the provider (daraja.ts) and its callbacks.
import { constants, publicEncrypt, X509Certificate } from 'node:crypto';
import { msisdnDigits } from './http.js';
import { type Outcome, ProviderError } from './port.js';

const EAT_OFFSET_MS = 3 * 60 * 60 * 1000;

/** `YYYYMMDDHHmmss` in Africa/Nairobi (EAT, UTC+3, no daylight saving). */
export function darajaTimestamp(date: Date): string {
  const d = new Date(date.getTime() + EAT_OFFSET_MS);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    p(d.getUTCFullYear(), 4) +
    p(d.getUTCMonth() + 1) +
    p(d.getUTCDate()) +
    p(d.getUTCHours()) +
    p(d.getUTCMinutes()) +
    p(d.getUTCSeconds())
  );
}

/** STK `Password`: base64(shortcode ‖ passkey ‖ timestamp), the same timestamp as the `Timestamp` field. */
export function stkPassword(shortcode: string, passkey: string, timestamp: string): string {
  return Buffer.from(`${shortcode}${passkey}${timestamp}`, 'utf8').toString('base64');
}

/** SecurityCredential: base64(RSA PKCS#1 v1.5 (initiator password, Safaricom's certificate)). */
export function securityCredential(initiatorPassword: string, certificatePem: string): string {
  const key = certificatePem.includes('BEGIN CERTIFICATE')
    ? new X509Certificate(certificatePem).publicKey
    : certificatePem;
  return publicEncrypt(
    { key, padding: constants.RSA_PKCS1_PADDING },
    Buffer.from(initiatorPassword, 'utf8'),
  ).toString('base64');
}

export type Json = Record<string, unknown>;

export const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const nonEmpty = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

/** Result codes arrive as numbers (callbacks) or strings (query, `SFC_IC0003`); kept as text. */
export function resultCode(v: unknown): string | null {
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  return null;
}

/** §1.4: what an STK result code means for the payment. */
export function stkOutcome(code: string): Outcome {
  if (code === '0') return 'succeeded';
  if (code === '1032') return 'cancelled';
  if (code === '1037' || code === '1019') return 'timeout';
  return 'failed';
}

/** `{Name,Value}` / `{Key,Value}` lists read by name, never by position. A single object counts as a list of one. */
export function pairs(list: unknown, nameKey: 'Name' | 'Key'): Map<string, unknown> | null {
  const items = Array.isArray(list) ? list : isObj(list) ? [list] : null;
  if (!items) return null;
  const out = new Map<string, unknown>();
  for (const item of items) {
    if (!isObj(item) || typeof item[nameKey] !== 'string') continue;
    const name = item[nameKey] as string;
    if (!out.has(name)) out.set(name, item.Value); // Value may be absent (`{"Name":"Balance"}`)
  }
  return out;
}

/** Gateway error body `{requestId, errorCode, errorMessage}`, which every Daraja API uses. */
export function gatewayError(body: unknown): { code: string; message: string } | null {
  if (!isObj(body)) return null;
  const code = nonEmpty(body.errorCode);
  if (!code) return null;
  return { code, message: typeof body.errorMessage === 'string' ? body.errorMessage : '' };
}

/** Free text for AccountReference / TransactionDesc / Remarks: letters, digits, space and `.-_` only. */
export function cleanText(s: string, max: number, fallback: string): string {
  const t = s
    .replace(/[^A-Za-z0-9 ._-]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, max)
    .trim();
  return t.length >= 2 ? t : fallback;
}

/** Daraja wants `2547XXXXXXXX` / `2541XXXXXXXX`; anything else fails at Safaricom anyway. */
export function kenyanMsisdn(e164: string): number {
  const digits = msisdnDigits(e164);
  if (!/^254[17]\d{8}$/.test(digits))
    throw new ProviderError('INVALID_MSISDN', `M-Pesa Kenya needs a +2547/+2541 number, got ${e164}`, false);
  return Number(digits);
}
