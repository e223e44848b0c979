import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/support/db.js';
import { JOB_DEFINITIONS } from '../composition/jobs.js';
import type { DatabaseHandle } from './client.js';

// Migration 0020 renames the kinds of queued jobs, so work queued before a deploy still runs after
// it. Run again here over rows written under the old names (the database is already migrated).
const file = join(import.meta.dirname, 'migrations', '0020_rename_job_kinds.sql');
const statements = readFileSync(file, 'utf8')
  .split('--> statement-breakpoint')
  .map((s) => s.trim())
  .filter(Boolean);

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(() => handle?.close());

const RENAMED: Record<string, string> = {
  'checkout.expire': 'orders.expire_checkout',
  'order.auto_complete': 'orders.auto_complete',
  'order.seller_deadline': 'orders.enforce_seller_deadline',
  'order.redelivery_deadline': 'orders.enforce_redelivery_deadline',
  'payments.refund': 'order.refund_owed',
  'logistics.assign': 'riders.assign',
  'logistics.order_moved': 'order.moved_without_rider',
  'logistics.offer_expire': 'riders.expire_offer',
  'logistics.pickup_deadline': 'riders.enforce_pickup_deadline',
  'logistics.sweep': 'riders.sweep',
  'identity.otp_purge': 'identity.purge_spent_codes',
  'notification.send': 'notifications.send',
  'notification.failover_check': 'notifications.check_failover',
};

async function insert(kind: string, status: string, n: number) {
  await handle.db.execute(sql`insert into jobs (id, kind, payload, status, run_at, attempts, max_attempts, created_at)
    values (gen_random_uuid(), ${kind}, ${JSON.stringify({ n })}::jsonb, ${status}, now(), 0, 10, now())`);
}

async function rows() {
  const r = await handle.db.execute(
    sql`select kind, status, payload->>'n' as n from jobs order by (payload->>'n')::int`,
  );
  return (r as unknown as { rows: Array<{ kind: string; status: string; n: string }> }).rows;
}

describe('migration 0020: job kinds renamed', () => {
  it('every new name is a declared kind', () => {
    for (const to of Object.values(RENAMED)) expect(Object.keys(JOB_DEFINITIONS)).toContain(to);
  });

  it('renames waiting and running jobs, leaves finished ones as they were, and closes the old notices', async () => {
    let n = 0;
    const plan: Array<{ kind: string; status: string; expect: { kind: string; status: string } }> = [];
    for (const [from, to] of Object.entries(RENAMED)) {
      plan.push({ kind: from, status: 'pending', expect: { kind: to, status: 'pending' } });
      plan.push({ kind: from, status: 'running', expect: { kind: to, status: 'running' } });
      // History stays what it was: a finished job keeps the name it ran under.
      plan.push({ kind: from, status: 'done', expect: { kind: from, status: 'done' } });
    }
    for (const kind of [
      'notify.order_status',
      'notify.checkout_created',
      'notify.payment_status',
      'notify.disbursement_status',
    ])
      plan.push({ kind, status: 'pending', expect: { kind, status: 'done' } });
    plan.push({
      kind: 'logistics.prune_pings',
      status: 'pending',
      expect: { kind: 'logistics.prune_pings', status: 'done' },
    });
    // A kind the migration does not know is left alone.
    plan.push({
      kind: 'payments.send',
      status: 'pending',
      expect: { kind: 'payments.send', status: 'pending' },
    });
    for (const p of plan) await insert(p.kind, p.status, n++);
    for (const s of statements) await handle.db.execute(sql.raw(s));
    expect((await rows()).map((r) => ({ kind: r.kind, status: r.status }))).toEqual(
      plan.map((p) => p.expect),
    );
    // Running it twice changes nothing more.
    for (const s of statements) await handle.db.execute(sql.raw(s));
    expect((await rows()).map((r) => ({ kind: r.kind, status: r.status }))).toEqual(
      plan.map((p) => p.expect),
    );
  });
});
