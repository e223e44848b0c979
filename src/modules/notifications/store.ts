import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { DEFAULT_PREFERENCES, type Preferences, predecessorsOf } from './rules.js';
import {
  type MessageStatus,
  notificationMessages as m,
  notificationPreferences,
  type StatusChange,
} from './schema.js';

// Drizzle functions (db, args) over this module's two tables; transactions belong to the callers.

export type MessageRow = typeof m.$inferSelect;

/** `status_history || [change]`, appended in SQL so concurrent writers never lose each other's entries. */
export const appendHistory = (change: StatusChange) =>
  sql`${m.statusHistory} || ${JSON.stringify([change])}::jsonb`;

export async function preferencesOf(
  db: Database,
  userIds: readonly string[],
): Promise<Map<string, Preferences & { whatsappLastInboundAt: Date | null }>> {
  if (!userIds.length) return new Map();
  const rows = await db
    .select()
    .from(notificationPreferences)
    .where(inArray(notificationPreferences.userId, [...new Set(userIds)]));
  return new Map(
    rows.map((r) => [
      r.userId,
      {
        language: r.language,
        whatsappOptIn: r.whatsappOptIn,
        optedOut: r.optedOut,
        marketingOptIn: r.marketingOptIn,
        whatsappLastInboundAt: r.whatsappLastInboundAt,
      },
    ]),
  );
}

export async function preferenceOf(db: Database, userId: string) {
  return (
    (await preferencesOf(db, [userId])).get(userId) ?? { ...DEFAULT_PREFERENCES, whatsappLastInboundAt: null }
  );
}

export async function findMessage(db: Database, id: string): Promise<MessageRow | null> {
  const [row] = await db.select().from(m).where(eq(m.id, id));
  return row ?? null;
}

/**
 * Move a message forward to `to`, only from a status before it: a replayed, late or out-of-order
 * report finds no row to update and changes nothing. Returns the updated row, or null.
 */
export async function moveForward(
  db: Database,
  where: { id: string } | { provider: string; providerMessageId: string },
  to: MessageStatus,
  at: Date,
  detail?: string,
): Promise<MessageRow | null> {
  const match =
    'id' in where
      ? eq(m.id, where.id)
      : and(eq(m.provider, where.provider), eq(m.providerMessageId, where.providerMessageId));
  const [row] = await db
    .update(m)
    .set({
      status: to,
      statusHistory: appendHistory({ status: to, at: at.toISOString(), ...(detail ? { detail } : {}) }),
      ...(to === 'delivered' || to === 'read'
        ? { deliveredAt: sql`coalesce(${m.deliveredAt}, ${at.toISOString()}::timestamptz)` }
        : {}),
      ...(to === 'read' ? { readAt: sql`coalesce(${m.readAt}, ${at.toISOString()}::timestamptz)` } : {}),
      ...(to === 'failed' && detail ? { lastError: detail } : {}),
    })
    .where(and(match, inArray(m.status, predecessorsOf(to))))
    .returning();
  return row ?? null;
}
