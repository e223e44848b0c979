import { asc, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { AppError } from '../../shared/errors.js';
import { productVariants } from './schema.js';

export interface StockItem {
  skuId: string;
  quantity: number;
}

/** Stock moves for checkout and cancellation, always inside the caller's transaction. */
export function createStockService() {
  return {
    /** Lock the SKUs in id order (every checkout takes them in the same order, so none deadlock). */
    async lock(tx: Database, skuIds: string[]) {
      if (!skuIds.length) return;
      await tx
        .select({ id: productVariants.id })
        .from(productVariants)
        .where(inArray(productVariants.id, [...new Set(skuIds)]))
        .orderBy(asc(productVariants.id))
        .for('update');
    },

    /** Take the units, all or none: one set-based statement that never lets stock go below zero. */
    async take(tx: Database, items: StockItem[]) {
      if (!items.length) return;
      const values = sql.join(
        items.map((i) => sql`(${i.skuId}::uuid, ${i.quantity}::int)`),
        sql`, `,
      );
      const res = await tx.execute(
        sql`update ${productVariants} v set stock = v.stock - x.q, updated_at = now()
            from (values ${values}) as x(id, q)
            where v.id = x.id and v.stock >= x.q
            returning v.id`,
      );
      if ((res as unknown as { rows: unknown[] }).rows.length !== items.length) {
        throw new AppError('OUT_OF_STOCK', 409, 'An item in your cart sold out while you were checking out.');
      }
    },

    /** Put units back (cancelled or expired orders). */
    async restock(tx: Database, items: StockItem[]) {
      if (!items.length) return;
      const values = sql.join(
        items.map((i) => sql`(${i.skuId}::uuid, ${i.quantity}::int)`),
        sql`, `,
      );
      await tx.execute(
        sql`update ${productVariants} v set stock = v.stock + x.q, updated_at = now() from (values ${values}) as x(id, q) where v.id = x.id`,
      );
    },
  };
}

export type StockService = ReturnType<typeof createStockService>;
