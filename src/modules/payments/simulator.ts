import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { randomToken } from '../../shared/secrets.js';
import {
  type CallbackKind,
  type ParsedCallback,
  type PaymentProvider,
  ProviderError,
  type ProviderResult,
  type SimulatedOutcome,
} from './port.js';
import { paymentSimulatorTxns } from './schema.js';

// The development stand-in for M-Pesa: it accepts a push or a send, decides its outcome after a
// delay, and posts a callback to our own webhook like the real thing (unless told to stay silent,
// so the reconciler's status queries get exercised). Its memory is a table, so the API process and
// a separate worker see the same transactions. Refused in production by the config.

/**
 * Outcome by the payer's number, so anyone can try each path from the API alone: the last three
 * digits 901 cancel, 902 time out, 903 lack funds, 904 enter a wrong PIN, 905 never call back;
 * any other number pays. A request may also name its outcome (`simulate`).
 */
export function outcomeForPhone(msisdn: string): SimulatedOutcome {
  const tail = msisdn.slice(-3);
  return (
    (
      {
        '901': 'cancelled',
        '902': 'timeout',
        '903': 'insufficient_funds',
        '904': 'wrong_pin',
        '905': 'no_callback',
      } as const
    )[tail] ?? 'success'
  );
}

// Daraja's result codes, so the simulator's records read like the real provider's.
const CODES: Record<SimulatedOutcome, { code: string; message: string; outcome: ProviderResult['outcome'] }> =
  {
    success: { code: '0', message: 'The service request is processed successfully.', outcome: 'succeeded' },
    no_callback: {
      code: '0',
      message: 'The service request is processed successfully.',
      outcome: 'succeeded',
    },
    cancelled: { code: '1032', message: 'Request cancelled by user', outcome: 'cancelled' },
    timeout: { code: '1037', message: 'DS timeout user cannot be reached', outcome: 'timeout' },
    insufficient_funds: {
      code: '1',
      message: 'The balance is insufficient for the transaction.',
      outcome: 'failed',
    },
    wrong_pin: { code: '2001', message: 'The initiator information is invalid.', outcome: 'failed' },
  };

interface SimulatorCallback {
  simulator: true;
  kind: CallbackKind;
  reference: string;
  result_code: string;
  result_desc: string;
  receipt: string | null;
  amount: number;
  msisdn: string;
}

export interface SimulatorDeps {
  db: Database;
  clock: Clock;
  currency: string;
  /** how long the "customer" takes to answer */
  delayMs: number;
  /** schedules the callback POST for `at` (a job, so it survives restarts and follows the clock) */
  scheduleCallback: (at: Date, url: string, body: SimulatorCallback) => Promise<void>;
}

export function createSimulatorProvider(deps: SimulatorDeps): PaymentProvider {
  const { db, clock } = deps;

  async function start(
    kind: CallbackKind,
    reference: string,
    msisdn: string,
    amount: number,
    currency: string,
    url: string,
    simulate: SimulatedOutcome | undefined,
  ): Promise<ProviderResult> {
    if (currency !== deps.currency)
      throw new ProviderError(
        'CURRENCY_MISMATCH',
        `the simulator collects ${deps.currency}, not ${currency}`,
        false,
      );
    if (!Number.isSafeInteger(amount) || amount <= 0)
      throw new ProviderError('AMOUNT_OUT_OF_RANGE', 'amount must be a positive integer', false);
    const outcome = simulate ?? outcomeForPhone(msisdn);
    const decidesAt = new Date(clock.now().getTime() + deps.delayMs);
    const receipt =
      CODES[outcome].outcome === 'succeeded'
        ? `SIM${randomToken(6).replace(/[-_]/g, 'X').toUpperCase()}`
        : null;
    const [row] = await db
      .insert(paymentSimulatorTxns)
      .values({ reference, kind, msisdn, amount, outcome, receipt, decidesAt, createdAt: clock.now() })
      .onConflictDoNothing()
      .returning();
    // A reused reference is M-Pesa's "duplicate": nothing new happens.
    if (!row)
      return {
        outcome: 'pending',
        providerRef: reference,
        receipt: null,
        amount: null,
        msisdn: null,
        code: 'DUPLICATE',
        message: 'Duplicate request',
      };
    if (outcome !== 'no_callback') {
      const c = CODES[outcome];
      await deps.scheduleCallback(decidesAt, url, {
        simulator: true,
        kind,
        reference,
        result_code: c.code,
        result_desc: c.message,
        receipt,
        amount,
        msisdn,
      });
    }
    return {
      outcome: 'pending',
      providerRef: `ws_SIM_${reference}`,
      receipt: null,
      amount: null,
      msisdn: null,
      code: '0',
      message: 'Success. Request accepted for processing',
    };
  }

  async function query(reference: string): Promise<ProviderResult> {
    const [t] = await db
      .select()
      .from(paymentSimulatorTxns)
      .where(eq(paymentSimulatorTxns.reference, reference));
    if (!t)
      return {
        outcome: 'pending',
        providerRef: null,
        receipt: null,
        amount: null,
        msisdn: null,
        code: 'NOT_FOUND',
        message: 'Transaction not found',
      };
    if (clock.now().getTime() < t.decidesAt.getTime())
      return {
        outcome: 'pending',
        providerRef: `ws_SIM_${reference}`,
        receipt: null,
        amount: null,
        msisdn: null,
        code: '500.001.1001',
        message: 'The transaction is being processed',
      };
    const c = CODES[t.outcome as SimulatedOutcome];
    return {
      outcome: c.outcome,
      providerRef: `ws_SIM_${reference}`,
      receipt: t.receipt,
      amount: t.amount,
      msisdn: t.msisdn,
      code: c.code,
      message: c.message,
    };
  }

  return {
    name: 'simulator',
    currency: deps.currency,
    initiateCollection: (r) =>
      start('collection', r.reference, r.msisdn, r.amount, r.currency, r.callbackUrl, r.simulate),
    queryCollection: (ref) => query(ref.reference),
    sendMoney: (r) =>
      start('disbursement', r.reference, r.msisdn, r.amount, r.currency, r.resultUrl, undefined),
    querySend: (ref) => query(ref.reference),
    async reverseCollection(r) {
      return {
        outcome: 'succeeded',
        providerRef: r.reference,
        receipt: `SIMREV${r.receipt}`.slice(0, 20),
        amount: r.amount,
        msisdn: null,
        code: '0',
        message: 'Reversed',
      };
    },
    parseCallback(kind, body): ParsedCallback | null {
      if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
      const b = body as Partial<SimulatorCallback>;
      if (b.simulator !== true || b.kind !== kind) return null;
      if (typeof b.reference !== 'string' || !/^[0-9a-f]{32}$/.test(b.reference)) return null;
      if (
        typeof b.result_code !== 'string' ||
        typeof b.amount !== 'number' ||
        !Number.isSafeInteger(b.amount)
      )
        return null;
      if (typeof b.msisdn !== 'string' || (b.receipt !== null && typeof b.receipt !== 'string')) return null;
      const known = Object.values(CODES).find((c) => c.code === b.result_code);
      return {
        reference: b.reference,
        outcome: known?.outcome ?? 'failed',
        providerRef: `ws_SIM_${b.reference}`,
        receipt: b.receipt ?? null,
        amount: b.amount,
        msisdn: b.msisdn,
        code: b.result_code,
        message: typeof b.result_desc === 'string' ? b.result_desc : '',
      };
    },
    callbackReply: () => ({ status: 200, body: { ResultCode: 0, ResultDesc: 'Accepted' } }),
  };
}

export type { SimulatorCallback };
