import { sql } from 'drizzle-orm';
import { bigint, check, index, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tz } from '../../db/columns.js';
import { APPROVAL_KINDS } from '../../shared/four-eyes.js';

/**
 * Browser sessions of the admin console: separate from the API's bearer sessions so they can have
 * their own short idle and absolute limits and live only in an HttpOnly cookie scoped to /admin.
 * The cookie's token is stored only as its SHA-256.
 */
export const consoleSessions = pgTable(
  'console_sessions',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: tz('created_at').notNull(),
    lastSeenAt: tz('last_seen_at').notNull(),
    /** created_at + the absolute limit: no activity extends it. */
    expiresAt: tz('expires_at').notNull(),
    revokedAt: tz('revoked_at'),
    revokedReason: text('revoked_reason'),
  },
  (t) => [
    uniqueIndex('console_sessions_token_hash_idx').on(t.tokenHash),
    index('console_sessions_user_idx').on(t.userId),
  ],
);

export { APPROVAL_KINDS };
export const APPROVAL_STATUSES = ['pending', 'executing', 'executed', 'failed', 'withdrawn'] as const;
/** A request still open: a second one for the same subject is refused until it is decided or withdrawn. */
export const OPEN_APPROVAL_STATUSES = ['pending', 'executing'] as const;

/** What the approver will run, as the requester chose it (amounts in minor units). */
export type ApprovalDetails =
  | {
      resolution: 'full_refund' | 'partial_refund';
      amount?: number | undefined;
      fault: 'seller' | 'rider' | 'none';
    }
  | { event: 'cancel' | 'refund_undeliverable' };

/**
 * Four eyes: a money action above the configured amount waits here until a second admin approves
 * it; the approval claims the row (pending → executing) so the domain command runs exactly once.
 */
export const consoleApprovals = pgTable(
  'console_approvals',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind', { enum: APPROVAL_KINDS }).notNull(),
    /**
     * payout: the seller's or rider's user id; refund_retry: the disbursement id; dispute_refund:
     * the dispute id; order_refund: the order id (a cancellation or refund that pays money back).
     */
    targetId: uuid('target_id').notNull(),
    party: text('party', { enum: ['seller', 'rider'] }),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    reason: text('reason').notNull(),
    requestedBy: uuid('requested_by').notNull(),
    requestedAt: tz('requested_at').notNull(),
    status: text('status', { enum: APPROVAL_STATUSES }).notNull(),
    decidedBy: uuid('decided_by'),
    decidedAt: tz('decided_at'),
    outcome: text('outcome'),
    /** dispute_refund and order_refund: the command's arguments, fixed when it was asked for. */
    details: jsonb('details').$type<ApprovalDetails>(),
  },
  (t) => [
    index('console_approvals_status_idx').on(t.status, t.requestedAt),
    // One open request per subject: two admins cannot queue the same refund or payout twice.
    uniqueIndex('console_approvals_open_subject_idx')
      .on(t.kind, t.targetId, sql`coalesce(${t.party}, '')`)
      .where(sql`${t.status} in ('pending', 'executing')`),
    // The rule also lives in the approve statement; the table refuses a self-approval whatever the code does.
    check(
      'console_approvals_second_admin',
      sql`${t.decidedBy} is null or ${t.decidedBy} <> ${t.requestedBy}`,
    ),
  ],
);
