// KYC: the queue of seller submissions (oldest first), one submission with its documents shown
// inline (through the console's authenticated media route), and verify/reject with a reason.
import type { FastifyInstance } from 'fastify';

import { KYC_QUEUE_STATUSES } from './filters.js';
import { cursorOf, doneUrl, flashOf, idParam, pick, queryValue, requireReason } from './forms.js';
import { adminOf } from './guard.js';
import { html } from './html.js';
import { age, csrfField, darTime, nextLink, page, reasonField, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';

const PAGE = 25;

export function kycRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const { kyc } = deps.identity;
  const hide = { schema: { hide: true } };

  app.get('/kyc', hide, async (request, reply) => {
    const admin = adminOf(request);
    const status = pick(queryValue(request, 'status'), KYC_QUEUE_STATUSES, 'pending');
    const r = await kyc.list({ status, limit: PAGE, cursor: cursorOf(request) });
    const now = deps.clock.now();
    const rows = r.items.map(
      (i) =>
        html`<tr><td><a href="/admin/kyc/${i.submission.id}">${i.shopName}</a></td><td>${i.phone}</td><td>${i.submission.idType}</td><td>${darTime(i.submission.submittedAt)}</td><td class="num">${age(i.submission.submittedAt, now)}</td></tr>`,
    );
    const body = html`<form method="get" action="/admin/kyc" class="filters">
<label>Status <select name="status">${KYC_QUEUE_STATUSES.map((s) => html`<option value="${s}"${s === status ? html` selected` : ''}>${s}</option>`)}</select></label>
<button type="submit">Show</button></form>
${table(['Shop', 'Phone', 'ID type', 'Submitted', 'Waiting'], rows, 'No submissions.')}
${nextLink('/admin/kyc', { status }, r.next_cursor)}`;
    return reply.type('text/html').send(page('KYC submissions', admin, body, flashOf(request)).value);
  });

  app.get('/kyc/:id', hide, async (request, reply) => {
    const admin = adminOf(request);
    const r = await kyc.get(idParam(request));
    const s = r.submission;
    const docs = r.documents.map(
      (m) => html`<a href="/admin/media/${m.id}"><img src="/admin/media/${m.id}" alt="KYC document"></a>`,
    );
    const actions =
      s.status === 'pending'
        ? html`<div class="side-by-side">
<form method="post" action="/admin/kyc/${s.id}/approve" class="card">${csrfField(admin.csrf)}${reasonField('Note')}<button type="submit">Verify seller</button></form>
<form method="post" action="/admin/kyc/${s.id}/reject" class="card">${csrfField(admin.csrf)}${reasonField('Reason the seller will see')}<button type="submit" class="danger">Reject</button></form>
</div>`
        : html`<p>This submission is <strong>${s.status}</strong>${s.rejectionReason ? html` (${s.rejectionReason})` : ''}, decided ${darTime(s.decidedAt)}.</p>`;
    const body = html`<table><tbody>
<tr><th>Shop</th><td>${r.shopName}</td></tr>
<tr><th>Phone</th><td>${r.phone}</td></tr>
<tr><th>ID</th><td>${s.idType} ${s.idNumber}</td></tr>
<tr><th>Status</th><td>${s.status}</td></tr>
<tr><th>Submitted</th><td>${darTime(s.submittedAt)}</td></tr>
</tbody></table>
<h2>Documents</h2><div class="docs">${docs.length ? docs : html`<p class="empty">No documents.</p>`}</div>
${actions}`;
    return reply.type('text/html').send(page('KYC submission', admin, body).value);
  });

  for (const [action, approve] of [
    ['approve', true],
    ['reject', false],
  ] as const) {
    app.post(`/kyc/:id/${action}`, hide, async (request, reply) => {
      const admin = adminOf(request);
      const id = idParam(request);
      const reason = requireReason(request);
      await kyc.decide(admin.userId, id, approve ? { approve: true, reason } : { approve: false, reason });
      return reply.redirect(doneUrl('/admin/kyc', approve ? 'approved' : 'rejected'), 303);
    });
  }

  // Images for the console's own pages (KYC documents, product photos, dispute evidence): admins may read any upload.
  app.get('/media/:id', hide, async (request, reply) => {
    const admin = adminOf(request);
    const row = await deps.media.getReadable(idParam(request), { userId: admin.userId, roles: ['admin'] });
    const bytes = await deps.media.content(row);
    return reply
      .type(row.contentType)
      .header('cache-control', 'private, max-age=300')
      .header('content-disposition', 'inline')
      .send(bytes);
  });
}
