// The invariants, checked from the database once the system has settled. Each is a count of
// violations with a few examples; the run fails when any count is not 0.
import type pg from 'pg';
import { ORDER_MACHINE } from '../src/modules/orders/index.js';
import type { Balancer } from './client.js';
import type { LoadStats } from './load.js';
import type { Proc } from './processes.js';
import type { Cast } from './seed.js';

export interface Invariant {
  name: string;
  violations: number;
  examples: string[];
}

/** Events whose effects put the units back on the shelf: their orders no longer hold stock. */
const RESTOCKING = Object.entries(ORDER_MACHINE)
  .filter(([, t]) => (t.effects as readonly string[]).includes('restock'))
  .map(([e]) => e);

export async function checkInvariants(
  db: pg.Pool,
  lb: Balancer,
  cast: Cast,
  stats: LoadStats,
  procs: Proc[],
): Promise<Invariant[]> {
  const out: Invariant[] = [];
  const crashes = procs.flatMap((p) => p.crashes.map((c) => ({ name: p.name, ...c })));
  out.push({
    name: 'processes that died unasked (crashed; restarted by the harness)',
    violations: crashes.length,
    examples: crashes
      .slice(0, 5)
      .map((c) => `${c.name}: exit ${c.code ?? c.signal} at ${new Date(c.at).toISOString()}`),
  });
  const add = (
    name: string,
    rows: Array<Record<string, unknown>>,
    show: (r: Record<string, unknown>) => string,
    count?: number,
  ) => out.push({ name, violations: count ?? rows.length, examples: rows.slice(0, 5).map(show) });

  // Stock: per SKU, what left the shelf equals what live orders hold.
  const held = new Map<string, number>(
    (
      await db.query(
        `select l.sku_id, sum(l.quantity)::int as q from order_lines l
          where not exists (select 1 from order_events e where e.order_id = l.order_id and e.event = any($1))
          group by l.sku_id`,
        [RESTOCKING],
      )
    ).rows.map((r) => [r.sku_id, r.q]),
  );
  const stock = new Map<string, number>(
    (await db.query('select id, stock from product_variants')).rows.map((r) => [r.id, r.stock]),
  );
  let oversold = 0;
  let untaken = 0;
  const overEx: string[] = [];
  const untakenEx: string[] = [];
  for (const [sku, initial] of cast.initialStock) {
    const h = held.get(sku) ?? 0;
    const now = stock.get(sku) ?? 0;
    if (h > initial || now < 0) {
      oversold += Math.max(h - initial, -now, 0);
      overEx.push(`${sku}: ${initial} in stock, ${h} held by orders, stock now ${now}`);
    }
    if (h !== initial - now) {
      untaken += Math.abs(h - (initial - now));
      untakenEx.push(`${sku}: ${initial - now} units taken, ${h} held by live orders`);
    }
  }
  out.push({ name: 'oversold units', violations: oversold, examples: overEx.slice(0, 5) });
  out.push({
    name: 'units held by orders ≠ units taken from stock',
    violations: untaken,
    examples: untakenEx.slice(0, 5),
  });

  add(
    'checkouts paid twice (two collections funding one checkout)',
    (
      await db.query(
        `select checkout_id, count(*)::int n from payment_collections
          where status = 'succeeded' and used_for = 'funded_checkout' group by checkout_id having count(*) > 1`,
      )
    ).rows,
    (r) => `${r.checkout_id}: ${r.n}`,
  );
  add(
    'orders held in escrow twice',
    (
      await db.query(
        `select order_id, count(*)::int n from ledger_transfers
          where kind = 'ESCROW_HOLD' and phase = 'pending' group by order_id having count(*) > 1`,
      )
    ).rows,
    (r) => `${r.order_id}: ${r.n}`,
  );
  add(
    'payments charged twice at the provider (one reference, two transactions)',
    (
      await db.query(
        `select reference, count(*)::int n from payment_simulator_txns group by reference having count(*) > 1`,
      )
    ).rows,
    (r) => `${r.reference}: ${r.n}`,
  );
  add(
    'collected money not in an escrow hold, a refund or owed back',
    (
      await db.query(
        `select c.id, c.used_for, c.amount from payment_collections c
          where c.status = 'succeeded' and (
            c.used_for is null
            or not exists (select 1 from ledger_transfers t where t.kind = 'COLLECTION' and t.payment_id = c.id and t.amount = c.amount)
            or (c.used_for = 'funded_checkout' and exists (
                  select 1 from orders o where o.checkout_id = c.checkout_id and not exists (
                    select 1 from ledger_transfers h where h.kind = 'ESCROW_HOLD' and h.order_id = o.id)))
            or (c.used_for <> 'funded_checkout' and not exists (
                  select 1 from ledger_transfers r where r.kind = 'REFUND' and r.payment_id = c.id and r.amount = c.amount)))`,
      )
    ).rows,
    (r) => `collection ${r.id} (${r.used_for ?? 'unused'}, ${r.amount})`,
  );
  add(
    'money at the provider and in the ledger differ (succeeded collections vs COLLECTION transfers)',
    (
      await db.query(
        `select t.id from ledger_transfers t where t.kind = 'COLLECTION'
            and not exists (select 1 from payment_collections c where c.id = t.payment_id and c.status = 'succeeded')`,
      )
    ).rows,
    (r) => `transfer ${r.id}`,
  );

  const rec = await lb.request('GET', '/admin/ledger/reconcile', { token: cast.admin.token });
  const problems: string[] = rec.status === 200 ? rec.body.problems : [`reconcile answered ${rec.status}`];
  add(
    'ledger reconciliation problems (src/reconcile.ts)',
    problems.map((p) => ({ p })),
    (r) => String(r.p),
  );

  add(
    'jobs stuck claimed beyond their lease (a dead worker’s claim never swept)',
    (await db.query(`select id, kind from jobs where status = 'running' and locked_until < now()`)).rows,
    (r) => `${r.kind} ${r.id}`,
  );
  add(
    'jobs due but not run (pending more than 60 s past run_at)',
    (
      await db.query(
        `select id, kind, attempts from jobs where status = 'pending' and run_at < now() - interval '60 seconds'`,
      )
    ).rows,
    (r) => `${r.kind} ${r.id} (attempts ${r.attempts})`,
  );
  add(
    'jobs failed for good',
    (await db.query(`select id, kind, last_error from jobs where status = 'failed'`)).rows,
    (r) => `${r.kind}: ${String(r.last_error).slice(0, 160)}`,
  );

  // Idempotency: every 201 reply for a key named one checkout, the one the key stored.
  const stored = new Map<string, string>(
    (
      await db.query(`select user_id, key, response_body->>'checkout_id' as id from idempotency_keys`)
    ).rows.map((r) => [`${r.user_id}|${r.key}`, r.id]),
  );
  const bad: string[] = [];
  for (const [key, ids] of stats.replies) {
    const s = stored.get(`${stats.keys.get(key)}|${key}`);
    if (ids.size > 1 || (s && !ids.has(s)) || !s)
      bad.push(`${key}: replies ${[...ids].join(', ')}; stored ${s}`);
  }
  add(
    'idempotent replays that did not return the original reply',
    bad.map((x) => ({ x })),
    (r) => String(r.x),
  );
  add(
    'checkouts no Idempotency-Key answers for (created twice under one key)',
    (
      await db.query(
        `select c.id from checkouts c where not exists (
           select 1 from idempotency_keys k where k.user_id = c.buyer_id and k.response_body->>'checkout_id' = c.id::text)`,
      )
    ).rows,
    (r) => `checkout ${r.id}`,
  );

  add(
    'promotions over budget',
    (
      await db.query(
        `select p.id, p.budget_amount, sum(s.burned_amount) burned from promotions p
           join promotion_budget_slices s on s.promotion_id = p.id
          group by p.id, p.budget_amount having sum(s.burned_amount) > p.budget_amount`,
      )
    ).rows,
    (r) => `${r.id}: burned ${r.burned} of ${r.budget_amount}`,
  );
  add(
    // One event may rightly carry two messages to one person (a paid order: "payment received" and
    // the delivery code); a duplicate is the same message, i.e. the same template, twice.
    'duplicate notifications per (event, recipient, channel, message)',
    (
      await db.query(
        `select event_type, event_id, recipient_id, channel, template_key, count(*)::int n from notification_messages
          group by event_type, event_id, recipient_id, channel, template_key having count(*) > 1`,
      )
    ).rows,
    (r) => `${r.event_id} → ${r.recipient_id} by ${r.channel} (${r.template_key}): ${r.n}`,
  );
  return out;
}

/** Figures from the database for the report (not invariants). */
export async function dbFigures(db: pg.Pool) {
  const one = async (q: string) => (await db.query(q)).rows;
  return {
    checkouts: await one(`select status, count(*)::int n from checkouts group by status order by status`),
    orders: await one(`select status, count(*)::int n from orders group by status order by status`),
    collections: await one(
      `select status, coalesce(used_for, '-') used_for, count(*)::int n from payment_collections group by 1, 2 order by 1, 2`,
    ),
    disbursements: await one(
      `select kind, status, count(*)::int n from payment_disbursements group by 1, 2 order by 1, 2`,
    ),
    callbacks: await one(`select verdict, count(*)::int n from payment_callbacks group by 1 order by 1`),
    jobs: await one(`select status, count(*)::int n from jobs group by 1 order by 1`),
    notifications: await one(`select count(*)::int n from notification_messages`),
  };
}
