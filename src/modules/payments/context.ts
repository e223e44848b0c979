// What every payments use case shares: its dependencies and settings, the rows' types, how a
// provider call is made (an unknown outcome is never a failure), and the status-query schedule.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import { MINUTE } from '../../shared/time.js';
import type { AuditService } from '../audit/index.js';
import type { LedgerService } from '../ledger/index.js';
import type { PaymentJobQueue } from './jobs.js';
import { type CollectionStatus, callbackUrlFor } from './model.js';
import { type CallbackKind, type PaymentProvider, ProviderError, type ProviderResult } from './port.js';
import type { paymentCollections, paymentDisbursements } from './schema.js';
import type { PaymentsServiceSettings } from './settings.js';

export type Collection = typeof paymentCollections.$inferSelect;
export type Disbursement = typeof paymentDisbursements.$inferSelect;

/** What payments needs from checkout, without importing the orders module (which calls us by events). */
export interface CheckoutPort {
  /** The checkout as the payer sees it, or null. */
  find(
    tx: Database,
    checkoutId: string,
  ): Promise<{
    id: string;
    buyerId: string;
    status: string;
    totalAmount: number;
    currency: string;
    payerPhone: string;
    expiresAt: Date;
  } | null>;
  /** Pay the checkout in the caller's transaction; says why not when it cannot take the money. */
  markPaid(
    tx: Database,
    checkoutId: string,
    reference: string,
    startedAt?: Date,
  ): Promise<{ result: 'paid' | 'same_payment' | 'already_paid' | 'not_payable' }>;
}

export type PayoutDestinationPort = (
  partyId: string,
  tx: Database,
) => Promise<{ phone: string; changedAt: Date | null }>;

/** Who is paid out: sellers (their sales) and riders (their share of delivery fees). */
export type PayoutParty = 'seller' | 'rider';

export const PENDING_STATES: CollectionStatus[] = ['initiated', 'pending'];
/** Provider answers meaning "no such transaction" (Vodacom INS-23, the simulator's NOT_FOUND). */
export const NOT_FOUND_CODES = new Set(['INS-23', 'NOT_FOUND']);
/** "No such transaction" this many times in a row, over the backoff, means the send never left. */
export const NOT_FOUND_STREAK = 5;
export const SWEEP_STEP = 1000;

/** A result the provider did not give: our own verdict, with no provider ids or amounts. */
export const verdict = (
  outcome: ProviderResult['outcome'],
  code: string,
  message: string,
): ProviderResult => ({
  outcome,
  providerRef: null,
  receipt: null,
  amount: null,
  msisdn: null,
  code,
  message,
});

/** A status query whose failure (network, refusal) counts as "still unknown", never as an answer. */
export async function queryOrPending(q: () => Promise<ProviderResult>): Promise<ProviderResult> {
  try {
    return await q();
  } catch (err) {
    return verdict(
      'pending',
      err instanceof ProviderError ? err.code : 'QUERY_FAILED',
      (err as Error).message,
    );
  }
}

/**
 * A call that moves money (push, send). Refused before it reached the money (a non-retryable
 * ProviderError): a failure. Any other error may have reached the provider: null, "unknown", and
 * the scheduled status query decides — the call is never simply made again.
 */
export async function moveMoney(call: () => Promise<ProviderResult>): Promise<ProviderResult | null> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ProviderError && !err.retryable) return verdict('failed', err.code, err.message);
    return null;
  }
}

/** Backoff between status queries: 1×, 2×, 4× … the first delay, capped at 30 minutes. */
export const queryDelayMs = (firstSeconds: number, n: number) =>
  Math.min(30 * MINUTE, firstSeconds * 1000 * 2 ** n);

export interface PaymentsServiceDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  jobs: PaymentJobQueue;
  ledger: LedgerService;
  provider: PaymentProvider;
  checkouts: CheckoutPort;
  payoutDestination: PayoutDestinationPort;
  /** where a rider's earnings go (a verified, active rider's own phone) */
  riderPayoutDestination?: PayoutDestinationPort;
  settings: PaymentsServiceSettings;
  log: {
    info(o: object, m: string): void;
    warn(o: object, m: string): void;
    error(o: object, m: string): void;
  };
}

/** The dependencies plus what every use case derives from them: the webhook URL and the check schedule. */
export function createPaymentsContext(deps: PaymentsServiceDeps) {
  const { clock, jobs, provider, settings: s } = deps;
  const callbackUrl = (kind: CallbackKind) =>
    callbackUrlFor(s.callbackBaseUrl, provider.name, kind, s.callbackToken);

  /**
   * The next status query for a push or a send. Keyed by the attempt's reference, so a refund's
   * second attempt gets its own chain of checks. `notFound` counts consecutive "no such
   * transaction" answers.
   */
  async function scheduleCheck(
    tx: Database,
    what: 'collection' | 'disbursement',
    id: string,
    reference: string,
    n: number,
    notFound = 0,
  ) {
    await jobs.enqueue(tx, {
      kind: what === 'collection' ? 'payments.check_collection' : 'payments.check_disbursement',
      payload: { id, n, notFound },
      runAt: new Date(clock.now().getTime() + queryDelayMs(s.firstQueryAfterSeconds, n)),
      dedupeKey: `payments.check:${reference}:${n}`,
    });
  }

  return { ...deps, s, callbackUrl, scheduleCheck };
}

export type PaymentsContext = ReturnType<typeof createPaymentsContext>;
