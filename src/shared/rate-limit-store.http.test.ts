import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/support/app.js';
import { createTestDatabase } from '../../test/support/db.js';
import { rateLimitStoreFromConfig } from './rate-limit-store.js';

// The scale-out promise: two API processes pointed at one Redis share one per-address count, and a
// Redis outage lets requests through (fail open) instead of failing them.

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisReachable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** A port nothing listens on: bound, read and released. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((ok) => srv.close(() => ok()));
  return port;
}

const haveRedis = await redisReachable();
if (!haveRedis) console.warn(`rate-limit Redis tests skipped: no Redis answers at ${REDIS_URL}`);

const apps: TestApp[] = [];
const handle = await createTestDatabase();
afterAll(async () => {
  for (const a of apps) await a.close();
  await handle.close();
});

const browse = (t: TestApp) =>
  t.app.inject({ method: 'GET', url: '/api/v1/products', remoteAddress: '203.0.113.7' });

describe.skipIf(!haveRedis)('rate limits in Redis (REDIS_URL set)', () => {
  it('two API instances on one Redis share one count per address', async () => {
    // A prefix per run, so parallel test files and earlier runs never share a counter.
    const env = {
      REDIS_URL,
      RATE_LIMIT_REDIS_PREFIX: `kkoo-test-${randomUUID()}:`,
      PUBLIC_READS_PER_MINUTE: '3',
    };
    const a = await createTestApp(env, { handle });
    const b = await createTestApp(env, { handle });
    apps.push(a, b);
    const codes = [];
    for (const t of [a, b, a, b]) codes.push((await browse(t)).statusCode);
    // Alone, each instance would allow 3; together they allow 3 in all.
    expect(codes).toEqual([200, 200, 200, 429]);
    const limited = await browse(a);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('rate limits without a shared store', () => {
  it('in memory (no REDIS_URL), each instance counts alone', async () => {
    const env = { PUBLIC_READS_PER_MINUTE: '2' };
    const a = await createTestApp(env, { handle });
    const b = await createTestApp(env, { handle });
    apps.push(a, b);
    const codes = [];
    for (const t of [a, a, b, b, a]) codes.push((await browse(t)).statusCode);
    expect(codes).toEqual([200, 200, 200, 200, 429]);
  });

  it('Redis unreachable: requests go through (fail open), without waiting on the dead store', async () => {
    const port = await closedPort();
    const a = await createTestApp(
      { REDIS_URL: `redis://127.0.0.1:${port}`, PUBLIC_READS_PER_MINUTE: '1' },
      { handle },
    );
    apps.push(a);
    const started = Date.now();
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await browse(a)).statusCode);
    expect(codes).toEqual([200, 200, 200]);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('Redis unreachable: the store logs one warning, not one per reconnection', async () => {
    const port = await closedPort();
    const warnings: string[] = [];
    const store = rateLimitStoreFromConfig(
      { REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT_REDIS_PREFIX: 'kkoo-test:' },
      { warn: (_obj, msg) => warnings.push(msg) },
    );
    try {
      expect(store.options.skipOnError).toBe(true);
      // Long enough for several reconnection attempts (200 ms, 400 ms, ...).
      await new Promise((r) => setTimeout(r, 1000));
      expect(warnings).toEqual(['rate-limit store (Redis) unreachable: limits are not enforced']);
    } finally {
      await store.close();
    }
  });
});
