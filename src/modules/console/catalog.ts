// Catalog: the product review queue with each product's images, verify/reject (products and
// images) with a reason. Brands and categories are in catalog-taxonomy.ts.
import type { FastifyInstance } from 'fastify';
import { PRODUCT_QUEUE_STATUSES } from './filters.js';
import { cursorOf, doneUrl, flashOf, idParam, pick, queryValue, requireReason } from './forms.js';
import { adminOf } from './guard.js';
import { html } from './html.js';
import { age, csrfField, darTime, money, nextLink, page, reasonField, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';

const PAGE = 25;

export function catalogRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const { products } = deps.catalog;
  const hide = { schema: { hide: true } };

  app.get('/catalog', hide, async (request, reply) => {
    const admin = adminOf(request);
    const status = pick(queryValue(request, 'status'), PRODUCT_QUEUE_STATUSES, 'pending_review');
    const r = await products.queue({ status, limit: PAGE, cursor: cursorOf(request) });
    const now = deps.clock.now();
    const rows = r.items.map(
      (p) =>
        html`<tr><td><a href="/admin/catalog/products/${p.id}">${p.title}</a></td><td>${p.status}</td><td class="num">${p.minPrice === null ? '—' : money(p.minPrice)}</td><td>${darTime(p.submittedAt)}</td><td class="num">${age(p.submittedAt, now)}</td></tr>`,
    );
    const body = html`<p><a href="/admin/catalog/brands">Brands</a> · <a href="/admin/catalog/categories">Categories</a></p>
<form method="get" action="/admin/catalog" class="filters">
<label>Status <select name="status">${PRODUCT_QUEUE_STATUSES.map((s) => html`<option value="${s}"${s === status ? html` selected` : ''}>${s}</option>`)}</select></label>
<button type="submit">Show</button></form>
${table(['Product', 'Status', 'From', 'Submitted', 'Waiting'], rows, 'No products.')}
${nextLink('/admin/catalog', { status }, r.next_cursor)}`;
    return reply.type('text/html').send(page('Catalog review', admin, body, flashOf(request)).value);
  });

  app.get('/catalog/products/:id', hide, async (request, reply) => {
    const admin = adminOf(request);
    const { product: p, variants, media } = await products.detail(idParam(request));
    const seller = await deps.identity.governance.getUser(p.sellerId);
    const images = media.map(
      (m) => html`<div class="media card"><img src="/admin/media/${m.mediaId}" alt="Product image">
<p>Image: <strong>${m.status}</strong>${m.rejectionReason ? html` (${m.rejectionReason})` : ''}</p>
${
  m.status === 'pending'
    ? html`<form method="post" action="/admin/catalog/products/${p.id}/media/${m.mediaId}/verify" class="inline">${csrfField(admin.csrf)}<input type="hidden" name="reason" value="image checked"><button type="submit">Verify image</button></form>
<form method="post" action="/admin/catalog/products/${p.id}/media/${m.mediaId}/reject" class="inline">${csrfField(admin.csrf)}${reasonField()}<button type="submit" class="danger">Reject image</button></form>`
    : ''
}</div>`,
    );
    const variantRows = variants.map(
      (v) =>
        html`<tr><td>${v.sellerSku}</td><td class="num">${money(v.price, v.currency)}</td><td class="num">${v.stock}</td><td>${v.active ? 'yes' : 'no'}</td></tr>`,
    );
    const actions = (
      [
        ['verify', 'Verify product', p.status === 'pending_review'],
        ['reject', 'Reject product', p.status === 'pending_review'],
        ['suspend', 'Suspend product', p.status === 'verified'],
        ['reinstate', 'Reinstate product', p.status === 'suspended'],
      ] as const
    )
      .filter(([, , shown]) => shown)
      .map(
        ([action, label]) =>
          html`<form method="post" action="/admin/catalog/products/${p.id}/${action}" class="card">${csrfField(admin.csrf)}${reasonField()}<button type="submit"${action === 'reject' || action === 'suspend' ? html` class="danger"` : ''}>${label}</button></form>`,
      );
    const body = html`<table><tbody>
<tr><th>Title</th><td class="product-title">${p.title}</td></tr>
<tr><th>Seller</th><td class="seller-name">${seller.seller?.shopName ?? '—'} (${seller.user.phone})</td></tr>
<tr><th>Status</th><td>${p.status}${p.statusReason ? html` — ${p.statusReason}` : ''}</td></tr>
<tr><th>Description</th><td>${p.description}</td></tr>
</tbody></table>
<h2>Variants</h2>${table(['SKU', 'Price', 'Stock', 'Active'], variantRows)}
<h2>Images</h2>${images.length ? images : html`<p class="empty">No images.</p>`}
<div class="side-by-side">${actions}</div>`;
    return reply.type('text/html').send(page('Product', admin, body, flashOf(request)).value);
  });

  for (const action of ['verify', 'reject', 'suspend', 'reinstate'] as const) {
    app.post(`/catalog/products/:id/${action}`, hide, async (request, reply) => {
      const id = idParam(request);
      await products.act(adminOf(request).userId, id, action, requireReason(request));
      return reply.redirect(
        doneUrl(
          '/admin/catalog',
          action === 'reject' ? 'rejected' : action === 'verify' ? 'verified' : 'saved',
        ),
        303,
      );
    });
  }
  for (const [action, approve] of [
    ['verify', true],
    ['reject', false],
  ] as const) {
    app.post(`/catalog/products/:id/media/:mediaId/${action}`, hide, async (request, reply) => {
      const id = idParam(request);
      await products.reviewMedia(
        adminOf(request).userId,
        id,
        idParam(request, 'mediaId'),
        approve,
        requireReason(request),
      );
      return reply.redirect(
        `${doneUrl(`/admin/catalog/products/${id}`, approve ? 'verified' : 'rejected')}`,
        303,
      );
    });
  }
}
