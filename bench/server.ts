// The API under test, served over real HTTP on loopback from the production entry point
// (`src/server.ts`) in a process of its own, as deployed, so the load generator never shares the
// server's event loop. Also the bench's own database: a fresh one that the caller drops after.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import pg from 'pg';

/** The server's environment for a bench against `databaseUrl`. */
export function benchServerEnv(databaseUrl: string) {
  return {
    NODE_ENV: 'production',
    OTP_HASH_SECRET: 'bench-secret-bench-secret-bench-secret!',
    SMS_PROVIDER: 'africastalking',
    AT_USERNAME: 'x',
    AT_API_KEY: 'x',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: '20',
    PUBLIC_READS_PER_MINUTE: '1000000',
    // Production refuses the payment simulator; the bench never calls a provider (payment is
    // confirmed directly), so a real adapter with placeholder credentials is configured.
    PUBLIC_BASE_URL: 'http://127.0.0.1',
    PAYMENT_PROVIDER: 'vodacom_tz',
    PAYMENT_CALLBACK_TOKEN: 'benchbenchbenchbenchbenchbench0123456789',
    USSD_CALLBACK_TOKEN: 'ussdbenchussdbenchussdbench0123456789',
    // Each simulated caller walks several sessions in the minute.
    USSD_REQUESTS_PER_MINUTE: '1000',
    VODACOM_API_KEY: 'unused',
    VODACOM_PUBLIC_KEY: 'unused',
    VODACOM_SERVICE_PROVIDER_CODE: '000000',
    // Jobs (expiry, notices) wait in the table: the bench measures requests, not the worker.
    EMBEDDED_WORKER: 'false',
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(url: string) {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the bench server did not come up at ${url}`);
}

export interface BenchServer {
  base: string;
  pid: number | null;
  /** SIGTERM and wait for the exit (a CPU profile, if asked for, is written then) */
  stop(): Promise<unknown>;
}

/**
 * Starts `src/server.ts` with `env` on a free port and waits for /health. With `profileDir` the
 * server writes a V8 CPU profile there when it exits (`node --cpu-prof`).
 */
export async function startBenchServer(
  env: Record<string, string>,
  opts: {
    profileDir?: string | undefined /** another checkout to serve from (bench/ab-reads.ts) */;
    cwd?: string;
  } = {},
): Promise<BenchServer> {
  const port = await freePort();
  const profile = opts.profileDir ? ['--cpu-prof', '--cpu-prof-dir', opts.profileDir] : [];
  const server = spawn(process.execPath, [...profile, '--import', 'tsx', 'src/server.ts'], {
    cwd: opts.cwd ?? new URL('..', import.meta.url),
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = once(server, 'exit');
  const base = `http://127.0.0.1:${port}`;
  await Promise.race([
    waitUntilUp(`${base}/health`),
    exited.then(() => {
      throw new Error('the bench server exited before it answered /health');
    }),
  ]);
  return {
    base,
    pid: server.pid ?? null,
    stop: () => {
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
      return exited;
    },
  };
}

/** A fresh database on the local PostgreSQL (user postgres), and how to drop it. */
export async function freshDatabase(adminUrl = 'postgres://postgres@127.0.0.1:5432/postgres') {
  const admin = new pg.Client({ connectionString: adminUrl });
  admin.on('error', () => {});
  await admin.connect();
  const name = `kkoo_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`create database "${name}"`);
  return {
    url: adminUrl.replace(/\/[^/]*$/, `/${name}`),
    async drop() {
      await admin.query(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}
