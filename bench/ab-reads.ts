// Before and after in one run: `npx tsx bench/ab-reads.ts <other checkout> [detail|cart|...]` serves
// the API from this checkout and from another one (e.g. /work/main) side by side on one seeded
// database, and sends each read path to them in alternating rounds (16 clients, AB_ROUNDS rounds of
// AB_REQUESTS each), so both see the same machine load. Prints req/s and p99 of each, the ratio, and
// each server's CPU per request (from /proc: throughput on a loaded machine moves with the load,
// CPU per request much less) and PostgreSQL's (the bench database's backends, bench/cpu.ts).
// Print `uptime` beside the figures: a loaded run is a loaded run.
import { Agent } from 'node:http';
import { openPostgres } from '../src/db/client.js';
import { benchPostgresMeter, cpuOf } from './cpu.js';
import { benchReadPaths, getOk } from './reads.js';
import { seedBench } from './seed.js';
import { benchServerEnv, freshDatabase, startBenchServer } from './server.js';
import { inWorkers, pct } from './stats.js';

async function main() {
  const [other, ...wanted] = process.argv.slice(2);
  if (!other) throw new Error('usage: bench/ab-reads.ts <other checkout> [path words…]');
  const rounds = Number(process.env.AB_ROUNDS ?? 6);
  const requests = Number(process.env.AB_REQUESTS ?? 400);
  const fresh = await freshDatabase();
  const handle = openPostgres(fresh.url, 4);
  try {
    await handle.migrate();
    const seeded = await seedBench(handle.db, new Date());
    // `health`: GET /health, no database: the framework's floor, paid by every request.
    const health = { name: 'health (no database)', request: () => ({ path: '/health' }) };
    const paths = [
      ...benchReadPaths({ ...seeded, productIds: seeded.products.map((p) => p.id!) }),
      health,
    ].filter((p) => !wanted.length || wanted.some((w) => p.name.includes(w)));
    const env = benchServerEnv(fresh.url);
    const servers = {
      this: await startBenchServer(env),
      other: await startBenchServer(env, { cwd: other }),
    };
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    try {
      for (const path of paths) {
        const tally = {
          this: { n: 0, s: 0, lat: [] as number[], cpu: 0, pg: 0 },
          other: { n: 0, s: 0, lat: [] as number[], cpu: 0, pg: 0 },
        };
        for (const side of ['this', 'other'] as const)
          await inWorkers(16, 300, (i) => getOk(agent, servers[side].base, path.request(i)).then(() => {}));
        for (let r = 0; r < rounds; r++) {
          for (const side of r % 2 ? (['other', 'this'] as const) : (['this', 'other'] as const)) {
            const pid = servers[side].pid;
            const pgMeter = await benchPostgresMeter(fresh.url);
            const cpuBefore = pid ? cpuOf(pid) : 0;
            const res = await inWorkers(16, requests, async (i) => {
              if (!(await getOk(agent, servers[side].base, path.request(i))))
                throw new Error(`${side}: not 2xx`);
            });
            tally[side].cpu += (pid ? cpuOf(pid) : 0) - cpuBefore;
            tally[side].pg += await pgMeter();
            tally[side].n += requests;
            tally[side].s += res.seconds;
            tally[side].lat.push(...res.lat);
          }
        }
        const rate = (t: typeof tally.this) => t.n / t.s;
        const p99 = (t: typeof tally.this) =>
          pct(
            t.lat.sort((a, b) => a - b),
            99,
          );
        const cpu = (t: typeof tally.this) => (t.cpu * 1000) / t.n;
        const pgCpu = (t: typeof tally.this) => (t.pg * 1000) / t.n;
        console.log(
          `${path.name}: this ${rate(tally.this).toFixed(0)} req/s (p99 ${p99(tally.this).toFixed(1)} ms), ${other} ${rate(tally.other).toFixed(0)} req/s (p99 ${p99(tally.other).toFixed(1)} ms): ${(rate(tally.this) / rate(tally.other)).toFixed(2)}×\n` +
            `  API CPU per request: this ${cpu(tally.this).toFixed(3)} ms, other ${cpu(tally.other).toFixed(3)} ms (${((cpu(tally.this) / cpu(tally.other) - 1) * 100).toFixed(1)} %); ` +
            `PostgreSQL: this ${pgCpu(tally.this).toFixed(3)} ms, other ${pgCpu(tally.other).toFixed(3)} ms`,
        );
      }
    } finally {
      agent.destroy();
      await servers.this.stop();
      await servers.other.stop();
    }
  } finally {
    await handle.close();
    await fresh.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
