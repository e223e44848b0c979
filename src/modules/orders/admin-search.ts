import { and, desc, eq, gte, lt, or } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { type Cursor, pageOf } from '../../shared/pagination.js';
import type { OrderStatus } from './model.js';
import { orders } from './schema.js';

/** Admin search over all orders, newest first, keyset-paged: by id, buyer, seller, status and a created-at range. */
export async function searchOrders(
  db: Database,
  q: {
    id?: string | undefined;
    buyerId?: string | undefined;
    sellerId?: string | undefined;
    status?: OrderStatus | undefined;
    from?: Date | undefined;
    to?: Date | undefined;
    limit: number;
    cursor?: Cursor | undefined;
  },
) {
  const rows = await db
    .select()
    .from(orders)
    .where(
      and(
        q.id ? eq(orders.id, q.id) : undefined,
        q.buyerId ? eq(orders.buyerId, q.buyerId) : undefined,
        q.sellerId ? eq(orders.sellerId, q.sellerId) : undefined,
        q.status ? eq(orders.status, q.status) : undefined,
        q.from ? gte(orders.createdAt, q.from) : undefined,
        q.to ? lt(orders.createdAt, q.to) : undefined,
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
}
