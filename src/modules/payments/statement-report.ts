// Provider statements, reported: the reconciliation as the person at the terminal reads it.
import type { ListTotals } from './statement-compare.js';
import { DAR_OFFSET_MS } from './statement-format.js';
import type { StatementReport } from './statement-import.js';

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
