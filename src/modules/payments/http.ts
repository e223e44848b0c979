import { type ProviderCallRecorder, ProviderError, type ProviderName } from './port.js';

// The one way adapters talk to a provider: a timeout on every call, bounded retries with backoff
// only where repeating is safe (reads, token requests, sends keyed by our own idempotency id),
// and a stored record of each call with secrets masked.

/** Field and header names whose values never reach a log or the call record. */
const SECRET_KEYS =
  /^(authorization|password|securitycredential|apikey|api_key|passkey|consumersecret|initiatorpassword|access_token|output_sessionid|callbackurl|resulturl|queuetimeouturl)$/i;
// The callback URLs carry our secret path token, so they are masked whole.

export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        SECRET_KEYS.test(k) ? '***' : maskSecrets(v),
      ]),
    );
  }
  return value;
}

/** Mask secret query parameters (Vodacom's query string carries none today, but a URL is logged whole). */
function maskUrl(url: string): string {
  const u = new URL(url);
  for (const k of [...u.searchParams.keys()]) if (SECRET_KEYS.test(k)) u.searchParams.set(k, '***');
  return u.toString();
}

export interface HttpReply {
  status: number;
  /** parsed JSON, or the raw text when the body is not JSON */
  body: unknown;
  text: string;
}

export interface ProviderHttpOptions {
  provider: ProviderName;
  timeoutMs: number;
  /** extra attempts for calls marked safe to repeat */
  retries: number;
  /** first backoff; doubles each retry */
  backoffMs: number;
  record?: ProviderCallRecorder | undefined;
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export interface CallOptions {
  operation: string;
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** repeat on network errors, timeouts and 5xx: only for reads and idempotent sends */
  safeToRepeat: boolean;
  /** per-call timeout, when it differs (Vodacom's synchronous C2B stays open until the PIN) */
  timeoutMs?: number;
  reference?: string | null;
  /** HTTP statuses that are answers, not failures to retry (e.g. Daraja's 500 "being processed") */
  answerStatuses?: number[];
}

export function createProviderHttp(opts: ProviderHttpOptions) {
  const fetchImpl = opts.fetchImpl ?? fetch;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  async function once(c: CallOptions): Promise<HttpReply> {
    const started = performance.now();
    const timeoutMs = c.timeoutMs ?? opts.timeoutMs;
    let status: number | null = null;
    let parsed: unknown = null;
    let error: string | null = null;
    try {
      const res = await fetchImpl(c.url, {
        method: c.method,
        headers: {
          Accept: 'application/json',
          ...(c.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...c.headers,
        },
        body: c.body === undefined ? undefined : JSON.stringify(c.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      const text = await res.text();
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = text;
      }
      return { status: res.status, body: parsed, text };
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        error = `no answer within ${timeoutMs} ms`;
        throw new ProviderError('TIMEOUT', `${opts.provider} ${c.operation}: ${error}`, true);
      }
      error = (err as Error).message;
      throw new ProviderError('NETWORK', `${opts.provider} ${c.operation} unreachable: ${error}`, true);
    } finally {
      await opts.record?.({
        provider: opts.provider,
        operation: c.operation,
        method: c.method,
        url: maskUrl(c.url),
        requestBody: c.body === undefined ? null : maskSecrets(c.body),
        responseStatus: status,
        responseBody: maskSecrets(parsed),
        error,
        durationMs: Math.round(performance.now() - started),
        reference: c.reference ?? null,
      });
    }
  }

  return {
    /**
     * One call, repeated up to `retries` times when it is safe to repeat and the failure is the
     * kind that may pass (network, timeout, 5xx that is not a known answer). Unsafe calls are made
     * once: their timeout surfaces as ProviderError TIMEOUT, and the caller resolves the outcome
     * by a status query.
     */
    async call(c: CallOptions): Promise<HttpReply> {
      const attempts = c.safeToRepeat ? opts.retries + 1 : 1;
      for (let i = 0; ; i++) {
        try {
          const reply = await once(c);
          const transient = reply.status >= 500 && !(c.answerStatuses ?? []).includes(reply.status);
          if (!transient || i + 1 >= attempts) return reply;
        } catch (err) {
          if (!(err instanceof ProviderError) || !err.retryable || i + 1 >= attempts) throw err;
        }
        await sleep(opts.backoffMs * 2 ** i);
      }
    },
  };
}

export type ProviderHttp = ReturnType<typeof createProviderHttp>;

/** Minor units to the whole shillings every provider takes; fractions are refused, never rounded. */
export function toWholeUnits(amountMinor: number): number {
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0)
    throw new ProviderError('AMOUNT_OUT_OF_RANGE', `amount must be a positive integer of minor units`, false);
  if (amountMinor % 100 !== 0)
    throw new ProviderError(
      'AMOUNT_NOT_WHOLE',
      `mobile money moves whole shillings; ${amountMinor} minor units has a fraction`,
      false,
    );
  return amountMinor / 100;
}

/** Whole units from a provider (number or numeric string, e.g. 1.00 or "1500") back to minor units. */
export function fromWholeUnits(value: unknown): number | null {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : NaN;
  if (!Number.isFinite(n) || n < 0) return null;
  const minor = Math.round(n * 100);
  return Number.isSafeInteger(minor) ? minor : null;
}

/** E.164 (`+255712345678`) to the digits-only form M-Pesa wants (`255712345678`). */
export function msisdnDigits(e164: string): string {
  if (!/^\+\d{11,14}$/.test(e164))
    throw new ProviderError('INVALID_MSISDN', `not an E.164 number: ${e164}`, false);
  return e164.slice(1);
}

/** Digits from a provider (`255712345678`, number or string) back to E.164, or null if it does not look like one. */
export function msisdnFromProvider(value: unknown): string | null {
  const s = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const digits = s.replace(/^\+/, '');
  return /^\d{11,14}$/.test(digits) ? `+${digits}` : null;
}
