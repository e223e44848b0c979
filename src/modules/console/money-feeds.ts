// Money, read-only feeds: every collection (payment push) across all checkouts, and every callback a
// provider (or anyone) posted to us with the verdict on it, forged ones included — the admin API's
// /payments/collections and /payments/callbacks, from the same payments queries (200 newest).
import type { FastifyInstance } from 'fastify';
import { CALLBACK_VERDICTS, COLLECTION_STATUSES } from '../payments/index.js';
import { queryValue } from './forms.js';
import { adminOf } from './guard.js';
import { html } from './html.js';
import { darTime, money, page, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';

/** A stored JSON body, shortened for a table cell (escaped like any other text). */
const brief = (v: unknown) => JSON.stringify(v ?? null).slice(0, 300);

function filterLinks(path: string, param: string, values: readonly string[], current: string | undefined) {
  return html`<p class="filters-links">${[undefined, ...values].map(
    (v, i) =>
      html`${i ? ' · ' : ''}${v === current ? html`<strong>${v ?? 'all'}</strong>` : html`<a href="${v ? `${path}?${param}=${v}` : path}">${v ?? 'all'}</a>`}`,
  )}</p>`;
}

export function moneyFeedRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const { payments } = deps;
  const hide = { schema: { hide: true } };

  app.get('/money/collections', hide, async (request, reply) => {
    const admin = adminOf(request);
    const raw = queryValue(request, 'status');
    const status = COLLECTION_STATUSES.find((s) => s === raw);
    const rows = (await payments.collectionsList({ status })).map(
      (c) =>
        html`<tr data-collection="${c.id}"><td><a href="/admin/money/calls/${c.reference}">${c.reference}</a></td><td>${c.status}</td><td class="num">${money(c.amount, c.currency)}</td><td><a href="/admin/people/${c.buyerId}">buyer</a></td><td>${c.msisdn}</td><td>${c.provider}</td><td>${c.usedFor ?? '—'}</td><td>${c.receipt ?? ''}</td><td>${c.resultMessage ?? ''}</td><td>${darTime(c.createdAt)}</td></tr>`,
    );
    const body = html`<p><a href="/admin/money">← Money</a></p>
${filterLinks('/admin/money/collections', 'status', COLLECTION_STATUSES, status)}
${table(['Reference', 'Status', 'Amount', 'Payer', 'Phone', 'Provider', 'Used for', 'Receipt', 'Result', 'Created'], rows, 'No collections.')}
<p class="muted">The 200 newest.</p>`;
    return reply.type('text/html').send(page('Collections', admin, body).value);
  });

  app.get('/money/callbacks', hide, async (request, reply) => {
    const admin = adminOf(request);
    const raw = queryValue(request, 'verdict');
    const verdict = CALLBACK_VERDICTS.find((v) => v === raw);
    const rows = (await payments.callbacksList({ verdict })).map(
      (c) =>
        html`<tr data-callback="${c.id}"><td>${darTime(c.createdAt)}</td><td>${c.provider} ${c.kind}</td><td class="${c.verdict === 'accepted' || c.verdict === 'duplicate' ? '' : 'error'}">${c.verdict}</td><td>${c.detail ?? ''}</td><td>${c.remoteIp ?? ''}</td><td><code>${brief(c.body)}</code></td></tr>`,
    );
    const body = html`<p><a href="/admin/money">← Money</a></p>
${filterLinks('/admin/money/callbacks', 'verdict', CALLBACK_VERDICTS, verdict)}
${table(['Received', 'From', 'Verdict', 'Detail', 'Address', 'Body'], rows, 'No callbacks.')}
<p class="muted">The 200 newest, forged and refused ones included.</p>`;
    return reply.type('text/html').send(page('Provider callbacks', admin, body).value);
  });
}
