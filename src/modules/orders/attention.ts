import { and, count, eq, isNull, lt, min, notInArray } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { disputes, orders } from './schema.js';

/**
 * The order queues of the console's home page: open disputes (and how many have waited longer
 * than `disputeAgeMs`), orders ready for pickup with no rider yet, and paid orders whose seller's
 * accept deadline falls within `acceptWithinMs`. `heldByRider`: the orders a rider has taken but not
 * collected (the riders module knows them; `orders.rider_id` is only set at pickup).
 */
export async function ordersAttention(
  db: Database,
  now: Date,
  p: { disputeAgeMs: number; acceptWithinMs: number; heldByRider?: readonly string[] },
) {
  const [open] = await db
    .select({ n: count(), oldest: min(disputes.openedAt) })
    .from(disputes)
    .where(eq(disputes.status, 'open'));
  const [old] = await db
    .select({ n: count() })
    .from(disputes)
    .where(and(eq(disputes.status, 'open'), lt(disputes.openedAt, new Date(now.getTime() - p.disputeAgeMs))));
  const [dispatch] = await db
    .select({ n: count(), oldest: min(orders.updatedAt) })
    .from(orders)
    .where(
      and(
        eq(orders.status, 'ready_for_pickup'),
        isNull(orders.riderId),
        p.heldByRider?.length ? notInArray(orders.id, [...p.heldByRider]) : undefined,
      ),
    );
  const [accept] = await db
    .select({ n: count(), oldest: min(orders.paidAt) })
    .from(orders)
    .where(and(eq(orders.status, 'paid'), lt(orders.acceptBy, new Date(now.getTime() + p.acceptWithinMs))));
  return {
    disputes: { count: open?.n ?? 0, oldest: open?.oldest ?? null, overdue: old?.n ?? 0 },
    dispatch: { count: dispatch?.n ?? 0, oldest: dispatch?.oldest ?? null },
    acceptSoon: { count: accept?.n ?? 0, oldest: accept?.oldest ?? null },
  };
}
