// The payments module's public face: the provider port and its adapters, collections with
// trusted callbacks, refunds, seller payouts, and the reconciler that never waits on a callback.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import { HOUR } from '../../shared/time.js';
import type { AuditService } from '../audit/index.js';
import type { JobHandlers } from '../jobs/index.js';
import type { LedgerService } from '../ledger/index.js';
import type { OrderJobs } from '../orders/index.js';
import { adminPaymentRoutes } from './admin-routes.js';
import type { PaymentsFourEyes } from './dto.js';
import type { PaymentJobQueue, PaymentJobs } from './jobs.js';
import type { PaymentProvider, ProviderCallRecorder, ProviderResult } from './port.js';
import { isFailedProviderCall } from './provider-outcomes.js';
import { paymentRoutes } from './routes.js';
import { paymentProviderCalls } from './schema.js';
import { type CheckoutPort, createPaymentsService, type PayoutDestinationPort } from './service.js';
import type { PaymentsSettings } from './settings.js';
import { createSimulatorProvider, type SimulatorCallback } from './simulator.js';

export { moneyAttention } from './attention.js';
export { createDarajaProvider, type DarajaConfig } from './daraja.js';
export type { PaymentsFourEyes } from './dto.js';
export { type PaymentJobs, paymentJobs } from './jobs.js';
export {
  CALLBACK_VERDICTS,
  COLLECTION_STATUSES,
  callbackUrlFor,
  PROVIDER_NAMES,
  publicBaseUrl,
} from './model.js';
export type { PaymentProvider, ProviderCallRecorder, ProviderResult } from './port.js';
export { type ProviderEnv, providerFromEnv } from './provider-choice.js';
export { isFailedProviderCall, providerCallOutcomes } from './provider-outcomes.js';
export type { CheckoutPort, Collection, Disbursement, PaymentsService } from './service.js';
export type { PaymentsSettings } from './settings.js';
// The provider statement reconciler, for the cli's `reconcile-statement`.
export {
  formatReport,
  isDay,
  type ProviderName,
  parseStatement,
  reconcileStatement,
  StatementFormatError,
  type StatementLine,
} from './statement.js';
export { createVodacomProvider, type VodacomConfig } from './vodacom.js';

export interface PaymentsDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  /** the payments module's own job kinds only (jobs.ts) */
  jobs: PaymentJobQueue;
  ledger: LedgerService;
  /** the module's slice of the configuration (never the app-wide Config) */
  settings: PaymentsSettings;
  checkouts: CheckoutPort;
  payoutDestination: PayoutDestinationPort;
  riderPayoutDestination?: PayoutDestinationPort;
  requireMobile: (input: string, field: string) => string;
  log: {
    info(o: object, m: string): void;
    warn(o: object, m: string): void;
    error(o: object, m: string): void;
  };
  /** Build the real adapter for PAYMENT_PROVIDER (vodacom_tz, daraja); the simulator is built here. */
  realProvider?: (record: ProviderCallRecorder) => PaymentProvider;
  /** told of every recorded provider call (operations watch the providers' failure rate) */
  onProviderCall?: (call: { provider: string; failed: boolean }) => Promise<void>;
  /** four eyes on payouts and refund retries above the limit (the console's approvals, bound late) */
  fourEyes: PaymentsFourEyes;
  /** How the simulator reaches our webhook; defaults to an HTTP POST (tests inject into the app). */
  postToSelf?: (url: string, body: unknown) => Promise<void>;
}

