import { constants, createPublicKey, type KeyObject, publicEncrypt, randomBytes } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import { type CallOptions, createProviderHttp, type HttpReply, msisdnDigits, toWholeUnits } from './http.js';
import {
  type CallbackKind,
  type CallbackReply,
  type ParsedCallback,
  type PaymentProvider,
  type ProviderCallRecorder,
  ProviderError,
  type ProviderResult,
} from './port.js';
import {
  asRecord,
  clip,
  isSessionRefusal,
  ok,
  parseResult,
  result,
  statusOutcome,
  text,
  transactionReference,
} from './vodacom-wire.js';

// Vodacom Tanzania M-Pesa OpenAPI (PROTOCOLS.md §2): a session key obtained with the RSA-encrypted
// API key, then C2B single stage (USSD push), B2C, reversal (PUT) and queryTransactionStatus (GET with
// a query string). Every call goes through createProviderHttp: timed out, recorded with secrets
// masked. The bearer only ever travels in the Authorization header, which is never recorded.
//
// Code choices (all keep the raw INS code in `code`):
// - INS-0 with output_TransactionID → succeeded; INS-0 without it → pending (async flow: the result
//   comes by callback or query).
// - INS-10 (duplicate ThirdPartyConversationID) → pending: this reference was already sent, so its
//   first attempt decides; the service queries. Never "failed" (that could lead to paying twice).
// - INS-1 (internal error), a 5xx without an INS code, a 2xx without one, and no answer at all
//   (timeout or broken connection) on C2B/B2C/reversal → pending: the request may have reached the
//   money. These calls are made once (not safe to repeat).
// - INS-9 → timeout for a collection (the customer did not enter the PIN); pending for B2C/reversal
//   (no customer in the loop, so a timeout there says nothing about the money).
// - INS-5 → cancelled for a collection; any other INS code → failed.
// - A 4xx without an INS code (wrong path, method or origin) → ProviderError HTTP_ERROR, not
//   retryable: the gateway refused the call before it reached the money (408/429: retryable).
// - Session refused (HTTP 401 without an INS code, or INS-989 at any status; the real code for an
//   expired session is undocumented): drop the cached session, fetch a new one, resend once. A 401
//   carrying a business code (INS-5 cancelled, INS-6 failed) is an answer, not a session problem.
// - queryTransactionStatus: INS-0 + Completed → succeeded; Cancelled/Expired → cancelled/timeout for
//   collections (failed for sends); Failed → failed; any other status → pending. INS-23 (not found)
//   → pending with code INS-23: the service treats a not-found collection older than its expiry as
//   failed. INS-1/INS-9/5xx → pending. Other INS codes (validation, config) → ProviderError HTTP_ERROR.

export interface VodacomConfig {
  baseUrl: string;
  /** e.g. '/openapi/ipg/v2/vodacomTZN' (live) or '/sandbox/ipg/v2/vodacomTZN' */
  pathPrefix: string;
  apiKey: string;
  /** the platform public key: base64 DER SPKI as the portal shows it (`MIICIjAN…`), or a PEM */
  publicKey: string;
  serviceProviderCode: string;
  /** sent as the Origin header; '*' unless the app's "Trusted Sources" say otherwise */
  origin: string;
  /** 'TZN' */
  country: string;
  /** 'TZS' */
  currency: string;
  timeoutMs: number;
  /** long: the synchronous C2B call stays open until the customer enters the PIN */
  c2bTimeoutMs: number;
  retries: number;
  backoffMs: number;
  /** how long a session id is reused (the lifetime is set per application on the portal) */
  sessionTtlSeconds: number;
}

