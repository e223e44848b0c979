// Operations hear of a messaging provider that is failing. After each message that failed, the
// share of its channel's outcomes that failed among the messages caused in the last window is
// counted; crossing the threshold alerts every admin, once per provider and window-long span (the
// event id), however many more failures follow — the alert's own SMS failing included. The count
// runs at most every CHECK_EVERY per channel and process: during an outage nearly every message
// fails, and counting the window once per failure would load the database most when it matters.
import { and, count, eq, gte, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { MINUTE } from '../../shared/time.js';
import type { NotificationEvent } from './events.js';
import { failureRateCrossed, type ProviderAlertRule } from './rules.js';
import { type Channel, notificationMessages as m } from './schema.js';

/** how often one process may count a channel's outcomes; a failing provider keeps failing, so none is missed for long */
export const CHECK_EVERY_MS = 30_000;

export type PhoneChannel = Exclude<Channel, 'in_app'>;

export interface ProviderWatch {
  /** a message on this channel has just failed for good */
  failed(channel: PhoneChannel): Promise<void>;
}

export function createProviderWatch(deps: {
  db: Database;
  clock: Clock;
  /** null: no alerts */
  rule: ProviderAlertRule | null;
  providerName: (channel: PhoneChannel) => string;
  notify: (tx: Database, event: NotificationEvent) => Promise<unknown>;
  log: { warn(obj: object, msg: string): void };
}): ProviderWatch {
  const { db, clock, rule } = deps;
  const lastCount = new Map<PhoneChannel, number>();
  return {
    async failed(channel) {
      if (!rule) return;
      const now = clock.now().getTime();
      const last = lastCount.get(channel);
      if (last !== undefined && now - last < CHECK_EVERY_MS) return;
      lastCount.set(channel, now);
      // The send it follows is already recorded: a fault here must not undo or retry it.
      try {
        const windowMs = rule.windowMinutes * MINUTE;
        const [row] = await db
          .select({
            total: count(),
            failed: sql<number>`count(*) filter (where ${m.status} = 'failed')`.mapWith(Number),
          })
          .from(m)
          .where(
            and(
              eq(m.channel, channel),
              gte(m.causedAt, new Date(now - windowMs)),
              inArray(m.status, ['sent', 'delivered', 'read', 'failed']),
            ),
          );
        const rate = failureRateCrossed({ failed: row?.failed ?? 0, total: row?.total ?? 0 }, rule);
        if (rate === null) return;
        const provider = deps.providerName(channel);
        const span = Math.floor(now / windowMs);
        await db.transaction((tx) =>
          deps.notify(tx, {
            type: 'provider.failure_rate_crossed',
            id: `provider-rate:${provider}:${span}`,
            provider,
            rate_bp: rate,
          }),
        );
      } catch (err) {
        deps.log.warn({ channel, err: (err as Error).message }, 'provider failure rate check failed');
      }
    },
  };
}
