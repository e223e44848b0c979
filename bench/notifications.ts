import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { ne, sql } from 'drizzle-orm';
import type { Database } from '../src/db/client.js';
import * as s from '../src/db/schema.js';
import { startFakeAfricasTalking } from '../test/fakes/africastalking.js';
import { startFakeWhatsApp } from '../test/fakes/whatsapp.js';
import { BENCH_PROVIDERS, buildNotifications } from './notifications-wiring.js';
import { inWorkers, openLoop, pct } from './stats.js';

// Notifications (issue 14): EVENTS order events committed through `notify(tx, event)` while two
// worker processes run the send jobs through the real AT and WhatsApp Cloud adapters to the local
// fakes over HTTP on 127.0.0.1. Each event is `order.accepted`, one phone message to its buyer; half
// the buyers opted in to WhatsApp, half get SMS. Latency runs from the message's caused_at (set in
// the producing transaction) to the fake's arrival time; duplicates are provider calls beyond the
// first for the same recipient and content. Target: ≥ 200 messages/s and p95 < 2 s.

const EVENTS = Number(process.env.BENCH_NOTIFY_EVENTS ?? 10_000);
const BUYERS = 500;
const PRODUCERS = 8;
const WORKERS = 2;
/** open-loop arrival rates (events/s, one phone message each) and how long each runs */
const RATES = (process.env.BENCH_NOTIFY_RATES ?? '200,300').split(',').map(Number);
const RATE_SECONDS = Number(process.env.BENCH_NOTIFY_RATE_SECONDS ?? 10);
// The first rate's phase carries as many events as the burst (the issue's 10,000), so the target is judged on a whole
// 10,000-event run at a sustained rate; the other rates run RATE_SECONDS each.
const phaseSeconds = (i: number) => (i === 0 ? EVENTS / RATES[0]! : RATE_SECONDS);
const PROFILE = process.env.BENCH_NOTIFY_PROFILE === '1';
const APP_NAME = 'kkoo-bench-notify-worker';

/** CPU ms of the PostgreSQL backends serving the bench workers (PostgreSQL runs on this machine). */
async function backendCpuMs(db: Database): Promise<Map<number, number>> {
  const { readFile } = await import('node:fs/promises');
  const r = (await db.execute(
    sql`select pid from pg_stat_activity where application_name = ${APP_NAME}`,
  )) as unknown as { rows: Array<{ pid: number }> };
  const out = new Map<number, number>();
  for (const { pid } of r.rows) {
    try {
      const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
      // utime and stime (fields 14 and 15), in clock ticks of 10 ms
      out.set(pid, (Number(f[11]) + Number(f[12])) * 10);
    } catch {}
  }
  return out;
}

