// Provider statements, compared (pure): the statement's lines against our succeeded collections and
// disbursements and their ledger transfers on `provider:float`, day by day.
import { darDay, darDayStart, isCompleted, nextDay, type StatementLine } from './statement-format.js';

export type LedgerEntryKind = 'collection' | 'refund' | 'payout';

/** A succeeded collection or disbursement, with what its ledger transfer on `provider:float` says. */
export interface LedgerEntry {
  kind: LedgerEntryKind;
  id: string;
  receipt: string | null;
  /** signed like the statement: + money in (collection), − money out (refund, payout) */
  amount: number;
  currency: string;
  decidedAt: Date;
  /** the signed amount of its transfer on `provider:float`, or null when that transfer is missing */
  ledgerAmount: number | null;
}

export interface Period {
  /** first and last Dar es Salaam day, inclusive (YYYY-MM-DD) */
  from: string;
  to: string;
}

export interface ProviderOnly {
  day: string;
  receipt: string;
  amount: number;
  currency: string;
  line: number;
  completedAt: string;
  details: string | null;
  /** the succeeded record whose ledger transfer is missing, when there is one */
  record: { kind: LedgerEntryKind; id: string } | null;
  reason: string;
}

export interface LedgerOnly {
  day: string;
  kind: LedgerEntryKind;
  id: string;
  receipt: string | null;
  amount: number;
  currency: string;
  decidedAt: string;
  reason: string;
}

export interface Mismatch {
  day: string;
  receipt: string;
  line: number;
  kind: LedgerEntryKind;
  id: string;
  statementAmount: number;
  ledgerAmount: number;
  statementCurrency: string;
  ledgerCurrency: string;
  /** statement − ledger */
  difference: number;
}

export interface ListTotals {
  count: number;
  /** sum of the money-in amounts, minor units */
  paidIn: number;
  /** sum of the money-out amounts, as a positive number of minor units */
  withdrawn: number;
}

export interface DayReport {
  day: string;
  statement: { completed: number; paidIn: number; withdrawn: number; ignored: number };
  providerOnly: ProviderOnly[];
  ledgerOnly: LedgerOnly[];
  mismatches: Mismatch[];
  totals: {
    providerOnly: ListTotals;
    ledgerOnly: ListTotals;
    mismatches: { count: number; difference: number };
  };
}

export interface Comparison {
  period: Period;
  days: DayReport[];
  totals: DayReport['totals'];
  /** true when the three lists are empty on every day */
  matches: boolean;
}

const emptyTotals = (): DayReport['totals'] => ({
  providerOnly: { count: 0, paidIn: 0, withdrawn: 0 },
  ledgerOnly: { count: 0, paidIn: 0, withdrawn: 0 },
  mismatches: { count: 0, difference: 0 },
});
const addTo = (t: ListTotals, amount: number) => {
  t.count++;
  if (amount >= 0) t.paidIn += amount;
  else t.withdrawn -= amount;
};

const RECORD_NAME: Record<LedgerEntryKind, string> = {
  collection: 'collection',
  refund: 'refund',
  payout: 'payout',
};
const TRANSFER_NAME: Record<LedgerEntryKind, string> = {
  collection: 'COLLECTION',
  refund: 'REFUND_SENT',
  payout: 'PAYOUT (posted)',
};

/** The period a statement covers: the days its rows span, widened to `from`/`to` when given. */
export function statementPeriod(
  lines: readonly StatementLine[],
  opts: { from?: string | undefined; to?: string | undefined } = {},
): Period | null {
  const days = lines.map((l) => darDay(l.completedAt));
  if (opts.from) days.push(opts.from);
  if (opts.to) days.push(opts.to);
  if (!days.length) return null;
  days.sort();
  return { from: days[0]!, to: days.at(-1)! };
}

/**
 * Compare a statement with the ledger, per Dar es Salaam day.
 *
 * - `lines`: the statement's rows (only Completed ones count; the rest are counted as ignored).
 * - `ledger`: succeeded collections and disbursements of the same provider: at least those whose
 *   receipt is in the statement and those decided within `period`.
 * - `knownElsewhere`: receipts the provider reported on a completed row of an earlier statement
 *   for a day outside `period` (money that crossed midnight is not "missing" from this one).
 */
