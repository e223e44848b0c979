// Provider statement reconciliation: the CSV an M-Pesa business downloads for its organisation
// account, parsed (pure), compared with our succeeded collections and disbursements and their ledger
// transfers (pure), and a small database-facing step that imports the rows and builds the report.
// The format is documented in docs/statement-format.md.

import { parse } from 'csv-parse/sync';
import { and, eq, gte, inArray, lt, or } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import { HOUR } from '../../shared/time.js';
import type { PROVIDER_NAMES } from './model.js';
import { paymentCollections, paymentDisbursements, paymentStatementLines } from './schema.js';

export type ProviderName = (typeof PROVIDER_NAMES)[number];

// ---- format ------------------------------------------------------------------------------------

/** The statement's columns, as M-Pesa names them. Only `required` ones must be present. */
export const STATEMENT_COLUMNS = {
  receipt: { header: 'Receipt No.', required: true },
  completedAt: { header: 'Completion Time', required: true },
  initiatedAt: { header: 'Initiation Time', required: false },
  details: { header: 'Details', required: false },
  status: { header: 'Transaction Status', required: true },
  paidIn: { header: 'Paid In', required: true },
  withdrawn: { header: 'Withdrawn', required: true },
  balance: { header: 'Balance', required: false },
  balanceConfirmed: { header: 'Balance Confirmed', required: false },
  reasonType: { header: 'Reason Type', required: false },
  otherParty: { header: 'Other Party Info', required: false },
  linkedTransactionId: { header: 'Linked Transaction ID', required: false },
  accountNo: { header: 'A/C No.', required: false },
  currency: { header: 'Currency', required: false },
} as const;
type ColumnKey = keyof typeof STATEMENT_COLUMNS;

/** The currency of a statement without a Currency column (M-Pesa Tanzania accounts are in shillings). */
export const DEFAULT_CURRENCY = 'TZS';
/** Only rows with this status (compared case-insensitively) moved money. */
export const COMPLETED = 'Completed';

/** Dar es Salaam is UTC+3 all year (no daylight saving). */
const DAR_OFFSET_MS = 3 * HOUR;

/** One row of a statement, amounts in minor units: positive for money in, negative for money out. */
export interface StatementLine {
  /** the row's first line in the file (1-based; the header is usually line 1) */
  line: number;
  receipt: string;
  completedAt: Date;
  amount: number;
  currency: string;
  status: string;
  details: string | null;
  otherParty: string | null;
}

/** The file cannot be read as a statement; `line` is the file line at fault, when there is one. */
export class StatementFormatError extends Error {
  constructor(
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(line === null ? reason : `line ${line}: ${reason}`);
    this.name = 'StatementFormatError';
  }
}

export const isCompleted = (l: { status: string }) => l.status.toLowerCase() === COMPLETED.toLowerCase();

/** The Dar es Salaam calendar day (YYYY-MM-DD) of an instant. */
export const darDay = (d: Date) => new Date(d.getTime() + DAR_OFFSET_MS).toISOString().slice(0, 10);
/** The instant a Dar es Salaam calendar day starts. */
export const darDayStart = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) - DAR_OFFSET_MS);
const nextDay = (day: string) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + 24 * HOUR).toISOString().slice(0, 10);
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
export const isDay = (s: string) => {
  const m = DAY.exec(s);
  return !!m && new Date(Date.parse(`${s}T00:00:00Z`)).toISOString().slice(0, 10) === s;
};

const AMOUNT = /^(-)?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/;

/**
 * Whole shillings as the statement writes them ("1,500.00", "1500", "-20.5") to minor units.
 * Empty is null. Refuses garbage and fractions of a cent (digits past the second decimal that are
 * not zeros).
 */
export function parseAmount(raw: string): number | null {
  const s = raw.trim();
  if (s === '') return null;
  const m = AMOUNT.exec(s);
  if (!m) throw new Error(`"${raw}" is not an amount (write it like 1,500.00)`);
  const decimals = m[3] ?? '';
  if (/[1-9]/.test(decimals.slice(2)))
    throw new Error(`"${raw}" has a fraction of a cent: at most 2 decimals`);
  const minor = BigInt(m[2]!.replaceAll(',', '')) * 100n + BigInt(decimals.slice(0, 2).padEnd(2, '0'));
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`"${raw}" is too large`);
  return m[1] && minor > 0n ? -Number(minor) : Number(minor);
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;

