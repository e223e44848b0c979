import { isObj, nonEmpty, pairs, resultCode, stkOutcome } from './daraja-wire.js';
import { fromWholeUnits, msisdnFromProvider } from './http.js';
import type { Outcome, ParsedCallback } from './port.js';

/** §1.3: `{Body:{stkCallback:{…}}}`. Daraja does not echo our reference: match on CheckoutRequestID. */
export function parseStkCallback(body: unknown): ParsedCallback | null {
  if (!isObj(body) || !isObj(body.Body) || !isObj(body.Body.stkCallback)) return null;
  const cb = body.Body.stkCallback;
  const checkout = nonEmpty(cb.CheckoutRequestID);
  const code = resultCode(cb.ResultCode);
  if (!checkout || typeof cb.MerchantRequestID !== 'string' || code === null) return null;
  if (cb.ResultDesc !== undefined && typeof cb.ResultDesc !== 'string') return null;
  let items = new Map<string, unknown>();
  if (cb.CallbackMetadata !== undefined) {
    if (!isObj(cb.CallbackMetadata)) return null;
    const parsed = pairs(cb.CallbackMetadata.Item, 'Name');
    if (!parsed) return null;
    items = parsed;
  }
  const outcome = stkOutcome(code);
  return {
    outcome,
    reference: null,
    providerRef: checkout,
    receipt: outcome === 'succeeded' ? nonEmpty(items.get('MpesaReceiptNumber')) : null,
    amount: fromWholeUnits(items.get('Amount')),
    msisdn: msisdnFromProvider(items.get('PhoneNumber')),
    code,
    message: (cb.ResultDesc as string | undefined) ?? '',
  };
}

/**
 * §1.6–1.8: `{Result:{…}}` posted to a ResultURL (B2C, Transaction Status, Reversal), or whatever
 * Safaricom posts to a QueueTimeOutURL (undocumented: 'pending' if it names the request).
 */
export function parseResultCallback(body: unknown): ParsedCallback | null {
  if (!isObj(body)) return null;
  const r = body.Result;
  if (isObj(r) && r.ResultCode !== undefined) {
    const code = resultCode(r.ResultCode);
    const originator = nonEmpty(r.OriginatorConversationID);
    if (code === null || !originator) return null;
    if (r.ConversationID !== undefined && typeof r.ConversationID !== 'string') return null;
    if (r.TransactionID !== undefined && typeof r.TransactionID !== 'string') return null;
    if (r.ResultDesc !== undefined && typeof r.ResultDesc !== 'string') return null;
    let params = new Map<string, unknown>();
    if (r.ResultParameters !== undefined) {
      if (!isObj(r.ResultParameters)) return null;
      const parsed = pairs(r.ResultParameters.ResultParameter, 'Key');
      if (!parsed) return null;
      params = parsed;
    }
    const message = (r.ResultDesc as string | undefined) ?? '';
    const conversation = nonEmpty(r.ConversationID);

    if (params.has('TransactionStatus') || params.has('ReceiptNo')) {
      // A Transaction Status result: the outer ids are those of the status query; the original
      // send's ids are among the parameters [S]. Its ResultCode is the query's, not the send's.
      const status = nonEmpty(params.get('TransactionStatus'));
      const outcome: Outcome =
        code !== '0' || !status
          ? 'pending'
          : /^completed$/i.test(status)
            ? 'succeeded'
            : /^(failed|declined|expired|cancell?ed)$/i.test(status)
              ? 'failed'
              : 'pending';
      return {
        outcome,
        reference: nonEmpty(params.get('OriginatorConversationID')),
        providerRef: nonEmpty(params.get('ConversationID')),
        receipt: outcome === 'succeeded' ? nonEmpty(params.get('ReceiptNo')) : null,
        amount: fromWholeUnits(params.get('Amount')),
        msisdn: null,
        code: status ?? code,
        message,
      };
    }

    const succeeded = code === '0';
    const receiver = params.get('ReceiverPartyPublicName'); // "254705912645 - NAME"
    return {
      outcome: succeeded ? 'succeeded' : 'failed',
      reference: originator,
      providerRef: conversation,
      receipt: succeeded ? (nonEmpty(params.get('TransactionReceipt')) ?? nonEmpty(r.TransactionID)) : null,
      amount: fromWholeUnits(params.get('TransactionAmount') ?? params.get('Amount')),
      msisdn: typeof receiver === 'string' ? msisdnFromProvider(receiver.split(' - ')[0]) : null,
      code,
      message,
    };
  }
  // Queue timeout: shape undocumented. If it names our request, the outcome is unknown: ask later.
  const holder = isObj(r) ? r : body;
  const originator = nonEmpty(holder.OriginatorConversationID);
  if (!originator) return null;
  return {
    outcome: 'pending',
    reference: originator,
    providerRef: nonEmpty(holder.ConversationID),
    receipt: null,
    amount: null,
    msisdn: null,
    code: 'QUEUE_TIMEOUT',
    message: 'posted to the queue timeout URL: outcome unknown, resolve with a status query',
  };
}