export function createPaymentsModule(deps: PaymentsDeps) {
  const { db, clock, ids, jobs, settings } = deps;
  const record: ProviderCallRecorder = async (r) => {
    try {
      await db.insert(paymentProviderCalls).values({
        id: ids.newId(),
        provider: r.provider,
        operation: r.operation,
        method: r.method,
        url: r.url,
        reference: r.reference,
        requestBody: r.requestBody as object,
        responseStatus: r.responseStatus,
        responseBody: r.responseBody as object,
        error: r.error,
        durationMs: r.durationMs,
        createdAt: clock.now(),
      });
    } catch (err) {
      deps.log.error({ err: (err as Error).message }, 'could not store a provider call record');
      return;
    }
    await deps.onProviderCall?.({ provider: r.provider, failed: isFailedProviderCall(r) });
  };
  const provider =
    settings.provider === 'simulator'
      ? createSimulatorProvider({
          db,
          clock,
          currency: 'TZS',
          delayMs: settings.simulatorDelayMs,
          scheduleCallback: (at, url, body) =>
            jobs.enqueue(db, {
              kind: 'payments.simulator_callback',
              payload: { url, body: body as unknown as Record<string, unknown> },
              runAt: at,
            }),
        })
      : deps.realProvider!(record);

  const service = createPaymentsService({ ...deps, provider, settings });

  const postToSelf =
    deps.postToSelf ??
    (async (url: string, body: unknown) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`simulator callback answered HTTP ${res.status}`);
    });

  // Every handler is idempotent: settling takes the row lock and does nothing to a decided row.
  const jobHandlers: JobHandlers<PaymentJobs & Pick<OrderJobs, 'order.refund_owed'>> = {
    'payments.check_collection': (p) => service.checkCollection(p.id, p.n),
    'payments.check_disbursement': (p) => service.checkDisbursement(p.id, p.n, p.notFound ?? 0),
    'payments.send': (p) => service.send(p.id),
    'payments.verify_collection': (p) => service.verifyCollection(p.id, { receipt: p.receipt }),
    // The callback was screened and logged before this job was written; its shape is the provider's.
    'payments.verify_disbursement': (p) =>
      service.verifyDisbursement(p.id, p.callback as unknown as ProviderResult),
    'payments.simulator_callback': (p) => postToSelf(p.url, p.body as unknown as SimulatorCallback),
    'payments.sweep': async (p) => {
      await service.sweep();
      await scheduleSweep(p.bucket + 1);
    },
    'payments.check_payout_stuck': (p) => service.checkPayoutStuck(p.id),
    'payments.payout_run': async (p) => {
      await service.runPayouts();
      await schedulePayoutRun(p.bucket + 1);
    },
    // Orders owes the buyer money: payments decides how it is sent.
    'order.refund_owed': (p) => service.requestOrderRefund(p),
  };

  const SWEEP_EVERY = 10 * 60_000;
  async function scheduleSweep(bucket: number) {
    await jobs.enqueue(db, {
      kind: 'payments.sweep',
      payload: { bucket },
      runAt: new Date(bucket * SWEEP_EVERY),
      dedupeKey: `payments.sweep:${bucket}`,
    });
  }

  async function schedulePayoutRun(bucket: number) {
    const every = settings.payoutIntervalHours * HOUR;
    await jobs.enqueue(db, {
      kind: 'payments.payout_run',
      payload: { bucket },
      runAt: new Date(bucket * every),
      dedupeKey: `payments.payout_run:${bucket}`,
    });
  }

  const routeDeps = {
    fourEyes: deps.fourEyes,
    payments: service,
    checkouts: deps.checkouts,
    db,
    requireMobile: deps.requireMobile,
    simulatorActive: provider.name === 'simulator',
    collectionsPerHour: settings.pushesPerHour,
    callbacksPerMinute: 600,
  };
  return {
    service,
    provider,
    /** its own jobs and the orders' refunds it sends */
    jobHandlers,
    /** Long-running processes call this once: the next payout run and sweep (deduplicated across processes). */
    startSchedules: async () => {
      await schedulePayoutRun(Math.floor(clock.now().getTime() / (settings.payoutIntervalHours * HOUR)) + 1);
      await scheduleSweep(Math.floor(clock.now().getTime() / SWEEP_EVERY) + 1);
    },
    routes: paymentRoutes(routeDeps),
    adminRoutes: adminPaymentRoutes(routeDeps),
  };
}

export type PaymentsModule = ReturnType<typeof createPaymentsModule>;
