// The two API processes and two workers: the real entry points (src/server.ts, src/worker.ts), run
// the way `npm start` / `npm run worker` run them, each with its own log file, killable by pid.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Proc {
  name: string;
  kind: 'api' | 'worker';
  port: number | null;
  child: ChildProcess | null;
  /** how often it was started (1 = never restarted) */
  starts: number;
  /** exits nobody asked for (a crash), each restarted after 1 s as a supervisor would */
  crashes: Array<{ at: number; code: number | null; signal: string | null }>;
  start(): Promise<void>;
  /** kill -9 (or SIGTERM) and resolve when the process has exited */
  kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<number | null>;
  alive(): boolean;
}

/** Set at the end of the run: exits from then on are ours, not crashes. */
let stopping = false;
export const stopSupervising = () => {
  stopping = true;
};
const asked = new WeakSet<ChildProcess>();

export function makeProc(opts: {
  name: string;
  kind: 'api' | 'worker';
  port: number | null;
  env: Record<string, string>;
  logDir: string;
}): Proc {
  const entry = opts.kind === 'api' ? 'src/server.ts' : 'src/worker.ts';
  const log = createWriteStream(join(opts.logDir, `${opts.name}.log`), { flags: 'a' });
  const p: Proc = {
    name: opts.name,
    kind: opts.kind,
    port: opts.port,
    child: null,
    starts: 0,
    crashes: [],
    alive: () => !!p.child && p.child.exitCode === null && p.child.signalCode === null,
    async start() {
      if (p.alive()) return; // the supervisor and a fault may both restart it
      // node --import tsx rather than the tsx CLI: the CLI runs the program in a child of its own,
      // and a kill -9 of the CLI would leave that child serving.
      const child = spawn(process.execPath, ['--import', 'tsx', entry], {
        cwd: ROOT,
        env: { ...process.env, ...opts.env, ...(opts.port ? { PORT: String(opts.port) } : {}) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.pipe(log, { end: false });
      child.stderr?.pipe(log, { end: false });
      p.child = child;
      p.starts++;
      child.once('exit', (code, signal) => {
        if (asked.has(child) || stopping) return;
        p.crashes.push({ at: Date.now(), code, signal });
        setTimeout(() => {
          if (!stopping && p.child === child) p.start().catch(() => {});
        }, 1000);
      });
      if (opts.kind === 'api') await waitHealthy(opts.port!, child);
      else await sleep(500);
    },
    async kill(signal) {
      const c = p.child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return null;
      asked.add(c);
      const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
      c.kill(signal);
      return exited;
    },
  };
  return p;
}

async function waitHealthy(port: number, child: ChildProcess) {
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null)
      throw new Error(`process on port ${port} exited with ${child.exitCode} while starting`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`the API on port ${port} did not come up`);
}
