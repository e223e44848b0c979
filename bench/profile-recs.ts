// Where a recommendations read's time goes: `npx tsx bench/profile-recs.ts [home|product|cart ...]`.
// Seeds a fresh database like the bench's recommendations section (bench/seed.ts, then 100,000
// completed orders folded in by the refresh job), then for each context:
//  1. statements: a few sequential requests to an in-process server, every SQL statement each one
//     sends timed at the driver (round trip, so PostgreSQL's share included): how many per request,
//     which ones, how long each;
//  2. CPU: the real server (src/server.ts, its own process) under 16 concurrent closed-loop clients,
//     its CPU per request read from /proc, with req/s and p50/p99. PostgreSQL's CPU is not visible
//     from here (another host or container), the statement round trips above stand in for it.
// PROFILE_REQUESTS (default 1500) per context for step 2; PROFILE_CPU=<dir> adds a V8 CPU profile;
// PROFILE_EXPLAIN=1 prints EXPLAIN ANALYZE of the read's statement on the bench data. The database is dropped at the end.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { rawQuery } from '../src/db/batch.js';
import { openPostgres } from '../src/db/client.js';
import { seedRecommendationHistory } from './recommendations.js';
import { seedBench } from './seed.js';
import { benchServerEnv, freshDatabase, startBenchServer } from './server.js';
import { inWorkers, pct } from './stats.js';

