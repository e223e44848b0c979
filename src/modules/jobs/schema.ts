import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tz } from '../../db/columns.js';

export const JOB_STATUSES = ['pending', 'running', 'done', 'failed'] as const;

/**
 * Work that must happen after a commit (outbox messages, timers such as checkout expiry), written
 * in the same transaction as the change that causes it and claimed by workers with SKIP LOCKED.
 */
export const jobs = pgTable(
  'jobs',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    /** at most one live job per key (e.g. "expire-checkout:<id>") */
    dedupeKey: text('dedupe_key'),
    status: text('status', { enum: JOB_STATUSES }).notNull(),
    runAt: tz('run_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    lockedBy: text('locked_by'),
    lockedUntil: tz('locked_until'),
    lastError: text('last_error'),
    createdAt: tz('created_at').notNull(),
    finishedAt: tz('finished_at'),
  },
  (t) => [
    // Workers claim by kind: each kind's due jobs are one index range, however many of other kinds wait.
    index('jobs_due_idx').on(t.kind, t.runAt).where(sql`${t.status} = 'pending'`),
    index('jobs_lease_idx').on(t.lockedUntil).where(sql`${t.status} = 'running'`),
    uniqueIndex('jobs_dedupe_idx').on(t.dedupeKey),
  ],
);
