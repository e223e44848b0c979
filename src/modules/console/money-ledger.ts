// Money: the escrow ledger by account (the admin API's GET /ledger/transfers?account=), paged oldest
// first with each row's signed amount and the account's running posted balance, every order linked.
// Read-only, from the ledger's own queries.
import type { FastifyInstance } from 'fastify';
import { unprocessable } from '../../shared/errors.js';
import { account as accounts } from '../ledger/index.js';
import { cursorOf, queryValue } from './forms.js';
import { adminOf } from './guard.js';
import { html } from './html.js';
import { darTime, money, nextLink, page, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';

const PAGE = 50;
/** `?limit=` within 1..100 (the API's page limits), else the default page. */
function limitOf(raw: string | undefined) {
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= 100 ? n : PAGE;
}

/** The platform's own accounts, offered as one-click picks (party accounts are reached from their pages). */
const PLATFORM_ACCOUNTS = Object.values(accounts).filter((a): a is string => typeof a === 'string');

/** An account name as the ledger writes them ("seller:<uuid>:payable", "platform:delivery_fees"). */
const ACCOUNT = /^[a-z_]+(:[A-Za-z0-9_-]+)+$/;

export function ledgerPath(acct: string) {
  return `/admin/money/ledger?account=${encodeURIComponent(acct)}`;
}

export function moneyLedgerRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const hide = { schema: { hide: true } };

  app.get('/money/ledger', hide, async (request, reply) => {
    const admin = adminOf(request);
    const acct = queryValue(request, 'account')?.trim();
    if (acct !== undefined && (acct.length > 120 || !ACCOUNT.test(acct)))
      throw unprocessable('INVALID_FIELD', 'account', 'account is not a ledger account name.');
    const picker = html`<p><a href="/admin/money">← Money</a></p>
<form method="get" action="/admin/money/ledger" class="filters"><label>Account <input name="account" value="${acct ?? ''}" required maxlength="120" placeholder="seller:…:payable"></label><button type="submit">Show transfers</button></form>
<p class="muted">Platform accounts: ${PLATFORM_ACCOUNTS.map((a, i) => html`${i ? ' · ' : ''}<a href="${ledgerPath(a)}">${a}</a>`)}</p>`;
    if (!acct) return reply.type('text/html').send(page('Ledger by account', admin, picker).value);

    const limit = limitOf(queryValue(request, 'limit'));
    const [r, balance] = await Promise.all([
      deps.ledger.accountTransfers({ account: acct, cursor: cursorOf(request), limit }),
      deps.ledger.balance(acct),
    ]);
    // Only settled money (single and post phases) moves the running balance; a pending reserve and
    // its void are shown but change nothing, as in the ledger's own balance.
    let running = r.opening;
    const rows = r.items.map((x) => {
      const signed = x.creditAccount === acct ? x.amount : -x.amount;
      const posted = x.phase === 'single' || x.phase === 'post';
      if (posted) running += signed;
      const other = x.creditAccount === acct ? x.debitAccount : x.creditAccount;
      return html`<tr data-transfer="${x.id}"><td>${darTime(x.createdAt)}</td><td>${x.kind}</td><td>${x.phase}</td><td><a href="${ledgerPath(other)}">${other}</a></td><td class="num amount">${money(signed, x.currency)}</td><td class="num running">${posted ? money(running, x.currency) : '—'}</td><td>${x.orderId ? html`<a href="/admin/orders/${x.orderId}">order</a>` : ''}</td></tr>`;
    });
    const body = html`${picker}
<table><tbody>
<tr><th>Account</th><td class="account">${acct}</td></tr>
<tr><th>Posted balance now</th><td class="num balance-posted">${money(balance.posted)}</td></tr>
<tr><th>Pending (reserved, not yet settled)</th><td class="num balance-pending">${money(balance.pending)}</td></tr>
</tbody></table>
${r.opening ? html`<p class="muted">Posted balance before this page: <span class="opening">${money(r.opening)}</span></p>` : ''}
${table(['When', 'Kind', 'Phase', 'Other account', 'Amount (+ in, − out)', 'Running posted balance', 'Order'], rows, 'No transfers on this account.')}
${nextLink(
  '/admin/money/ledger',
  { account: acct, limit: limit === PAGE ? undefined : String(limit) },
  r.next_cursor,
)}`;
    return reply.type('text/html').send(page('Ledger by account', admin, body).value);
  });
}
