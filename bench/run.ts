// npm run bench — measures the hot read paths (listing, product detail, cart preview, cart add)
// over real HTTP against PostgreSQL, and the same listing SQL straight through `pg` (the raw limit),
// then writes docs/benchmarks.md. Reproducible: fixed seed data, fixed request counts.
//
// Database: BENCH_DATABASE_URL if set; otherwise a fresh database on the local PostgreSQL
// (127.0.0.1:5432, user postgres) that this run creates and drops.
// The API runs as `src/server.ts` in a child process; this process seeds, generates load, and
// replays the raw SQL. BENCH_ONLY=checkout runs the checkout section alone, BENCH_ONLY=ussd the USSD one,
// BENCH_ONLY=notifications the notifications one (two worker processes and the provider fakes), BENCH_ONLY=startup
// `npm start` to the first 200, BENCH_ONLY=reads the read paths against their own SQL and open loop,
// BENCH_ONLY=analytics the analytics one (100,000 orders), BENCH_ONLY=recommendations that one;
// BENCH_READS=detail,cart only those read paths;
// BENCH_TRACE=1 prints one checkout's statements; BENCH_PROFILE=<dir> profiles the server;
// BENCH_EXPERIMENT_NO_PROMOS=1 switches promotions off before the checkout runs (a trial, never for the docs).
//
// docs/benchmarks.md: a run replaces only the generated sections it measured, between their
// `<!-- bench:NAME -->` markers (bench/doc-sections.ts): a full run every one and the header,
// BENCH_ONLY=x its own; the hand-written text around them stays. BENCH_NO_DOC=1 only prints.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { and, desc, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { type Database, openPostgres } from '../src/db/client.js';
import * as s from '../src/db/schema.js';
import { analyticsBench } from './analytics.js';
import { assignmentBench } from './assignment.js';
import { checkoutBench } from './checkout.js';
import { mergeGeneratedSections, runStamp } from './doc-sections.js';
import { notificationsBench } from './notifications.js';
import { benchReadPaths, readsBench } from './reads.js';
import { recommendationsBench } from './recommendations.js';
import { BUYERS, CATEGORIES, PRODUCTS, SELLERS, seedBench, words } from './seed.js';
import { benchServerEnv, freshDatabase, startBenchServer } from './server.js';
import { startupBench } from './startup.js';
import { inWorkers, pct } from './stats.js';
import { ussdBench } from './ussd.js';

interface Result {
  name: string;
  concurrency: number;
  requests: number;
  seconds: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
}

/** Run `total` calls of `fn` with `concurrency` in flight; latencies in ms. */
async function load(
  name: string,
  concurrency: number,
  total: number,
  fn: (i: number) => Promise<boolean>,
): Promise<Result> {
  let errors = 0;
  const { seconds, lat } = await inWorkers(concurrency, total, async (i) => {
    if (!(await fn(i).catch(() => false))) errors++;
  });
  return {
    name,
    concurrency,
    requests: total,
    seconds,
    p50: pct(lat, 50),
    p95: pct(lat, 95),
    p99: pct(lat, 99),
    errors,
  };
}

const DOC = new URL('../docs/benchmarks.md', import.meta.url);

/** Replace these generated sections of docs/benchmarks.md (and print them). */
function updateDoc(sections: Record<string, string>) {
  for (const markdown of Object.values(sections)) console.log(markdown);
  // A trial (some read paths only, promotions off, a profiled server) is never the doc's figure.
  const trial = ['BENCH_READS', 'BENCH_EXPERIMENT_NO_PROMOS', 'BENCH_PROFILE'].filter((k) => process.env[k]);
  if (process.env.BENCH_NO_DOC === '1' || trial.length > 0) {
    if (trial.length > 0) console.log(`docs/benchmarks.md untouched (a trial: ${trial.join(', ')})`);
    return;
  }
  writeFileSync(DOC, mergeGeneratedSections(readFileSync(DOC, 'utf8'), sections));
  console.log(`docs/benchmarks.md: sections ${Object.keys(sections).join(', ')} rewritten`);
}

/** A BENCH_ONLY section: measured alone, stamped, and written to its place in the doc. */
async function onlySection(name: string, measure: () => Promise<{ markdown: string }>) {
  const before = loadavg()[0]!;
  const { markdown } = await measure();
  const stamp = runStamp(`\`BENCH_ONLY=${name} npm run bench\``, before, loadavg()[0]!, cpus().length);
  updateDoc({ [name]: `${markdown.trim()}\n\n${stamp}` });
}

