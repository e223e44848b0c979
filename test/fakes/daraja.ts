import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A local Safaricom Daraja that speaks the real wire protocol (PROTOCOLS.md §1 and §6), all in memory:
// - GET /oauth/v1/generate?grant_type=client_credentials with Basic auth → {"access_token","expires_in":"3599"}
//   (a string, as older docs show). A new token invalidates the previous one; a stale or unknown bearer
//   gets HTTP 404 {"errorCode":"404.001.03","errorMessage":"Invalid Access Token"}.
// - STK push / STK query recompute the Password (mismatch → 500.001.1001 "Wrong credentials") and check
//   the fields (400.002.02 "Bad Request - Invalid <Field>"). Codes in synchronous replies are strings,
//   the STK callback's ResultCode is a number. The query answers HTTP 500 500.001.1001 "The transaction
//   is being processed" until the scripted outcome is due by the injected clock.
// - B2C v3 rejects a reused OriginatorConversationID with 500.002.1001; Transaction Status and Reversal
//   (with the misspelt RecieverIdentifierType) are acknowledged and answered later at their ResultURL.
// - Callbacks are not pushed by themselves: the test calls deliverCallbacks() after moving the clock.
//
// Assumptions beyond the docs are marked [U] where they appear.

export type DarajaOutcome = 'success' | 'cancel' | 'timeout' | 'insufficient' | 'wrongPin';

/** Scripted behaviour for one MSISDN (digits, `2547…`): STK by PartyA, B2C by PartyB. */
export type DarajaScript =
  /** resolves `afterMs` after the request (default 20 s for STK, 5 s for B2C), then calls back */
  | { kind: DarajaOutcome; afterMs?: number }
  /** resolves like `resolvesTo` (default success) for the query, but never posts a callback */
  | { kind: 'noCallback'; resolvesTo?: DarajaOutcome; afterMs?: number }
  /** never answers the HTTP call */
  | { kind: 'hang' };

export interface FakeDarajaRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: unknown;
  at: Date;
}

export interface FakeDarajaCallback {
  url: string;
  body: string;
  status: number | null;
  error: string | null;
}

export interface FakeDaraja {
  baseUrl: string;
  requests: FakeDarajaRequest[];
  script: Map<string, DarajaScript>;
  /** every token issued, oldest first; only the last one is valid (until it expires) */
  tokens: string[];
  /** callbacks posted by deliverCallbacks() */
  callbacks: FakeDarajaCallback[];
  /** Invalidate every issued token, as if another client had requested a new one. */
  expireTokens(): void;
  /** Answer the next `times` calls to `path` with this reply (or never answer), before anything else. */
  failNext(path: string, reply: { status: number; body?: unknown } | 'hang', times?: number): void;
  /** Post every callback that is due by `now()`; resolves to how many were posted. */
  deliverCallbacks(): Promise<number>;
  close(): Promise<void>;
}

export interface FakeDarajaOptions {
  now: () => Date;
  consumerKey: string;
  consumerSecret: string;
  shortcode: string;
  passkey: string;
  /** when set, B2C PartyA / status PartyA must equal it */
  b2cShortcode?: string;
  /** when set, InitiatorName / Initiator must equal it */
  initiatorName?: string;
  /** [U] Safaricom's tolerance for a skewed Timestamp is undocumented; the fake refuses beyond this (10 min) */
  maxTimestampSkewMs?: number;
}

const TOKEN_SECONDS = 3599;