export async function notificationsBench(opts: { db: Database; url: string }) {
  const { db, url } = opts;
  // The machine's load before this section starts its own processes: what says whether it was quiet.
  const loadBefore = loadavg()[0]!;
  const at = await startFakeAfricasTalking({
    username: BENCH_PROVIDERS.atUsername,
    apiKey: BENCH_PROVIDERS.atApiKey,
  });
  const wa = await startFakeWhatsApp({
    accessToken: BENCH_PROVIDERS.waToken,
    appSecret: BENCH_PROVIDERS.waSecret,
    phoneNumberId: BENCH_PROVIDERS.waPhoneNumberId,
  });
  const children: ReturnType<typeof spawn>[] = [];
  const profiles: Array<{ statements: number; sqlMs: number; cpuMs: number }> = [];
  try {
    const now = new Date();
    const buyers = Array.from({ length: BUYERS }, (_, i) => ({
      id: randomUUID(),
      phone: `+2557450${String(10000 + i)}`,
    }));
    await db
      .insert(s.users)
      .values(buyers.map((b) => ({ ...b, roles: ['buyer' as const], createdAt: now, updatedAt: now })));
    await db.insert(s.notificationPreferences).values(
      buyers.map((b, i) => ({
        userId: b.id,
        language: i % 3 ? ('sw' as const) : ('en' as const),
        whatsappOptIn: i % 2 === 0,
        updatedAt: now,
      })),
    );

    for (let i = 0; i < WORKERS; i++) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'bench/notifications-worker.ts'], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: {
          ...process.env,
          BENCH_DATABASE_URL: `${url}${url.includes('?') ? '&' : '?'}application_name=${APP_NAME}`,
          BENCH_AT_URL: at.baseUrl,
          BENCH_WA_URL: wa.baseUrl,
        },
      });
      children.push(child);
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        for (const line of d.split('\n'))
          if (line.startsWith('BENCH_PROFILE ')) profiles.push(JSON.parse(line.slice(14)));
          else if (line) process.stdout.write(`${line}\n`);
      });
    }

    const { notifications } = buildNotifications(db, { atBaseUrl: at.baseUrl, waBaseUrl: wa.baseUrl });
    const calls = () => at.requests.length + wa.sends.length;
    const phaseOf = new Map<string, string>();
    const produce = async (phase: string, i: number) => {
      const id = randomUUID();
      phaseOf.set(id, phase);
      await db.transaction(async (tx) => {
        await notifications.service.notify(tx, {
          type: 'order.accepted',
          id,
          order_id: randomUUID(),
          buyer_id: buyers[i % BUYERS]!.id,
          ready_by: new Date(Date.now() + 3 * 3600_000),
        });
      });
      return true;
    };
    // Waits for the sends of what was committed; gives up after 30 s (reported as unsent) so the
    // section stays within its three minutes.
    const waitFor = async (n: number) => {
      const deadline = Date.now() + 30_000;
      while (calls() < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    };
    // Let the workers' pools connect before measuring.
    await new Promise((r) => setTimeout(r, 1500));
    const cpu0 = PROFILE ? await backendCpuMs(db) : new Map<number, number>();
    // Capacity: an unthrottled burst of EVENTS; the drain rate is what two workers can send.
    const started = performance.now();
    const produced = await inWorkers(PRODUCERS, EVENTS, (i) => produce('burst', i).then(() => {}));
    await waitFor(EVENTS);
    const seconds = (performance.now() - started) / 1000;
    const drained = calls();
    // Latency: events arriving at a fixed rate (open loop), each phase drained before the next.
    const phases: Array<{ rate: number; seconds: number; achieved: number; producerErrors: number }> = [];
    let expected = EVENTS;
    for (const [i, rate] of RATES.entries()) {
      const n = Math.round(rate * phaseSeconds(i));
      const r = await openLoop(rate, n, (i) => produce(`rate ${rate}`, i));
      // A producer that could not commit (pool exhausted on a loaded machine) sends nothing: counted apart.
      expected += n - r.errors;
      phases.push({
        rate,
        seconds: phaseSeconds(i),
        achieved: (n - r.errors) / r.seconds,
        producerErrors: r.errors,
      });
      await waitFor(expected);
    }
    const cpu1 = PROFILE ? await backendCpuMs(db) : new Map<number, number>();
    const pgCpuMs = [...cpu1].reduce((t, [pid, ms]) => t + ms - (cpu0.get(pid) ?? 0), 0);
    // A little longer: a duplicate send would arrive after the last expected one.
    await new Promise((r) => setTimeout(r, 2000));
    // Stop the workers now: with BENCH_NOTIFY_PROFILE=1 each prints its figures as it exits.
    const exited = children.map((c) => new Promise((r) => c.once('exit', r)));
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(exited);

    const rows = await db
      .select({
        channel: s.notificationMessages.channel,
        status: s.notificationMessages.status,
        providerMessageId: s.notificationMessages.providerMessageId,
        causedAt: s.notificationMessages.causedAt,
        eventId: s.notificationMessages.eventId,
      })
      .from(s.notificationMessages)
      .where(ne(s.notificationMessages.channel, 'in_app'));
    const arrival = new Map<string, number>();
    for (const r of wa.sends) arrival.set(r.wamid, r.at.getTime());
    const atIdAt = new Map<string, number>();
    // The AT fake numbers its message ids in arrival order; its requests are in the same order.
    let seq = 0;
    for (const r of at.requests) atIdAt.set(`ATXid_${++seq}`, r.at.getTime());
    const latOf = new Map<string, number[]>();
    let unsent = 0;
    for (const r of rows) {
      const t = r.providerMessageId
        ? (arrival.get(r.providerMessageId) ?? atIdAt.get(r.providerMessageId))
        : undefined;
      if (t === undefined) unsent++;
      else {
        const phase = phaseOf.get(r.eventId) ?? 'burst';
        latOf.set(phase, [...(latOf.get(phase) ?? []), t - r.causedAt.getTime()]);
      }
    }
    for (const l of latOf.values()) l.sort((a, b) => a - b);
    const lat = latOf.get('burst') ?? [];
    const perKey = new Map<string, number>();
    for (const r of at.requests) {
      const k = `sms/${r.form.to}/${r.form.message}`;
      perKey.set(k, (perKey.get(k) ?? 0) + 1);
    }
    for (const r of wa.sends) {
      const k = `wa/${r.to}/${r.template?.name ?? ''}/${r.template?.params.join('|') ?? r.text}`;
      perKey.set(k, (perKey.get(k) ?? 0) + 1);
    }
    const duplicates = [...perKey.values()].reduce((n, c) => n + c - 1, 0);
    const result = {
      events: EVENTS,
      messages: rows.length,
      sms: at.requests.length,
      whatsapp: wa.sends.length,
      unsent,
      duplicates,
      seconds,
      perSecond: drained / seconds,
      producedPerSecond: EVENTS / produced.seconds,
      p50: pct(lat, 50),
      p95: pct(lat, 95),
      p99: pct(lat, 99),
      load: loadavg()
        .map((x) => x.toFixed(1))
        .join(' '),
      cores: cpus().length,
      phases: phases.map((p) => {
        const l = latOf.get(`rate ${p.rate}`) ?? [];
        return { ...p, messages: l.length, p50: pct(l, 50), p95: pct(l, 95), p99: pct(l, 99) };
      }),
      profile: PROFILE
        ? (() => {
            const sent = calls();
            const sum = (k: 'statements' | 'sqlMs' | 'cpuMs') => profiles.reduce((t, p) => t + p[k], 0);
            return {
              statementsPerMessage: sum('statements') / sent,
              sqlMsPerMessage: sum('sqlMs') / sent,
              workerCpuMsPerMessage: sum('cpuMs') / sent,
              pgCpuMsPerMessage: pgCpuMs / sent,
            };
          })()
        : null,
    };
    const ms = (x: number) => `${Math.round(x)} ms`;
    // Met when the burst drains at ≥ 200 messages/s and, at a sustained 200 events/s, p95 is under 2 s.
    const at200 = result.phases.find((p) => p.rate === 200);
    const met =
      result.perSecond >= 200 &&
      at200 !== undefined &&
      at200.achieved >= 190 &&
      at200.p95 < 2000 &&
      result.duplicates === 0 &&
      result.unsent === 0;
    const verdict = met
      ? 'This run meets it: the burst drained at ≥ 200 messages/s and 200 events/s sustained kept p95 under 2 s.'
      : 'This run does not meet it.';
    const phaseRows = result.phases
      .map(
        (p) =>
          `| ${p.rate} events/s open loop (${Math.round(p.achieved)} committed/s, ${p.producerErrors} producer errors), ${Math.round(p.seconds)} s | ${p.messages} | ${ms(p.p50)} | ${ms(p.p95)} | ${ms(p.p99)} |`,
      )
      .join('\n');
    const prof = result.profile;
    const markdown = `## Notifications: order events to the providers

\`order.accepted\` events, each committed in its own transaction through \`notify(tx, event)\`, while ${WORKERS} worker
processes run the production worker loop (\`jobs.start()\` with the WORKER_* settings, defaults: 4 claim loops of 20
jobs, claiming again at once while batches come back full) and send through the real Africa's Talking and WhatsApp Cloud
adapters to the local fakes over HTTP on 127.0.0.1. Half the ${BUYERS} buyers opted in to WhatsApp, the rest get SMS.
Latency: from the message's \`caused_at\` (set in the producing transaction) to the fake's arrival time. Duplicates:
provider calls beyond the first for one recipient and content (whole run).

**Capacity** (a burst of ${result.events} events from ${PRODUCERS} unthrottled producers, ${Math.round(result.producedPerSecond)} events/s committed;
latency here is mostly the backlog's queueing time):

| messages | SMS / WhatsApp (whole run) | seconds | drained messages/s | p50 | p95 | p99 | duplicates | unsent |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
| ${result.events} | ${result.sms} / ${result.whatsapp} | ${result.seconds.toFixed(1)} | ${Math.round(result.perSecond)} | ${ms(result.p50)} | ${ms(result.p95)} | ${ms(result.p99)} | ${result.duplicates} | ${result.unsent} |

**Latency at a fixed arrival rate** (after the burst is drained):

| arrivals | messages | p50 | p95 | p99 |
| --- | --- | --- | --- | --- |
${phaseRows}
${
  prof
    ? `
Profile (BENCH_NOTIFY_PROFILE=1, whole run): ${prof.statementsPerMessage.toFixed(2)} SQL statements and ${prof.sqlMsPerMessage.toFixed(2)} ms of SQL round trips per
message (summed over loops), worker CPU ${prof.workerCpuMsPerMessage.toFixed(2)} ms/message, PostgreSQL backend CPU ${prof.pgCpuMsPerMessage.toFixed(2)} ms/message.
`
    : ''
}
Target: ≥ 200 messages/s and p95 < 2 s, duplicates 0. ${verdict}
Measured on ${result.cores} cores, load average ${loadBefore.toFixed(1)} before the section started (${loadBefore < 1.5 ? 'a quiet machine' : 'LOADED: other work was running; re-measure on a quiet machine'}) and ${result.load} at its end (its own processes).
Re-run: \`BENCH_ONLY=notifications npm run bench\` (\`BENCH_NOTIFY_PROFILE=1\` for the per-message profile).
`;
    return { result, markdown };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)),
    );
    await at.close();
    await wa.close();
  }
}
