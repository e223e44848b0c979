import { constants, generateKeyPairSync, privateDecrypt, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A local Vodacom Tanzania M-Pesa OpenAPI (PROTOCOLS.md §2, rules in §6), in memory.
//
// - It owns an RSA key pair; `publicKeyBase64` (base64 DER SPKI, as the portal shows it) goes into the
//   adapter's config. Every `Authorization: Bearer <base64>` is decrypted with the private key and must
//   carry PKCS#1 v1.5 padding. Node 20.11+ refuses RSA_PKCS1_PADDING in privateDecrypt
//   (CVE-2023-46809), so the fake does the raw RSA operation and checks the v1.5 type-2 padding itself
//   (not constant-time; fine for a test double).
// - getSession: bearer = RSA(apiKey) → 200 INS-0 with output_SessionID; anything else → HTTP 400
//   INS-989 "Session Creation Failed" (as documented).
// - Other calls: bearer = RSA(a live session id). An unknown, expired or revoked session → HTTP 401
//   INS-989 "Session Invalid or Expired". The real code for this is not documented [U]; this is our choice.
// - Every call needs an `Origin` header: without one → HTTP 403 `{output_error}` (no INS code) [U].
// - Field checks use the documented regexes and the §2.4 codes/HTTP statuses; a reused
//   ThirdPartyConversationID → 409 INS-10.
// - Outcomes are scripted per payee MSISDN (digits, as on the wire). Cancel is 401 INS-5 and wrong PIN
//   400 INS-2001 (codes from the Mozambique tables [S]); timeout 408 INS-9; insufficient 422 INS-2006.
// - queryTransactionStatus is GET with the query string only (a body → 400 INS-21); reversal is PUT only;
//   a wrong method → 405 and an unknown path → 404, both without an INS code.

export type FakeVodacomOutcome = 'success' | 'cancel' | 'timeout' | 'insufficient' | 'wrongPin';

export type FakeVodacomScript =
  | { kind: FakeVodacomOutcome }
  /** never answers: the client's timeout must fire; the transaction stays Pending */
  | { kind: 'hang' }
  /** INS-0 without output_TransactionID now; the result (default success) is decided `delayMs` later by `now` */
  | { kind: 'async'; delayMs: number; result?: FakeVodacomOutcome }
  /** answer exactly this (e.g. a 503 from the gateway); nothing is recorded as a transaction */
  | { kind: 'reply'; status: number; body: unknown };

export type FakeVodacomOperation = 'getSession' | 'c2b' | 'b2c' | 'query' | 'reversal';

export interface FakeVodacomRequest {
  method: string;
  /** path without the query string */
  path: string;
  operation: FakeVodacomOperation | null;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: unknown;
  /** the decrypted bearer (api key or session id), or null when absent or not decryptable */
  token: string | null;
}

export interface FakeVodacomTransaction {
  kind: 'c2b' | 'b2c' | 'reversal';
  thirdPartyConversationId: string;
  conversationId: string;
  transactionId: string | null;
  msisdn: string | null;
  amount: string;
  status: 'Pending' | 'Completed' | 'Failed' | 'Cancelled' | 'Expired';
  resultCode: string | null;
  resultDesc: string | null;
  /** async only: when the result is decided (by `now`) */
  resultAt: Date | null;
  pendingResult: FakeVodacomOutcome | null;
  async: boolean;
  callbackDelivered: boolean;
  reversed: boolean;
  /** reversal only: the receipt it reversed */
  originalTransactionId: string | null;
}

export interface FakeVodacomSession {
  createdAt: Date;
  expiresAt: Date;
  revoked: boolean;
}

export interface FakeVodacomCallback {
  body: Record<string, string>;
  status: number;
  reply: unknown;
}

export interface FakeVodacom {
  baseUrl: string;
  pathPrefix: string;
  publicKeyBase64: string;
  requests: FakeVodacomRequest[];
  script: Map<string, FakeVodacomScript>;
  /** one-shot answers per operation, consumed before auth (e.g. a 503 once, then normal service) */
  faults: Map<FakeVodacomOperation, Array<{ status: number; body: unknown }>>;
  sessions: Map<string, FakeVodacomSession>;
  /** keyed by ThirdPartyConversationID */
  transactions: Map<string, FakeVodacomTransaction>;
  callbacks: FakeVodacomCallback[];
  /** revoke every session issued so far (the next call with one is refused with 401 INS-989) */
  expireSessions(): void;
  /** POST every decided async result not yet accepted to `listenerUrl`; returns how many were accepted (2xx) */
  deliverCallbacks(): Promise<number>;
  close(): Promise<void>;
}

const OUTCOMES: Record<
  FakeVodacomOutcome,
  { http: number; code: string; desc: string; status: FakeVodacomTransaction['status'] }
> = {
  success: { http: 201, code: 'INS-0', desc: 'Request processed successfully', status: 'Completed' },
  cancel: { http: 401, code: 'INS-5', desc: 'Transaction cancelled by customer', status: 'Cancelled' },
  timeout: { http: 408, code: 'INS-9', desc: 'Request timeout', status: 'Expired' },
  insufficient: { http: 422, code: 'INS-2006', desc: 'Insufficient balance', status: 'Failed' },
  wrongPin: { http: 400, code: 'INS-2001', desc: 'Initiator authentication error.', status: 'Failed' },
};

const AMOUNT = /^\d*\.?\d+$/;
const MSISDN = /^[0-9]{12,14}$/;
const SHORTCODE = /^([0-9A-Za-z]{4,12})$/;
const TX_REFERENCE = /^[0-9a-zA-Z \w+]{1,20}$/;
const CONVERSATION_ID = /^[0-9a-zA-Z \w+]{1,40}$/;

const ROUTES: Record<string, { operation: FakeVodacomOperation; method: string }> = {
  '/getSession/': { operation: 'getSession', method: 'GET' },
  '/c2bPayment/singleStage/': { operation: 'c2b', method: 'POST' },
  '/b2cPayment/': { operation: 'b2c', method: 'POST' },
  '/queryTransactionStatus/': { operation: 'query', method: 'GET' },
  '/reversal/': { operation: 'reversal', method: 'PUT' },
};

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
/** M-Pesa receipts look like `hv9ahxcg4ccv`: 12 lowercase alphanumerics. */
function receipt(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(12)].map((b) => alphabet[b % alphabet.length]).join('');
}