const RESULTS: Record<DarajaOutcome, { code: number; desc: string }> = {
  success: { code: 0, desc: 'The service request is processed successfully.' },
  cancel: { code: 1032, desc: 'Request cancelled by user' },
  timeout: { code: 1037, desc: 'DS timeout user cannot be reached' },
  insufficient: { code: 1, desc: 'The balance is insufficient for the transaction.' },
  wrongPin: { code: 2001, desc: 'The initiator information is invalid.' },
};

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** EAT (UTC+3) `YYYYMMDDHHmmss`, written independently of the adapter's helper. */
function eat(ms: number): string {
  return new Date(ms + 3 * 3600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** The B2C date format `DD.MM.YYYY HH:mm:ss` (EAT). */
function eatDotted(ms: number): string {
  const s = eat(ms);
  return `${s.slice(6, 8)}.${s.slice(4, 6)}.${s.slice(0, 4)} ${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}`;
}

function parseEat(ts: string): number {
  const n = (a: number, b: number) => Number(ts.slice(a, b));
  return Date.UTC(n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10) - 3, n(10, 12), n(12, 14));
}

const isUrl = (v: unknown) => {
  if (typeof v !== 'string') return false;
  try {
    return /^https?:$/.test(new URL(v).protocol);
  } catch {
    return false;
  }
};
const isPhone = (v: unknown) => /^254[17]\d{8}$/.test(String(v));
const isBase64 = (v: unknown) =>
  typeof v === 'string' && v.length > 0 && v.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(v);
const isWholeAmount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;

interface StkTx {
  checkoutId: string;
  merchantId: string;
  msisdn: string;
  amount: number;
  dueAt: number;
  outcome: DarajaOutcome;
  receipt: string | null;
  reversed: boolean;
}

interface B2cTx {
  originatorId: string;
  conversationId: string;
  msisdn: string;
  amount: number;
  createdAt: number;
  dueAt: number;
  outcome: DarajaOutcome;
  receipt: string;
}

interface Outbox {
  url: string;
  dueAt: number;
  body: () => string;
  delivered: boolean;
}

export async function startFakeDaraja(opts: FakeDarajaOptions): Promise<FakeDaraja> {
  const requests: FakeDarajaRequest[] = [];
  const script: FakeDaraja['script'] = new Map();
  const tokens: string[] = [];
  const callbacks: FakeDarajaCallback[] = [];
  const failures = new Map<string, Array<{ status: number; body?: unknown } | 'hang'>>();
  const stk = new Map<string, StkTx>();
  const b2c = new Map<string, B2cTx>();
  const outbox: Outbox[] = [];
  let current: { token: string; expiresAt: number } | null = null;
  let seq = 0;
  const maxSkew = opts.maxTimestampSkewMs ?? 10 * 60_000;
  const nowMs = () => opts.now().getTime();
  const next = () => ++seq;
  const receiptNo = (prefix: string) => `${prefix}${next().toString(36).toUpperCase().padStart(8, '0')}`;
  const password = (ts: string) => Buffer.from(`${opts.shortcode}${opts.passkey}${ts}`).toString('base64');

  function route(req: IncomingMessage, res: ServerResponse, path: string, query: Json, body: unknown) {
    const json = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const gateway = (status: number, errorCode: string, errorMessage: string) =>
      json(status, { requestId: `${next()}-${Date.now()}`, errorCode, errorMessage });
    const invalid = (field: string) => gateway(400, '400.002.02', `Bad Request - Invalid ${field}`);

    const queued = failures.get(path)?.shift();
    if (queued === 'hang') return;
    if (queued) {
      if (typeof queued.body === 'string' || queued.body === undefined) {
        res.writeHead(queued.status, { 'content-type': 'text/plain' });
        res.end(queued.body ?? '');
        return;
      }
      return json(queued.status, queued.body);
    }

    if (path === '/oauth/v1/generate') {
      if (req.method !== 'GET') return gateway(405, '405.001', 'Method Not Allowed');
      const auth = req.headers.authorization ?? '';
      if (!auth.startsWith('Basic ')) return gateway(400, '400.008.01', 'Invalid Authentication passed');
      if (query.grant_type !== 'client_credentials')
        return gateway(400, '400.008.02', 'Invalid grant type passed');
      const [key, ...rest] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
      // [U] the exact body for a wrong key/secret is undocumented; the gateway answers HTTP 400.
      if (key !== opts.consumerKey || rest.join(':') !== opts.consumerSecret)
        return gateway(400, '400.008.01', 'Invalid Authentication passed');
      const token = Buffer.from(`tok-${next()}-${Math.random()}`).toString('base64url').slice(0, 28);
      tokens.push(token);
      current = { token, expiresAt: nowMs() + TOKEN_SECONDS * 1000 };
      return json(200, { access_token: token, expires_in: String(TOKEN_SECONDS) });
    }

    const handler = API[path];
    if (!handler) return gateway(404, '404.001.01', 'Resource not found');
    if (req.method !== 'POST') return gateway(405, '405.001', 'Method Not Allowed');
    const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!current || bearer !== current.token || nowMs() >= current.expiresAt)
      return gateway(404, '404.001.03', 'Invalid Access Token');
    if (!isObj(body)) return invalid('JSON');
    handler(body, { json, gateway, invalid, hang: () => undefined });
  }

  interface Reply {
    json(status: number, payload: unknown): void;
    gateway(status: number, code: string, message: string): void;
    invalid(field: string): void;
    hang(): void;
  }

  /** STK and query: shortcode, timestamp and password, as Safaricom checks them. */
  function checkStkAuth(b: Json, r: Reply): boolean {
    if (String(b.BusinessShortCode) !== opts.shortcode) {
      r.invalid('BusinessShortCode');
      return false;
    }
    const ts = b.Timestamp;
    if (typeof ts !== 'string' || !/^\d{14}$/.test(ts) || Math.abs(parseEat(ts) - nowMs()) > maxSkew) {
      r.invalid('Timestamp');
      return false;
    }
    if (b.Password !== password(ts)) {
      r.gateway(500, '500.001.1001', 'Wrong credentials');
      return false;
    }
    return true;
  }

  function checkInitiator(b: Json, r: Reply, nameField: 'InitiatorName' | 'Initiator'): boolean {
    if (typeof b[nameField] !== 'string' || (opts.initiatorName && b[nameField] !== opts.initiatorName)) {
      r.invalid(nameField);
      return false;
    }
    if (!isBase64(b.SecurityCredential)) {
      r.invalid('SecurityCredential');
      return false;
    }
    return true;
  }

  const resolveAt = (s: DarajaScript | undefined, createdAt: number, defaultMs: number) =>
    createdAt + (s && s.kind !== 'hang' && s.afterMs !== undefined ? s.afterMs : defaultMs);
  const outcomeOf = (s: DarajaScript | undefined): DarajaOutcome =>
    !s || s.kind === 'hang' ? 'success' : s.kind === 'noCallback' ? (s.resolvesTo ?? 'success') : s.kind;

  const API: Record<string, (b: Json, r: Reply) => void> = {
    '/mpesa/stkpush/v1/processrequest'(b, r) {
      if (!checkStkAuth(b, r)) return;
      if (b.TransactionType !== 'CustomerPayBillOnline' && b.TransactionType !== 'CustomerBuyGoodsOnline')
        return r.invalid('TransactionType');
      if (!isWholeAmount(b.Amount)) return r.invalid('Amount');
      if (!isPhone(b.PartyA)) return r.invalid('PartyA');
      if (b.PartyB === undefined || !/^\d+$/.test(String(b.PartyB))) return r.invalid('PartyB');
      if (!isPhone(b.PhoneNumber)) return r.invalid('PhoneNumber');
      if (!isUrl(b.CallBackURL)) return r.invalid('CallBackURL');
      if (typeof b.AccountReference !== 'string' || !b.AccountReference || b.AccountReference.length > 12)
        return r.invalid('AccountReference');
      if (
        b.TransactionDesc !== undefined &&
        (typeof b.TransactionDesc !== 'string' || b.TransactionDesc.length > 13)
      )
        return r.invalid('TransactionDesc');
      const msisdn = String(b.PartyA);
      const s = script.get(msisdn);
      if (s?.kind === 'hang') return r.hang();
      const createdAt = nowMs();
      const n = next();
      const tx: StkTx = {
        checkoutId: `ws_CO_${eat(createdAt).slice(2)}${String(n).padStart(6, '0')}`,
        merchantId: `${29115 + n}-${34620561 + n}-1`,
        msisdn,
        amount: b.Amount as number,
        dueAt: resolveAt(s, createdAt, 20_000),
        outcome: outcomeOf(s),
        receipt: null,
        reversed: false,
      };
      if (tx.outcome === 'success') tx.receipt = receiptNo('TK');
      stk.set(tx.checkoutId, tx);
      if (s?.kind !== 'noCallback') {
        outbox.push({
          url: b.CallBackURL as string,
          dueAt: tx.dueAt,
          body: () => stkCallback(tx),
          delivered: false,
        });
      }
      r.json(200, {
        MerchantRequestID: tx.merchantId,
        CheckoutRequestID: tx.checkoutId,
        ResponseCode: '0',
        ResponseDescription: 'Success. Request accepted for processing',
        CustomerMessage: 'Success. Request accepted for processing',
      });
    },

    '/mpesa/stkpushquery/v1/query'(b, r) {
      if (!checkStkAuth(b, r)) return;
      const tx = typeof b.CheckoutRequestID === 'string' ? stk.get(b.CheckoutRequestID) : undefined;
      if (!tx) return r.invalid('CheckoutRequestID'); // [U] the real answer for an unknown id
      if (nowMs() < tx.dueAt) return r.gateway(500, '500.001.1001', 'The transaction is being processed');
      const result = RESULTS[tx.outcome];
      r.json(200, {
        ResponseCode: '0',
        ResponseDescription: 'The service request has been accepted successsfully',
        MerchantRequestID: tx.merchantId,
        CheckoutRequestID: tx.checkoutId,
        ResultCode: String(result.code),
        ResultDesc: result.desc,
      });
    },

    '/mpesa/b2c/v3/paymentrequest'(b, r) {
      if (typeof b.OriginatorConversationID !== 'string' || !b.OriginatorConversationID)
        return r.invalid('OriginatorConversationID');
      if (!checkInitiator(b, r, 'InitiatorName')) return;
      if (!['BusinessPayment', 'SalaryPayment', 'PromotionPayment'].includes(String(b.CommandID)))
        return r.invalid('CommandID');
      if (!isWholeAmount(b.Amount)) return r.invalid('Amount');
      if (opts.b2cShortcode && String(b.PartyA) !== opts.b2cShortcode) return r.invalid('PartyA');
      if (!isPhone(b.PartyB)) return r.invalid('PartyB');
      if (typeof b.Remarks !== 'string' || b.Remarks.length < 2 || b.Remarks.length > 100)
        return r.invalid('Remarks');
      if (!isUrl(b.QueueTimeOutURL)) return r.invalid('QueueTimeOutURL');
      if (!isUrl(b.ResultURL)) return r.invalid('ResultURL');
      if (b.Occassion !== undefined && typeof b.Occassion !== 'string') return r.invalid('Occassion');
      const msisdn = String(b.PartyB);
      const s = script.get(msisdn);
      if (s?.kind === 'hang') return r.hang();
      if (b2c.has(b.OriginatorConversationID))
        return r.gateway(500, '500.002.1001', 'Duplicate OriginatorConversationID');
      const createdAt = nowMs();
      const tx: B2cTx = {
        originatorId: b.OriginatorConversationID,
        conversationId: `AG_${eat(createdAt).slice(0, 8)}_${next().toString(16).padStart(20, '0')}`,
        msisdn,
        amount: b.Amount as number,
        createdAt,
        dueAt: resolveAt(s, createdAt, 5_000),
        outcome: outcomeOf(s),
        receipt: receiptNo('SG'),
      };
      b2c.set(tx.originatorId, tx);
      if (s?.kind !== 'noCallback') {
        outbox.push({
          url: b.ResultURL as string,
          dueAt: tx.dueAt,
          body: () => b2cResult(tx, b.QueueTimeOutURL as string),
          delivered: false,
        });
      }
      r.json(200, {
        ConversationID: tx.conversationId,
        OriginatorConversationID: tx.originatorId,
        ResponseCode: '0',
        ResponseDescription: 'Accept the service request successfully.',
      });
    },

    '/mpesa/transactionstatus/v1/query'(b, r) {
      if (!checkInitiator(b, r, 'Initiator')) return;
      if (b.CommandID !== 'TransactionStatusQuery') return r.invalid('CommandID');
      const byReceipt = typeof b.TransactionID === 'string' ? b.TransactionID : null;
      const byOriginator = typeof b.OriginalConversationID === 'string' ? b.OriginalConversationID : null;
      if (!byReceipt && !byOriginator) return r.invalid('TransactionID');
      if (opts.b2cShortcode && String(b.PartyA) !== opts.b2cShortcode) return r.invalid('PartyA');
      if (b.IdentifierType !== '4') return r.invalid('IdentifierType');
      if (!isUrl(b.ResultURL)) return r.invalid('ResultURL');
      if (!isUrl(b.QueueTimeOutURL)) return r.invalid('QueueTimeOutURL');
      if (typeof b.Remarks !== 'string' || b.Remarks.length < 2) return r.invalid('Remarks');
      const at = nowMs();
      const ids = {
        originator: `${next()}-${next()}-1`,
        conversation: `AG_${eat(at).slice(0, 8)}_${next()}`,
      };
      const tx = [...b2c.values()].find((t) => t.originatorId === byOriginator || t.receipt === byReceipt);
      outbox.push({
        url: b.ResultURL as string,
        dueAt: at,
        body: () => statusResult(ids, tx, at, b.Occasion),
        delivered: false,
      });
      r.json(200, {
        OriginatorConversationID: ids.originator,
        ConversationID: ids.conversation,
        ResponseCode: '0',
        ResponseDescription: 'Accept the service request successfully.',
      });
    },

    '/mpesa/reversal/v1/request'(b, r) {
      if (!checkInitiator(b, r, 'Initiator')) return;
      if (b.CommandID !== 'TransactionReversal') return r.invalid('CommandID');
      if (typeof b.TransactionID !== 'string' || !b.TransactionID) return r.invalid('TransactionID');
      if (!isWholeAmount(b.Amount)) return r.invalid('Amount');
      if (String(b.ReceiverParty) !== opts.shortcode) return r.invalid('ReceiverParty');
      // The API itself spells it "Reciever"; the correct spelling is not what it reads.
      if (b.RecieverIdentifierType !== '11') return r.invalid('RecieverIdentifierType');
      if (!isUrl(b.ResultURL)) return r.invalid('ResultURL');
      if (!isUrl(b.QueueTimeOutURL)) return r.invalid('QueueTimeOutURL');
      if (typeof b.Remarks !== 'string' || b.Remarks.length < 2) return r.invalid('Remarks');
      const at = nowMs();
      const ids = {
        originator: `${next()}-${next()}-1`,
        conversation: `AG_${eat(at).slice(0, 8)}_${next()}`,
      };
      const original = [...stk.values()].find((t) => t.receipt === b.TransactionID && at >= t.dueAt);
      const verdict = !original
        ? { code: 'R000002', desc: 'The OriginalTransactionID is invalid.' }
        : original.reversed
          ? { code: 'R000001', desc: 'The transaction has already been reversed.' }
          : null;
      if (original && !verdict) original.reversed = true;
      const amount = b.Amount as number;
      const receipt = receiptNo('RV');
      outbox.push({
        url: b.ResultURL as string,
        dueAt: at,
        body: () =>
          JSON.stringify({
            Result: {
              ResultType: 0,
              ResultCode: verdict ? verdict.code : 0,
              ResultDesc: verdict ? verdict.desc : 'The service request is processed successfully.',
              OriginatorConversationID: ids.originator,
              ConversationID: ids.conversation,
              TransactionID: receipt,
              ...(verdict
                ? {}
                : {
                    ResultParameters: {
                      ResultParameter: [
                        {
                          Key: 'DebitAccountBalance',
                          Value: 'Utility Account|KES|51661.00|51661.00|0.00|0.00',
                        },
                        { Key: 'Amount', Value: amount },
                        { Key: 'TransCompletedTime', Value: Number(eat(at)) },
                        { Key: 'OriginalTransactionID', Value: b.TransactionID },
                        { Key: 'Charge', Value: 0 },
                        { Key: 'CreditPartyPublicName', Value: `${original?.msisdn} - CUSTOMER` },
                        { Key: 'DebitPartyPublicName', Value: `${opts.shortcode} - KKOO` },
                      ],
                    },
                  }),
              ReferenceData: { ReferenceItem: { Key: 'QueueTimeoutURL', Value: b.QueueTimeOutURL } },
            },
          }),
        delivered: false,
      });
      r.json(200, {
        OriginatorConversationID: ids.originator,
        ConversationID: ids.conversation,
        ResponseCode: '0',
        ResponseDescription: 'Accept the service request successfully.',
      });
    },
  };

  function stkCallback(tx: StkTx): string {
    const result = RESULTS[tx.outcome];
    const cb: Json = {
      MerchantRequestID: tx.merchantId,
      CheckoutRequestID: tx.checkoutId,
      ResultCode: result.code,
      ResultDesc: result.desc,
    };
    if (tx.outcome === 'success') {
      cb.CallbackMetadata = {
        Item: [
          { Name: 'Amount', Value: '__AMOUNT__' },
          { Name: 'MpesaReceiptNumber', Value: tx.receipt },
          { Name: 'Balance' },
          { Name: 'TransactionDate', Value: Number(eat(tx.dueAt)) },
          { Name: 'PhoneNumber', Value: Number(tx.msisdn) },
        ],
      };
    }
    // Amounts go out as decimals (`1.00`), as Safaricom writes them.
    return JSON.stringify({ Body: { stkCallback: cb } }).replace('"__AMOUNT__"', `${tx.amount}.00`);
  }

  function b2cResult(tx: B2cTx, queueUrl: string): string {
    const result = RESULTS[tx.outcome];
    const ok = tx.outcome === 'success';
    return JSON.stringify({
      Result: {
        ResultType: 0,
        ResultCode: result.code,
        ResultDesc: result.desc,
        OriginatorConversationID: tx.originatorId,
        ConversationID: tx.conversationId,
        TransactionID: ok ? tx.receipt : `${tx.receipt.slice(0, 2)}00000000`,
        ...(ok
          ? {
              ResultParameters: {
                ResultParameter: [
                  { Key: 'TransactionAmount', Value: tx.amount },
                  { Key: 'TransactionReceipt', Value: tx.receipt },
                  { Key: 'ReceiverPartyPublicName', Value: `${tx.msisdn} - JANE DOE` },
                  { Key: 'TransactionCompletedDateTime', Value: eatDotted(tx.dueAt) },
                  { Key: 'B2CUtilityAccountAvailableFunds', Value: 8959269.6 },
                  { Key: 'B2CWorkingAccountAvailableFunds', Value: 1199371.0 },
                  { Key: 'B2CRecipientIsRegisteredCustomer', Value: 'Y' },
                  { Key: 'B2CChargesPaidAccountAvailableFunds', Value: -1980.0 },
                ],
              },
            }
          : {}),
        ReferenceData: { ReferenceItem: { Key: 'QueueTimeoutURL', Value: queueUrl } },
      },
    });
  }

  /** [S]/[U]: the status result's own ids are the query's; the original's are among the parameters. */
  function statusResult(
    ids: { originator: string; conversation: string },
    tx: B2cTx | undefined,
    at: number,
    occasion: unknown,
  ): string {
    const reference = { ReferenceItem: { Key: 'Occasion', ...(occasion ? { Value: occasion } : {}) } };
    if (!tx) {
      return JSON.stringify({
        Result: {
          ResultType: 0,
          ResultCode: 'R000002', // [U] what Safaricom answers for an unknown transaction
          ResultDesc: 'The OriginalTransactionID is invalid.',
          OriginatorConversationID: ids.originator,
          ConversationID: ids.conversation,
          TransactionID: '0000000000',
          ReferenceData: reference,
        },
      });
    }
    const status = at < tx.dueAt ? 'Pending' : tx.outcome === 'success' ? 'Completed' : 'Failed'; // [U]
    return JSON.stringify({
      Result: {
        ResultType: 0,
        ResultCode: 0,
        ResultDesc: 'The service request is processed successfully.',
        OriginatorConversationID: ids.originator,
        ConversationID: ids.conversation,
        TransactionID: tx.receipt,
        ResultParameters: {
          ResultParameter: [
            { Key: 'DebitPartyName', Value: `${opts.b2cShortcode ?? opts.shortcode} - KKOO` },
            { Key: 'CreditPartyName', Value: `${tx.msisdn} - JANE DOE` },
            { Key: 'OriginatorConversationID', Value: tx.originatorId },
            { Key: 'InitiatedTime', Value: Number(eat(tx.createdAt)) },
            { Key: 'DebitAccountType', Value: 'Utility Account' },
            { Key: 'DebitPartyCharges', Value: 'Fee For B2C Payment|KES|22.40' },
            { Key: 'TransactionReason' },
            { Key: 'ReasonType', Value: 'Business Payment to Customer via API' },
            { Key: 'TransactionStatus', Value: status },
            { Key: 'FinalisedTime', Value: Number(eat(tx.dueAt)) },
            { Key: 'Amount', Value: tx.amount },
            { Key: 'ConversationID', Value: tx.conversationId },
            { Key: 'ReceiptNo', Value: tx.receipt },
          ],
        },
        ReferenceData: reference,
      },
    });
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      if (raw) {
        try {
          body = JSON.parse(raw);
        } catch {
          body = raw;
        }
      }
      const query = Object.fromEntries(url.searchParams);
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        query,
        headers: req.headers,
        body,
        at: opts.now(),
      });
      route(req, res, url.pathname, query, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    script,
    tokens,
    callbacks,
    expireTokens() {
      current = null;
    },
    failNext(path, reply, times = 1) {
      const list = failures.get(path) ?? [];
      for (let i = 0; i < times; i++) list.push(reply);
      failures.set(path, list);
    },
    async deliverCallbacks() {
      let posted = 0;
      for (const item of outbox) {
        if (item.delivered || item.dueAt > nowMs()) continue;
        item.delivered = true;
        const body = item.body();
        try {
          const res = await fetch(item.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          });
          await res.text();
          callbacks.push({ url: item.url, body, status: res.status, error: null });
        } catch (err) {
          callbacks.push({ url: item.url, body, status: null, error: (err as Error).message });
        }
        posted++;
      }
      return posted;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
