// Reads: a checkout, an order with its timeline, a viewer's orders, on-time delivery rates.
import { and, asc, desc, eq, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { notFound } from '../../shared/errors.js';
import { type Cursor, pageOf } from '../../shared/pagination.js';
import { checkOwner } from './guards.js';
import type { OrderStatus } from './model.js';
import type { Actor, OrdersDeps } from './ports.js';
import { checkouts, disputes, orderEvents, orders } from './schema.js';

export function createQueries(deps: Pick<OrdersDeps, 'db'>) {
  const { db } = deps;

  async function detail(tx: Database, orderId: string) {
    const [o] = await tx.select().from(orders).where(eq(orders.id, orderId));
    if (!o) throw notFound('Order');
    const timeline = await tx
      .select()
      .from(orderEvents)
      .where(eq(orderEvents.orderId, orderId))
      .orderBy(asc(orderEvents.createdAt), asc(orderEvents.id));
    const [dispute] = await tx.select().from(disputes).where(eq(disputes.orderId, orderId));
    return { order: o, timeline, dispute: dispute ?? null };
  }

  return {
    /** An order's status and seller only (the riders' port asks no more); null for an unknown order. */
    async statusAndSellerOf(
      orderId: string,
      tx: Database = db,
    ): Promise<{ status: OrderStatus; sellerId: string } | null> {
      const [o] = await tx
        .select({ status: orders.status, sellerId: orders.sellerId })
        .from(orders)
        .where(eq(orders.id, orderId));
      return o ?? null;
    },

    /** The checkout row alone, read in the caller's transaction (the payments module's view). */
    async findCheckout(tx: Database, checkoutId: string) {
      const [c] = await tx.select().from(checkouts).where(eq(checkouts.id, checkoutId));
      return c ?? null;
    },

    async getCheckout(checkoutId: string) {
      const [c] = await db.select().from(checkouts).where(eq(checkouts.id, checkoutId));
      if (!c) throw notFound('Checkout');
      const list = await db
        .select()
        .from(orders)
        .where(eq(orders.checkoutId, checkoutId))
        .orderBy(asc(orders.sellerId));
      return { checkout: c, orders: list };
    },

    /** An order as the viewer may see it: buyers and sellers their own, admins any. */
    async view(orderId: string, viewer: Actor) {
      const d = await detail(db, orderId);
      checkOwner(d.order, viewer);
      return d;
    },

    async list(
      viewer: { userId: string; as: 'buyer' | 'seller' },
      q: { limit: number; cursor?: Cursor | undefined; status?: OrderStatus | undefined },
    ) {
      const owner =
        viewer.as === 'buyer' ? eq(orders.buyerId, viewer.userId) : eq(orders.sellerId, viewer.userId);
      const rows = await db
        .select()
        .from(orders)
        .where(
          and(
            owner,
            q.status ? eq(orders.status, q.status) : undefined,
            q.cursor
              ? or(
                  lt(orders.createdAt, q.cursor.at),
                  and(eq(orders.createdAt, q.cursor.at), lt(orders.id, q.cursor.id)),
                )
              : undefined,
          ),
        )
        .orderBy(desc(orders.createdAt), desc(orders.id))
        .limit(q.limit + 1);
      return pageOf(rows, q.limit, (r) => ({ at: r.createdAt, id: r.id }));
    },

    /**
     * On-time rate of promised deliveries, grouped by seller, destination zone or Dar es Salaam day
     * (the analytics dashboard reads this). Only orders delivered with a promise count.
     */
    async onTimeRate(q: { by: 'seller' | 'rider' | 'zone' | 'day'; from: Date; to: Date }) {
      const key =
        q.by === 'seller'
          ? sql<string>`${orders.sellerId}::text`
          : q.by === 'rider'
            ? sql<string>`coalesce(${orders.riderId}::text, 'no rider')`
            : q.by === 'zone'
              ? sql<string>`coalesce(${orders.snapshot}->'delivery'->>'to_zone', 'unknown')`
              : sql<string>`to_char(${orders.deliveredAt} at time zone 'Africa/Dar_es_Salaam', 'YYYY-MM-DD')`;
      const rows = await db
        .select({
          key,
          delivered: sql<number>`count(*)::int`,
          late: sql<number>`count(*) filter (where ${orders.deliveredLate})::int`,
        })
        .from(orders)
        .where(
          and(
            sql`${orders.deliveredLate} is not null`,
            sql`${orders.deliveredAt} >= ${q.from.toISOString()}::timestamptz`,
            sql`${orders.deliveredAt} < ${q.to.toISOString()}::timestamptz`,
          ),
        )
        .groupBy(key)
        .orderBy(key);
      return rows.map((r) => ({
        key: r.key,
        delivered: r.delivered,
        late: r.late,
        onTimeRate: r.delivered ? (r.delivered - r.late) / r.delivered : null,
      }));
    },
  };
}
