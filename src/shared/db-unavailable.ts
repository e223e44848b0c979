// Which errors mean "the database cannot be reached right now" rather than "this request is wrong"
// or "our code is wrong". Those are answered 503 DATABASE_UNAVAILABLE with a Retry-After, so clients
// and load balancers back off, instead of a 500 that reads like a bug. Drizzle wraps driver errors
// (DrizzleQueryError with a `cause`), so the whole cause chain is looked at.

/** Node socket errors seen when the server is down, unreachable or drops the connection. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATEs: class 08 (connection exception), 57P01 admin_shutdown, 57P02
 * crash_shutdown, 57P03 cannot_connect_now (starting up or in recovery).
 */
const SQLSTATES = new Set(['57P01', '57P02', '57P03']);

/** node-postgres messages that carry no code: a dropped connection, or a pool checkout that timed out. */
const MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection timeout/i,
  /client has encountered a connection error/i,
  /query read timeout/i,
];

export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const { code, message, errors } = e as { code?: unknown; message?: unknown; errors?: unknown };
    if (typeof code === 'string' && (SOCKET_CODES.has(code) || SQLSTATES.has(code) || code.startsWith('08')))
      return true;
    if (typeof message === 'string' && MESSAGES.some((m) => m.test(message))) return true;
    // Connecting to "localhost" tries ::1 and 127.0.0.1: Node reports an AggregateError of both.
    if (Array.isArray(errors) && errors.some((x) => isDatabaseUnavailable(x))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Seconds a client should wait before retrying: long enough for a restart or failover to finish. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;
