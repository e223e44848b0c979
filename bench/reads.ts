// The read paths against their own SQL (issue 18): each path's exact statements are recorded from
// the real app in this process (bench/replay.ts) for a set of sample requests, then the API over
// HTTP and the replay through `pg` run at the same concurrency, back to back, in one run. Then
// each path runs open loop at 25/50/75 % of the replay's capacity, latency from the intended send time.
import { Agent, request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { recordStatements, replay, type Statement } from './replay.js';
import { CATEGORIES, words } from './seed.js';
import { inWorkers, openLoop, pct } from './stats.js';

export interface ReadPath {
  name: string;
  /** the i-th request of this path: its URL path and the bearer token, if any */
  request(i: number): { path: string; token?: string };
  /** the ratio the issue asks for */
  target: number;
  /** the open-loop p99 target at 50 % of capacity, ms */
  p99Target: number;
}

/** The read paths the bench measures, over the seeded data (bench/seed.ts). */
export function benchReadPaths(seeded: {
  catIds: string[];
  productIds: string[];
  tokens: string[];
}): ReadPath[] {
  const { catIds, productIds, tokens } = seeded;
  return [
    {
      name: 'listing (newest, 20)',
      target: 0.6,
      p99Target: 20,
      request: () => ({ path: '/api/v1/products?limit=20' }),
    },
    {
      name: 'listing (category + price + sort)',
      target: 0.6,
      p99Target: 20,
      request: (i) => ({
        path: `/api/v1/products?category=${catIds[i % CATEGORIES]}&min_price=5000000&sort=price_asc&limit=20`,
      }),
    },
    {
      name: 'listing (full-text)',
      target: 0.6,
      p99Target: 20,
      request: (i) => ({ path: `/api/v1/products?q=${words[i % words.length]}&limit=20` }),
    },
    {
      name: 'product detail',
      target: 0.6,
      p99Target: 20,
      request: (i) => ({ path: `/api/v1/products/${productIds[(i * 13) % productIds.length]}` }),
    },
    {
      name: 'cart preview (4 lines, promotions + code)',
      target: 0.5,
      p99Target: 25,
      request: (i) => ({ path: '/api/v1/cart', token: tokens[i % tokens.length] }),
    },
  ];
}

/** A GET over a keep-alive connection (node:http: half fetch's CPU on the shared cores); true on 2xx. */
export function getOk(agent: Agent, base: string, r: { path: string; token?: string }): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = request(
      base + r.path,
      { agent, headers: r.token ? { authorization: `Bearer ${r.token}` } : {} },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function record(app: FastifyInstance, path: ReadPath, samples: number): Promise<Statement[][]> {
  const recorder = recordStatements();
  const out: Statement[][] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const r = path.request(i);
      recorder.take();
      const res = await app.inject({
        method: 'GET',
        url: r.path,
        headers: r.token ? { authorization: `Bearer ${r.token}` } : {},
      });
      if (res.statusCode !== 200) throw new Error(`recording ${path.name}: ${res.statusCode} ${res.body}`);
      out.push(recorder.take());
    }
  } finally {
    recorder.stop();
  }
  return out;
}

interface PathResult {
  name: string;
  statements: number;
  apiPerSec: number;
  rawPerSec: number;
  apiP99: number;
  rawP99: number;
  errors: number;
  target: number;
  p99Target: number;
  open: Array<{
    share: number;
    rate: number;
    achieved: number;
    p50: number;
    p99: number;
    p999: number;
    errors: number;
  }>;
}

