// Provider statements, read: the CSV an M-Pesa business downloads for its organisation account,
// parsed into lines in minor units (pure). The format is documented in docs/statement-format.md.

import { parse } from 'csv-parse/sync';
import { HOUR } from '../../shared/time.js';
import type { PROVIDER_NAMES } from './model.js';

export type ProviderName = (typeof PROVIDER_NAMES)[number];

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
export const DAR_OFFSET_MS = 3 * HOUR;

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
export const nextDay = (day: string) =>
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

/** Two rows of one receipt record the same movement. */
export const sameMovement = (
  a: Pick<StatementLine, 'amount' | 'currency' | 'status' | 'completedAt'>,
  b: Pick<StatementLine, 'amount' | 'currency' | 'status' | 'completedAt'>,
) =>
  a.amount === b.amount &&
  a.currency === b.currency &&
  a.status === b.status &&
  a.completedAt.getTime() === b.completedAt.getTime();
