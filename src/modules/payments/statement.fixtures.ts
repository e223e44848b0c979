import { expect } from 'vitest';
import { formatAmount, parseStatement, StatementFormatError } from './statement.js';

// Shared helpers of the statement-*.test.ts files (not a test file: vitest collects only *.test.ts):
// M-Pesa statement CSV rows built from a few fields.

export const HEADER =
  'Receipt No.,Completion Time,Initiation Time,Details,Transaction Status,Paid In,Withdrawn,Balance,Balance Confirmed,Reason Type,Other Party Info,Linked Transaction ID,A/C No.,Currency';

export interface Row {
  receipt: string;
  /** Dar es Salaam local time as the statement prints it, or an instant */
  at: string | Date;
  paidIn?: number;
  withdrawn?: number;
  status?: string;
  details?: string;
  other?: string;
}
export const darLocal = (d: Date) =>
  new Date(d.getTime() + 3 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
export const q = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
/** One statement row in M-Pesa's column order; amounts in minor units. */
export function row(r: Row): string {
  const at = typeof r.at === 'string' ? r.at : darLocal(r.at);
  return [
    r.receipt,
    at,
    at,
    r.details ?? 'Customer Payment',
    r.status ?? 'Completed',
    r.paidIn ? formatAmount(r.paidIn) : '',
    r.withdrawn ? formatAmount(-r.withdrawn) : '',
    '1,000,000.00',
    'true',
    r.paidIn ? 'Pay Bill Online' : 'Business Payment',
    r.other ?? '255754123456 - JUMA',
    '',
    '',
    'TZS',
  ]
    .map(q)
    .join(',');
}
export const csv = (...rows: Row[]) => [HEADER, ...rows.map(row)].join('\r\n');

export function formatError(text: string): StatementFormatError {
  try {
    parseStatement(text);
  } catch (err) {
    expect(err).toBeInstanceOf(StatementFormatError);
    return err as StatementFormatError;
  }
  throw new Error('the statement was accepted');
}
