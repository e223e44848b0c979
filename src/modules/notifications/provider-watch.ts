// Messaging providers: the share of a channel's outcomes that failed among the messages caused in
// the last window (the alert's own SMS failing included). The mechanism is failure-rate-watch.ts.
import { and, count, eq, gte, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { NotificationEvent } from './events.js';
import { createFailureRateWatch } from './failure-rate-watch.js';
import type { ProviderAlertRule } from './rules.js';
import { type Channel, notificationMessages as m } from './schema.js';

export { CHECK_EVERY_MS } from './failure-rate-watch.js';

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
  const { db, rule } = deps;
  return createFailureRateWatch<PhoneChannel>({
    ...deps,
    rule: rule && { percent: rule.percent, windowMinutes: rule.windowMinutes, minimum: rule.minMessages },
    idPrefix: 'provider-rate',
    async outcomes(channel, since) {
      const [row] = await db
        .select({
          total: count(),
          failed: sql<number>`count(*) filter (where ${m.status} = 'failed')`.mapWith(Number),
        })
        .from(m)
        .where(
          and(
            eq(m.channel, channel),
            gte(m.causedAt, since),
            inArray(m.status, ['sent', 'delivered', 'read', 'failed']),
          ),
        );
      return { failed: row?.failed ?? 0, total: row?.total ?? 0 };
    },
  });
}
