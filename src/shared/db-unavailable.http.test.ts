import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/support/app.js';
import { openPostgres } from '../db/client.js';

// A PostgreSQL that is really unreachable (nothing listens on the port): routes that read the
// database answer 503 DATABASE_UNAVAILABLE with a Retry-After, quickly, instead of hanging or a 500.

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((ok) => srv.close(() => ok()));
  return port;
}

const handle = openPostgres(`postgres://postgres@127.0.0.1:${await closedPort()}/kkoo_unreachable`, 2);
let t: TestApp;
afterAll(async () => {
  await t?.close();
  await handle.close();
});

describe('the database is unreachable', () => {
  it('a route that reads it answers 503 DATABASE_UNAVAILABLE with Retry-After, fast', async () => {
    t = await createTestApp({}, { handle });
    const started = Date.now();
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/products' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().code).toBe('DATABASE_UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('5');
    // Nothing about the connection (host, port, driver message) leaks to the client.
    expect(res.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
  });

  it('a signed-in route answers the same, not a 401 or a 500', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: 'Bearer not-a-real-token-but-shaped-like-one-0000000000' },
    });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('DATABASE_UNAVAILABLE');
  });

  it('/ready still answers its own 503 (the readiness probe is unchanged)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('DATABASE_UNAVAILABLE');
  });
});