/** "2026-11-25 14:03:10", Dar es Salaam local time, to the instant (UTC). */
export function parseDarTime(raw: string): Date {
  const m = TIME.exec(raw.trim());
  if (!m) throw new Error(`"${raw}" is not a time like 2026-11-25 14:03:10`);
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const local = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (
    local.getUTCFullYear() !== y ||
    local.getUTCMonth() !== mo - 1 ||
    local.getUTCDate() !== d ||
    local.getUTCHours() !== h ||
    local.getUTCMinutes() !== mi ||
    local.getUTCSeconds() !== s
  )
    throw new Error(`"${raw}" is not a valid date and time`);
  return new Date(local.getTime() - DAR_OFFSET_MS);
}

/** Header names compare without case, repeated spaces or a trailing dot ("Receipt No" = "Receipt No."). */
const normalizeHeader = (h: string) => h.trim().toLowerCase().replace(/\s+/g, ' ').replace(/\.$/, '');

const lineBreaks = (s: string) => s.match(/\r\n|\r|\n/g)?.length ?? 0;

/**
 * Parse a statement CSV (UTF-8, optional BOM, CRLF or LF, quoted fields). Lines before the header
 * (the account name and period M-Pesa prints above it) and blank lines are skipped. Throws
 * StatementFormatError with the file line for anything it cannot take.
 */
