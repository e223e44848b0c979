import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { orders } from './schema.js';

// What the recommendations job learns from: completed orders, read in (completed_at, id) order
// after a watermark, so each refresh reads only what completed since the last one.

export interface CompletedPurchase {
  orderId: string;
  buyerId: string;
  completedAt: Date;
  /**
   * completed_at exactly as stored (microseconds), for the next call's `after`: a Date keeps only
   * milliseconds, and a watermark rounded down would read the same order again.
   */
  cursor: string;
  /** the zone the order was delivered to (zone quotes only), by name */
  zone: string | null;
  productIds: string[];
}

export async function completedPurchasesSince(
  tx: Database,
  after: { cursor: string; id: string } | null,
  limit: number,
): Promise<CompletedPurchase[]> {
  const rows = await tx
    .select({
      id: orders.id,
      buyerId: orders.buyerId,
      completedAt: orders.completedAt,
      cursor: sql<string>`${orders.completedAt}::text`.mapWith(String),
      zone: sql<string | null>`${orders.snapshot} -> 'delivery' ->> 'to_zone'`,
      productIds: sql<string[]>`(select coalesce(jsonb_agg(distinct l ->> 'product_id'), '[]'::jsonb)
        from jsonb_array_elements(${orders.snapshot} -> 'lines') l)`,
    })
    .from(orders)
    .where(
      sql`${orders.status} = 'completed' and ${orders.completedAt} is not null ${
        after
          ? sql`and (${orders.completedAt}, ${orders.id}) > (${after.cursor}::timestamptz, ${after.id}::uuid)`
          : sql``
      }`,
    )
    .orderBy(orders.completedAt, orders.id)
    .limit(limit);
  return rows.map((r) => ({
    orderId: r.id,
    buyerId: r.buyerId,
    completedAt: r.completedAt!,
    cursor: r.cursor,
    zone: r.zone,
    productIds: (typeof r.productIds === 'string' ? JSON.parse(r.productIds) : r.productIds).filter(
      (p: unknown): p is string => typeof p === 'string',
    ),
  }));
}
