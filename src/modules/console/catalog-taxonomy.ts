// Catalog: brands (verify/reject proposals, add, rename) and categories (add, rename). Every write
// goes through the catalog's taxonomy service, the same commands as the admin API, which writes the
// change and its audit row (with the admin's reason) in one transaction.
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../shared/errors.js';
import { doneUrl, flashOf, idParam, optionalId, requireReason, requireText } from './forms.js';
import { adminOf } from './guard.js';
import { html } from './html.js';
import { csrfField, page, reasonField, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';

/** The API's limit on brand and category names (catalog/routes.ts). */
const NAME_MAX = 80;

export function catalogTaxonomyRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  const { taxonomy } = deps.catalog;
  const hide = { schema: { hide: true } };

  app.get('/catalog/brands', hide, async (request, reply) => {
    const admin = adminOf(request);
    const brands = await taxonomy.listBrands();
    const rows = brands.map(
      (b) =>
        html`<tr><td class="brand-name">${b.name}</td><td>${b.status}</td><td><a href="/admin/catalog/brands/${b.id}/edit">Rename</a> ${
          b.status === 'unverified'
            ? html`<form method="post" action="/admin/catalog/brands/${b.id}/verify" class="inline">${csrfField(admin.csrf)}<input name="reason" placeholder="reason" required minlength="3"><button type="submit">Verify</button></form>
<form method="post" action="/admin/catalog/brands/${b.id}/reject" class="inline">${csrfField(admin.csrf)}<input name="reason" placeholder="reason" required minlength="3"><button type="submit" class="danger">Reject</button></form>`
            : ''
        }</td></tr>`,
    );
    const body = html`<form method="post" action="/admin/catalog/brands" class="card">${csrfField(admin.csrf)}<label>New brand <input name="name" required maxlength="${NAME_MAX}"></label><button type="submit">Add verified brand</button></form>
${table(['Brand', 'Status', ''], rows, 'No brands yet.')}`;
    return reply.type('text/html').send(page('Brands', admin, body, flashOf(request)).value);
  });
  app.post('/catalog/brands', hide, async (request, reply) => {
    await taxonomy.createBrand(adminOf(request).userId, requireText(request, 'name', NAME_MAX));
    return reply.redirect(doneUrl('/admin/catalog/brands', 'created'), 303);
  });
  for (const [action, approve] of [
    ['verify', true],
    ['reject', false],
  ] as const) {
    app.post(`/catalog/brands/:id/${action}`, hide, async (request, reply) => {
      await taxonomy.reviewBrand(adminOf(request).userId, idParam(request), approve, requireReason(request));
      return reply.redirect(doneUrl('/admin/catalog/brands', approve ? 'verified' : 'rejected'), 303);
    });
  }
  app.get('/catalog/brands/:id/edit', hide, async (request, reply) => {
    const admin = adminOf(request);
    const b = await taxonomy.getBrand(idParam(request));
    const body = html`<p><a href="/admin/catalog/brands">← Brands</a> · status: ${b.status}</p>
<form method="post" action="/admin/catalog/brands/${b.id}" class="card">${csrfField(admin.csrf)}
<label>Name <input name="name" value="${b.name}" required maxlength="${NAME_MAX}"></label>
${reasonField()}<button type="submit">Rename brand</button></form>`;
    return reply.type('text/html').send(page('Rename brand', admin, body).value);
  });
  app.post('/catalog/brands/:id', hide, async (request, reply) => {
    const id = idParam(request);
    const name = requireText(request, 'name', NAME_MAX);
    await taxonomy.renameBrand(adminOf(request).userId, id, name, requireReason(request));
    return reply.redirect(doneUrl('/admin/catalog/brands', 'saved'), 303);
  });

  app.get('/catalog/categories', hide, async (request, reply) => {
    const admin = adminOf(request);
    const cats = await taxonomy.listCategories();
    const rows = cats.map(
      (c) =>
        html`<tr><td class="category-name">${c.name}</td><td class="muted">${c.path}</td><td><a href="/admin/catalog/categories/${c.id}/edit">Rename</a></td></tr>`,
    );
    const body = html`<form method="post" action="/admin/catalog/categories" class="card">${csrfField(admin.csrf)}
<label>Name <input name="name" required maxlength="${NAME_MAX}"></label>
<label>Under <select name="parent_id"><option value="">(top level)</option>${cats.map((c) => html`<option value="${c.id}">${c.name} (${c.path})</option>`)}</select></label>
<button type="submit">Add category</button></form>
${table(['Category', 'Path', ''], rows, 'No categories yet.')}`;
    return reply.type('text/html').send(page('Categories', admin, body, flashOf(request)).value);
  });
  app.post('/catalog/categories', hide, async (request, reply) => {
    await taxonomy.createCategory(adminOf(request).userId, {
      name: requireText(request, 'name', NAME_MAX),
      parent_id: optionalId(request, 'parent_id'),
    });
    return reply.redirect(doneUrl('/admin/catalog/categories', 'created'), 303);
  });
  app.get('/catalog/categories/:id/edit', hide, async (request, reply) => {
    const admin = adminOf(request);
    const id = idParam(request);
    const c = (await taxonomy.listCategories()).find((x) => x.id === id);
    if (!c) throw notFound('Category');
    const body = html`<p><a href="/admin/catalog/categories">← Categories</a> · path: <span class="muted">${c.path}</span></p>
<form method="post" action="/admin/catalog/categories/${c.id}" class="card">${csrfField(admin.csrf)}
<label>Name <input name="name" value="${c.name}" required maxlength="${NAME_MAX}"></label>
${reasonField()}<button type="submit">Rename category</button></form>`;
    return reply.type('text/html').send(page('Rename category', admin, body).value);
  });
  app.post('/catalog/categories/:id', hide, async (request, reply) => {
    const id = idParam(request);
    const name = requireText(request, 'name', NAME_MAX);
    await taxonomy.renameCategory(adminOf(request).userId, id, name, requireReason(request));
    return reply.redirect(doneUrl('/admin/catalog/categories', 'saved'), 303);
  });
}
