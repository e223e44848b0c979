import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The real server process (`node --import tsx src/server.ts`) on SIGTERM: it stops accepting new
// connections, lets a request already in flight finish, stops the job loop, closes the database and
// exits 0. A rolling deploy relies on exactly this: no request cut in half.

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((ok) => srv.close(() => ok()));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dataDir = mkdtempSync(join(tmpdir(), 'kkoo-shutdown-'));
let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function waitForHealth(port: number, deadlineMs: number) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`the server did not answer /health on ${port} within ${deadlineMs} ms`);
}

describe('graceful shutdown of the API process', () => {
  it('on SIGTERM finishes the request in flight, refuses new connections, and exits 0', async () => {
    const port = await freePort();
    const output: string[] = [];
    // Always the embedded database here: DATABASE_URL unset, a DATA_DIR of its own.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      WORKER_INTERVAL_MS: '200',
    };
    delete env.DATABASE_URL;
    delete env.TEST_DATABASE_URL;
    delete env.REDIS_URL;
    child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d) => output.push(String(d)));
    child.stderr?.on('data', (d) => output.push(String(d)));
    const exited = new Promise<number | null>((ok) => child?.on('exit', (code) => ok(code)));

    await waitForHealth(port, 90_000);

    // A slow request: headers now, the body only after SIGTERM, so it is in flight during shutdown.
    const body = JSON.stringify({ phone: '+255715099001' });
    const half = Math.floor(body.length / 2);
    let finish = () => {};
    const reply = new Promise<{ status: number; body: string }>((ok, fail) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/v1/auth/otp/request',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => {
            text += d;
          });
          res.on('end', () => ok({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', fail);
      req.write(body.slice(0, half));
      finish = () => req.end(body.slice(half));
    });
    await sleep(300);

    child.kill('SIGTERM');
    await sleep(700);
    // Stopped accepting: a new connection is refused while the old request is still open.
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    expect(child.exitCode).toBeNull();

    finish();
    const res = await reply;
    expect(res.status, res.body).toBe(202);

    const code = await Promise.race([exited, sleep(15_000).then(() => 'timeout')]);
    expect(code, output.join('')).toBe(0);
  }, 150_000);
});
