import { index, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { tz } from '../../db/columns.js';

/** An order as stored in a session's fixed list (dates as ISO strings inside jsonb). */
export interface StoredUssdOrder {
  id: string;
  status: string;
  total: number;
  currency: string;
  title: string;
  moreLines: number;
  promisedBy: string | null;
  disputeWindowEndsAt: string | null;
}

/**
 * One USSD session (Africa's Talking's sessionId): who called, and the orders as first shown, so a
 * number the caller picks means the same order on every later request of the session.
 */
export const ussdSessions = pgTable(
  'ussd_sessions',
  {
    sessionId: text('session_id').primaryKey(),
    phone: text('phone').notNull(),
    userId: uuid('user_id').notNull(),
    orders: jsonb('orders').$type<{ recent: StoredUssdOrder[]; delivered: StoredUssdOrder[] }>().notNull(),
    createdAt: tz('created_at').notNull(),
  },
  (t) => [index('ussd_sessions_created_idx').on(t.createdAt)],
);

export const USSD_ACTIONS = ['confirm_receipt', 'open_dispute'] as const;

/**
 * A state-changing action taken on an order in a session. The key (session, order) makes a telco's
 * replay find the first attempt instead of confirming twice or opening a second dispute; `reply` is
 * what the caller was told (null while the first attempt runs), and a replay gets the same.
 */
export const ussdActions = pgTable(
  'ussd_actions',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => ussdSessions.sessionId),
    orderId: uuid('order_id').notNull(),
    action: text('action', { enum: USSD_ACTIONS }).notNull(),
    reply: text('reply'),
    createdAt: tz('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.orderId] })],
);