export async function readsBench(ctx: {
  app: FastifyInstance;
  base: string;
  url: string;
  paths: ReadPath[];
  concurrency?: number;
  total?: number;
  samples?: number;
  /** seconds of each open-loop level */
  openSeconds?: number;
}): Promise<{ markdown: string; results: PathResult[] }> {
  const concurrency = ctx.concurrency ?? 16;
  const total = ctx.total ?? 1500;
  const samples = ctx.samples ?? 50;
  const openSeconds = ctx.openSeconds ?? 4;
  const pool = new pg.Pool({ connectionString: ctx.url, max: 20 });
  pool.on('error', () => {});
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const results: PathResult[] = [];
  const loadBefore = loadavg();
  // The HTTP floor: GET /health (no database, no hooks beyond the app's own) through the same
  // client at the same concurrency, before and after the paths. A read costs at least this plus its
  // SQL, so its ratio cannot pass 1 / (1 + SQL q/s ÷ floor req/s) on this machine, whatever the app does.
  const floor = async () => {
    await inWorkers(concurrency, 200, () => getOk(agent, ctx.base, { path: '/health' }).then(() => {}));
    const f = await inWorkers(concurrency, total, () =>
      getOk(agent, ctx.base, { path: '/health' }).then(() => {}),
    );
    return total / f.seconds;
  };
  let floorPerSec = 0;
  try {
    floorPerSec = await floor();
    for (const path of ctx.paths) {
      const recorded = await record(ctx.app, path, samples);
      let errors = 0;
      // Warm both sides (JIT, plan caches, prepared statements on every pooled connection).
      await inWorkers(concurrency, 200, async (i) => {
        await getOk(agent, ctx.base, path.request(i));
        await replay(pool, recorded[i % samples]!);
      });
      const api = await inWorkers(concurrency, total, async (i) => {
        if (!(await getOk(agent, ctx.base, path.request(i)).catch(() => false))) errors++;
      });
      const raw = await inWorkers(concurrency, total, async (i) => {
        if (!(await replay(pool, recorded[i % samples]!))) errors++;
      });
      const rawPerSec = total / raw.seconds;
      const open: PathResult['open'] = [];
      for (const share of [0.25, 0.5, 0.75]) {
        const rate = rawPerSec * share;
        const o = await openLoop(rate, Math.max(50, Math.round(rate * openSeconds)), (i) =>
          getOk(agent, ctx.base, path.request(i)),
        );
        open.push({
          share,
          rate,
          achieved: o.achievedPerSec,
          p50: pct(o.lat, 50),
          p99: pct(o.lat, 99),
          p999: pct(o.lat, 99.9),
          errors: o.errors,
        });
      }
      results.push({
        name: path.name,
        statements: recorded.reduce((n, r) => n + r.length, 0) / recorded.length,
        apiPerSec: total / api.seconds,
        rawPerSec,
        apiP99: pct(api.lat, 99),
        rawP99: pct(raw.lat, 99),
        errors,
        target: path.target,
        p99Target: path.p99Target,
        open,
      });
      console.log(`reads: ${path.name} ${(total / api.seconds / rawPerSec).toFixed(2)}×`);
    }
    floorPerSec = (floorPerSec + (await floor())) / 2;
  } finally {
    agent.destroy();
    await pool.end();
  }
  const loadAfter = loadavg();
  const ceiling = (raw: number) => 1 / (1 + raw / floorPerSec);
  const ratioRows = results.map(
    (r) =>
      `| ${r.name} | ${r.statements.toFixed(1)} | ${r.apiPerSec.toFixed(0)} | ${r.rawPerSec.toFixed(0)} | **${(r.apiPerSec / r.rawPerSec).toFixed(2)}×** | ${ceiling(r.rawPerSec).toFixed(2)}× | ${r.target}× | ${r.apiP99.toFixed(1)} | ${r.rawP99.toFixed(1)} | ${r.errors} |`,
  );
  const avg = (l: number[]) => l.map((x) => x.toFixed(1)).join(' / ');
  const openRows = results.flatMap((r) =>
    r.open.map(
      (o) =>
        `| ${r.name} | ${Math.round(o.share * 100)} % | ${o.rate.toFixed(0)} | ${o.achieved.toFixed(0)} | ${o.p50.toFixed(1)} | ${o.p99.toFixed(1)} | ${o.p999.toFixed(1)} | ${o.share === 0.5 ? `${r.p99Target} ms ${o.p99 < r.p99Target ? 'met' : 'not met'}` : ''} | ${o.errors} |`,
    ),
  );
  const markdown = `## Read paths against their own SQL (${concurrency} clients)

Each path's statements were recorded from the real app for ${samples} sample requests and replayed through \`pg\`
(prepared under the same names, pool of 20), back to back with the API over HTTP at the same concurrency, ${total} requests each.
Machine load average (1 / 5 / 15 min) ${avg(loadBefore)} before and ${avg(loadAfter)} after, on ${cpus().length} cores: compare the
ratios of this run with each other, not with another run's figures.

The HTTP floor, \`GET /health\` through the same client (no database), ran at **${floorPerSec.toFixed(0)} req/s** (mean of before and
after the paths). A read costs at least that floor plus its own SQL, so its ratio cannot pass 1 / (1 + SQL q/s ÷ floor req/s):
the "ceiling" column.

| path | statements per request | API req/s | own SQL q/s | ratio | ceiling | target | API p99 ms | SQL p99 ms | errors |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${ratioRows.join('\n')}

## Open-loop latency (fixed arrival rate)

Requests sent at a fixed rate whatever the replies do, at 25/50/75 % of the capacity the path's own SQL replay measured above,
${openSeconds} s per level; latency counted from each request's intended send time (coordinated omission corrected).

| path | load | offered/s | achieved/s | p50 ms | p99 ms | p99.9 ms | target at 50 % | errors |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${openRows.join('\n')}
`;
  return { markdown, results };
}