export function compareStatement(input: {
  lines: readonly StatementLine[];
  period: Period;
  ledger: readonly LedgerEntry[];
  knownElsewhere?: ReadonlySet<string>;
}): Comparison {
  const { lines, period, ledger } = input;
  const knownElsewhere = input.knownElsewhere ?? new Set<string>();
  const days = new Map<string, DayReport>();
  const dayOf = (day: string) => {
    let d = days.get(day);
    if (!d) {
      d = {
        day,
        statement: { completed: 0, paidIn: 0, withdrawn: 0, ignored: 0 },
        providerOnly: [],
        ledgerOnly: [],
        mismatches: [],
        totals: emptyTotals(),
      };
      days.set(day, d);
    }
    return d;
  };
  for (let day = period.from; day <= period.to; day = nextDay(day)) dayOf(day);

  const byReceipt = new Map<string, LedgerEntry>();
  for (const e of ledger) if (e.receipt !== null && !byReceipt.has(e.receipt)) byReceipt.set(e.receipt, e);

  const inStatement = new Set<string>();
  for (const l of lines) {
    const d = dayOf(darDay(l.completedAt));
    if (!isCompleted(l)) {
      d.statement.ignored++;
      continue;
    }
    inStatement.add(l.receipt);
    d.statement.completed++;
    if (l.amount >= 0) d.statement.paidIn += l.amount;
    else d.statement.withdrawn -= l.amount;

    const e = byReceipt.get(l.receipt);
    if (!e || e.ledgerAmount === null) {
      const direction = l.amount >= 0 ? 'collection' : 'refund or payout';
      d.providerOnly.push({
        day: d.day,
        receipt: l.receipt,
        amount: l.amount,
        currency: l.currency,
        line: l.line,
        completedAt: l.completedAt.toISOString(),
        details: l.details,
        record: e ? { kind: e.kind, id: e.id } : null,
        reason: e
          ? `${RECORD_NAME[e.kind]} ${e.id} succeeded but its ${TRANSFER_NAME[e.kind]} ledger transfer is missing`
          : `no succeeded ${direction} has this receipt`,
      });
      addTo(d.totals.providerOnly, l.amount);
      continue;
    }
    if (e.ledgerAmount !== l.amount || e.currency !== l.currency) {
      const difference = l.amount - e.ledgerAmount;
      d.mismatches.push({
        day: d.day,
        receipt: l.receipt,
        line: l.line,
        kind: e.kind,
        id: e.id,
        statementAmount: l.amount,
        ledgerAmount: e.ledgerAmount,
        statementCurrency: l.currency,
        ledgerCurrency: e.currency,
        difference,
      });
      d.totals.mismatches.count++;
      d.totals.mismatches.difference += difference;
    }
  }

  const start = darDayStart(period.from).getTime();
  const end = darDayStart(nextDay(period.to)).getTime();
  for (const e of ledger) {
    const t = e.decidedAt.getTime();
    if (t < start || t >= end) continue;
    if (e.receipt !== null && (inStatement.has(e.receipt) || knownElsewhere.has(e.receipt))) continue;
    const d = dayOf(darDay(e.decidedAt));
    d.ledgerOnly.push({
      day: d.day,
      kind: e.kind,
      id: e.id,
      receipt: e.receipt,
      amount: e.amount,
      currency: e.currency,
      decidedAt: e.decidedAt.toISOString(),
      reason:
        (e.receipt === null
          ? 'succeeded without a provider receipt'
          : 'its receipt is not on a completed row of the statement') +
        (e.ledgerAmount === null ? ` (and its ${TRANSFER_NAME[e.kind]} ledger transfer is missing)` : ''),
    });
    addTo(d.totals.ledgerOnly, e.amount);
  }

  const totals = emptyTotals();
  const sorted = [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
  for (const d of sorted) {
    for (const k of ['providerOnly', 'ledgerOnly'] as const) {
      totals[k].count += d.totals[k].count;
      totals[k].paidIn += d.totals[k].paidIn;
      totals[k].withdrawn += d.totals[k].withdrawn;
    }
    totals.mismatches.count += d.totals.mismatches.count;
    totals.mismatches.difference += d.totals.mismatches.difference;
  }
  const matches = totals.providerOnly.count + totals.ledgerOnly.count + totals.mismatches.count === 0;
  return { period, days: sorted, totals, matches };
}
