import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import { AppError } from './errors.js';

// Where the per-address rate limits count. In memory they are per process, so with several API
// processes behind one balancer each would allow the full limit; with REDIS_URL they share one count.
// When Redis is unreachable the limits fail open (the request goes through, a warning is logged):
// an outage of the limiter must not become an outage of the marketplace.

export interface RateLimitStore {
  /** Options merged into the @fastify/rate-limit registration. */
  options: { redis?: Redis; nameSpace?: string; skipOnError: boolean };
  /** Waits (at most `timeoutMs`) for the store to connect, so a fresh process enforces limits from its first request. */
  ready(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

interface WarnLog {
  warn(obj: object, msg: string): void;
}

export function rateLimitStoreFromConfig(
  config: { REDIS_URL?: string; RATE_LIMIT_REDIS_PREFIX: string },
  log: WarnLog,
): RateLimitStore {
  if (!config.REDIS_URL)
    return { options: { skipOnError: true }, ready: async () => {}, close: async () => {} };
  // Loaded only when configured: a process without Redis never pays ioredis's start-up cost.
  const { Redis: RedisClient } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
  const redis = new RedisClient(config.REDIS_URL, {
    // Fail fast instead of queueing commands while Redis is away, so a request is never held up by it.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 1000,
    // Keep reconnecting in the background (at most every 2 s) so the limits come back by themselves.
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
  });
  let warned = false;
  redis.on('error', (err: Error) => {
    // One line per outage, not one per reconnection attempt.
    if (warned) return;
    warned = true;
    log.warn(
      { err: { message: err.message } },
      'rate-limit store (Redis) unreachable: limits are not enforced',
    );
  });
  redis.on('ready', () => {
    warned = false;
  });
  return {
    options: { redis, nameSpace: config.RATE_LIMIT_REDIS_PREFIX, skipOnError: true },
    async ready(timeoutMs) {
      if (redis.status === 'ready') return;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          redis.off('ready', done);
          resolve();
        };
        // Never a reason not to start: without Redis the limits fail open anyway.
        const timer = setTimeout(done, timeoutMs);
        redis.once('ready', done);
      });
    },
    async close() {
      redis.disconnect();
    },
  };
}

/** The 429 every rate limit answers: how long to wait, in the detail and in Retry-After. */
export function rateLimited(ttlMs: number): AppError {
  const seconds = Math.ceil(ttlMs / 1000);
  return new AppError(
    'RATE_LIMITED',
    429,
    `Too many requests from this address; try again in ${seconds} s.`,
    {
      headers: { 'retry-after': String(seconds) },
    },
  );
}
