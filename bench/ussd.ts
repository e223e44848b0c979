import { request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../src/db/client.js';
import * as s from '../src/db/schema.js';
import type { OrderSnapshot } from '../src/modules/orders/index.js';
import { inWorkers, pct } from './stats.js';

// USSD: the reply time Africa's Talking sees for one request of a session, over HTTP on loopback.
// Issue 15's target: under 1 s at p99 (the gateway drops slow sessions). Each simulated caller has
// three orders (on the way, delivered, completed) and walks home → my orders → confirm list →
// confirm prompt, each step a new request carrying the whole path, as the gateway sends it. No
// step changes an order, so every run measures the same thing.

const CALLERS = 200;
const STEPS = ['', '1', '2', '2*1'] as const;

const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 64 });

function post(base: string, path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function seed(db: Database) {
  const now = new Date();
  const seller = uuidv7();
  await db.insert(s.users).values({
    id: seller,
    phone: '+255744999999',
    roles: ['buyer', 'seller'],
    createdAt: now,
    updatedAt: now,
  });
  const phones: string[] = [];
  for (let b = 0; b < CALLERS; b++) {
    const buyer = uuidv7();
    const phone = `+2557459${String(10000 + b).slice(-5)}`;
    phones.push(phone);
    await db.insert(s.users).values({ id: buyer, phone, roles: ['buyer'], createdAt: now, updatedAt: now });
    const checkout = uuidv7();
    await db.insert(s.checkouts).values({
      id: checkout,
      buyerId: buyer,
      status: 'paid',
      payerPhone: phone,
      currency: 'TZS',
      totalAmount: 3 * 1_300_000,
      expiresAt: now,
      paidAt: now,
      createdAt: now,
    });
    const snapshot = {
      lines: [{ title: 'Kanga ya Pwani', quantity: 1 }],
    } as unknown as OrderSnapshot;
    await db.insert(s.orders).values(
      (['out_for_delivery', 'delivered', 'completed'] as const).map((status, k) => ({
        id: uuidv7(),
        checkoutId: checkout,
        buyerId: buyer,
        sellerId: seller,
        status,
        currency: 'TZS',
        originalAmount: 1_000_000,
        discountAmount: 0,
        finalAmount: 1_000_000,
        deliveryFee: 300_000,
        snapshot,
        createdAt: new Date(now.getTime() - k * 60_000),
        updatedAt: now,
        promisedBy: status === 'out_for_delivery' ? new Date(now.getTime() + 3600_000) : null,
        disputeWindowEndsAt: status === 'delivered' ? new Date(now.getTime() + 48 * 3600_000) : null,
      })),
    );
  }
  return phones;
}

export async function ussdBench(q: { db: Database; base: string; token: string }) {
  const phones = await seed(q.db);
  const path = `/api/v1/ussd/callback/${q.token}`;
  const total = CALLERS * STEPS.length * 2;
  const rows: Array<{
    concurrency: number;
    perSec: number;
    p50: number;
    p95: number;
    p99: number;
    errors: number;
  }> = [];
  for (const concurrency of [1, 16]) {
    const run = `${Date.now().toString(36)}_${concurrency}`;
    let errors = 0;
    // Request i is step (i mod 4) of session floor(i / 4): a session's steps go in order, and
    // sessions overlap as callers' do.
    const { seconds, lat } = await inWorkers(concurrency, total, async (i) => {
      const session = Math.floor(i / STEPS.length);
      const phone = phones[session % phones.length]!;
      const body = new URLSearchParams({
        sessionId: `bench_${run}_${session}`,
        serviceCode: '*384*123#',
        phoneNumber: phone,
        networkCode: '63902',
        text: STEPS[i % STEPS.length]!,
      }).toString();
      const res = await post(q.base, path, body).catch(() => ({ status: 0, body: '' }));
      if (res.status !== 200 || !/^CON /.test(res.body)) errors++;
    });
    rows.push({
      concurrency,
      perSec: total / seconds,
      p50: pct(lat, 50),
      p95: pct(lat, 95),
      p99: pct(lat, 99),
      errors,
    });
  }
  const at16 = rows.at(-1)!;
  const markdown = `## USSD replies (issue 15)

${CALLERS} callers, each with three orders; ${total} requests per row, each one step of a session (home, my orders, confirm list,
confirm prompt) carrying the whole path as Africa's Talking sends it; the first step of a session stores its order list.
Target: under 1,000 ms at p99 (the gateway drops slow sessions). Load average when the section ended: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(', ')} (1, 5, 15 min) on ${cpus().length} cores.

| requests | concurrency | req/s | p50 | p95 | p99 | errors |
| --- | --- | --- | --- | --- | --- | --- |
${rows
  .map(
    (r) =>
      `| ${total} | ${r.concurrency} | ${r.perSec.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} |`,
  )
  .join('\n')}
`;
  return { ...at16, markdown };
}
