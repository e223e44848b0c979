// Provider statement reconciliation: the CSV an M-Pesa business downloads for its organisation
// account, parsed (pure), compared with our succeeded collections and disbursements and their ledger
// transfers (pure), and a small database-facing step that imports the rows and builds the report.
// The format is documented in docs/statement-format.md. Each step has its file: statement-format.ts
// (parse), statement-compare.ts (compare), statement-import.ts (store and load), statement-report.ts
// (the text report); this one joins them for the cli's `reconcile-statement`.

import { and, eq, inArray } from 'drizzle-orm';
import { paymentStatementLines } from './schema.js';
import { compareStatement, statementPeriod } from './statement-compare.js';
import {
  darDayStart,
  isCompleted,
  isDay,
  nextDay,
  type ProviderName,
  StatementFormatError,
  type StatementLine,
} from './statement-format.js';
import {
  chunks,
  importStatement,
  loadLedgerEntries,
  type StatementDeps,
  type StatementReport,
} from './statement-import.js';

export {
  type Comparison,
  compareStatement,
  type DayReport,
  type LedgerEntry,
  type LedgerEntryKind,
  type LedgerOnly,
  type ListTotals,
  type Mismatch,
  type Period,
  type ProviderOnly,
  statementPeriod,
} from './statement-compare.js';
export {
  COMPLETED,
  DEFAULT_CURRENCY,
  darDay,
  darDayStart,
  isCompleted,
  isDay,
  type ProviderName,
  parseAmount,
  parseDarTime,
  parseStatement,
  STATEMENT_COLUMNS,
  StatementFormatError,
  type StatementLine,
} from './statement-format.js';
export {
  type ImportConflict,
  type ImportResult,
  importStatement,
  type LedgerMovement,
  type StatementDeps,
  type StatementReport,
} from './statement-import.js';
export { formatAmount, formatReport } from './statement-report.js';

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
