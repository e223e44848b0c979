// A buyer's loyalty points on their People page: the balance, the latest entries, and the admin's
// correction or goodwill grant (the admin API's /loyalty/:id/adjust), through the promotions
// module's own command (never below zero, one audit row with the reason, same transaction).
import type { FastifyInstance } from 'fastify';
import { unprocessable } from '../../shared/errors.js';
import { doneUrl, formValue, idParam, requireReason } from './forms.js';
import { adminOf } from './guard.js';
import { html } from './html.js';
import { csrfField, darTime, reasonField, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';

const ENTRIES_SHOWN = 10;
/** The API's bounds on one adjustment. */
const MAX_POINTS = 1_000_000;

/** The section of a user's page. */
export async function loyaltySection(deps: ConsoleDeps, csrf: string, userId: string) {
  const [balance, entries] = await Promise.all([
    deps.promotions.balance(userId),
    deps.promotions.entries(userId, ENTRIES_SHOWN),
  ]);
  const rows = entries.map(
    (e) =>
      html`<tr data-loyalty="${e.id}"><td>${darTime(e.createdAt)}</td><td>${e.kind}</td><td class="num">${e.points > 0 ? `+${e.points}` : e.points}</td><td>${e.orderId ? html`<a href="/admin/orders/${e.orderId}">${e.orderId.slice(0, 8)}</a>` : ''}</td><td>${e.reason ?? ''}</td></tr>`,
  );
  return html`<h2>Loyalty points <span class="muted">balance</span> <span data-loyalty-balance>${balance}</span></h2>
${table(['When', 'Kind', 'Points', 'Order', 'Reason'], rows, 'No points yet.')}
<form method="post" action="/admin/people/${userId}/loyalty" class="card">${csrfField(csrf)}
<label>Points (negative to take away) <input name="points" inputmode="numeric" required pattern="-?[0-9]{1,7}"></label>
${reasonField()}<button type="submit">Adjust points</button></form>`;
}

export function loyaltyRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  app.post('/people/:id/loyalty', { schema: { hide: true } }, async (request, reply) => {
    const id = idParam(request);
    const reason = requireReason(request);
    const raw = formValue(request, 'points');
    const points = /^[+-]?\d{1,7}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isInteger(points) || points === 0 || Math.abs(points) > MAX_POINTS)
      throw unprocessable(
        'INVALID_FIELD',
        'points',
        `points must be a whole number from -${MAX_POINTS} to ${MAX_POINTS}, not zero.`,
      );
    await deps.promotions.adjust(adminOf(request).userId, id, points, reason);
    return reply.redirect(doneUrl(`/admin/people/${id}`, 'points_adjusted'), 303);
  });
}
