// Pure checks on a provider's callback, shared by both kinds (a collection's result and a send's
// result): who may post, and whether the movement it names may still be decided by it. No I/O:
// the caller looks the movement up, and this file says what the callback is worth.
import { constantTimeEqual } from '../../shared/secrets.js';
import { type CallbackVerdict, FINAL_COLLECTION, isGivenUp } from './model.js';
import type { ParsedCallback } from './port.js';
import type { paymentCollections, paymentDisbursements } from './schema.js';

type Collection = typeof paymentCollections.$inferSelect;
type Disbursement = typeof paymentDisbursements.$inferSelect;

export interface Screening {
  verdict: CallbackVerdict;
  /** what is logged beside the verdict (never a secret) */
  detail: string | null;
}

/**
 * The caller, before its body is even parsed: the provider in the path must be ours and the path
 * token must match (compared in constant time); then the optional IP allow-list. Null: let it in.
 */
export function screenCaller(
  q: { provider: string; token: string; ip: string | null },
  ours: { provider: string; token: string; allowedIps: string[] | null },
): Screening | null {
  if (q.provider !== ours.provider || !constantTimeEqual(q.token, ours.token))
    return { verdict: 'bad_token', detail: `provider ${q.provider}` };
  if (ours.allowedIps && (!q.ip || !ours.allowedIps.includes(q.ip)))
    return { verdict: 'ip_not_allowed', detail: null };
  return null;
}

/** The movement a parsed callback was correlated to, or null when none was found. */
export type CallbackTarget =
  | {
      kind: 'collection';
      movement: Pick<Collection, 'status' | 'resultCode' | 'amount' | 'msisdn'>;
      /** another collection of this provider already holds the callback's receipt */
      receiptTaken: boolean;
    }
  | { kind: 'disbursement'; movement: Pick<Disbursement, 'status' | 'amount'> }
  | null;

/**
 * Whether a callback may decide the movement it names, cheapest and most telling check first:
 * correlation, still open (a collection we gave up ourselves reopens only for money that moved),
 * the amount, then for a push the paying phone and one use per receipt. Anything but `accepted`
 * changes nothing.
 */
export function screenCallback(parsed: ParsedCallback, target: CallbackTarget): Screening {
  if (!target) return { verdict: 'unknown_reference', detail: parsed.reference ?? parsed.providerRef };
  const m = target.movement;
  const open =
    target.kind === 'collection'
      ? !FINAL_COLLECTION.includes(target.movement.status) ||
        (isGivenUp(target.movement) && parsed.outcome === 'succeeded')
      : m.status === 'sending';
  if (!open) return { verdict: 'duplicate', detail: m.status };
  if (parsed.amount !== null && parsed.amount !== m.amount)
    return { verdict: 'amount_mismatch', detail: `expected ${m.amount}, got ${parsed.amount}` };
  if (target.kind === 'collection') {
    if (parsed.msisdn !== null && parsed.msisdn !== target.movement.msisdn)
      return { verdict: 'phone_mismatch', detail: null };
    if (parsed.receipt && target.receiptTaken) return { verdict: 'receipt_reused', detail: parsed.receipt };
  }
  return { verdict: 'accepted', detail: parsed.outcome };
}
