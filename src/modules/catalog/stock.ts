import { asc, inArray } from 'drizzle-orm';
import { type BatchPart, rawQuery } from '../../db/batch.js';
import type { Database } from '../../db/client.js';
import { AppError } from '../../shared/errors.js';
import { productVariants } from './schema.js';

export interface StockItem {
  skuId: string;
  quantity: number;
}

const RESTOCK = {
  name: 'stock-restock',
  text: `update product_variants v set stock = v.stock + x.q, updated_at = now()
           from unnest($1::uuid[], $2::int[]) as x(id, q)
          where v.id = x.id`,
};

const soldOut = () =>
  new AppError('OUT_OF_STOCK', 409, 'An item in your cart sold out while you were checking out.');

// Two arrays through unnest: the planner then joins by the primary key (a JSON record set is
// estimated at 100 rows and turned every stock move into a scan of all variants).
const asArrays = (items: StockItem[]) => [items.map((i) => i.skuId), items.map((i) => i.quantity)];

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

    /**
     * Take the units, all or none, as one part of checkout's batched write (its SKUs are already
     * locked): one set-based statement that never lets stock go below zero.
     */
    takeDraft(items: StockItem[]): BatchPart {
      const [ids, quantities] = asArrays(items);
      return {
        statement: ($) =>
          `update product_variants v set stock = v.stock - x.q, updated_at = now()
             from unnest(${$(ids)}::uuid[], ${$(quantities)}::int[]) as x(id, q)
            where v.id = x.id and v.stock >= x.q
        returning v.id`,
        rows: items.length,
        short: soldOut,
      };
    },

    /** Put units back (cancelled or expired orders). */
    async restock(tx: Database, items: StockItem[]) {
      if (!items.length) return;
      await rawQuery(tx, RESTOCK, asArrays(items));
    },
  };
}

export type StockService = ReturnType<typeof createStockService>;
