import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { type Actor, category, verifiedProduct, verifiedSeller } from '../../../test/support/fixtures.js';

// Public catalog replies are revalidated by a digest of their bytes: every change a buyer would see
// must change the tag on the very next request, or a browser/CDN keeps showing the old page.

let t: TestApp;
let admin: Actor;
let cat: string;
beforeAll(async () => {
  t = await createTestApp();
  admin = await t.loginAdmin('+255754610001');
  cat = await category(t, admin, 'Cached goods');
});
afterAll(() => t.close());

const get = (url: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url, headers });

async function tagOf(url: string): Promise<string> {
  const res = await get(url);
  expect(res.statusCode, res.body).toBe(200);
  const tag = res.headers.etag;
  expect(tag).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
  return String(tag);
}

describe('public catalog reads are cacheable and revalidated', () => {
  it('carry a strong ETag and a short public max-age, and answer 304 with no body when the tag holds', async () => {
    const seller = await verifiedSeller(t, admin, 'Duka la cache');
    await verifiedProduct(t, admin, seller, { categoryId: cat, title: 'Cached kanga' });
    for (const url of [`/api/v1/products?category=${cat}`, '/api/v1/categories', '/api/v1/brands']) {
      const first = await get(url);
      expect(first.statusCode).toBe(200);
      expect(first.headers['cache-control']).toBe('public, max-age=15');
      const again = await get(url, { 'if-none-match': String(first.headers.etag) });
      expect(again.statusCode, url).toBe(304);
      expect(again.body).toBe('');
      expect(again.headers.etag).toBe(first.headers.etag);
      const stale = await get(url, { 'if-none-match': '"not-the-tag"' });
      expect(stale.statusCode).toBe(200);
      expect(stale.json()).toEqual(first.json());
    }
  });

  it('a signed-in caller gets the tag but a private cache directive', async () => {
    const res = await get('/api/v1/categories', admin.auth);
    expect(res.headers['cache-control']).toBe('private, no-cache');
    expect(res.headers.etag).toBeDefined();
  });

  it('a stock change that moves the stock state changes the product’s tag at once', async () => {
    const seller = await verifiedSeller(t, admin, 'Duka la stock');
    const p = await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'CACHE-STOCK', price: 9_000_00, stock: 10 }],
    });
    const detailUrl = `/api/v1/products/${p.id}`;
    const before = await tagOf(detailUrl);
    const listBefore = await tagOf(`/api/v1/products?seller=${seller.userId}`);
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/seller/products/${p.id}/variants/${p.skuIds[0]}`,
      headers: seller.auth,
      payload: { stock: 0 },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const after = await get(detailUrl, { 'if-none-match': before });
    expect(after.statusCode).toBe(200);
    expect(after.json().variants[0].stock_state).toBe('out');
    expect(after.headers.etag).not.toBe(before);
    // The listing shows no stock counts, so its tag may hold; it must still answer correctly.
    const list = await get(`/api/v1/products?seller=${seller.userId}`, { 'if-none-match': listBefore });
    expect([200, 304]).toContain(list.statusCode);
  });

  it('a price change changes the tag of the product and of the listing', async () => {
    const seller = await verifiedSeller(t, admin, 'Duka la bei');
    const p = await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'CACHE-PRICE', price: 9_000_00, stock: 10 }],
    });
    const listUrl = `/api/v1/products?seller=${seller.userId}`;
    const listBefore = await tagOf(listUrl);
    const detailBefore = await tagOf(`/api/v1/products/${p.id}`);
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/seller/products/${p.id}/variants/${p.skuIds[0]}`,
      headers: seller.auth,
      payload: { price: 8_500_00 },
    });
    const list = await get(listUrl, { 'if-none-match': listBefore });
    expect(list.statusCode).toBe(200);
    expect(list.json().items[0].price_from).toBe(8_500_00);
    expect((await get(`/api/v1/products/${p.id}`, { 'if-none-match': detailBefore })).statusCode).toBe(200);
  });

  it("a seller's ban hides the product from a cached listing on the next request", async () => {
    const seller = await verifiedSeller(t, admin, 'Duka la marufuku');
    const p = await verifiedProduct(t, admin, seller, { categoryId: cat, title: 'Soon hidden' });
    const listUrl = `/api/v1/products?category=${cat}`;
    const before = await get(listUrl);
    expect(before.json().items.map((i: { id: string }) => i.id)).toContain(p.id);
    const detailTag = await tagOf(`/api/v1/products/${p.id}`);

    const ban = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/users/${seller.userId}/ban`,
      headers: admin.auth,
      payload: { reason: 'counterfeit goods' },
    });
    expect(ban.statusCode, ban.body).toBe(200);

    const after = await get(listUrl, { 'if-none-match': String(before.headers.etag) });
    expect(after.statusCode).toBe(200);
    expect(after.json().items.map((i: { id: string }) => i.id)).not.toContain(p.id);
    expect((await get(`/api/v1/products/${p.id}`, { 'if-none-match': detailTag })).statusCode).toBe(404);
  });

  it('a new category changes the category tree tag', async () => {
    const before = await tagOf('/api/v1/categories');
    await category(t, admin, 'Brand new shelf');
    expect((await get('/api/v1/categories', { 'if-none-match': before })).statusCode).toBe(200);
  });

  it('errors are never cached or tagged', async () => {
    const res = await get('/api/v1/products?limit=abc');
    expect(res.statusCode).toBe(400);
    expect(res.headers.etag).toBeUndefined();
  });
});
