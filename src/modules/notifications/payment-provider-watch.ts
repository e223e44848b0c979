// Operations hear of a mobile-money provider that is failing (issue 14: "a provider whose failure
// rate crossed a threshold"; messaging providers are watched by provider-watch.ts). After a failed
// call, the provider's recorded calls of the last window are counted; when at least `minCalls` were
// made and `percent` of them failed, every admin hears it in-app and by SMS, once per provider and
// window-long span: the event id is the dedupe key, so the failures that follow, a second process
// or a replay add nothing. Counting runs at most every CHECK_EVERY_MS per provider and process,
// so an outage (every call failing) does not also load the database with counts.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { MINUTE } from '../../shared/time.js';
import type { NotificationEvent } from './events.js';
import { CHECK_EVERY_MS } from './provider-watch.js';
import { failureRateCrossed } from './rules.js';

export interface PaymentProviderAlertRule {
  percent: number;
  windowMinutes: number;
  minCalls: number;
}

export function createPaymentProviderWatch(deps: {
  db: Database;
  clock: Clock;
  /** null: no alerts */
  rule: PaymentProviderAlertRule | null;
  /** the payments module's count of a provider's calls since a time */
  outcomes: (db: Database, provider: string, since: Date) => Promise<{ failed: number; total: number }>;
  notify: (tx: Database, event: NotificationEvent) => Promise<unknown>;
  log: { warn(obj: object, msg: string): void };
}) {
  const { db, clock, rule } = deps;
  const lastCount = new Map<string, number>();

  /** Count the window now and alert when it crossed; true when an alert was written (or already was). */
  async function check(provider: string): Promise<boolean> {
    if (!rule) return false;
    const now = clock.now().getTime();
    const windowMs = rule.windowMinutes * MINUTE;
    const outcome = await deps.outcomes(db, provider, new Date(now - windowMs));
    const rate = failureRateCrossed(outcome, { percent: rule.percent, minMessages: rule.minCalls });
    if (rate === null) return false;
    const span = Math.floor(now / windowMs);
    await db.transaction((tx) =>
      deps.notify(tx, {
        type: 'provider.failure_rate_crossed',
        id: `payment-provider-rate:${provider}:${span}`,
        provider,
        rate_bp: rate,
      }),
    );
    return true;
  }

  return {
    check,
    /** a provider call was recorded; only a failure can make the rate cross */
    async callRecorded(call: { provider: string; failed: boolean }) {
      if (!rule || !call.failed) return;
      const now = clock.now().getTime();
      const last = lastCount.get(call.provider);
      if (last !== undefined && now - last < CHECK_EVERY_MS) return;
      lastCount.set(call.provider, now);
      // The call is already recorded and its caller goes on: a fault here must not disturb it.
      try {
        await check(call.provider);
      } catch (err) {
        deps.log.warn(
          { provider: call.provider, err: (err as Error).message },
          'payment provider rate check failed',
        );
      }
    },
  };
}

export type PaymentProviderWatch = ReturnType<typeof createPaymentProviderWatch>;
