import type { Clock } from '../../shared/clock.js';
import { parseResultCallback, parseStkCallback } from './daraja-callbacks.js';
import {
  cleanText,
  darajaTimestamp,
  gatewayError,
  isObj,
  type Json,
  kenyanMsisdn,
  nonEmpty,
  resultCode,
  securityCredential,
  stkOutcome,
  stkPassword,
} from './daraja-wire.js';
import { type CallOptions, createProviderHttp, type HttpReply, toWholeUnits } from './http.js';
import {
  type CallbackKind,
  type CallbackReply,
  type ParsedCallback,
  type PaymentProvider,
  type ProviderCallRecorder,
  ProviderError,
  type ProviderResult,
} from './port.js';

// Safaricom M-Pesa Daraja (Kenya, KES), PROTOCOLS.md §1. Every call goes through the shared
// provider HTTP helper (timeouts, bounded retries for safe calls, masked call records).
//
// What each operation answers:
// - initiateCollection (STK push, not safe to repeat): accepted → 'pending' with providerRef =
//   CheckoutRequestID; a gateway error body → 'failed' with its errorCode; no answer in time (or a
//   5xx without a gateway error body) → 'pending' with providerRef null. In that last case nobody can
//   ask Safaricom about the push (the query needs the CheckoutRequestID, and the callback carries no
//   reference of ours), so the service has to decide; the AccountReference (the first 12 characters
//   of our reference) is what appears on the organisation's M-Pesa statement for manual matching.
// - queryCollection (STK query, a read): 'pending' while Safaricom says "being processed" or is
//   busy; otherwise the result code mapped as in §1.4. A read never reports the payment as failed
//   because the read itself went wrong: it either answers 'pending' or throws a ProviderError.
// - sendMoney (B2C v3): keyed by OriginatorConversationID = our reference, so Safaricom refuses a
//   second send with the same id (500.002.1001) and the call is repeated on timeouts/transient 5xx.
//   Accepted, duplicate and no-answer all mean 'pending': the result arrives at the ResultURL.
// - querySend (Transaction Status): ASYNCHRONOUS. Safaricom only acknowledges the query; the answer
//   is posted later to `statusResultUrl` and parses as a 'disbursement' callback (its reference is the
//   original OriginatorConversationID, i.e. our reference). This method therefore answers 'pending'
//   once the query was accepted, and never a final outcome.
// - reverseCollection (Reversal, not safe to repeat): accepted → 'pending' with providerRef =
//   ConversationID; the result arrives at the ResultURL with that ConversationID.

export interface DarajaConfig {
  baseUrl: string;
  consumerKey: string;
  consumerSecret: string;
  /** BusinessShortCode: the paybill, or the store/HO number for a till */
  shortcode: string;
  passkey: string;
  transactionType: 'CustomerPayBillOnline' | 'CustomerBuyGoodsOnline';
  /** paybill = shortcode, or the till number */
  partyB: string;
  initiatorName: string;
  initiatorPassword: string;
  /** Safaricom's X.509 certificate (or a bare public key) in PEM, for the SecurityCredential */
  certificatePem: string;
  b2cShortcode: string;
  /** 'KES' */
  currency: string;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  /**
   * Where Safaricom posts Transaction Status results (querySend) and their queue timeouts. The port's
   * querySend has no URL of its own, so they come from config; without them querySend makes no call
   * and answers 'pending' with code STATUS_QUERY_NOT_CONFIGURED.
   */
  statusResultUrl?: string | undefined;
  statusTimeoutUrl?: string | undefined;
}

