// Where a read request's server CPU goes: `npx tsx bench/profile-reads.ts [detail|cart|newest|text|health ...]`.
// Seeds a fresh database (bench/seed.ts), starts the real server under `node --cpu-prof`, sends each
// chosen read path at 16 concurrent clients for PROFILE_SECONDS (default 10) after a warm-up, stops
// the server and prints the profile's self time grouped by function and by package, so the fixed
// cost per request (framework, validation, serialisation, driver, our code) can be read off.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgres } from '../src/db/client.js';
import { benchReadPaths } from './reads.js';
import { seedBench } from './seed.js';
import { benchServerEnv, freshDatabase, startBenchServer } from './server.js';
import { inWorkers } from './stats.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** utime + stime of a process, ms (Linux /proc; USER_HZ is 100 here). */
function cpuMs(pid: number | null): number {
  if (pid === null) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

function get(agent: Agent, base: string, r: { path: string; token?: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      base + r.path,
      { agent, headers: r.token ? { authorization: `Bearer ${r.token}` } : {} },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Self time per key (ms), highest first. */
function selfTimes(p: CpuProfile, key: (n: ProfileNode) => string) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const k = key(n);
    out.set(k, (out.get(k) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  return [...out].sort((a, b) => b[1] - a[1]);
}

function packageOf(url: string): string {
  if (!url) return '(native/gc/idle)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url;
  const src = url.indexOf('/src/');
  return src >= 0 ? url.slice(src + 1) : url;
}

async function main() {
  const wanted = process.argv.slice(2);
  const seconds = Number(process.env.PROFILE_SECONDS ?? 10);
  const fresh = await freshDatabase();
  const handle = openPostgres(fresh.url, 4);
  const dir = mkdtempSync(join(tmpdir(), 'kkoo-prof-'));
  try {
    await handle.migrate();
    const seeded = await seedBench(handle.db, new Date());
    // `health`: GET /health, no database, no validation beyond the route: the framework's floor.
    const health = { name: 'health (no database)', request: () => ({ path: '/health' }) };
    const paths = [
      ...benchReadPaths({ ...seeded, productIds: seeded.products.map((p) => p.id!) }),
      health,
    ].filter((p) => !wanted.length || wanted.some((w) => p.name.includes(w)));
    const server = await startBenchServer(benchServerEnv(fresh.url), { profileDir: dir });
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    let requests = 0;
    try {
      for (const path of paths) {
        await inWorkers(16, 500, (i) => get(agent, server.base, path.request(i)));
        const cpu0 = cpuMs(server.pid);
        const started = performance.now();
        const until = started + seconds * 1000;
        let n = 0;
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            while (performance.now() < until) await get(agent, server.base, path.request(n++));
          }),
        );
        const r = { seconds: (performance.now() - started) / 1000 };
        requests += n;
        const cpu = cpuMs(server.pid) - cpu0;
        console.log(
          `${path.name}: ${n} requests, ${(n / r.seconds).toFixed(0)} req/s, server CPU ${(cpu / n).toFixed(3)} ms per request`,
        );
      }
    } finally {
      agent.destroy();
      await server.stop();
    }
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no profile written');
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const total = profile.timeDeltas.reduce((a, b) => a + b, 0) / 1000;
    const busy = selfTimes(profile, (n) => n.callFrame.functionName).find(([k]) => k === '(idle)')?.[1] ?? 0;
    console.log(
      `\nprofile ${join(dir, file)}: ${total.toFixed(0)} ms, idle ${busy.toFixed(0)} ms, busy per request ${((total - busy) / Math.max(1, requests)).toFixed(3)} ms over ${requests} requests (warm-ups included in the profile)\n`,
    );
    const fmt = (rows: Array<[string, number]>, top: number) =>
      rows
        .slice(0, top)
        .map(
          ([k, ms]) =>
            `${((ms / (total - busy)) * 100).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(6)} ms  ${k}`,
        )
        .join('\n');
    console.log('by package / file (self time):');
    console.log(
      fmt(
        selfTimes(profile, (n) => packageOf(n.callFrame.url)),
        30,
      ),
    );
    console.log('\nby function (self time):');
    console.log(
      fmt(
        selfTimes(
          profile,
          (n) =>
            `${n.callFrame.functionName || '(anonymous)'} ${packageOf(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`,
        ),
        50,
      ),
    );
  } finally {
    await handle.close();
    await fresh.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