/** Runs a section on a fresh, migrated database of its own, dropped afterwards. */
async function onOwnDatabase<T>(section: (own: { db: Database; url: string }) => Promise<T>): Promise<T> {
  const own = await freshDatabase();
  const handle = openPostgres(own.url, 20);
  try {
    await handle.migrate();
    return await section({ db: handle.db, url: own.url });
  } finally {
    await handle.close();
    await own.drop();
  }
}

async function main() {
  // BENCH_ONLY=startup: the start-up section alone (it launches `npm start` itself).
  if (process.env.BENCH_ONLY === 'startup') {
    await onlySection('startup', () => startupBench());
    return;
  }
  const fullRunLoadBefore = loadavg()[0]!;
  // First, while nothing else of the bench runs: start-up is measured on a quiet machine.
  const startupSection = process.env.BENCH_ONLY ? undefined : await startupBench();
  let url = process.env.BENCH_DATABASE_URL;
  let fresh: Awaited<ReturnType<typeof freshDatabase>> | null = null;
  if (!url) {
    fresh = await freshDatabase();
    url = fresh.url;
  }
  const handle = openPostgres(url, 20);
  let stopServer = async (): Promise<unknown> => undefined;
  try {
    await handle.migrate();
    const db = handle.db;
    // BENCH_ONLY=notifications: that section alone on the fresh database.
    if (process.env.BENCH_ONLY === 'notifications') {
      await onlySection('notifications', () => notificationsBench({ db, url }));
      return;
    }
    // BENCH_ONLY=analytics: the analytics page's data over 100,000 orders.
    if (process.env.BENCH_ONLY === 'analytics') {
      await onlySection('analytics', () => analyticsBench(db, { url }));
      return;
    }
    const now = new Date();
    console.log('seeding…');

    const { catIds, products, variants, tokens } = await seedBench(db, now);

    // ---- serve over real HTTP on loopback (bench/server.ts).
    const env = benchServerEnv(url);
    // BENCH_PROFILE=<dir>: the server writes a V8 CPU profile there when it exits.
    const server = await startBenchServer(env, { profileDir: process.env.BENCH_PROFILE });
    stopServer = server.stop;
    const base = server.base;
    // The same app in this process, never listening: the bench's direct calls (confirm payment, reconcile).
    const app = await buildApp({ db, config: loadConfig(env), logger: false });
    const get = async (path: string, token?: string) => {
      const res = await fetch(base + path, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      await res.arrayBuffer();
      return res.ok;
    };
    const productIds = products.map((p) => p.id!);
    const results: Result[] = [];
    const runCheckout = () =>
      checkoutBench({
        db,
        url,
        base,
        app,
        serverPid: server.pid,
        skuIds: variants.slice(100).map((v) => v.id!),
        flashSkuId: variants[99]!.id!,
      });
    // BENCH_ONLY=checkout: the checkout section alone (for profiling).
    if (process.env.BENCH_ONLY === 'checkout') {
      await onlySection('checkout', runCheckout);
      await app.close();
      return;
    }
    const runReads = () =>
      readsBench({
        app,
        base,
        url,
        // BENCH_READS=detail,cart: only the paths whose name contains one of these words.
        paths: benchReadPaths({ catIds, productIds, tokens }).filter(
          (p) =>
            !process.env.BENCH_READS || process.env.BENCH_READS.split(',').some((w) => p.name.includes(w)),
        ),
      });
    // BENCH_ONLY=reads: the read paths against their own SQL and open loop.
    if (process.env.BENCH_ONLY === 'reads') {
      await onlySection('reads', runReads);
      await app.close();
      return;
    }
    const runRecs = () => recommendationsBench({ db, base, app, tokens, productIds });
    // BENCH_ONLY=recommendations: that section alone.
    if (process.env.BENCH_ONLY === 'recommendations') {
      await onlySection('recommendations', runRecs);
      await app.close();
      return;
    }
    const runUssd = () => ussdBench({ db, base, token: env.USSD_CALLBACK_TOKEN });
    // BENCH_ONLY=ussd: the USSD section alone.
    if (process.env.BENCH_ONLY === 'ussd') {
      await onlySection('ussd', runUssd);
      await app.close();
      return;
    }
    // Warm-up so JIT and plan caches are not measured.
    await load('warm-up', 8, 400, (i) =>
      get(i % 2 ? '/api/v1/products?limit=20' : `/api/v1/cart`, tokens[i % tokens.length]),
    );
    for (const c of [1, 16, 64]) {
      results.push(await load('GET /products (newest, 20)', c, 1500, () => get('/api/v1/products?limit=20')));
    }
    results.push(
      await load('GET /products (category + price + sort)', 16, 1500, (i) =>
        get(`/api/v1/products?category=${catIds[i % CATEGORIES]}&min_price=5000000&sort=price_asc&limit=20`),
      ),
    );
    results.push(
      await load('GET /products?q= (full-text)', 16, 1500, (i) =>
        get(`/api/v1/products?q=${words[i % words.length]}&limit=20`),
      ),
    );
    results.push(
      await load('GET /products/{id}', 16, 1500, (i) =>
        get(`/api/v1/products/${productIds[(i * 13) % productIds.length]}`),
      ),
    );
    for (const c of [1, 16, 64]) {
      results.push(
        await load('GET /cart (4 lines, promotions + code)', c, 1500, (i) =>
          get('/api/v1/cart', tokens[i % tokens.length]),
        ),
      );
    }
    results.push(
      await load('POST /cart/items (add 1)', 16, 1000, async (i) => {
        const res = await fetch(`${base}/api/v1/cart/items`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${tokens[i % tokens.length]}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ sku_id: variants[(i * 7) % 50]!.id, quantity: 1 }),
        });
        await res.arrayBuffer();
        // Carts fill up to the per-item maximum; a 422 there is the rule, not a failure.
        return res.ok || res.status === 422;
      }),
    );
    console.log('read paths…');
    const readsSection = await runReads();
    const checkoutSection = await runCheckout();
    console.log('ussd…');
    const ussdSection = await runUssd();
    console.log('recommendations…');
    const recsSection = await runRecs();
    console.log('notifications…');
    // Notifications and analytics each measure a database of their own, as BENCH_ONLY does: on the
    // shared one the workers also drained every earlier section's queued messages (counted as
    // duplicates and unsent), and the analytics page covered the recommendations section's
    // 101,000 orders on top of its own 100,000.
    const notificationsSection = await onOwnDatabase((own) => notificationsBench(own));
    await app.close();
    console.log('rider assignment…');
    const assignmentSection = await assignmentBench(db);
    console.log('analytics…');
    const analyticsSection = await onOwnDatabase((own) => analyticsBench(own.db, { url: own.url }));
    const at32 = checkoutSection.at32;

    // ---- the raw limit: the listing query alone through pg, no HTTP, no framework
    const pool = new pg.Pool({ connectionString: url, max: 20 });
    pool.on('error', () => {});
    const q = db
      .select()
      .from(s.products)
      .where(
        and(
          eq(s.products.status, 'verified'),
          sql`exists (select 1 from users u join seller_profiles sp on sp.user_id = u.id where u.id = ${s.products.sellerId} and sp.kyc_status = 'verified' and u.status = 'active')`,
        ),
      )
      .orderBy(desc(s.products.verifiedAt), desc(s.products.id))
      .limit(21)
      .toSQL();
    const raw: Result[] = [];
    for (const c of [1, 16, 64]) {
      raw.push(
        await load(
          'raw SQL: listing query',
          c,
          1500,
          async () =>
            (await pool.query({ name: 'bench-listing', text: q.sql, values: q.params as unknown[] }))
              .rowCount! > 0,
        ),
      );
    }
    await pool.end();

    // ---- report
    const rps = (r: Result) => r.requests / r.seconds;
    const rows = [...results, ...raw].map(
      (r) =>
        `| ${r.name} | ${r.concurrency} | ${rps(r).toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} |`,
    );
    const ratios = [1, 16, 64].map((c) => {
      const http = results.find((r) => r.name.startsWith('GET /products (newest') && r.concurrency === c)!;
      const sqlOnly = raw.find((r) => r.concurrency === c)!;
      return `| ${c} | ${rps(http).toFixed(0)} | ${rps(sqlOnly).toFixed(0)} | ${(rps(http) / rps(sqlOnly)).toFixed(2)}× |`;
    });
    const pgVersion = (
      (await handle.db.execute(sql`show server_version`)) as unknown as {
        rows: Array<{ server_version: string }>;
      }
    ).rows[0]!;
    const stamp = runStamp('a full `npm run bench`', fullRunLoadBefore, loadavg()[0]!, cpus().length);
    const sections: Record<string, string> = {
      header: `Last full \`npm run bench\` (bench/run.ts): ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, load average (1 min) ${fullRunLoadBefore.toFixed(1)} before it; ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, PostgreSQL ${pgVersion.server_version}, client and server on one machine over loopback.
Data: ${PRODUCTS} verified products (${PRODUCTS * 2} SKUs) from ${SELLERS} sellers in ${CATEGORIES} categories, 5 category promotions, one code, ${BUYERS} buyers each with a 4-line cart across 4 sellers.
Latencies in milliseconds, measured by the client; every figure is one run (expect ±10–20 % between runs on a shared machine).
Absolute figures move with the host: on machines of this same kind the raw SQL baselines have differed by 2× from one day to the
next, so compare each path with the raw SQL measured in the same run, not with another day's figures.`,
      'hot-reads': `## Hot read paths over HTTP

| path | concurrency | req/s | p50 | p95 | p99 | errors |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

${stamp}`,
      'listing-ratio': `## Listing: HTTP against its own raw SQL

The same listing query sent straight through \`pg\` (prepared, no HTTP, no framework) is the ceiling the API can approach.

| concurrency | API req/s | raw SQL q/s | ratio |
| --- | --- | --- | --- |
${ratios.join('\n')}

What the API does beyond the raw query: authentication is not needed here, but it validates the query with Zod, runs the seller-visibility
EXISTS per row, fetches verified images for the page (a second query), and serialises JSON through the response schema.
The cart preview is several queries (cart, lines, SKUs with categories, candidate promotions, burn usage, code) plus the pure pricing
engine; checkout reuses it inside its transaction, so its cost matters there too.

${stamp}`,
      reads: `${readsSection.markdown.trim()}\n\n${stamp}`,
      checkout: `${checkoutSection.markdown.trim()}\n\n${stamp}`,
      assignment: `${assignmentSection.markdown.trim()}\n\n${stamp}`,
      ussd: `${ussdSection.markdown.trim()}\n\n${stamp}`,
      recommendations: `${recsSection.markdown.trim()}\n\n${stamp}`,
      notifications: `${notificationsSection.markdown.trim()}\n\n${stamp}`,
      ...(startupSection ? { startup: `${startupSection.markdown.trim()}\n\n${stamp}` } : {}),
      analytics: `${analyticsSection.markdown.trim()}\n\n${stamp}`,
      // The figures of the checkout targets; the history of what changed is hand-written below it in the doc.
      'checkout-targets': `## How far from the targets, and why

Issue 4 asks, at 32 concurrent buyers, for checkout at least 0.5× of its own raw SQL with p99 under 50 ms. This run measured
**${at32.ratio.toFixed(2)}×** with p99 **${at32.p99.toFixed(0)} ms**: ${at32.ratio >= 0.5 ? 'the ratio target is met' : 'the ratio target is not met'}${at32.p99 < 50 ? ' and so is the p99 target.' : ', the p99 target is not.'}
Correctness held under load: no oversell, no overspend, a reconciled ledger. Single runs of 400 on the same day moved the ratio
between 0.44× and 0.58× for the same code, which is why 32 buyers now run three rounds (their ratios: ${at32.rounds.map((x) => `${x.toFixed(2)}×`).join(', ')}).

**The baseline.** "Its own raw SQL" is, since 2026-11-25, the checkout's exact statements replayed through \`pg\`. Before, the bench
compared against a nine-statement stand-in that wrote far less than a checkout (no snapshots, audit, burns, budgets, idempotency
key): that is the "minimal" column now, ${at32.minimalPerSec.toFixed(0)} tx/s at 32 clients in this run, and against it the checkout reaches
${(at32.perSec / at32.minimalPerSec).toFixed(2)}×. Measured the old way the checkout went from 0.12× to 0.34× through the changes below.

**Why the ratio is not higher.** On two shared cores, throughput follows total CPU per checkout. In this run a checkout cost
${at32.totalCpu.toFixed(1)} ms of CPU across the API server (${at32.serverCpu.toFixed(1)} ms), PostgreSQL and the load generator, where the replay of the same statements costs
${at32.rawCpu.toFixed(1)} ms. PostgreSQL runs the same statements in both (it uses somewhat more CPU beside a busy API server: the split is in the
section above); the difference is the server: HTTP, authentication, validation, the pricing engine, building the snapshots and
the reply, and the driver's work for its eleven statements (each loopback write is a system call that also wakes a PostgreSQL
backend; over a Unix socket instead, a trial run measured the same).

**Why p99 is not under 50 ms.** With 32 buyers always waiting, mean latency is 32 ÷ throughput (Little's law): under 50 ms needs more
than 640 checkouts/s. The checkout's own SQL, replayed with no HTTP and no framework, reached ${at32.rawPerSec.toFixed(0)} tx/s in this run with p50
${at32.rawP50.toFixed(0)} ms and p99 ${at32.rawP99.toFixed(0)} ms at 32 clients: on this machine the SQL alone does not meet the target, so no server in front of it
can. The issue's reference figure (3,700 tx/s raw) is for the minimal shape on a faster day of this kind of machine.

${stamp}`,
    };
    updateDoc(sections);
  } finally {
    await stopServer();
    await handle.close();
    await fresh?.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