export interface DarajaDeps {
  clock: Clock;
  record?: ProviderCallRecorder | undefined;
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/** Refresh the token this long before Safaricom says it expires (at most half its lifetime). */
const TOKEN_REFRESH_EARLY_MS = 60_000;
/**
 * Used when the token reply has no usable expires_in. Safaricom's tokens live 3600 s, but a reply we
 * cannot read is better refreshed soon than trusted for an hour.
 */
const FALLBACK_TOKEN_SECONDS = 600;

/** The answer to a call that moves money, before it becomes a ProviderResult. */
type Sent =
  | { kind: 'accepted'; body: Json }
  | { kind: 'rejected'; code: string; message: string }
  | { kind: 'unknown'; code: string; message: string };

export function createDarajaProvider(cfg: DarajaConfig, deps: DarajaDeps): PaymentProvider {
  for (const field of ['shortcode', 'partyB', 'b2cShortcode'] as const) {
    if (!/^\d+$/.test(cfg[field])) throw new Error(`daraja config: ${field} must be digits`);
  }
  const base = cfg.baseUrl.replace(/\/+$/, '');
  const http = createProviderHttp({
    provider: 'daraja',
    timeoutMs: cfg.timeoutMs,
    retries: cfg.retries,
    backoffMs: cfg.backoffMs,
    record: deps.record,
    ...(deps.fetchImpl ? { fetchImpl: deps.fetchImpl } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  const { clock } = deps;

  // ---- OAuth: one cached token, refreshed early, fetched by one request at a time -------------
  // A new token invalidates the previous one at Safaricom, so concurrent callers must share one
  // request instead of each fetching (and killing each other's) tokens.
  let token: { value: string; refreshAt: number } | null = null;
  let inflight: Promise<string> | null = null;

  async function fetchToken(): Promise<string> {
    const requestedAt = clock.now().getTime();
    const basic = Buffer.from(`${cfg.consumerKey}:${cfg.consumerSecret}`, 'utf8').toString('base64');
    const reply = await http.call({
      operation: 'oauth_token',
      method: 'GET',
      url: `${base}/oauth/v1/generate?grant_type=client_credentials`,
      headers: { Authorization: `Basic ${basic}` },
      safeToRepeat: true,
    });
    if (reply.status === 400 || reply.status === 401 || reply.status === 403) {
      const g = gatewayError(reply.body);
      throw new ProviderError(
        'AUTH_FAILED',
        `daraja refused the consumer key/secret (HTTP ${reply.status}${g ? ` ${g.code} ${g.message}` : ''})`,
        false,
      );
    }
    if (reply.status >= 500)
      throw new ProviderError('HTTP_ERROR', `daraja token endpoint answered HTTP ${reply.status}`, true);
    const body = reply.body;
    const value = reply.status === 200 && isObj(body) ? nonEmpty(body.access_token) : null;
    if (!value || !isObj(body))
      throw new ProviderError(
        'BAD_REPLY',
        `daraja token endpoint answered HTTP ${reply.status} without a token`,
        false,
      );
    // expires_in arrives as a number (current docs) or a string ("3599", older docs and clients).
    const raw = typeof body.expires_in === 'string' ? Number(body.expires_in.trim()) : body.expires_in;
    const seconds = typeof raw === 'number' && Number.isFinite(raw) && raw > 0 ? raw : FALLBACK_TOKEN_SECONDS;
    const lifetimeMs = seconds * 1000;
    token = { value, refreshAt: requestedAt + lifetimeMs - Math.min(TOKEN_REFRESH_EARLY_MS, lifetimeMs / 2) };
    return value;
  }

  function getToken(): Promise<string> {
    if (token && clock.now().getTime() < token.refreshAt) return Promise.resolve(token.value);
    if (!inflight) {
      inflight = fetchToken().finally(() => {
        inflight = null;
      });
    }
    return inflight;
  }

  const isInvalidToken = (reply: HttpReply) => gatewayError(reply.body)?.code === '404.001.03';

  /**
   * A Bearer call. A `404.001.03 Invalid Access Token` means the gateway refused the call before
   * anything happened (our token was replaced or expired early), so it is made once more with a
   * fresh token, even for calls that are otherwise never repeated.
   */
  async function authed(c: Omit<CallOptions, 'headers' | 'method'>): Promise<HttpReply> {
    for (let attempt = 0; ; attempt++) {
      const used = await getToken();
      const reply = await http.call({ ...c, method: 'POST', headers: { Authorization: `Bearer ${used}` } });
      if (!isInvalidToken(reply)) return reply;
      if (token?.value === used) token = null; // a concurrent caller may already hold a newer one
      if (attempt >= 1)
        throw new ProviderError(
          'AUTH_FAILED',
          `daraja ${c.operation}: a fresh access token was refused too (is another client using these credentials?)`,
          true,
        );
    }
  }

  /** A call that may move money: accepted, clearly rejected, or unknown (treat as pending). */
  async function moneyCall(c: Omit<CallOptions, 'headers' | 'method'>): Promise<Sent> {
    let reply: HttpReply;
    try {
      reply = await authed(c);
    } catch (err) {
      if (err instanceof ProviderError && err.code === 'TIMEOUT')
        return { kind: 'unknown', code: 'NO_REPLY', message: err.message };
      throw err;
    }
    const body = reply.body;
    if (reply.status === 200 && isObj(body) && resultCode(body.ResponseCode) === '0')
      return { kind: 'accepted', body };
    const g = gatewayError(body);
    if (g) return { kind: 'rejected', code: g.code, message: g.message };
    if (reply.status === 200 && isObj(body) && resultCode(body.ResponseCode) !== null)
      return {
        kind: 'rejected',
        code: resultCode(body.ResponseCode)!,
        message: typeof body.ResponseDescription === 'string' ? body.ResponseDescription : '',
      };
    // A 5xx from a proxy, or a 2xx we cannot read: the request may have been processed.
    if (reply.status >= 500 || reply.status < 300)
      return { kind: 'unknown', code: `HTTP_${reply.status}`, message: reply.text.slice(0, 200) };
    return { kind: 'rejected', code: `HTTP_${reply.status}`, message: reply.text.slice(0, 200) };
  }

  function checkCurrency(currency: string): void {
    if (currency !== cfg.currency)
      throw new ProviderError('CURRENCY_MISMATCH', `daraja moves ${cfg.currency}, not ${currency}`, false);
  }

  let credential: string | null = null;
  function getCredential(): string {
    if (credential === null) {
      try {
        credential = securityCredential(cfg.initiatorPassword, cfg.certificatePem);
      } catch (err) {
        throw new ProviderError(
          'AUTH_FAILED',
          `daraja certificatePem cannot encrypt the initiator password: ${(err as Error).message}`,
          false,
        );
      }
    }
    return credential;
  }

  const result = (r: Partial<ProviderResult> & Pick<ProviderResult, 'outcome' | 'code'>): ProviderResult => ({
    providerRef: null,
    receipt: null,
    amount: null,
    msisdn: null,
    message: '',
    ...r,
  });

  function fromSent(sent: Sent, ref: (body: Json) => string | null): ProviderResult {
    if (sent.kind === 'accepted')
      return result({
        outcome: 'pending',
        providerRef: ref(sent.body),
        code: '0',
        message: typeof sent.body.ResponseDescription === 'string' ? sent.body.ResponseDescription : '',
      });
    return result({
      outcome: sent.kind === 'rejected' ? 'failed' : 'pending',
      code: sent.code,
      message: sent.message,
    });
  }

  /** Errors of a read (query) call: 'pending' when Safaricom is busy, a ProviderError otherwise. */
  function readFailure(op: string, reply: HttpReply): ProviderResult {
    const g = gatewayError(reply.body);
    if (g && /credential|merchant does not exist/i.test(g.message))
      throw new ProviderError('AUTH_FAILED', `daraja ${op}: ${g.code} ${g.message}`, false);
    if (reply.status >= 500)
      return result({
        outcome: 'pending',
        code: g?.code ?? `HTTP_${reply.status}`,
        message: g?.message ?? reply.text.slice(0, 200),
      });
    throw new ProviderError(
      'HTTP_ERROR',
      `daraja ${op} answered HTTP ${reply.status}${g ? ` ${g.code} ${g.message}` : ''}`,
      false,
    );
  }

  return {
    name: 'daraja',
    currency: cfg.currency,

    async initiateCollection(req) {
      checkCurrency(req.currency);
      const amount = toWholeUnits(req.amount);
      const phone = kenyanMsisdn(req.msisdn);
      const timestamp = darajaTimestamp(clock.now());
      const sent = await moneyCall({
        operation: 'stk_push',
        url: `${base}/mpesa/stkpush/v1/processrequest`,
        body: {
          BusinessShortCode: Number(cfg.shortcode),
          Password: stkPassword(cfg.shortcode, cfg.passkey, timestamp),
          Timestamp: timestamp,
          TransactionType: cfg.transactionType,
          Amount: amount,
          PartyA: phone,
          PartyB: Number(cfg.partyB),
          PhoneNumber: phone,
          CallBackURL: req.callbackUrl,
          AccountReference: cleanText(req.reference.replace(/[^A-Za-z0-9]/g, ''), 12, 'KKOO'),
          TransactionDesc: cleanText(req.description, 13, 'Payment'),
        },
        safeToRepeat: false,
        reference: req.reference,
      });
      return fromSent(sent, (b) => nonEmpty(b.CheckoutRequestID));
    },

    async queryCollection(ref) {
      if (!ref.providerRef)
        return result({
          outcome: 'pending',
          code: 'NO_CHECKOUT_ID',
          message: 'no CheckoutRequestID (the push was never acknowledged): Daraja cannot be asked about it',
        });
      const timestamp = darajaTimestamp(clock.now());
      const reply = await authed({
        operation: 'stk_query',
        url: `${base}/mpesa/stkpushquery/v1/query`,
        body: {
          BusinessShortCode: Number(cfg.shortcode),
          Password: stkPassword(cfg.shortcode, cfg.passkey, timestamp),
          Timestamp: timestamp,
          CheckoutRequestID: ref.providerRef,
        },
        safeToRepeat: true,
        // "The transaction is being processed" comes as HTTP 500: an answer, not a failure to retry.
        answerStatuses: [500],
        reference: ref.reference,
      });
      const body = reply.body;
      const code = reply.status === 200 && isObj(body) ? resultCode(body.ResultCode) : null;
      if (code === null) {
        if (reply.status === 200)
          return result({
            outcome: 'pending',
            providerRef: ref.providerRef,
            code: 'NO_RESULT',
            message: reply.text,
          });
        return { ...readFailure('stk_query', reply), providerRef: ref.providerRef };
      }
      return result({
        outcome: stkOutcome(code),
        providerRef: ref.providerRef,
        code,
        // the query reply carries no receipt, amount or phone: those come with the callback only
        message: isObj(body) && typeof body.ResultDesc === 'string' ? body.ResultDesc : '',
      });
    },

    async sendMoney(req) {
      checkCurrency(req.currency);
      const amount = toWholeUnits(req.amount);
      const phone = kenyanMsisdn(req.msisdn);
      const sent = await moneyCall({
        operation: 'b2c_payment',
        url: `${base}/mpesa/b2c/v3/paymentrequest`,
        body: {
          OriginatorConversationID: req.reference,
          InitiatorName: cfg.initiatorName,
          SecurityCredential: getCredential(),
          CommandID: 'BusinessPayment',
          Amount: amount,
          PartyA: Number(cfg.b2cShortcode),
          PartyB: phone,
          Remarks: cleanText(req.remarks, 100, 'Payment'),
          QueueTimeOutURL: req.timeoutUrl,
          ResultURL: req.resultUrl,
          Occassion: req.reference,
        },
        // Safaricom refuses a second request with the same OriginatorConversationID, so repeating
        // after a timeout cannot pay twice. Its gateway errors come as HTTP 500 and are answers.
        safeToRepeat: true,
        answerStatuses: [500],
        reference: req.reference,
      });
      if (sent.kind === 'rejected' && sent.code === '500.002.1001')
        // Already accepted once (an earlier attempt of ours): its result comes to the ResultURL.
        return result({ outcome: 'pending', code: sent.code, message: sent.message });
      return fromSent(sent, (b) => nonEmpty(b.ConversationID));
    },

    async querySend(ref) {
      if (!cfg.statusResultUrl || !cfg.statusTimeoutUrl)
        return result({
          outcome: 'pending',
          providerRef: ref.providerRef,
          code: 'STATUS_QUERY_NOT_CONFIGURED',
          message: 'statusResultUrl/statusTimeoutUrl are not configured; wait for the B2C result',
        });
      const reply = await authed({
        operation: 'transaction_status',
        url: `${base}/mpesa/transactionstatus/v1/query`,
        body: {
          Initiator: cfg.initiatorName,
          SecurityCredential: getCredential(),
          CommandID: 'TransactionStatusQuery',
          ...(ref.receipt ? { TransactionID: ref.receipt } : { OriginalConversationID: ref.reference }),
          PartyA: Number(cfg.b2cShortcode),
          IdentifierType: '4',
          ResultURL: cfg.statusResultUrl,
          QueueTimeOutURL: cfg.statusTimeoutUrl,
          Remarks: 'Status check',
          Occasion: ref.reference,
        },
        safeToRepeat: true,
        answerStatuses: [500],
        reference: ref.reference,
      });
      const body = reply.body;
      if (reply.status === 200 && isObj(body) && resultCode(body.ResponseCode) === '0')
        // Only the query was accepted; the send's state arrives later as a 'disbursement' callback.
        return result({
          outcome: 'pending',
          providerRef: ref.providerRef,
          receipt: ref.receipt,
          code: 'STATUS_QUERY_ACCEPTED',
          message: 'transaction status requested; the answer is posted to the status result URL',
        });
      return { ...readFailure('transaction_status', reply), providerRef: ref.providerRef };
    },

    async reverseCollection(req) {
      checkCurrency(req.currency);
      const amount = toWholeUnits(req.amount);
      const sent = await moneyCall({
        operation: 'reversal',
        url: `${base}/mpesa/reversal/v1/request`,
        body: {
          Initiator: cfg.initiatorName,
          SecurityCredential: getCredential(),
          CommandID: 'TransactionReversal',
          TransactionID: req.receipt,
          Amount: amount,
          ReceiverParty: Number(cfg.shortcode),
          RecieverIdentifierType: '11', // sic: the API spells it this way
          ResultURL: req.resultUrl,
          QueueTimeOutURL: req.timeoutUrl,
          Remarks: 'Reversal',
          Occasion: req.reference,
        },
        safeToRepeat: false,
        reference: req.reference,
      });
      return fromSent(sent, (b) => nonEmpty(b.ConversationID));
    },

    parseCallback(kind, body) {
      try {
        return kind === 'collection' ? parseStkCallback(body) : parseResultCallback(body);
      } catch {
        return null;
      }
    },

    callbackReply(_kind: CallbackKind, _parsed: ParsedCallback | null): CallbackReply {
      return { status: 200, body: { ResultCode: 0, ResultDesc: 'Accepted' } };
    },
  };
}
