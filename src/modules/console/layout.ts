// The page frame every console screen renders into, and the small formatters screens share.
import { MONEY_UNIT } from '../../shared/money.js';
import { DAY, HOUR, MINUTE, toDarTime } from '../../shared/time.js';
import { type Html, html } from './html.js';

export const NAV = [
  ['/admin', 'Home'],
  ['/admin/kyc', 'KYC'],
  ['/admin/catalog', 'Catalog'],
  ['/admin/promotions', 'Promotions'],
  ['/admin/referrals', 'Referrals'],
  ['/admin/orders', 'Orders'],
  ['/admin/disputes', 'Disputes'],
  ['/admin/money', 'Money'],
  ['/admin/people', 'People'],
  ['/admin/logistics', 'Logistics'],
  ['/admin/messages', 'Messages'],
  ['/admin/approvals', 'Approvals'],
  ['/admin/audit', 'Audit'],
  ['/admin/analytics', 'Analytics'],
] as const;

// htmx must not inject its indicator <style> (the CSP allows no inline style) nor evaluate code.
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
});

export interface PageUser {
  phone: string;
  csrf: string;
}

/** A whole page. `user` is null on the sign-in pages (no nav, no sign-out). */
export function page(title: string, user: PageUser | null, body: Html, flash?: string | null): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · K'KOO admin</title>
<meta name="htmx-config" content="${HTMX_CONFIG}">
<link rel="stylesheet" href="/admin/assets/console.css">
<script src="/admin/assets/htmx.min.js" defer></script>
</head>
<body>
<header class="top">
<strong class="brand">K'KOO admin</strong>
${
  user
    ? html`<nav hx-boost="true">${NAV.map(([href, label]) => html`<a href="${href}">${label}</a>`)}</nav>
<form method="post" action="/admin/sign-out" class="inline">${csrfField(user.csrf)}<span class="who">${user.phone}</span> <button type="submit">Sign out</button></form>`
    : ''
}
</header>
<main>
<h1>${title}</h1>
${flash ? html`<p class="flash" role="status">${flash}</p>` : ''}
${body}
</main>
</body>
</html>`;
}

export function csrfField(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

/** A reason box: every admin action carries one (it lands in the audit row). */
export function reasonField(label = 'Reason'): Html {
  return html`<label>${label} <input name="reason" required minlength="3" maxlength="500"></label>`;
}

/** Integer minor units as "TZS 12,500" (no floats: whole and cents are split with integer arithmetic). */
export function money(minor: number, currency = 'TZS'): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  const whole = Math.trunc(abs / MONEY_UNIT);
  const cents = abs % MONEY_UNIT;
  const grouped = String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${currency} ${grouped}${cents ? `.${String(cents).padStart(2, '0')}` : ''}`;
}

/** A stored UTC instant as Dar es Salaam wall time, "2026-11-25 12:00". */
export function darTime(at: Date | null | undefined): string {
  if (!at) return '—';
  return toDarTime(at).slice(0, 16).replace('T', ' ');
}

/** How long ago, coarse: "3 d", "5 h", "12 min". */
export function age(since: Date | null | undefined, now: Date): string {
  if (!since) return '—';
  const ms = Math.max(0, now.getTime() - since.getTime());
  if (ms >= DAY) return `${Math.floor(ms / DAY)} d`;
  if (ms >= HOUR) return `${Math.floor(ms / HOUR)} h`;
  return `${Math.floor(ms / MINUTE)} min`;
}

/** A table with a header row; `rows` already rendered. */
export function table(headers: readonly string[], rows: readonly Html[], empty = 'Nothing here.'): Html {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<table><thead><tr>${headers.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${rows}</tbody></table>`;
}

/** "Next page" link carrying the cursor, when there is one. */
export function nextLink(
  path: string,
  params: Record<string, string | undefined>,
  cursor: string | null,
): Html {
  if (!cursor) return html``;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  q.set('cursor', cursor);
  return html`<p class="pager"><a href="${`${path}?${q.toString()}`}">Next page →</a></p>`;
}
