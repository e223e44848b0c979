// Start-up: from launching the real `npm start` to the first 200 on /health, on a fresh embedded
// database (an empty DATA_DIR) and on one already migrated (the same folder, started again).
// The command is the README's, so npm, the launcher (and a rebuild if sources changed), imports,
// PGlite and migrations are all in the figure.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer, currentStaleReason } from '../scripts/server-build.mjs';
import { pct } from './stats.js';

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

/** This process's environment without a DATABASE_URL (the embedded database is what is measured). */
function embeddedEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL: _ignored, ...env } = process.env;
  return { ...env, ...extra };
}

/** Milliseconds from spawn to the first 200 on /health; the process is stopped (SIGTERM to its group) after. */
async function timeOneStart(dataDir: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn('npm', ['start'], {
    env: embeddedEnv({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }),
    stdio: 'ignore',
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/health`)).status === 200)
          return performance.now() - started;
      } catch {
        // not listening yet
      }
      if (performance.now() - started > 60_000)
        throw new Error('npm start did not answer /health within 60 s');
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    if (child.pid) process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
}

export interface StartupSection {
  fresh: number[];
  migrated: number[];
  markdown: string;
}

export async function startupBench(rounds = 5): Promise<StartupSection> {
  // The rounds measure starts of an up-to-date build; the rebuild the first start after an edit does
  // is reported apart (it happens once per edit, not per start).
  const stale = currentStaleReason();
  const rebuild = stale ? { stale, ms: (await buildServer()).ms } : undefined;
  const fresh: number[] = [];
  const migrated: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'kkoo-start-'));
    try {
      fresh.push(await timeOneStart(dir));
      migrated.push(await timeOneStart(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const row = (name: string, xs: number[], target: number) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const median = pct(sorted, 50);
    return `| ${name} | ${median.toFixed(0)} | ${sorted[sorted.length - 1]!.toFixed(0)} | ${target} | ${median < target ? 'met' : 'not met'} |`;
  };
  const markdown = `## Start-up (\`npm start\` to the first 200 on /health)

${rounds} rounds, each on a new empty DATA_DIR and then again on the same (already migrated) folder.

| database | median ms | worst ms | target ms | |
| --- | --- | --- | --- | --- |
${row('fresh (empty DATA_DIR)', fresh, 5000)}
${row('already migrated', migrated, 3000)}

\`npm start\` runs \`scripts/start.mjs\`: the server precompiled into one bundle (\`dist/server.mjs\`, written at install and
rebuilt first when a source changed), with the embedded database opening while the app's modules load. A fresh DATA_DIR is
unpacked from the cluster \`npm install\` wrote (\`scripts/pglite-template.ts\`) instead of running PGlite's initdb.
${rebuild ? `Before the rounds the bundle was rebuilt (${rebuild.stale}): ${rebuild.ms.toFixed(0)} ms, what the first \`npm start\` after an edit adds.\n` : ''}`;
  return { fresh, migrated, markdown };
}