export function parseStatement(text: string): StatementLine[] {
  let records: Array<{ record: string[]; raw: string }>;
  try {
    // With `raw`, each record comes with its source text (the types only know plain records).
    records = parse(text, { bom: true, relax_column_count: true, raw: true }) as unknown as typeof records;
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new StatementFormatError(e.lines ?? null, `not a readable CSV file (${e.message})`);
  }
  // The records' own line numbers: a record starts where the previous one's line breaks end.
  let at = 1;
  const rows = records.map((r) => {
    const row = { line: at, cells: r.record.map((c) => c.trim()) };
    at += lineBreaks(r.raw);
    return row;
  });
  const data = rows.filter((r) => r.cells.some((c) => c !== ''));

  const receiptHeader = normalizeHeader(STATEMENT_COLUMNS.receipt.header);
  const headerAt = data.findIndex((r) => r.cells.some((c) => normalizeHeader(c) === receiptHeader));
  if (headerAt < 0)
    throw new StatementFormatError(
      null,
      `no header row: the column "${STATEMENT_COLUMNS.receipt.header}" is missing`,
    );
  const header = data[headerAt]!;
  const index = new Map<ColumnKey, number>();
  for (const [key, col] of Object.entries(STATEMENT_COLUMNS) as Array<[ColumnKey, { header: string }]>) {
    const i = header.cells.findIndex((c) => normalizeHeader(c) === normalizeHeader(col.header));
    if (i >= 0) index.set(key, i);
  }
  const missing = (
    Object.entries(STATEMENT_COLUMNS) as Array<[ColumnKey, { header: string; required: boolean }]>
  )
    .filter(([key, col]) => col.required && !index.has(key))
    .map(([, col]) => `"${col.header}"`);
  if (missing.length)
    throw new StatementFormatError(
      header.line,
      `missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
    );

  const out: StatementLine[] = [];
  const seen = new Map<string, StatementLine>();
  for (const row of data.slice(headerAt + 1)) {
    const fail = (reason: string): never => {
      throw new StatementFormatError(row.line, reason);
    };
    // Trailing empty fields (a spreadsheet's extra commas) are harmless; anything else is a shifted row.
    const width = header.cells.length;
    if (row.cells.length < width || row.cells.slice(width).some((c) => c !== ''))
      fail(`${row.cells.length} fields where the header has ${width}`);
    const cell = (key: ColumnKey) => {
      const i = index.get(key);
      return i === undefined ? '' : (row.cells[i] ?? '');
    };
    const named = (key: ColumnKey) => STATEMENT_COLUMNS[key].header;
    const amountOf = (key: ColumnKey) => {
      try {
        return parseAmount(cell(key));
      } catch (err) {
        return fail(`${named(key)}: ${(err as Error).message}`);
      }
    };

    const receipt = cell('receipt');
    if (!receipt) fail(`${named('receipt')} is empty`);
    if (/\s/.test(receipt)) fail(`${named('receipt')} "${receipt}" contains spaces`);
    const status = cell('status');
    if (!status) fail(`${named('status')} is empty`);
    let completedAt: Date;
    try {
      completedAt = parseDarTime(cell('completedAt'));
    } catch (err) {
      completedAt = fail(`${named('completedAt')}: ${(err as Error).message}`);
    }
    const paidIn = amountOf('paidIn') ?? 0;
    // M-Pesa prints withdrawals as negative numbers in some exports and positive in others.
    const withdrawn = Math.abs(amountOf('withdrawn') ?? 0);
    if (paidIn < 0) fail(`${named('paidIn')} is negative`);
    if (paidIn > 0 && withdrawn > 0) fail(`both ${named('paidIn')} and ${named('withdrawn')} are set`);
    const amount = paidIn > 0 ? paidIn : withdrawn > 0 ? -withdrawn : 0;
    const completed = isCompleted({ status });
    if (completed && amount === 0)
      fail(`a completed row moves money: ${named('paidIn')} or ${named('withdrawn')} is required`);
    const currency = (cell('currency') || DEFAULT_CURRENCY).toUpperCase();
    if (!/^[A-Z]{3}$/.test(currency)) fail(`${named('currency')} "${currency}" is not a 3-letter code`);

    const line: StatementLine = {
      line: row.line,
      receipt,
      completedAt,
      amount,
      currency,
      status,
      details: cell('details') || null,
      otherParty: cell('otherParty') || null,
    };
    const before = seen.get(receipt);
    if (before) {
      // The same row twice (overlapping downloads pasted together) is one row; anything else is ambiguous.
      if (sameMovement(before, line)) continue;
      fail(`${named('receipt')} ${receipt} already appears on line ${before.line} with different values`);
    }
    seen.set(receipt, line);
    out.push(line);
  }
  return out;
}

const sameMovement = (
  a: Pick<StatementLine, 'amount' | 'currency' | 'status' | 'completedAt'>,
  b: Pick<StatementLine, 'amount' | 'currency' | 'status' | 'completedAt'>,
) =>
  a.amount === b.amount &&
  a.currency === b.currency &&
  a.status === b.status &&
  a.completedAt.getTime() === b.completedAt.getTime();

// ---- comparison (pure) -------------------------------------------------------------------------

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

// ---- import and report (database) --------------------------------------------------------------

/** A statement row whose receipt was imported before with different values: kept as first imported. */
export interface ImportConflict {
  receipt: string;
  line: number;
  differences: string[];
  stored: { amount: number; currency: string; status: string; completedAt: string; importId: string };
  file: { amount: number; currency: string; status: string; completedAt: string };
}

export interface ImportResult {
  importId: string;
  rows: number;
  inserted: number;
  alreadyImported: number;
  conflicts: ImportConflict[];
}

export interface StatementReport extends Comparison {
  provider: string;
  import: ImportResult;
  /** the ledger invariants (orders reconcile()): empty when they hold */
  invariants: string[];
  /** true when the statement matches, no row conflicts with an earlier import and the invariants hold */
  clean: boolean;
}

/** A transfer that moved money on `provider:float` for a payment record (collection or disbursement). */
export interface LedgerMovement {
  paymentId: string;
  kind: string;
  phase: string;
  amount: number;
}

export interface StatementDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  /** the ledger invariants to include: app.services.orders.service.reconcile */
  invariants: () => Promise<string[]>;
  /** the ledger transfers of these payment records (ledger.movementsOf) */
  ledgerMovements: (paymentIds: string[]) => Promise<LedgerMovement[]>;
}

const CHUNK = 1000;
const chunks = <T>(xs: readonly T[]) => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
};

/** Store the rows, once per (provider, receipt); a row that differs from the stored one is reported. */
export async function importStatement(
  deps: Pick<StatementDeps, 'db' | 'clock' | 'ids'>,
  provider: string,
  lines: readonly StatementLine[],
): Promise<ImportResult> {
  const { db, clock, ids } = deps;
  const importId = ids.newId();
  const importedAt = clock.now();
  return db.transaction(async (tx) => {
    const inserted = new Set<string>();
    for (const part of chunks(lines)) {
      const rows = await tx
        .insert(paymentStatementLines)
        .values(
          part.map((l) => ({
            id: ids.newId(),
            provider,
            receipt: l.receipt,
            completedAt: l.completedAt,
            amount: l.amount,
            currency: l.currency,
            details: l.details,
            otherParty: l.otherParty,
            status: l.status,
            importId,
            importedAt,
          })),
        )
        .onConflictDoNothing({ target: [paymentStatementLines.provider, paymentStatementLines.receipt] })
        .returning({ receipt: paymentStatementLines.receipt });
      for (const r of rows) inserted.add(r.receipt);
    }
    const earlier = lines.filter((l) => !inserted.has(l.receipt));
    const conflicts: ImportConflict[] = [];
    for (const part of chunks(earlier)) {
      const stored = await tx
        .select()
        .from(paymentStatementLines)
        .where(
          and(
            eq(paymentStatementLines.provider, provider),
            inArray(
              paymentStatementLines.receipt,
              part.map((l) => l.receipt),
            ),
          ),
        );
      const byReceipt = new Map(stored.map((s) => [s.receipt, s]));
      for (const l of part) {
        const s = byReceipt.get(l.receipt);
        if (!s || sameMovement(s, l)) continue;
        const differences = [
          s.amount !== l.amount ? 'amount' : null,
          s.currency !== l.currency ? 'currency' : null,
          s.status !== l.status ? 'status' : null,
          s.completedAt.getTime() !== l.completedAt.getTime() ? 'completion time' : null,
        ].filter((x): x is string => x !== null);
        conflicts.push({
          receipt: l.receipt,
          line: l.line,
          differences,
          stored: {
            amount: s.amount,
            currency: s.currency,
            status: s.status,
            completedAt: s.completedAt.toISOString(),
            importId: s.importId,
          },
          file: {
            amount: l.amount,
            currency: l.currency,
            status: l.status,
            completedAt: l.completedAt.toISOString(),
          },
        });
      }
    }
    return {
      importId,
      rows: lines.length,
      inserted: inserted.size,
      alreadyImported: lines.length - inserted.size,
      conflicts,
    };
  });
}

/** Succeeded collections and disbursements of `provider` with one of `receipts` or decided within `period`. */
async function loadLedgerEntries(
  deps: StatementDeps,
  provider: ProviderName,
  receipts: readonly string[],
  period: Period,
): Promise<LedgerEntry[]> {
  const { db } = deps;
  const start = darDayStart(period.from);
  const end = darDayStart(nextDay(period.to));
  const collections = new Map<string, typeof paymentCollections.$inferSelect>();
  const disbursements = new Map<string, typeof paymentDisbursements.$inferSelect>();
  const parts = receipts.length ? chunks(receipts) : [[]];
  for (const part of parts) {
    const cs = await db
      .select()
      .from(paymentCollections)
      .where(
        and(
          eq(paymentCollections.provider, provider),
          eq(paymentCollections.status, 'succeeded'),
          or(
            and(gte(paymentCollections.decidedAt, start), lt(paymentCollections.decidedAt, end)),
            part.length ? inArray(paymentCollections.receipt, part) : undefined,
          ),
        ),
      );
    for (const c of cs) collections.set(c.id, c);
    const ds = await db
      .select()
      .from(paymentDisbursements)
      .where(
        and(
          eq(paymentDisbursements.provider, provider),
          eq(paymentDisbursements.status, 'succeeded'),
          or(
            and(gte(paymentDisbursements.decidedAt, start), lt(paymentDisbursements.decidedAt, end)),
            part.length ? inArray(paymentDisbursements.receipt, part) : undefined,
          ),
        ),
      );
    for (const d of ds) disbursements.set(d.id, d);
  }

  const movements = await deps.ledgerMovements([...collections.keys(), ...disbursements.keys()]);
  const onFloat = new Map<string, number>();
  const take = (id: string, amount: number) => onFloat.set(id, (onFloat.get(id) ?? 0) + amount);
  for (const m of movements) {
    // provider:float is debited by money in and credited by money out.
    if (m.kind === 'COLLECTION' && collections.has(m.paymentId)) take(m.paymentId, m.amount);
    else if (m.kind === 'REFUND_SENT' && disbursements.get(m.paymentId)?.kind === 'refund')
      take(m.paymentId, -m.amount);
    else if (m.kind === 'PAYOUT' && m.phase === 'post' && disbursements.get(m.paymentId)?.kind === 'payout')
      take(m.paymentId, -m.amount);
  }

  const entries: LedgerEntry[] = [];
  for (const c of collections.values())
    entries.push({
      kind: 'collection',
      id: c.id,
      receipt: c.receipt,
      amount: c.amount,
      currency: c.currency,
      decidedAt: c.decidedAt ?? c.updatedAt,
      ledgerAmount: onFloat.get(c.id) ?? null,
    });
  for (const d of disbursements.values())
    entries.push({
      kind: d.kind,
      id: d.id,
      receipt: d.receipt,
      amount: -d.amount,
      currency: d.currency,
      decidedAt: d.decidedAt ?? d.updatedAt,
      ledgerAmount: onFloat.get(d.id) ?? null,
    });
  return entries;
}

/**
 * Import a parsed statement and compare it with the ledger. The comparison uses this file's rows
 * (a receipt imported earlier with other values is reported in `import.conflicts`, not changed);
 * earlier imports only count for days outside the file's period.
 */
export async function reconcileStatement(
  deps: StatementDeps,
  input: { provider: ProviderName; lines: readonly StatementLine[]; from?: string; to?: string },
): Promise<StatementReport> {
  const { db } = deps;
  for (const [name, day] of [
    ['from', input.from],
    ['to', input.to],
  ] as const)
    if (day !== undefined && !isDay(day))
      throw new StatementFormatError(null, `--${name} ${day} is not a day like 2026-11-25`);
  const period = statementPeriod(input.lines, { from: input.from, to: input.to });
  if (!period)
    throw new StatementFormatError(
      null,
      'the statement has no rows: give --from and --to to check a period without transactions',
    );

  const imported = await importStatement(deps, input.provider, input.lines);
  const receipts = [...new Set(input.lines.filter(isCompleted).map((l) => l.receipt))];
  const ledger = await loadLedgerEntries(deps, input.provider, receipts, period);

  // Receipts of ours that are not in this file may sit on an earlier statement, on a day outside it.
  const inFile = new Set(receipts);
  const missing = ledger.map((e) => e.receipt).filter((r): r is string => r !== null && !inFile.has(r));
  const knownElsewhere = new Set<string>();
  const start = darDayStart(period.from).getTime();
  const end = darDayStart(nextDay(period.to)).getTime();
  for (const part of chunks(missing)) {
    const stored = await db
      .select()
      .from(paymentStatementLines)
      .where(
        and(eq(paymentStatementLines.provider, input.provider), inArray(paymentStatementLines.receipt, part)),
      );
    for (const s of stored) {
      const t = s.completedAt.getTime();
      if (isCompleted(s) && (t < start || t >= end)) knownElsewhere.add(s.receipt);
    }
  }

  const comparison = compareStatement({ lines: input.lines, period, ledger, knownElsewhere });
  const invariants = await deps.invariants();
  return {
    provider: input.provider,
    ...comparison,
    import: imported,
    invariants,
    clean: comparison.matches && imported.conflicts.length === 0 && invariants.length === 0,
  };
}

// ---- human-readable report ---------------------------------------------------------------------

/** Minor units as the statement writes them: 150000 → "1,500.00", −2000 → "-20.00". */
export function formatAmount(minor: number): string {
  const abs = Math.abs(minor);
  const whole = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${minor < 0 ? '-' : ''}${whole}.${String(abs % 100).padStart(2, '0')}`;
}
const signed = (minor: number) => (minor > 0 ? `+${formatAmount(minor)}` : formatAmount(minor));
const darTime = (iso: string) =>
  new Date(Date.parse(iso) + DAR_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
const listTotals = (t: ListTotals) =>
  `${t.count}: in ${formatAmount(t.paidIn)}, out ${formatAmount(t.withdrawn)}`;

export function formatReport(r: StatementReport, file?: string): string {
  const out: string[] = [];
  out.push(
    `Statement${file ? ` ${file}` : ''} — provider ${r.provider}, ${r.period.from} to ${r.period.to} (Dar es Salaam days)`,
  );
  out.push(
    `Imported ${r.import.rows} rows: ${r.import.inserted} new, ${r.import.alreadyImported} already imported (import ${r.import.importId})`,
  );
  for (const d of r.days) {
    const s = d.statement;
    const lists = d.providerOnly.length + d.ledgerOnly.length + d.mismatches.length;
    out.push('');
    out.push(
      `${d.day}: ${s.completed} completed row${s.completed === 1 ? '' : 's'}, in ${formatAmount(s.paidIn)}, out ${formatAmount(s.withdrawn)}` +
        (s.ignored ? `; ${s.ignored} not completed, ignored` : '') +
        (lists ? '' : ' — matches the ledger'),
    );
    if (d.providerOnly.length) {
      out.push(`  provider has, ledger lacks (${listTotals(d.totals.providerOnly)}):`);
      for (const p of d.providerOnly)
        out.push(
          `    ${signed(p.amount)} ${p.currency}  ${p.receipt}  line ${p.line}, ${darTime(p.completedAt)}: ${p.reason}`,
        );
    }
    if (d.ledgerOnly.length) {
      out.push(`  ledger has, provider lacks (${listTotals(d.totals.ledgerOnly)}):`);
      for (const l of d.ledgerOnly)
        out.push(
          `    ${signed(l.amount)} ${l.currency}  ${l.receipt ?? '(no receipt)'}  ${l.kind} ${l.id}, decided ${darTime(l.decidedAt)}: ${l.reason}`,
        );
    }
    if (d.mismatches.length) {
      out.push(
        `  amount mismatches (${d.totals.mismatches.count}, statement − ledger ${signed(d.totals.mismatches.difference)}):`,
      );
      for (const m of d.mismatches)
        out.push(
          `    ${m.receipt}  line ${m.line}: statement ${signed(m.statementAmount)} ${m.statementCurrency}, ledger ${signed(m.ledgerAmount)} ${m.ledgerCurrency} (${m.kind} ${m.id})`,
        );
    }
  }
  out.push('');
  if (r.import.conflicts.length) {
    out.push(
      `Rows that differ from an earlier import (kept as first imported) (${r.import.conflicts.length}):`,
    );
    for (const c of r.import.conflicts)
      out.push(
        `  ${c.receipt}  line ${c.line}: ${c.differences.join(', ')} — stored ${signed(c.stored.amount)} ${c.stored.currency} ${c.stored.status} ${darTime(c.stored.completedAt)}, file ${signed(c.file.amount)} ${c.file.currency} ${c.file.status} ${darTime(c.file.completedAt)}`,
      );
  }
  const t = r.totals;
  out.push(
    `Totals: provider has, ledger lacks ${listTotals(t.providerOnly)}; ledger has, provider lacks ${listTotals(t.ledgerOnly)}; amount mismatches ${t.mismatches.count} (statement − ledger ${signed(t.mismatches.difference)})`,
  );
  if (r.invariants.length) {
    out.push(`Ledger invariants: ${r.invariants.length} problem${r.invariants.length > 1 ? 's' : ''}`);
    for (const p of r.invariants) out.push(`  - ${p}`);
  } else out.push('Ledger invariants: hold');
  out.push(r.clean ? 'Result: the statement matches the ledger' : 'Result: differences found');
  return out.join('\n');
}