export async function startFakeVodacom(opts: {
  now: () => Date;
  apiKey: string;
  serviceProviderCode: string;
  listenerUrl?: string;
  pathPrefix?: string;
  sessionLifetimeSeconds?: number;
}): Promise<FakeVodacom> {
  const pathPrefix = opts.pathPrefix ?? '/sandbox/ipg/v2/vodacomTZN';
  const lifetimeMs = (opts.sessionLifetimeSeconds ?? 3600) * 1000;
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyBytes = 256;
  const publicKeyBase64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

  const requests: FakeVodacomRequest[] = [];
  const script: FakeVodacom['script'] = new Map();
  const faults: FakeVodacom['faults'] = new Map();
  const sessions: FakeVodacom['sessions'] = new Map();
  const transactions: FakeVodacom['transactions'] = new Map();
  const callbacks: FakeVodacomCallback[] = [];

  function decryptBearer(header: string | undefined): string | null {
    const m = /^Bearer ([A-Za-z0-9+/]+={0,2})$/.exec(header ?? '');
    if (!m) return null;
    const cipher = Buffer.from(m[1]!, 'base64');
    if (cipher.length !== keyBytes) return null;
    let raw: Buffer;
    try {
      raw = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, cipher);
    } catch {
      return null;
    }
    // PKCS#1 v1.5 encryption block: 00 02 <at least 8 non-zero bytes> 00 <message>
    if (raw[0] !== 0x00 || raw[1] !== 0x02) return null;
    const sep = raw.indexOf(0x00, 2);
    if (sep < 10) return null;
    return raw.subarray(sep + 1).toString('utf8');
  }

  /** Decide an async transaction once `now` has reached its result time. */
  function settle(tx: FakeVodacomTransaction): void {
    if (tx.status !== 'Pending' || !tx.resultAt || !tx.pendingResult) return;
    if (opts.now().getTime() < tx.resultAt.getTime()) return;
    const o = OUTCOMES[tx.pendingResult];
    tx.status = o.status;
    tx.resultCode = o.code;
    tx.resultDesc = o.desc;
    if (tx.pendingResult === 'success') tx.transactionId = receipt();
  }

  function findTransaction(ref: string): FakeVodacomTransaction | undefined {
    const direct = transactions.get(ref);
    if (direct) return direct;
    for (const tx of transactions.values()) {
      if (tx.transactionId === ref || tx.conversationId === ref) return tx;
    }
    return undefined;
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://fake.invalid');
      const route = url.pathname.startsWith(`${pathPrefix}/`)
        ? ROUTES[url.pathname.slice(pathPrefix.length)]
        : undefined;
      let body: unknown = null;
      if (rawBody) {
        try {
          body = JSON.parse(rawBody);
        } catch {
          body = rawBody;
        }
      }
      const token = decryptBearer(req.headers.authorization);
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        operation: route?.operation ?? null,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        rawBody,
        body,
        token,
      });
      handle(req.method ?? '', route, url, rawBody, body, token, req.headers, res);
    });
  });

  function json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
  function ins(res: ServerResponse, status: number, code: string, desc: string, extra: object = {}): void {
    json(res, status, { output_ResponseCode: code, output_ResponseDesc: desc, ...extra });
  }

  function handle(
    method: string,
    route: (typeof ROUTES)[string] | undefined,
    url: URL,
    rawBody: string,
    body: unknown,
    token: string | null,
    headers: IncomingHttpHeaders,
    res: ServerResponse,
  ) {
    if (!route) return json(res, 404, { output_error: 'Resource not found' });
    if (method !== route.method) return json(res, 405, { output_error: 'Method Not Allowed' });
    if (!headers.origin) return json(res, 403, { output_error: 'Origin header missing' });
    const fault = faults.get(route.operation)?.shift();
    if (fault) return json(res, fault.status, fault.body);

    if (route.operation === 'getSession') {
      if (token !== opts.apiKey) return ins(res, 400, 'INS-989', 'Session Creation Failed');
      const id = hex(16);
      const now = opts.now();
      sessions.set(id, { createdAt: now, expiresAt: new Date(now.getTime() + lifetimeMs), revoked: false });
      return json(res, 200, {
        output_ResponseCode: 'INS-0',
        output_ResponseDesc: 'Request processed successfully',
        output_SessionID: id,
      });
    }

    const session = token ? sessions.get(token) : undefined;
    if (!session || session.revoked || opts.now().getTime() >= session.expiresAt.getTime()) {
      return ins(res, 401, 'INS-989', 'Session Invalid or Expired');
    }

    if (route.operation === 'query') {
      if (rawBody.length > 0)
        return ins(res, 400, 'INS-21', 'Parameter validations failed: GET takes no body');
      return query(url.searchParams, res);
    }
    if (!String(headers['content-type'] ?? '').startsWith('application/json') || !isObject(body)) {
      return ins(res, 400, 'INS-21', 'Parameter validations failed: JSON object body expected');
    }
    if (route.operation === 'reversal') return reversal(body, res);
    return payment(route.operation, body, res);
  }

  function payment(kind: 'c2b' | 'b2c', b: Record<string, unknown>, res: ServerResponse) {
    const descField = kind === 'c2b' ? 'input_PurchasedItemsDesc' : 'input_PaymentItemsDesc';
    const fields = [
      'input_Amount',
      'input_Country',
      'input_Currency',
      'input_CustomerMSISDN',
      'input_ServiceProviderCode',
      'input_ThirdPartyConversationID',
      'input_TransactionReference',
      descField,
    ];
    if (fields.some((f) => typeof b[f] !== 'string' || b[f] === '')) {
      return ins(res, 400, 'INS-20', 'Not All Parameters Provided. Please Try Again.');
    }
    const v = b as Record<string, string>;
    if (!AMOUNT.test(v.input_Amount!)) return ins(res, 400, 'INS-15', 'Invalid Amount Used');
    if (!MSISDN.test(v.input_CustomerMSISDN!)) return ins(res, 400, 'INS-2051', 'MSISDN invalid.');
    if (
      !SHORTCODE.test(v.input_ServiceProviderCode!) ||
      v.input_ServiceProviderCode !== opts.serviceProviderCode
    )
      return ins(res, 400, 'INS-13', 'Invalid Shortcode Used');
    if (!TX_REFERENCE.test(v.input_TransactionReference!))
      return ins(res, 400, 'INS-17', 'Invalid Transaction Reference. Length Should Be Between 1 and 20.');
    if (!CONVERSATION_ID.test(v.input_ThirdPartyConversationID!))
      return ins(res, 400, 'INS-28', 'Invalid ThirdPartyConversationID Used');
    if (v[descField]!.length > 256)
      return kind === 'c2b'
        ? ins(res, 400, 'INS-30', 'Invalid Purchased Items Description Used')
        : ins(res, 400, 'INS-31', 'Invalid Payment Items Description Used');
    if (v.input_Country !== 'TZN') return ins(res, 400, 'INS-998', 'Invalid Market');
    if (v.input_Currency !== 'TZS') return ins(res, 400, 'INS-26', 'Invalid Currency Used');
    const tpc = v.input_ThirdPartyConversationID!;
    if (transactions.has(tpc)) return ins(res, 409, 'INS-10', 'Duplicate Transaction');

    const s = script.get(v.input_CustomerMSISDN!) ?? { kind: 'success' };
    if (s.kind === 'reply') return json(res, s.status, s.body);
    const tx: FakeVodacomTransaction = {
      kind,
      thirdPartyConversationId: tpc,
      conversationId: hex(16),
      transactionId: null,
      msisdn: v.input_CustomerMSISDN!,
      amount: v.input_Amount!,
      status: 'Pending',
      resultCode: null,
      resultDesc: null,
      resultAt: null,
      pendingResult: null,
      async: false,
      callbackDelivered: false,
      reversed: false,
      originalTransactionId: null,
    };
    transactions.set(tpc, tx);
    const ids = { output_ConversationID: tx.conversationId, output_ThirdPartyConversationID: tpc };
    if (s.kind === 'hang') return; // the socket stays open until the client gives up or close()
    if (s.kind === 'async') {
      tx.async = true;
      tx.pendingResult = s.result ?? 'success';
      tx.resultAt = new Date(opts.now().getTime() + s.delayMs);
      return ins(res, 201, 'INS-0', 'Request processed successfully', ids);
    }
    const o = OUTCOMES[s.kind];
    tx.status = o.status;
    tx.resultCode = o.code;
    tx.resultDesc = o.desc;
    if (s.kind === 'success') tx.transactionId = receipt();
    return ins(res, o.http, o.code, o.desc, {
      ...(tx.transactionId ? { output_TransactionID: tx.transactionId } : {}),
      ...ids,
    });
  }

  function query(q: URLSearchParams, res: ServerResponse) {
    const ref = q.get('input_QueryReference');
    const code = q.get('input_ServiceProviderCode');
    const tpc = q.get('input_ThirdPartyConversationID');
    const country = q.get('input_Country');
    if (!ref || !code || !tpc || !country)
      return ins(res, 400, 'INS-20', 'Not All Parameters Provided. Please Try Again.');
    if (code !== opts.serviceProviderCode) return ins(res, 400, 'INS-13', 'Invalid Shortcode Used');
    if (!CONVERSATION_ID.test(tpc)) return ins(res, 400, 'INS-28', 'Invalid ThirdPartyConversationID Used');
    if (country !== 'TZN') return ins(res, 400, 'INS-998', 'Invalid Market');
    const tx = findTransaction(ref);
    if (!tx)
      return ins(res, 400, 'INS-23', 'Transaction not found', { output_ThirdPartyConversationID: tpc });
    settle(tx);
    return ins(res, 200, 'INS-0', 'Request processed successfully', {
      output_ResponseTransactionStatus: tx.status,
      output_ConversationID: tx.conversationId,
      output_ThirdPartyConversationID: tpc,
      output_OriginalTransactionID: tx.transactionId ?? '',
      output_Reversed: tx.reversed ? 'True' : 'False',
    });
  }

  function reversal(b: Record<string, unknown>, res: ServerResponse) {
    const fields = [
      'input_Country',
      'input_ServiceProviderCode',
      'input_ThirdPartyConversationID',
      'input_TransactionID',
    ];
    if (fields.some((f) => typeof b[f] !== 'string' || b[f] === ''))
      return ins(res, 400, 'INS-20', 'Not All Parameters Provided. Please Try Again.');
    if (b.input_ReversalAmount !== undefined && !AMOUNT.test(String(b.input_ReversalAmount)))
      return ins(res, 400, 'INS-15', 'Invalid Amount Used');
    const v = b as Record<string, string>;
    if (v.input_ServiceProviderCode !== opts.serviceProviderCode)
      return ins(res, 400, 'INS-13', 'Invalid Shortcode Used');
    if (!CONVERSATION_ID.test(v.input_ThirdPartyConversationID!))
      return ins(res, 400, 'INS-28', 'Invalid ThirdPartyConversationID Used');
    if (v.input_Country !== 'TZN') return ins(res, 400, 'INS-998', 'Invalid Market');
    const tpc = v.input_ThirdPartyConversationID!;
    if (transactions.has(tpc)) return ins(res, 409, 'INS-10', 'Duplicate Transaction');
    const original = [...transactions.values()].find(
      (t) => t.kind === 'c2b' && t.status === 'Completed' && t.transactionId === v.input_TransactionID,
    );
    if (!original) return ins(res, 400, 'INS-18', 'Invalid TransactionID Used');
    if (original.reversed) return ins(res, 401, 'INS-6', 'Transaction Failed');
    const amount = v.input_ReversalAmount ?? original.amount;
    if (Number(amount) > Number(original.amount)) return ins(res, 400, 'INS-15', 'Invalid Amount Used');
    original.reversed = true;
    const tx: FakeVodacomTransaction = {
      kind: 'reversal',
      thirdPartyConversationId: tpc,
      conversationId: hex(16),
      transactionId: receipt(),
      msisdn: null,
      amount,
      status: 'Completed',
      resultCode: 'INS-0',
      resultDesc: 'Request processed successfully',
      resultAt: null,
      pendingResult: null,
      async: false,
      callbackDelivered: false,
      reversed: false,
      originalTransactionId: original.transactionId,
    };
    transactions.set(tpc, tx);
    return ins(res, 201, 'INS-0', 'Request processed successfully', {
      output_TransactionID: tx.transactionId,
      output_ConversationID: tx.conversationId,
      output_ThirdPartyConversationID: tpc,
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    pathPrefix,
    publicKeyBase64,
    requests,
    script,
    faults,
    sessions,
    transactions,
    callbacks,
    expireSessions() {
      for (const s of sessions.values()) s.revoked = true;
    },
    async deliverCallbacks() {
      if (!opts.listenerUrl) throw new Error('startFakeVodacom: no listenerUrl to deliver results to');
      let accepted = 0;
      for (const tx of transactions.values()) {
        if (!tx.async || tx.callbackDelivered) continue;
        settle(tx);
        if (tx.status === 'Pending') continue;
        const body = {
          input_OriginalConversationID: tx.conversationId,
          input_TransactionID: tx.transactionId ?? '',
          input_ResultCode: tx.resultCode ?? 'INS-1',
          input_ResultDesc: tx.resultDesc ?? '',
          input_ThirdPartyConversationID: tx.thirdPartyConversationId,
        };
        const res = await fetch(opts.listenerUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        const text = await res.text();
        let reply: unknown = text;
        try {
          reply = JSON.parse(text);
        } catch {}
        callbacks.push({ body, status: res.status, reply });
        if (res.ok) {
          tx.callbackDelivered = true;
          accepted++;
        }
      }
      return accepted;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
