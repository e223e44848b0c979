// The harness's own PostgreSQL cluster and Redis: started in a temporary folder on free ports, so
// the harness may kill and restart them freely without touching the machine's shared servers.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** The newest PostgreSQL on the machine (Debian keeps each major under /usr/lib/postgresql/<n>/bin). */
function pgBin(): string {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root))
    throw new Error('no PostgreSQL binaries under /usr/lib/postgresql (apt-get install postgresql)');
  const majors = readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  if (!majors.length) throw new Error('no initdb under /usr/lib/postgresql/*/bin');
  return join(root, majors[0]!, 'bin');
}

export interface PgCluster {
  url: string;
  port: number;
  /** pg_ctl stop in the given mode (immediate = a crash: no checkpoint, WAL replay at start). */
  stop(mode: 'immediate' | 'fast'): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * initdb refuses to run as root; on a root shell (CI containers) the cluster belongs to the
 * `postgres` user and its commands run through runuser.
 */
function asOwner(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = pgBin();
  const dir = mkdtempSync(join(tmpdir(), 'kkoo-chaos-pg-'));
  const data = join(dir, 'data');
  if (process.getuid?.() === 0)
    chownSync(
      dir,
      Number((await run('id', ['-u', 'postgres'])).stdout),
      Number((await run('id', ['-g', 'postgres'])).stdout),
    );
  const port = await freePort();
  const pgctl = async (...args: string[]) => {
    const [c, a] = asOwner(join(bin, 'pg_ctl'), ['-D', data, ...args]);
    await run(c, a, { timeout: 120_000 });
  };
  const [ic, ia] = asOwner(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '-A',
    'trust',
    '--no-sync',
    '-E',
    'UTF8',
  ]);
  await run(ic, ia, { timeout: 120_000 });
  // fsync on: a crash restart must replay the WAL like production would; small buffers for a busy box.
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=120 -c shared_buffers=64MB`;
  const start = () => pgctl('-l', join(dir, 'server.log'), '-o', opts, '-w', '-t', '120', 'start');
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: (mode) => pgctl('-m', mode, '-w', '-t', '60', 'stop'),
    start,
    async destroy() {
      await pgctl('-m', 'immediate', '-w', 'stop').catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let proc: ChildProcess | null = null;
  const start = async () => {
    proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    for (let i = 0; i < 50; i++) {
      try {
        const r = await run('redis-cli', ['-p', String(port), 'ping']);
        if (r.stdout.trim() === 'PONG') return;
      } catch {
        // not up yet
      }
      await sleep(100);
    }
    throw new Error('redis-server did not answer');
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    async stop() {
      const p = proc;
      if (!p || p.exitCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    },
  };
}
