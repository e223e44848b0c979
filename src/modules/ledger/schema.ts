import { sql } from 'drizzle-orm';
import { bigint, check, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { TRANSFER_KINDS, TRANSFER_PHASES } from './model.js';

/**
 * Append-only double-entry transfers. Each row moves `amount` from `debit_account` to
 * `credit_account`, so every transfer balances by construction. Two-phase like TigerBeetle: a
 * `pending` row reserves, then exactly one `post` or `void` row (referencing it) settles it.
 */
export const ledgerTransfers = pgTable(
  'ledger_transfers',
  {
    id: uuid('id').primaryKey(),
    /** derived from (purpose, order, attempt): a retry finds the transfer it already made */
    key: text('key').notNull(),
    kind: text('kind', { enum: TRANSFER_KINDS }).notNull(),
    phase: text('phase', { enum: TRANSFER_PHASES }).notNull(),
    pendingId: uuid('pending_id'),
    debitAccount: text('debit_account').notNull(),
    creditAccount: text('credit_account').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    orderId: uuid('order_id'),
    checkoutId: uuid('checkout_id'),
    paymentId: uuid('payment_id'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    uniqueIndex('ledger_transfers_key_idx').on(t.key),
    // A pending transfer is settled at most once: one post or one void, never both, never twice.
    uniqueIndex('ledger_transfers_settle_once_idx')
      .on(t.pendingId)
      .where(sql`${t.phase} in ('post', 'void')`),
    index('ledger_transfers_debit_idx').on(t.debitAccount),
    index('ledger_transfers_credit_idx').on(t.creditAccount),
    index('ledger_transfers_order_idx').on(t.orderId),
    check('ledger_transfers_amount_positive', sql`${t.amount} > 0`),
    check('ledger_transfers_two_sides', sql`${t.debitAccount} <> ${t.creditAccount}`),
  ],
);
