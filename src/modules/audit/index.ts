import { and, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import type { BatchPart } from '../../db/batch.js';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import { type Cursor, pageOf } from '../../shared/pagination.js';
import { auditEvents } from './schema.js';

export interface AuditEntry {
  actorUserId: string | null;
  action: string;
  targetType: string;
  targetId: string;
  reason?: string | null;
  data?: Record<string, unknown>;
}

export type AuditEvent = typeof auditEvents.$inferSelect;

export function createAuditService(deps: { db: Database; clock: Clock; ids: IdGenerator }) {
  const rowOf = (entry: AuditEntry): typeof auditEvents.$inferInsert => ({
    id: deps.ids.newId(),
    actorUserId: entry.actorUserId,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    reason: entry.reason ?? null,
    data: entry.data ?? null,
    createdAt: deps.clock.now(),
  });
  return {
    /** Append one event; call it with the transaction that makes the change, so both commit or neither. */
    async record(tx: Database, entry: AuditEntry): Promise<void> {
      await tx.insert(auditEvents).values(rowOf(entry));
    },

    /** The same event as one part of a caller's batched write. */
    draft(entry: AuditEntry): BatchPart {
      return { insert: auditEvents, rows: [rowOf(entry)] };
    },

    /** Newest first, filtered by target and/or actor and/or action. */
    async list(q: {
      targetType?: string;
      targetId?: string;
      actorUserId?: string;
      action?: string;
      limit: number;
      cursor?: Cursor;
    }) {
      const where: SQL[] = [];
      if (q.targetType) where.push(eq(auditEvents.targetType, q.targetType));
      if (q.targetId) where.push(eq(auditEvents.targetId, q.targetId));
      if (q.actorUserId) where.push(eq(auditEvents.actorUserId, q.actorUserId));
      if (q.action) where.push(eq(auditEvents.action, q.action));
      if (q.cursor) {
        where.push(
          or(
            lt(auditEvents.createdAt, q.cursor.at),
            and(eq(auditEvents.createdAt, q.cursor.at), lt(auditEvents.id, q.cursor.id)),
          )!,
        );
      }
      const rows = await deps.db
        .select()
        .from(auditEvents)
        .where(and(...where))
        .orderBy(desc(auditEvents.createdAt), desc(auditEvents.id))
        .limit(q.limit + 1);
      return pageOf(rows, q.limit, (r) => ({ at: r.createdAt, id: r.id }));
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
