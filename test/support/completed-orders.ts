import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../../src/db/client.js';
import * as s from '../../src/db/schema.js';
import type { OrderSnapshot } from '../../src/modules/orders/index.js';

/**
 * Completed orders written straight into the tables, as the order machine leaves them: what the
 * recommendations job reads (status, completed_at, the snapshot's product ids and delivery zone).
 * Walking each through checkout, payment, delivery and the dispute window would test orders, not
 * recommendations; those paths have their own tests.
 */
export async function completedOrders(
  db: Database,
  list: Array<{
    buyerId: string;
    sellerId: string;
    productIds: string[];
    at: Date;
    zone?: string | null;
    /** default completed; another status leaves completed_at empty */
    status?: 'completed' | 'delivered';
  }>,
) {
  for (const o of list) {
    const checkoutId = uuidv7();
    await db.insert(s.checkouts).values({
      id: checkoutId,
      buyerId: o.buyerId,
      status: 'paid',
      payerPhone: '+255754000000',
      currency: 'TZS',
      totalAmount: 1_000_00,
      expiresAt: o.at,
      paidAt: o.at,
      createdAt: o.at,
    });
    const snapshot = {
      lines: o.productIds.map((product_id) => ({ product_id, sku_id: uuidv7(), title: 'x', quantity: 1 })),
      ...(o.zone ? { delivery: { to_zone: o.zone, from_zone: o.zone } } : {}),
    } as unknown as OrderSnapshot;
    await db.insert(s.orders).values({
      id: uuidv7(),
      checkoutId,
      buyerId: o.buyerId,
      sellerId: o.sellerId,
      status: o.status ?? 'completed',
      currency: 'TZS',
      originalAmount: 1_000_00,
      discountAmount: 0,
      finalAmount: 1_000_00,
      deliveryFee: 0,
      snapshot,
      createdAt: o.at,
      updatedAt: o.at,
      completedAt: (o.status ?? 'completed') === 'completed' ? o.at : null,
    });
  }
}
