// Mobile-money providers (issue 14: "a provider whose failure rate crossed a threshold"): after a
// failed call, the payments module counts the provider's recorded calls of the last window. The
// mechanism (threshold, once per window, counting throttled) is failure-rate-watch.ts.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { NotificationEvent } from './events.js';
import { createFailureRateWatch } from './failure-rate-watch.js';

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
  const { db, rule } = deps;
  const watch = createFailureRateWatch<string>({
    ...deps,
    rule: rule && { percent: rule.percent, windowMinutes: rule.windowMinutes, minimum: rule.minCalls },
    outcomes: (provider, since) => deps.outcomes(db, provider, since),
    providerName: (provider) => provider,
    idPrefix: 'payment-provider-rate',
  });
  return {
    check: watch.check,
    /** a provider call was recorded; only a failure can make the rate cross */
    async callRecorded(call: { provider: string; failed: boolean }) {
      if (call.failed) await watch.failed(call.provider);
    },
  };
}

export type PaymentProviderWatch = ReturnType<typeof createPaymentProviderWatch>;
