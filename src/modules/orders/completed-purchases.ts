import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { orders } from './schema.js';

// What the recommendations job learns from: completed orders, read in (completed_at, id) order
// after a watermark, so each refresh reads only what completed since the last one.

export interface CompletedPurchase {
  orderId: string;
  buyerId: string;
  completedAt: Date;
  /** the zone the order was delivered to (zone quotes only), by name */
  zone: string | null;
  productIds: string[];
}

export async function completedPurchasesSince(
  tx: Database,
  after: { at: Date; id: string } | null,
  limit: number,
): Promise<CompletedPurchase[]> {
  const rows = await tx
    .select({
      id: orders.id,
      buyerId: orders.buyerId,
      completedAt: orders.completedAt,
      zone: sql<string | null>`${orders.snapshot} -> 'delivery' ->> 'to_zone'`,
      productIds: sql<string[]>`(select coalesce(jsonb_agg(distinct l ->> 'product_id'), '[]'::jsonb)
        from jsonb_array_elements(${orders.snapshot} -> 'lines') l)`,
    })
    .from(orders)
    .where(
      sql`${orders.status} = 'completed' and ${orders.completedAt} is not null ${
        after
          ? sql`and (${orders.completedAt}, ${orders.id}) > (${after.at.toISOString()}::timestamptz, ${after.id}::uuid)`
          : sql``
      }`,
    )
    .orderBy(orders.completedAt, orders.id)
    .limit(limit);
  return rows.map((r) => ({
    orderId: r.id,
    buyerId: r.buyerId,
    completedAt: r.completedAt!,
    zone: r.zone,
    productIds: (typeof r.productIds === 'string' ? JSON.parse(r.productIds) : r.productIds).filter(
      (p: unknown): p is string => typeof p === 'string',
    ),
  }));
}
