// Referrals: the held queue with the signals that held each reward, approve / reject / claw back
// with a reason, the campaign's settings and the programme's report. Every action is the referrals
// module's own command (its locks, budget burn, ledger transfers and audit row); the campaign form is
// held to the admin API's own schema (referralCampaignInput).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type HOLD_SIGNALS, REFERRAL_STATES, referralCampaignInput } from '../referrals/index.js';
import { cursorOf, doneUrl, flashOf, formValue, idParam, pick, queryValue, requireReason } from './forms.js';
import { adminOf } from './guard.js';
import { html } from './html.js';
import { csrfField, darTime, money, nextLink, page, reasonField, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';
import { int, minor, parsed } from './promotions.js';

/** What each hold signal means, for the operator deciding (the codes are the module's). */
const SIGNAL_TEXT: Record<(typeof HOLD_SIGNALS)[number], string> = {
  SHARED_PAYING_PHONE: 'the first order was paid from the referrer’s phone',
  SHARED_ADDRESS: 'delivered to an address the referrer uses',
  NEARBY_ADDRESS: 'delivered within the campaign’s radius of the referrer’s address',
  SHARED_DEVICE: 'both signed in on the same device',
  REFERRER_IS_SELLER: 'the referrer is a seller',
  REFERRER_IS_RIDER: 'the referrer is a rider',
  DAILY_CAP: 'the referrer passed the daily cap',
  TOTAL_CAP: 'the referrer passed the total cap',
  BUDGET_EXHAUSTED: 'the budget had no room when it qualified',
};
const signalText = (s: string) => (SIGNAL_TEXT as Record<string, string>)[s] ?? '';

const PAGE = 25;

/** The campaign form, read into the API's own body shape (shillings → minor units, empty cap → none). */
function campaignFromForm(request: FastifyRequest) {
  const f = (n: string) => formValue(request, n);
  const cap = (n: string) => (f(n) === '' ? null : int(f(n)));
  return parsed(referralCampaignInput, {
    active: f('active') === 'on',
    referrer_reward: minor(f('referrer_reward')),
    referee_reward: minor(f('referee_reward')),
    min_order_amount: minor(f('min_order_amount')),
    budget_amount: minor(f('budget_amount')),
    per_referrer_daily_cap: cap('per_referrer_daily_cap'),
    per_referrer_total_cap: cap('per_referrer_total_cap'),
    nearby_radius_meters: int(f('nearby_radius_meters')),
  });
}

export function referralRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const { referrals } = deps;
  const hide = { schema: { hide: true } };

  app.get('/referrals', hide, async (request, reply) => {
    const admin = adminOf(request);
    const state = pick(queryValue(request, 'state'), REFERRAL_STATES, 'held');
    const [list, report, c] = await Promise.all([
      referrals.listByState(state, { limit: PAGE, cursor: cursorOf(request) }),
      referrals.report(),
      referrals.getCampaign(),
    ]);
    const person = (id: string) => html`<a href="/admin/people/${id}">${id.slice(0, 8)}</a>`;
    const decide = (id: string, action: string, label: string, danger = false) =>
      html`<form method="post" action="/admin/referrals/${id}/${action}" class="inline">${csrfField(admin.csrf)}<input name="reason" placeholder="reason" required minlength="3" maxlength="500"><button type="submit"${danger ? html` class="danger"` : ''}>${label}</button></form>`;
    const rows = list.items.map(
      (r) =>
        html`<tr data-referral="${r.id}"><td>${person(r.referrerId)}</td><td>${person(r.refereeId)}</td><td>${r.orderId ? html`<a href="/admin/orders/${r.orderId}">${r.orderId.slice(0, 8)}</a>` : '—'}${r.orderAmount === null ? '' : html` <span class="muted">${money(r.orderAmount, r.currency)}</span>`}</td><td class="signals">${r.signals.length ? html`<ul>${r.signals.map((s) => html`<li data-signal="${s}"><code>${s}</code> ${signalText(s)}</li>`)}</ul>` : '—'}</td><td class="num">${money(r.referrerReward, r.currency)} + ${money(r.refereeReward, r.currency)}</td><td>${darTime(r.attributedAt)}</td><td class="reason">${r.reason ?? ''}</td><td>${
          r.state === 'held'
            ? html`${decide(r.id, 'approve', 'Approve and pay')}${decide(r.id, 'reject', 'Reject', true)}`
            : r.state === 'rewarded'
              ? decide(r.id, 'claw-back', 'Claw back', true)
              : ''
        }</td></tr>`,
    );
    const tabs = REFERRAL_STATES.filter((s) => s !== 'qualified').map(
      (s, i) =>
        html`${i ? ' · ' : ''}${s === state ? html`<strong>${s}</strong>` : html`<a href="/admin/referrals?state=${s}">${s}</a>`}`,
    );
    const shillings = (v: number) => String(Math.trunc(v / 100));
    const body = html`<h2>Report</h2>
${table(
  [
    'Invites',
    'Attributed',
    'Qualified',
    'Rewarded',
    'Held',
    'Rejected',
    'Clawed back',
    'Cost (ledger)',
    'Per acquired buyer',
    'Budget',
    'Spent',
  ],
  [
    html`<tr data-row="report"><td class="num">${report.invites}</td><td class="num">${report.attributions}</td><td class="num">${report.qualified}</td><td class="num" data-report="rewarded">${report.rewarded}</td><td class="num" data-report="held">${report.held}</td><td class="num">${report.rejected}</td><td class="num" data-report="clawed_back">${report.clawed_back}</td><td class="num" data-report="cost">${money(report.cost, report.currency)}</td><td class="num">${report.cost_per_acquired_buyer === null ? '—' : money(report.cost_per_acquired_buyer, report.currency)}</td><td class="num">${money(report.budget, report.currency)}</td><td class="num" data-report="spent">${money(report.spent, report.currency)}</td></tr>`,
  ],
)}
<h2>Referrals <span class="muted">(${state})</span></h2>
<p>${tabs}</p>
${table(['Referrer', 'Referee', 'First order', 'What held it', 'Rewards (referrer + referee)', 'Attributed', 'Reason', ''], rows, `No ${state} referrals.`)}
${nextLink('/admin/referrals', { state }, list.next_cursor)}
<h2>Campaign <span class="muted">(changed ${darTime(c.updatedAt)})</span></h2>
<form method="post" action="/admin/referrals/campaign" class="card stack">${csrfField(admin.csrf)}
<label><input type="checkbox" name="active"${c.active ? html` checked` : ''}> Active (pays rewards)</label>
<label>Referrer reward (TZS) <input name="referrer_reward" inputmode="numeric" value="${shillings(c.referrerReward)}" required></label>
<label>Referee reward (TZS) <input name="referee_reward" inputmode="numeric" value="${shillings(c.refereeReward)}" required></label>
<label>Minimum first order (TZS) <input name="min_order_amount" inputmode="numeric" value="${shillings(c.minOrderAmount)}" required></label>
<label>Budget (TZS; ${money(c.spentAmount, c.currency)} spent so far) <input name="budget_amount" inputmode="numeric" value="${shillings(c.budgetAmount)}" required></label>
<label>Per referrer per day (empty: no cap) <input name="per_referrer_daily_cap" inputmode="numeric" value="${c.perReferrerDailyCap ?? ''}"></label>
<label>Per referrer in all (empty: no cap) <input name="per_referrer_total_cap" inputmode="numeric" value="${c.perReferrerTotalCap ?? ''}"></label>
<label>Nearby radius (metres) <input name="nearby_radius_meters" inputmode="numeric" value="${c.nearbyRadiusMeters}" required></label>
${reasonField()}
<button type="submit">Save campaign</button></form>`;
    return reply.type('text/html').send(page('Referrals', admin, body, flashOf(request)).value);
  });

  app.post('/referrals/campaign', hide, async (request, reply) => {
    const reason = requireReason(request);
    const b = campaignFromForm(request);
    await referrals.updateCampaign(
      adminOf(request).userId,
      {
        active: b.active,
        referrerReward: b.referrer_reward,
        refereeReward: b.referee_reward,
        minOrderAmount: b.min_order_amount,
        budgetAmount: b.budget_amount,
        perReferrerDailyCap: b.per_referrer_daily_cap,
        perReferrerTotalCap: b.per_referrer_total_cap,
        nearbyRadiusMeters: b.nearby_radius_meters,
      },
      reason,
    );
    return reply.redirect(doneUrl('/admin/referrals', 'saved'), 303);
  });

  const decisions = [
    ['approve', 'approved', 'held', (a: string, id: string, r: string) => referrals.approve(a, id, r)],
    ['reject', 'rejected', 'held', (a: string, id: string, r: string) => referrals.reject(a, id, r)],
    [
      'claw-back',
      'clawed_back',
      'rewarded',
      (a: string, id: string, r: string) => referrals.clawBack(a, id, r),
    ],
  ] as const;
  for (const [path, done, back, run] of decisions) {
    app.post(`/referrals/:id/${path}`, hide, async (request, reply) => {
      const id = idParam(request);
      await run(adminOf(request).userId, id, requireReason(request));
      return reply.redirect(doneUrl(`/admin/referrals?state=${back}`, done), 303);
    });
  }
}
