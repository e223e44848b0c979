// One mechanism for every provider operations must hear of when it fails (issue 14): messaging
// channels (provider-watch.ts) and mobile-money providers (payment-provider-watch.ts). After a
// failure, the outcomes of the last window are counted; when at least the rule's minimum were seen
// and `percent` of them failed, every admin hears it once per provider and window-long span: the
// event id is the dedupe key, so the failures that follow, a second process or a replay add nothing.
// Counting runs at most every CHECK_EVERY_MS per watched key and process: during an outage nearly
// every call fails, and counting the window once per failure would load the database most when it
// matters.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { MINUTE } from '../../shared/time.js';
import type { NotificationEvent } from './events.js';
import { failureRateCrossed } from './rules.js';

/** how often one process may count a key's outcomes; a failing provider keeps failing, so none is missed for long */
export const CHECK_EVERY_MS = 30_000;

export interface FailureRateRule {
  percent: number;
  windowMinutes: number;
  /** fewer outcomes in the window say nothing */
  minimum: number;
}

export interface FailureRateWatch<K> {
  /** count the window now and alert when it crossed; true when an alert was written (or already was) */
  check(key: K): Promise<boolean>;
  /** a failure was recorded: count (at most every CHECK_EVERY_MS per key), never throwing */
  failed(key: K): Promise<void>;
}

export function createFailureRateWatch<K>(deps: {
  db: Database;
  clock: Clock;
  /** null: nothing is watched */
  rule: FailureRateRule | null;
  /** failed and total outcomes for this key since a time */
  outcomes: (key: K, since: Date) => Promise<{ failed: number; total: number }>;
  /** the provider named in the alert */
  providerName: (key: K) => string;
  /** the alert's event id prefix, kept per kind of provider so their alerts never share a key */
  idPrefix: string;
  notify: (tx: Database, event: NotificationEvent) => Promise<unknown>;
  log: { warn(obj: object, msg: string): void };
}): FailureRateWatch<K> {
  const { db, clock, rule } = deps;
  const lastCount = new Map<K, number>();

  async function check(key: K): Promise<boolean> {
    if (!rule) return false;
    const now = clock.now().getTime();
    const windowMs = rule.windowMinutes * MINUTE;
    const outcome = await deps.outcomes(key, new Date(now - windowMs));
    const rate = failureRateCrossed(outcome, { percent: rule.percent, minMessages: rule.minimum });
    if (rate === null) return false;
    const provider = deps.providerName(key);
    const span = Math.floor(now / windowMs);
    await db.transaction((tx) =>
      deps.notify(tx, {
        type: 'provider.failure_rate_crossed',
        id: `${deps.idPrefix}:${provider}:${span}`,
        provider,
        rate_bp: rate,
      }),
    );
    return true;
  }

  return {
    check,
    async failed(key) {
      if (!rule) return;
      const now = clock.now().getTime();
      const last = lastCount.get(key);
      if (last !== undefined && now - last < CHECK_EVERY_MS) return;
      lastCount.set(key, now);
      // The failure it follows is already recorded and its caller goes on: a fault here must not
      // undo or retry it.
      try {
        await check(key);
      } catch (err) {
        deps.log.warn(
          { provider: deps.providerName(key), err: (err as Error).message },
          'provider failure rate check failed',
        );
      }
    },
  };
}
