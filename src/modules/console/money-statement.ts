// Money: a provider statement (the M-Pesa CSV) imported and compared with our records from the
// console, by the very functions the cli's `reconcile-statement` runs (parseStatement,
// reconcileStatement); this file only reads the upload and renders the report. Reading a statement
// moves no money: it stores the statement's rows (once per receipt) and writes one audit row.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, unprocessable } from '../../shared/errors.js';
import {
  isDay,
  PROVIDER_NAMES,
  type ProviderName,
  parseStatement,
  reconcileStatement,
  StatementFormatError,
} from '../payments/index.js';
import { adminOf, type ConsoleAdmin, checkMultipartCsrf } from './guard.js';
import { html } from './html.js';
import { csrfField, darTime, money, page, reasonField, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';

/** The largest statement accepted: a month of a busy till is well under this. */
export const STATEMENT_MAX_BYTES = 2 * 1024 * 1024;

interface StatementForm {
  text: string;
  provider: ProviderName;
  from?: string;
  to?: string;
  reason: string;
}

const tooLarge = () =>
  new AppError(
    'FILE_TOO_LARGE',
    413,
    `The statement is larger than ${STATEMENT_MAX_BYTES / 1024 / 1024} MB.`,
    {
      field: 'file',
    },
  );

/** The form's parts, read only after its first field proved the CSRF token. */
async function readForm(request: FastifyRequest, admin: ConsoleAdmin): Promise<StatementForm> {
  if (!request.isMultipart())
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 415, 'Send the statement as a file upload.', {
      field: 'file',
    });
  const fields: Record<string, string> = {};
  let file: Buffer | undefined;
  let first = true;
  try {
    for await (const part of request.parts({
      limits: { fileSize: STATEMENT_MAX_BYTES, files: 1, fields: 6, parts: 7 },
    })) {
      if (first) {
        checkMultipartCsrf(admin, part as { type: string; fieldname: string; value?: unknown });
        first = false;
        continue;
      }
      if (part.type === 'field') {
        if (typeof part.value === 'string') fields[part.fieldname] = part.value.trim();
        continue;
      }
      if (part.fieldname !== 'file' || file)
        throw unprocessable('FILE_REQUIRED', 'file', 'Send one statement file in the field "file".');
      file = await part.toBuffer();
      // A stream cut at the limit is truncated, not refused, when the parser is not told to throw.
      if (part.file.truncated) throw tooLarge();
    }
  } catch (err) {
    const e = err as { statusCode?: number; code?: string };
    if (e.code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge();
    if (err instanceof AppError || (typeof e.statusCode === 'number' && e.code?.startsWith('FST_')))
      throw err;
    throw new AppError('INVALID_MULTIPART', 400, 'The upload is malformed.', { field: 'file' });
  }
  // An empty form never passed the token check.
  if (first) checkMultipartCsrf(admin, undefined);
  if (!file?.length) throw unprocessable('FILE_REQUIRED', 'file', 'Choose the statement file (CSV).');

  const provider = fields.provider ?? '';
  if (!(PROVIDER_NAMES as readonly string[]).includes(provider))
    throw unprocessable('INVALID_FIELD', 'provider', `provider must be one of ${PROVIDER_NAMES.join(', ')}.`);
  const days: { from?: string; to?: string } = {};
  for (const name of ['from', 'to'] as const) {
    const v = fields[name];
    if (!v) continue;
    if (!isDay(v)) throw unprocessable('INVALID_FIELD', name, `${name} must be a day like 2026-11-25.`);
    days[name] = v;
  }
  // The console's rule for every admin action (requireReason reads urlencoded forms only).
  const reason = fields.reason ?? '';
  if (reason.length < 3 || reason.length > 500)
    throw unprocessable('REASON_REQUIRED', 'reason', 'Give a reason (3 to 500 characters).');
  return { text: file.toString('utf8'), provider: provider as ProviderName, ...days, reason };
}

export function moneyStatementRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const hide = { schema: { hide: true } };

  app.get('/money/statement', hide, async (request, reply) => {
    const admin = adminOf(request);
    // The token comes first: the route reads the upload only after checking it.
    const body = html`<p><a href="/admin/money">← Money</a></p>
<p class="muted">The statement CSV downloaded from the provider's portal (docs/statement-format.md), compared with our collections, refunds and payouts per Dar es Salaam day, as <code>npm run cli -- reconcile-statement</code> does. Its rows are stored once per receipt; no money moves.</p>
<form method="post" action="/admin/money/statement" enctype="multipart/form-data" class="card stack">${csrfField(admin.csrf)}
<label>Statement (CSV, at most ${STATEMENT_MAX_BYTES / 1024 / 1024} MB) <input type="file" name="file" accept=".csv,text/csv" required></label>
<label>Provider <select name="provider">${PROVIDER_NAMES.map((p) => html`<option value="${p}">${p}</option>`)}</select></label>
<label>From (optional) <input type="date" name="from"></label>
<label>To (optional) <input type="date" name="to"></label>
${reasonField()}
<button type="submit">Import and compare</button></form>`;
    return reply.type('text/html').send(page('Import a provider statement', admin, body).value);
  });

  app.post('/money/statement', { ...hide, config: { consoleMultipart: true } }, async (request, reply) => {
    const admin = adminOf(request);
    const form = await readForm(request, admin);
    let report: Awaited<ReturnType<typeof reconcileStatement>>;
    try {
      report = await reconcileStatement(
        {
          db: deps.db,
          clock: deps.clock,
          ids: deps.ids,
          invariants: () => deps.orders.service.reconcile(),
          ledgerMovements: (ids) => deps.ledger.movementsOf(ids),
          // The rows stored and the admin's audit row commit together, or neither does.
          onImported: (tx, imported) =>
            deps.audit.record(tx, {
              actorUserId: admin.userId,
              action: 'statement.reconciled',
              targetType: 'payment_statement_import',
              targetId: imported.importId,
              reason: form.reason,
              data: {
                provider: form.provider,
                from: form.from ?? null,
                to: form.to ?? null,
                rows: imported.rows,
                inserted: imported.inserted,
                conflicts: imported.conflicts.length,
              },
            }),
        },
        {
          provider: form.provider,
          lines: parseStatement(form.text),
          ...(form.from ? { from: form.from } : {}),
          ...(form.to ? { to: form.to } : {}),
        },
      );
    } catch (err) {
      if (err instanceof StatementFormatError)
        throw unprocessable('STATEMENT_INVALID', 'file', `The statement cannot be read: ${err.message}.`);
      throw err;
    }
    const t = report.totals;

    const days = report.days.map((d) => {
      const lists = d.providerOnly.length + d.ledgerOnly.length + d.mismatches.length;
      return html`<tr data-day="${d.day}"><td>${d.day}</td><td class="num">${d.statement.completed}</td><td class="num">${money(d.statement.paidIn)}</td><td class="num">${money(d.statement.withdrawn)}</td><td class="num">${d.statement.ignored}</td><td>${lists ? html`<span class="error">${lists} difference${lists === 1 ? '' : 's'}</span>` : html`<span class="reconcile-ok">matches the ledger</span>`}</td></tr>`;
    });
    const providerOnly = report.days.flatMap((d) =>
      d.providerOnly.map(
        (p) =>
          html`<tr class="provider-only"><td>${p.day}</td><td>${p.receipt}</td><td class="num">${p.line}</td><td>${darTime(new Date(p.completedAt))}</td><td class="num">${money(p.amount, p.currency)}</td><td>${p.reason}</td></tr>`,
      ),
    );
    const ledgerOnly = report.days.flatMap((d) =>
      d.ledgerOnly.map(
        (l) =>
          html`<tr class="ledger-only"><td>${l.day}</td><td>${l.receipt ?? '(no receipt)'}</td><td>${l.kind} <span class="muted">${l.id}</span></td><td>${darTime(new Date(l.decidedAt))}</td><td class="num">${money(l.amount, l.currency)}</td><td>${l.reason}</td></tr>`,
      ),
    );
    const mismatches = report.days.flatMap((d) =>
      d.mismatches.map(
        (m) =>
          html`<tr class="mismatch"><td>${m.day}</td><td>${m.receipt}</td><td class="num">${m.line}</td><td>${m.kind} <span class="muted">${m.id}</span></td><td class="num">${money(m.statementAmount, m.statementCurrency)}</td><td class="num">${money(m.ledgerAmount, m.ledgerCurrency)}</td><td class="num">${money(m.difference, m.statementCurrency)}</td></tr>`,
      ),
    );
    const conflicts = report.import.conflicts.map(
      (c) =>
        html`<tr class="conflict"><td>${c.receipt}</td><td class="num">${c.line}</td><td>${c.differences.join(', ')}</td><td class="num">${money(c.stored.amount, c.stored.currency)} ${c.stored.status}</td><td class="num">${money(c.file.amount, c.file.currency)} ${c.file.status}</td></tr>`,
    );
    const body = html`<p><a href="/admin/money">← Money</a> · <a href="/admin/money/statement">Import another</a></p>
<p class="statement-verdict ${report.clean ? 'reconcile-ok' : 'error'}">${
      report.clean
        ? 'The statement matches our records, and the ledger reconciles.'
        : 'The statement and our records differ (see below).'
    }</p>
<table><tbody>
<tr><th>Provider</th><td>${report.provider}</td></tr>
<tr><th>Period (Dar es Salaam days)</th><td>${report.period.from} to ${report.period.to}</td></tr>
<tr><th>Rows imported</th><td class="imported">${report.import.rows}: ${report.import.inserted} new, ${report.import.alreadyImported} already imported</td></tr>
<tr><th>On the statement, not ours</th><td class="num total-provider-only">${t.providerOnly.count}: in ${money(t.providerOnly.paidIn)}, out ${money(t.providerOnly.withdrawn)}</td></tr>
<tr><th>Ours, not on the statement</th><td class="num total-ledger-only">${t.ledgerOnly.count}: in ${money(t.ledgerOnly.paidIn)}, out ${money(t.ledgerOnly.withdrawn)}</td></tr>
<tr><th>Amount mismatches</th><td class="num total-mismatches">${t.mismatches.count}: statement − ours ${money(t.mismatches.difference)}</td></tr>
</tbody></table>
<h2>By day</h2>
${table(['Day', 'Completed rows', 'Paid in', 'Withdrawn', 'Not completed (ignored)', 'Result'], days, 'No days in the period.')}
<h2>On the statement, not in our records</h2>
${table(['Day', 'Receipt', 'Line', 'Completed', 'Amount', 'Why'], providerOnly, 'None.')}
<h2>In our records, not on the statement</h2>
${table(['Day', 'Receipt', 'Record', 'Decided', 'Amount', 'Why'], ledgerOnly, 'None.')}
<h2>Amount mismatches</h2>
${table(['Day', 'Receipt', 'Line', 'Record', 'Statement', 'Ours', 'Difference'], mismatches, 'None.')}
${conflicts.length ? html`<h2>Rows that differ from an earlier import (kept as first imported)</h2>${table(['Receipt', 'Line', 'Differs in', 'Stored', 'This file'], conflicts)}` : ''}
<h2>Ledger invariants</h2>
${report.invariants.length ? html`<ul class="error">${report.invariants.map((p) => html`<li>${p}</li>`)}</ul>` : html`<p class="reconcile-ok">The ledger reconciles: no problems found.</p>`}`;
    return reply.type('text/html').send(page('Statement reconcile', admin, body).value);
  });
}
