import { and, count, eq, inArray, lt, min, or } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { paymentDisbursements as d } from './schema.js';

/**
 * Money that needs a person, for the console's home page: refunds that failed after their last
 * attempt, and payouts that failed or have been in flight longer than `stuckAfter`.
 */
export async function moneyAttention(db: Database, now: Date, stuckAfterMs: number) {
  const [refunds] = await db
    .select({ n: count(), oldest: min(d.createdAt) })
    .from(d)
    .where(and(eq(d.kind, 'refund'), eq(d.status, 'failed')));
  const [payouts] = await db
    .select({ n: count(), oldest: min(d.createdAt) })
    .from(d)
    .where(
      and(
        eq(d.kind, 'payout'),
        or(
          eq(d.status, 'failed'),
          and(
            inArray(d.status, ['queued', 'sending']),
            lt(d.updatedAt, new Date(now.getTime() - stuckAfterMs)),
          ),
        ),
      ),
    );
  return {
    failedRefunds: { count: refunds?.n ?? 0, oldest: refunds?.oldest ?? null },
    stuckPayouts: { count: payouts?.n ?? 0, oldest: payouts?.oldest ?? null },
  };
}