/** utime + stime of a process, ms (Linux /proc; USER_HZ is 100 here). */
function cpuMs(pid: number | null): number {
  if (pid === null) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

// Every statement this process sends, timed from send to reply, while `recording` is set.
let recording: Array<{ text: string; ms: number }> | null = null;
/** The last read statement sent (text and values), for PROFILE_EXPLAIN. */
let lastRead: { text: string; values: unknown[] } | null = null;
const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (
  this: unknown,
  ...args: unknown[]
) {
  const log = recording;
  const first = args[0] as string | { text?: string; name?: string; values?: unknown[] };
  if (typeof first === 'object' && first?.name?.startsWith('rec-read-'))
    lastRead = { text: first.text ?? '', values: first.values ?? [] };
  if (!log) return original.apply(this, args);
  const text = (typeof first === 'string' ? first : (first?.text ?? '?')).replace(/\s+/g, ' ').trim();
  const t0 = performance.now();
  const done = () => log.push({ text, ms: performance.now() - t0 });
  const cb = args.at(-1);
  if (typeof cb === 'function') {
    args[args.length - 1] = (...r: unknown[]) => {
      done();
      return (cb as (...a: unknown[]) => unknown)(...r);
    };
    return original.apply(this, args);
  }
  const out = original.apply(this, args);
  if (out && typeof (out as Promise<unknown>).then === 'function') (out as Promise<unknown>).finally(done);
  return out;
};

function get(agent: Agent, base: string, path: string, token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(base + path, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.on('data', () => {});
      res.on('end', () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`${res.statusCode} ${path}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function main() {
  const wanted = process.argv.slice(2);
  const perContext = Number(process.env.PROFILE_REQUESTS ?? 1500);
  const fresh = await freshDatabase();
  const handle = openPostgres(fresh.url, 8);
  const env = benchServerEnv(fresh.url);
  try {
    await handle.migrate();
    const db = handle.db;
    console.log('seeding…');
    const seeded = await seedBench(db, new Date());
    const productIds = seeded.products.map((p) => p.id!);
    const app = await buildApp({ db, config: loadConfig(env), logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const history = await seedRecommendationHistory({ db, app });
    console.log(
      `history: ${history.first} orders from scratch in ${history.fullSeconds.toFixed(1)} s, ${history.second} incrementally in ${history.incrementalSeconds.toFixed(2)} s`,
    );
    await db.execute(sql`analyze`);
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    for (const [b, token] of seeded.tokens.entries())
      for (let k = 0; k < 5; k++)
        await fetch(`${base}/api/v1/recommendations/views`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ product_id: productIds[(b * 31 + k * 7) % productIds.length] }),
        });
    const all: Array<[string, (i: number) => string]> = [
      ['home', () => 'home'],
      ['product', (i) => `product:${productIds[(i * 13) % 200]}`],
      ['cart', () => 'cart'],
    ];
    const contexts = all.filter(([name]) => !wanted.length || wanted.includes(name));
    const token = (i: number) => seeded.tokens[i % seeded.tokens.length]!;
    const path = (ctx: (i: number) => string, i: number) => `/api/v1/recommendations?context=${ctx(i)}`;

    // 1. Statements per request, sequential (warm first).
    for (const [name, ctx] of contexts) {
      for (let i = 0; i < 50; i++) await get(agent, base, path(ctx, i), token(i));
      const runs = 40;
      const byText = new Map<string, { n: number; ms: number }>();
      let statements = 0;
      let dbMs = 0;
      let wall = 0;
      for (let i = 0; i < runs; i++) {
        recording = [];
        const t0 = performance.now();
        await get(agent, base, path(ctx, i), token(i));
        wall += performance.now() - t0;
        const log = recording;
        recording = null;
        statements += log.length;
        for (const s of log) {
          dbMs += s.ms;
          const key = s.text.slice(0, 150);
          const e = byText.get(key) ?? { n: 0, ms: 0 };
          e.n++;
          e.ms += s.ms;
          byText.set(key, e);
        }
      }
      console.log(
        `\n== ${name}: ${(statements / runs).toFixed(1)} statements per request, ${(dbMs / runs).toFixed(2)} ms of statement round trips (summed, some run in parallel), ${(wall / runs).toFixed(2)} ms wall, sequential`,
      );
      for (const [text, e] of [...byText].sort((a, b) => b[1].ms - a[1].ms))
        console.log(
          `  ${(e.n / runs).toFixed(1).padStart(4)}×  ${(e.ms / e.n).toFixed(2).padStart(7)} ms  ${text}`,
        );
      // PROFILE_EXPLAIN=1: the plan of the read's one statement, with the last request's values.
      if (process.env.PROFILE_EXPLAIN && lastRead) {
        const plan = await rawQuery<Record<string, string>>(
          db,
          { text: `explain (analyze, buffers, costs off) ${lastRead.text}` },
          lastRead.values,
        );
        console.log(plan.map((r) => `    ${r['QUERY PLAN']}`).join('\n'));
        // Whether PostgreSQL settled on a generic plan for the prepared statement (planned once) or
        // still plans it on every execution (custom plans): the connection the requests just used
        // is the pool's most recently released one, which this query gets.
        const plans = await rawQuery<Record<string, string>>(
          db,
          {
            text: `select name, generic_plans, custom_plans from pg_prepared_statements where name like 'rec-read-%'`,
          },
          [],
        );
        console.log(`    prepared: ${JSON.stringify(plans)}`);
      }
    }
    await app.close();

    // 2. The real server's CPU per request at 16 concurrent buyers.
    // PROFILE_CPU=<dir>: the server also writes a V8 CPU profile there (read it with bench/profile-reads.ts's tables or DevTools).
    const server = await startBenchServer(env, { profileDir: process.env.PROFILE_CPU });
    try {
      console.log('\nserver (own process), 16 concurrent closed-loop clients:');
      for (const [name, ctx] of contexts) {
        await inWorkers(16, 300, (i) => get(agent, server.base, path(ctx, i), token(i)));
        const cpu0 = cpuMs(server.pid);
        const { seconds, lat } = await inWorkers(16, perContext, (i) =>
          get(agent, server.base, path(ctx, i), token(i)),
        );
        const cpu = cpuMs(server.pid) - cpu0;
        console.log(
          `  ${name.padEnd(8)} ${(perContext / seconds).toFixed(0).padStart(5)} req/s  p50 ${pct(lat, 50).toFixed(1)} ms  p99 ${pct(lat, 99).toFixed(1)} ms  API CPU ${(cpu / perContext).toFixed(2)} ms per request`,
        );
      }
    } finally {
      await server.stop();
    }
    console.log(
      `load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' / ')}`,
    );
    agent.destroy();
  } finally {
    await handle.close();
    await fresh.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