export interface VodacomDeps {
  clock: Clock;
  record?: ProviderCallRecorder;
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

interface Session {
  id: string;
  /** base64(RSA(session id)): the bearer for every call but getSession */
  bearer: string;
  expiresAt: number;
}

type BusinessKind = 'collection' | 'disbursement' | 'reversal';

const PROVIDER = 'vodacom_tz';

export function createVodacomProvider(cfg: VodacomConfig, deps: VodacomDeps): PaymentProvider {
  const base = cfg.baseUrl.replace(/\/+$/, '');
  const prefix = `/${cfg.pathPrefix.replace(/^\/+|\/+$/g, '')}`;
  const endpoint = (name: string) => `${base}${prefix}/${name}/`;
  const origin = cfg.origin || '*';
  const http = createProviderHttp({
    provider: PROVIDER,
    timeoutMs: cfg.timeoutMs,
    retries: cfg.retries,
    backoffMs: cfg.backoffMs,
    record: deps.record,
    ...(deps.fetchImpl ? { fetchImpl: deps.fetchImpl } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });

  // The key is parsed on first use, so a placeholder key in an environment that never calls
  // Vodacom does not stop the app from starting; a bad key surfaces as AUTH_FAILED.
  let key: KeyObject | null = null;
  function platformKey(): KeyObject {
    if (key) return key;
    try {
      const raw = cfg.publicKey.trim();
      const parsed = raw.includes('-----BEGIN')
        ? createPublicKey(raw.replace(/\\n/g, '\n'))
        : createPublicKey({
            key: Buffer.from(raw.replace(/\s+/g, ''), 'base64'),
            format: 'der',
            type: 'spki',
          });
      if (parsed.asymmetricKeyType !== 'rsa') throw new Error(`not an RSA key (${parsed.asymmetricKeyType})`);
      key = parsed;
      return parsed;
    } catch (err) {
      throw new ProviderError(
        'AUTH_FAILED',
        `${PROVIDER}: the configured public key is not usable (base64 DER SPKI or PEM expected): ${(err as Error).message}`,
        false,
      );
    }
  }
  function encrypt(plain: string): string {
    const k = platformKey();
    try {
      return publicEncrypt(
        { key: k, padding: constants.RSA_PKCS1_PADDING },
        Buffer.from(plain, 'utf8'),
      ).toString('base64');
    } catch (err) {
      throw new ProviderError(
        'AUTH_FAILED',
        `${PROVIDER}: encryption failed: ${(err as Error).message}`,
        false,
      );
    }
  }

  let session: Session | null = null;
  let inflight: Promise<Session> | null = null;

  async function fetchSession(): Promise<Session> {
    const reply = await http.call({
      operation: 'getSession',
      method: 'GET',
      url: endpoint('getSession'),
      headers: { Authorization: `Bearer ${encrypt(cfg.apiKey)}`, Origin: origin },
      safeToRepeat: true,
    });
    const b = asRecord(reply.body);
    const code = text(b?.output_ResponseCode);
    const id = text(b?.output_SessionID);
    if (ok(reply) && code === 'INS-0' && id) {
      const s = {
        id,
        bearer: encrypt(id),
        expiresAt: deps.clock.now().getTime() + cfg.sessionTtlSeconds * 1000,
      };
      session = s;
      return s;
    }
    const what = `${PROVIDER} getSession: HTTP ${reply.status} ${code ?? ''} ${text(b?.output_ResponseDesc) ?? ''}`;
    if (reply.status >= 500) throw new ProviderError('HTTP_ERROR', what.trim(), true);
    if (code === 'INS-989' || reply.status === 400 || reply.status === 401 || reply.status === 403)
      throw new ProviderError(
        'AUTH_FAILED',
        `${what.trim()} (check the API key, public key and origin)`,
        false,
      );
    throw new ProviderError('BAD_REPLY', `${what.trim()}: no session id in the answer`, true);
  }

  /** The cached session while it lives; otherwise one shared request for a new one. */
  function currentSession(): Promise<Session> {
    if (session && deps.clock.now().getTime() < session.expiresAt) return Promise.resolve(session);
    if (!inflight) {
      session = null;
      inflight = fetchSession().finally(() => {
        inflight = null;
      });
    }
    return inflight;
  }

  /**
   * One call with the session bearer. A session refusal drops the session and resends once (the
   * gateway refused the call, so nothing moved). The call's own TIMEOUT/NETWORK error is returned,
   * not thrown, so unsafe callers can answer `pending`; session errors are thrown.
   */
  async function authed(c: Omit<CallOptions, 'headers'>): Promise<HttpReply | ProviderError> {
    for (let attempt = 0; ; attempt++) {
      const s = await currentSession();
      let reply: HttpReply;
      try {
        reply = await http.call({ ...c, headers: { Authorization: `Bearer ${s.bearer}`, Origin: origin } });
      } catch (err) {
        if (err instanceof ProviderError) return err;
        throw err;
      }
      if (!isSessionRefusal(reply)) return reply;
      if (session === s) session = null;
      if (attempt >= 1)
        throw new ProviderError(
          'AUTH_FAILED',
          `${PROVIDER} ${c.operation}: a fresh session was refused too (HTTP ${reply.status})`,
          false,
        );
    }
  }

  function wholeAmount(amountMinor: number, currency: string): string {
    if (currency !== cfg.currency)
      throw new ProviderError(
        'CURRENCY_MISMATCH',
        `${PROVIDER} moves ${cfg.currency}, not ${currency}`,
        false,
      );
    return String(toWholeUnits(amountMinor));
  }

  function wireMsisdn(e164: string): string {
    const digits = msisdnDigits(e164);
    if (!/^[0-9]{12,14}$/.test(digits))
      throw new ProviderError('INVALID_MSISDN', `${PROVIDER} wants 12–14 digits, got ${e164}`, false);
    return digits;
  }

  /** C2B, B2C and reversal: made once; their answers map to outcomes as described at the top. */
  async function moveMoney(
    kind: BusinessKind,
    c: Omit<CallOptions, 'headers' | 'safeToRepeat'>,
  ): Promise<ProviderResult> {
    const sent = await authed({ ...c, safeToRepeat: false });
    if (sent instanceof ProviderError) {
      return result(
        'pending',
        sent.code,
        `${sent.message}; the outcome is unknown: resolve it with queryTransactionStatus, never resend`,
      );
    }
    const b = asRecord(sent.body);
    const code = text(b?.output_ResponseCode);
    const desc = text(b?.output_ResponseDesc) ?? '';
    const providerRef = text(b?.output_ConversationID);
    const receipt = text(b?.output_TransactionID);
    if (!code) {
      if (sent.status >= 500)
        return result('pending', `HTTP_${sent.status}`, `gateway error HTTP ${sent.status}: outcome unknown`);
      if (ok(sent)) return result('pending', 'BAD_REPLY', `HTTP ${sent.status} without a response code`);
      // A gateway refusal without an INS code (404/405/403/400…) never reached the money. 408/429
      // (a proxy timeout or throttle) may pass later; the service then resolves it by a query.
      throw new ProviderError(
        'HTTP_ERROR',
        `${PROVIDER} ${c.operation}: HTTP ${sent.status} ${sent.text.slice(0, 200)}`.trim(),
        sent.status === 408 || sent.status === 429,
      );
    }
    switch (code) {
      case 'INS-0':
        if (receipt || kind === 'reversal') return result('succeeded', code, desc, providerRef, receipt);
        return result('pending', code, `${desc} (accepted; the result follows)`.trim(), providerRef);
      case 'INS-10':
        return result(
          'pending',
          code,
          `${desc}: this reference was already sent; query its outcome`,
          providerRef,
        );
      case 'INS-1':
        return result('pending', code, `${desc}: outcome unknown`, providerRef);
      case 'INS-9':
        return result(kind === 'collection' ? 'timeout' : 'pending', code, desc, providerRef);
      case 'INS-5':
        return result(kind === 'collection' ? 'cancelled' : 'failed', code, desc, providerRef);
      default:
        return result('failed', code, desc, providerRef);
    }
  }

  async function queryStatus(
    kind: 'collection' | 'disbursement',
    ref: { reference: string; providerRef: string | null },
  ): Promise<ProviderResult> {
    const url = new URL(endpoint('queryTransactionStatus'));
    url.searchParams.set('input_QueryReference', ref.reference);
    url.searchParams.set('input_ServiceProviderCode', cfg.serviceProviderCode);
    url.searchParams.set('input_ThirdPartyConversationID', randomBytes(16).toString('hex'));
    url.searchParams.set('input_Country', cfg.country);
    const operation = kind === 'collection' ? 'queryCollection' : 'querySend';
    const sent = await authed({
      operation,
      method: 'GET',
      url: url.toString(),
      safeToRepeat: true,
      reference: ref.reference,
    });
    if (sent instanceof ProviderError) throw sent;
    const b = asRecord(sent.body);
    const code = text(b?.output_ResponseCode);
    const desc = text(b?.output_ResponseDesc) ?? '';
    const providerRef = ref.providerRef;
    if (!code) {
      if (sent.status >= 500)
        return result('pending', `HTTP_${sent.status}`, `gateway error HTTP ${sent.status}`, providerRef);
      throw new ProviderError(
        ok(sent) ? 'BAD_REPLY' : 'HTTP_ERROR',
        `${PROVIDER} ${operation}: HTTP ${sent.status} ${sent.text.slice(0, 200)}`.trim(),
        ok(sent),
      );
    }
    if (code === 'INS-23')
      return result(
        'pending',
        code,
        `${desc || 'transaction not found'} (the service treats a not-found collection older than its expiry as failed)`,
        providerRef,
      );
    if (code === 'INS-1' || code === 'INS-9') return result('pending', code, desc, providerRef);
    if (code !== 'INS-0')
      throw new ProviderError(
        'HTTP_ERROR',
        `${PROVIDER} ${operation} refused: ${code} ${desc}`.trim(),
        false,
      );
    const status = text(b?.output_ResponseTransactionStatus) ?? '';
    const outcome = statusOutcome(kind, status);
    const reversed = /^true$/i.test(text(b?.output_Reversed) ?? '');
    return result(
      outcome,
      code,
      `transaction status: ${status || 'unknown'}${reversed ? ' (reversed)' : ''}`,
      providerRef,
      outcome === 'succeeded' ? text(b?.output_OriginalTransactionID) : null,
    );
  }

  return {
    name: PROVIDER,
    currency: cfg.currency,

    async initiateCollection(req) {
      const body = {
        input_Amount: wholeAmount(req.amount, req.currency),
        input_Country: cfg.country,
        input_Currency: cfg.currency,
        input_CustomerMSISDN: wireMsisdn(req.msisdn),
        input_ServiceProviderCode: cfg.serviceProviderCode,
        input_ThirdPartyConversationID: req.reference,
        input_TransactionReference: transactionReference(req.reference),
        input_PurchasedItemsDesc: clip(req.description, 256, 'Purchase'),
      };
      return moveMoney('collection', {
        operation: 'initiateCollection',
        method: 'POST',
        url: endpoint('c2bPayment/singleStage'),
        body,
        timeoutMs: cfg.c2bTimeoutMs,
        reference: req.reference,
      });
    },

    queryCollection(ref) {
      return queryStatus('collection', ref);
    },

    async sendMoney(req) {
      const body = {
        input_Amount: wholeAmount(req.amount, req.currency),
        input_Country: cfg.country,
        input_Currency: cfg.currency,
        input_CustomerMSISDN: wireMsisdn(req.msisdn),
        input_ServiceProviderCode: cfg.serviceProviderCode,
        input_ThirdPartyConversationID: req.reference,
        input_TransactionReference: transactionReference(req.reference),
        input_PaymentItemsDesc: clip(req.remarks, 256, 'Payment'),
      };
      return moveMoney('disbursement', {
        operation: 'sendMoney',
        method: 'POST',
        url: endpoint('b2cPayment'),
        body,
        reference: req.reference,
      });
    },

    querySend(ref) {
      return queryStatus('disbursement', ref);
    },

    async reverseCollection(req) {
      const body = {
        input_ReversalAmount: wholeAmount(req.amount, req.currency),
        input_Country: cfg.country,
        input_ServiceProviderCode: cfg.serviceProviderCode,
        input_ThirdPartyConversationID: req.reference,
        input_TransactionID: req.receipt,
      };
      return moveMoney('reversal', {
        operation: 'reverseCollection',
        method: 'PUT',
        url: endpoint('reversal'),
        body,
        reference: req.reference,
      });
    },

    parseCallback(kind, body) {
      try {
        return parseResult(kind, body);
      } catch {
        return null;
      }
    },

    callbackReply(_kind: CallbackKind, parsed: ParsedCallback | null): CallbackReply {
      if (!parsed) return { status: 400, body: { output_ResponseDesc: 'Result not understood' } };
      return {
        status: 200,
        body: {
          output_OriginalConversationID: parsed.providerRef ?? '',
          output_ResponseCode: '0',
          output_ResponseDesc: 'Successfully Accepted Result',
          output_ThirdPartyConversationID: parsed.reference ?? '',
        },
      };
    },
  };
}
