// Provider statements, stored and matched to our records (database): the rows imported once per
// receipt, and the succeeded payment records with their ledger transfers for the comparison.
import { and, eq, gte, inArray, lt, or } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import { paymentCollections, paymentDisbursements, paymentStatementLines } from './schema.js';
import type { Comparison, LedgerEntry, Period } from './statement-compare.js';
import {
  darDayStart,
  nextDay,
  type ProviderName,
  type StatementLine,
  sameMovement,
} from './statement-format.js';

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
  /** run inside the import's own transaction (the console writes its audit row there) */
  onImported?: (tx: Database, imported: ImportResult) => Promise<void>;
}

const CHUNK = 1000;
export const chunks = <T>(xs: readonly T[]) => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
};

/** Store the rows, once per (provider, receipt); a row that differs from the stored one is reported. */
export async function importStatement(
  deps: Pick<StatementDeps, 'db' | 'clock' | 'ids' | 'onImported'>,
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
    const result: ImportResult = {
      importId,
      rows: lines.length,
      inserted: inserted.size,
      alreadyImported: lines.length - inserted.size,
      conflicts,
    };
    await deps.onImported?.(tx, result);
    return result;
  });
}

/** Succeeded collections and disbursements of `provider` with one of `receipts` or decided within `period`. */
export async function loadLedgerEntries(
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
