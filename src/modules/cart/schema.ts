import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { tz } from '../../db/columns.js';

/** One persistent cart per buyer: what they chose, not what it costs (prices are always live). */
export const carts = pgTable(
  'carts',
  {
    buyerId: uuid('buyer_id').primaryKey(),
    code: text('code'),
    loyaltyPoints: integer('loyalty_points').notNull().default(0),
    updatedAt: tz('updated_at').notNull(),
  },
  (t) => [check('carts_points_non_negative', sql`${t.loyaltyPoints} >= 0`)],
);

export const cartLines = pgTable(
  'cart_lines',
  {
    buyerId: uuid('buyer_id')
      .notNull()
      .references(() => carts.buyerId),
    skuId: uuid('sku_id').notNull(),
    quantity: integer('quantity').notNull(),
    addedAt: tz('added_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.buyerId, t.skuId] }),
    index('cart_lines_sku_idx').on(t.skuId),
    check('cart_lines_quantity_positive', sql`${t.quantity} > 0`),
  ],
);
