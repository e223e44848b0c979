import { and, desc, eq, gte, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { decodeCursor, pageOf } from '../../shared/pagination.js';
import { type Channel, type MessageStatus, notificationMessages as m } from './schema.js';

// Operators' views over messages: search, and the per-channel, per-day delivery report.

export function createNotificationAdmin(db: Database) {
  return {
    async search(q: {
      userId?: string | undefined;
      orderId?: string | undefined;
      status?: MessageStatus | undefined;
      channel?: Channel | undefined;
      limit: number;
      cursor?: string | undefined;
    }) {
      const cursor = decodeCursor(q.cursor);
      const where: SQL[] = [];
      if (q.userId) where.push(eq(m.recipientId, q.userId));
      if (q.orderId) where.push(eq(m.orderId, q.orderId));
      if (q.status) where.push(eq(m.status, q.status));
      if (q.channel) where.push(eq(m.channel, q.channel));
      if (cursor)
        where.push(or(lt(m.createdAt, cursor.at), and(eq(m.createdAt, cursor.at), lt(m.id, cursor.id)))!);
      const rows = await db
        .select()
        .from(m)
        .where(where.length ? and(...where) : undefined)
        .orderBy(desc(m.createdAt), desc(m.id))
        .limit(q.limit + 1);
      return pageOf(rows, q.limit, (r) => ({ at: r.createdAt, id: r.id }));
    },

    /**
     * Per channel and Dar es Salaam day of the causing commit: sent, delivered, failed, the delivery
     * rate, p50/p95 latency from the causing commit to delivery, and what the providers charged.
     */
    async report(q: { from: Date; to: Date }) {
      const day = sql<string>`to_char((${m.causedAt} at time zone 'UTC') + interval '3 hours', 'YYYY-MM-DD')`;
      const latencyMs = sql`extract(epoch from (${m.deliveredAt} - ${m.causedAt})) * 1000`;
      const rows = await db
        .select({
          channel: m.channel,
          day,
          sent: sql<number>`(count(*) filter (where ${m.sentAt} is not null))::int`,
          delivered: sql<number>`(count(*) filter (where ${m.deliveredAt} is not null))::int`,
          failed: sql<number>`(count(*) filter (where ${m.status} = 'failed'))::int`,
          p50: sql<number | null>`round(percentile_cont(0.5) within group (order by ${latencyMs}))::bigint`,
          p95: sql<number | null>`round(percentile_cont(0.95) within group (order by ${latencyMs}))::bigint`,
          cost: sql<number>`coalesce(sum(${m.costMinor}), 0)::bigint`,
          currency: sql<string | null>`max(${m.costCurrency})`,
        })
        .from(m)
        .where(and(gte(m.causedAt, q.from), lt(m.causedAt, q.to)))
        .groupBy(m.channel, day)
        .orderBy(day, m.channel);
      return rows.map((r) => ({
        channel: r.channel,
        day: r.day,
        sent: Number(r.sent),
        delivered: Number(r.delivered),
        failed: Number(r.failed),
        delivery_rate: Number(r.sent)
          ? Math.round((Number(r.delivered) / Number(r.sent)) * 10_000) / 10_000
          : null,
        p50_latency_ms: r.p50 === null ? null : Number(r.p50),
        p95_latency_ms: r.p95 === null ? null : Number(r.p95),
        cost_minor: Number(r.cost),
        cost_currency: r.currency ?? 'TZS',
      }));
    },
  };
}

export type NotificationAdmin = ReturnType<typeof createNotificationAdmin>;
