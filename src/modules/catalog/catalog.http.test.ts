import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type Actor,
  brand,
  category,
  nextPhone,
  upload,
  verifiedProduct,
  verifiedSeller,
} from '../../../test/support/fixtures.js';

let t: TestApp;
let admin: Actor;
let fashion: string;
let kitenge: string;
let phones: string;
let tecno: string;
beforeAll(async () => {
  t = await createTestApp();
  admin = await t.loginAdmin('+255754600001');
  fashion = await category(t, admin, 'Fashion');
  kitenge = await category(t, admin, 'Kitenge', fashion);
  phones = await category(t, admin, 'Phones');
  tecno = await brand(t, admin, 'Tecno');
});
afterAll(() => t.close());

const get = (url: string, auth?: Record<string, string>) =>
  t.app.inject({ method: 'GET', url, ...(auth ? { headers: auth } : {}) });
const ids = (res: { json(): { items: Array<{ id: string }> } }) => res.json().items.map((i) => i.id);

describe('verification workflow', () => {
  it('a product is invisible to buyers until verified, and then shows only verified images', async () => {
    const seller = await verifiedSeller(t, admin);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/seller/products',
      headers: seller.auth,
      payload: {
        title: 'Tecno Spark 20',
        description: '128 GB, dual SIM',
        category_id: phones,
        brand_id: tecno,
        specs: { storage_gb: 128, dual_sim: true },
        variants: [{ seller_sku: 'SPARK-128', attributes: { colour: 'black' }, price: 320_000_00, stock: 3 }],
      },
    });
    expect(created.statusCode).toBe(201);
    const p = created.json();
    expect(p).toMatchObject({ status: 'draft', variants: [{ seller_sku: 'SPARK-128', price: 320_000_00 }] });
    expect((await get(`/api/v1/products/${p.id}`)).statusCode).toBe(404);

    const img1 = await upload(t, seller.auth, 'product_image');
    const img2 = await upload(t, seller.auth, 'product_image');
    for (const m of [img1, img2])
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/seller/products/${p.id}/media`,
        headers: seller.auth,
        payload: { media_id: m },
      });
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/seller/products/${p.id}/submit`,
          headers: seller.auth,
        })
      ).json().status,
    ).toBe('pending_review');

    const queue = await get('/api/v1/admin/products', admin.auth);
    const queued = queue.json().items.find((x: { id: string }) => x.id === p.id);
    expect(queued.media.map((m: { media_id: string }) => m.media_id)).toEqual([img1, img2]);

    await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/products/${p.id}/media/${img1}/verify`,
      headers: admin.auth,
      payload: {},
    });
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/products/${p.id}/media/${img2}/reject`,
      headers: admin.auth,
      payload: { reason: 'Watermark of another shop' },
    });
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/admin/products/${p.id}/verify`,
          headers: admin.auth,
          payload: {},
        })
      ).json().status,
    ).toBe('verified');

    const detail = await get(`/api/v1/products/${p.id}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toMatchObject({
      title: 'Tecno Spark 20',
      brand: { name: 'Tecno', verified: true },
      variants: [{ price: 320_000_00, stock_state: 'low' }],
    });
    expect(detail.json().image_urls).toEqual([`/api/v1/products/${p.id}/images/${img1}`]);
    expect((await get(`/api/v1/products/${p.id}/images/${img1}`)).statusCode).toBe(200);
    expect((await get(`/api/v1/products/${p.id}/images/${img2}`)).statusCode).toBe(404);
    expect(detail.body).not.toContain('"stock"');
  });

  it('editing content of a verified product sends it back to review; price and stock do not', async () => {
    const seller = await verifiedSeller(t, admin);
    const p = await verifiedProduct(t, admin, seller, { categoryId: kitenge });
    const sku = p.skuIds[0]!;
    const price = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/seller/products/${p.id}/variants/${sku}`,
      headers: seller.auth,
      payload: { price: 19_000_00, stock: 0 },
    });
    expect(price.json().status).toBe('verified');
    expect((await get(`/api/v1/products/${p.id}`)).json().variants[0]).toMatchObject({
      price: 19_000_00,
      stock_state: 'out',
    });

    const retitle = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/seller/products/${p.id}`,
      headers: seller.auth,
      payload: { title: 'Kitenge (new design)' },
    });
    expect(retitle.json().status).toBe('pending_review');
    expect((await get(`/api/v1/products/${p.id}`)).statusCode).toBe(404);

    await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/products/${p.id}/verify`,
      headers: admin.auth,
      payload: {},
    });
    const attrs = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/seller/products/${p.id}/variants/${sku}`,
      headers: seller.auth,
      payload: { attributes: { colour: 'red' } },
    });
    expect(attrs.json().status).toBe('pending_review');
  });

  it('only a KYC-verified, active seller can submit; a product needs a variant', async () => {
    const me = await t.login(nextPhone());
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/seller-profile',
      headers: me.auth,
      payload: {
        shop_name: 'Unverified',
        business_type: 'informal',
        ward: 'W',
        landmark: 'L',
        payout_phone: '0754 000 111',
        payout_wallet: 'mpesa',
      },
    });
    const p = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/seller/products',
        headers: me.auth,
        payload: { title: 'X', description: 'Y', category_id: phones },
      })
    ).json();
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/seller/products/${p.id}/submit`,
      headers: me.auth,
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('SELLER_NOT_VERIFIED');

    const seller = await verifiedSeller(t, admin);
    const empty = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/seller/products',
        headers: seller.auth,
        payload: { title: 'X', description: 'Y', category_id: phones },
      })
    ).json();
    const none = await t.app.inject({
      method: 'POST',
      url: `/api/v1/seller/products/${empty.id}/submit`,
      headers: seller.auth,
    });
    expect(none.statusCode).toBe(422);
    expect(none.json().code).toBe('VARIANT_REQUIRED');
  });

  it('admins verify, reject with a reason, suspend and reinstate; illegal steps are 409', async () => {
    const seller = await verifiedSeller(t, admin);
    const p = await verifiedProduct(t, admin, seller, { categoryId: phones });
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/admin/products/${p.id}/verify`,
          headers: admin.auth,
          payload: {},
        })
      ).json().code,
    ).toBe('INVALID_TRANSITION');
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/admin/products/${p.id}/suspend`,
          headers: admin.auth,
          payload: {},
        })
      ).json().field,
    ).toBe('reason');
    const suspended = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/products/${p.id}/suspend`,
      headers: admin.auth,
      payload: { reason: 'Counterfeit report' },
    });
    expect(suspended.json()).toMatchObject({ status: 'suspended', status_reason: 'Counterfeit report' });
    expect((await get(`/api/v1/products/${p.id}`)).statusCode).toBe(404);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/seller/products/${p.id}/submit`,
          headers: seller.auth,
        })
      ).statusCode,
    ).toBe(409);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/admin/products/${p.id}/reinstate`,
          headers: admin.auth,
          payload: {},
        })
      ).json().status,
    ).toBe('pending_review');
    const rejected = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/products/${p.id}/reject`,
      headers: admin.auth,
      payload: { reason: 'Blurry photos' },
    });
    expect(rejected.json()).toMatchObject({ status: 'rejected', status_reason: 'Blurry photos' });
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/seller/products/${p.id}/submit`,
          headers: seller.auth,
        })
      ).json().status,
    ).toBe('pending_review');
    const trail = await get(
      `/api/v1/admin/audit-events?target_type=product&target_id=${p.id}&limit=100`,
      admin.auth,
    );
    expect(trail.json().items.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining([
        'product.created',
        'product.submitted',
        'product.verified',
        'product.suspended',
        'product.reinstated',
        'product.rejected',
      ]),
    );
  });
});

describe('ownership and roles', () => {
  it("a seller can never read or touch another seller's product", async () => {
    const a = await verifiedSeller(t, admin);
    const b = await verifiedSeller(t, admin);
    const p = await verifiedProduct(t, admin, a, { categoryId: phones });
    const attempts = [
      t.app.inject({ method: 'GET', url: `/api/v1/seller/products/${p.id}`, headers: b.auth }),
      t.app.inject({
        method: 'PATCH',
        url: `/api/v1/seller/products/${p.id}`,
        headers: b.auth,
        payload: { title: 'Mine' },
      }),
      t.app.inject({
        method: 'PATCH',
        url: `/api/v1/seller/products/${p.id}/variants/${p.skuIds[0]}`,
        headers: b.auth,
        payload: { price: 100 },
      }),
      t.app.inject({
        method: 'POST',
        url: `/api/v1/seller/products/${p.id}/variants`,
        headers: b.auth,
        payload: { seller_sku: 'X', attributes: {}, price: 100, stock: 1 },
      }),
      t.app.inject({ method: 'POST', url: `/api/v1/seller/products/${p.id}/submit`, headers: b.auth }),
      t.app.inject({
        method: 'DELETE',
        url: `/api/v1/seller/products/${p.id}/media/${p.image}`,
        headers: b.auth,
      }),
    ];
    for (const res of await Promise.all(attempts)) expect(res.statusCode).toBe(404);
    expect((await get(`/api/v1/products/${p.id}`)).json().variants[0].price).toBe(25_000_00);
    expect(ids(await get('/api/v1/seller/products', b.auth))).not.toContain(p.id);
  });

  it("a seller cannot attach another seller's upload, and buyers and sellers cannot reach admin catalog routes", async () => {
    const a = await verifiedSeller(t, admin);
    const b = await verifiedSeller(t, admin);
    const p = await verifiedProduct(t, admin, a, { categoryId: phones });
    const theirs = await upload(t, b.auth, 'product_image');
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/seller/products/${p.id}/media`,
      headers: a.auth,
      payload: { media_id: theirs },
    });
    expect(res.json().code).toBe('MEDIA_NOT_USABLE');
    const buyer = await t.login(nextPhone());
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/seller/products',
          headers: buyer.auth,
          payload: { title: 'X', description: 'Y', category_id: phones },
        })
      ).json().code,
    ).toBe('FORBIDDEN_ROLE');
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/admin/products/${p.id}/verify`,
          headers: a.auth,
          payload: {},
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/admin/brands',
          headers: buyer.auth,
          payload: { name: 'Fake' },
        })
      ).statusCode,
    ).toBe(403);
  });
});

describe('bad input', () => {
  it.each([
    ['a negative price', { price: -1 }, 'variants.0.price'],
    ['a fractional price', { price: 10.5 }, 'variants.0.price'],
    ['a price with cents (mobile money moves whole shillings)', { price: 1_050 }, 'variants.0.price'],
    ['negative stock', { stock: -3 }, 'variants.0.stock'],
    ['a SKU code with spaces', { seller_sku: 'has space' }, 'variants.0.seller_sku'],
  ])('refuses %s', async (_what, over, field) => {
    const seller = await verifiedSeller(t, admin);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/seller/products',
      headers: seller.auth,
      payload: {
        title: 'X',
        description: 'Y',
        category_id: phones,
        variants: [{ seller_sku: 'OK-1', attributes: {}, price: 100, stock: 1, ...over }],
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe(field);
  });

  it('refuses an unknown category or brand, and a SKU code used twice by one seller', async () => {
    const seller = await verifiedSeller(t, admin);
    const unknown = '01a211ef-3fcc-7542-96e2-9af11744c6a1';
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/seller/products',
          headers: seller.auth,
          payload: { title: 'X', description: 'Y', category_id: unknown },
        })
      ).json(),
    ).toMatchObject({ code: 'CATEGORY_NOT_FOUND', field: 'category_id' });
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/seller/products',
          headers: seller.auth,
          payload: { title: 'X', description: 'Y', category_id: phones, brand_id: unknown },
        })
      ).json(),
    ).toMatchObject({ code: 'BRAND_NOT_USABLE', field: 'brand_id' });
    const p = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/seller/products',
        headers: seller.auth,
        payload: {
          title: 'X',
          description: 'Y',
          category_id: phones,
          variants: [{ seller_sku: 'dup-1', attributes: {}, price: 100, stock: 1 }],
        },
      })
    ).json();
    const dup = await t.app.inject({
      method: 'POST',
      url: `/api/v1/seller/products/${p.id}/variants`,
      headers: seller.auth,
      payload: { seller_sku: 'DUP-1', attributes: {}, price: 100, stock: 1 },
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ code: 'SELLER_SKU_TAKEN', field: 'seller_sku' });
    // Another seller may use the same code.
    const other = await verifiedSeller(t, admin);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/seller/products',
          headers: other.auth,
          payload: {
            title: 'X',
            description: 'Y',
            category_id: phones,
            variants: [{ seller_sku: 'dup-1', attributes: {}, price: 100, stock: 1 }],
          },
        })
      ).statusCode,
    ).toBe(201);
  });

  it('keeps one currency per product, and refuses a listing cursor from another age', async () => {
    const seller = await verifiedSeller(t, admin);
    const p = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/seller/products',
        headers: seller.auth,
        payload: {
          title: 'X',
          description: 'Y',
          category_id: phones,
          variants: [{ seller_sku: 'CUR-1', attributes: {}, price: 100, stock: 1 }],
        },
      })
    ).json();
    const kes = await t.app.inject({
      method: 'POST',
      url: `/api/v1/seller/products/${p.id}/variants`,
      headers: seller.auth,
      payload: { seller_sku: 'CUR-2', attributes: {}, price: 100, stock: 1, currency: 'KES' },
    });
    expect(kes.statusCode).toBe(422);
    expect(kes.json()).toMatchObject({ code: 'CURRENCY_MISMATCH', field: 'currency' });
    const cursor = Buffer.from(
      JSON.stringify(['newest', '99999', '01a211ef-3fcc-7542-96e2-9af11744c6a1']),
    ).toString('base64url');
    expect((await get(`/api/v1/products?cursor=${cursor}`)).json().code).toBe('INVALID_CURSOR');
  });

  it('refuses specs that are not flat, and a price range upside down', async () => {
    const seller = await verifiedSeller(t, admin);
    const nested = await t.app.inject({
      method: 'POST',
      url: '/api/v1/seller/products',
      headers: seller.auth,
      payload: { title: 'X', description: 'Y', category_id: phones, specs: { ram: { gb: 4 } } },
    });
    expect(nested.statusCode).toBe(400);
    expect(nested.json().field).toMatch(/^specs/);
    expect((await get('/api/v1/products?min_price=500&max_price=100')).json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'min_price',
    });
    expect((await get('/api/v1/products?sort=random')).json().field).toBe('sort');
  });
});

describe('brands and categories', () => {
  it('a proposed brand stays unverified until an admin verifies it; names are unique ignoring case', async () => {
    const seller = await verifiedSeller(t, admin);
    const proposed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/seller/brands',
      headers: seller.auth,
      payload: { name: 'Mama Mia Foods' },
    });
    expect(proposed.json().status).toBe('unverified');
    expect(ids(await get('/api/v1/brands'))).not.toContain(proposed.json().id);
    const p = await verifiedProduct(t, admin, seller, { categoryId: phones, brandId: proposed.json().id });
    expect((await get(`/api/v1/products/${p.id}`)).json().brand).toMatchObject({
      name: 'Mama Mia Foods',
      verified: false,
    });
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/brands/${proposed.json().id}/verify`,
      headers: admin.auth,
      payload: {},
    });
    expect(ids(await get('/api/v1/brands'))).toContain(proposed.json().id);
    expect((await get(`/api/v1/products/${p.id}`)).json().brand.verified).toBe(true);
    const dup = await t.app.inject({
      method: 'POST',
      url: '/api/v1/seller/brands',
      headers: seller.auth,
      payload: { name: 'mama mia foods' },
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('BRAND_EXISTS');
  });

  it('categories form a tree; an unknown parent is refused', async () => {
    const list = (await get('/api/v1/categories')).json().items;
    expect(list.find((c: { id: string }) => c.id === kitenge)).toMatchObject({
      parent_id: fashion,
      depth: 1,
    });
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/categories',
      headers: admin.auth,
      payload: { name: 'Orphan', parent_id: '01a211ef-3fcc-7542-96e2-9af11744c6a1' },
    });
    expect(bad.json()).toMatchObject({ code: 'CATEGORY_NOT_FOUND', field: 'parent_id' });
  });
});

describe('listing', () => {
  it('filters by category (with sub-categories), brand, seller, price; searches text; pages stably', async () => {
    const s1 = await verifiedSeller(t, admin, 'Listing One');
    const s2 = await verifiedSeller(t, admin, 'Listing Two');
    const root = await category(t, admin, 'Listing Root');
    const child = await category(t, admin, 'Listing Child', root);
    const brandId = await brand(t, admin, 'Listing Brand');
    const a = await verifiedProduct(t, admin, s1, {
      categoryId: root,
      title: 'Kanga ya Pwani',
      variants: [{ seller_sku: 'L-A', price: 8_000_00, stock: 5 }],
    });
    t.clock.advanceSeconds(1);
    const b = await verifiedProduct(t, admin, s1, {
      categoryId: child,
      brandId,
      title: 'Kikoi beach wrap',
      variants: [{ seller_sku: 'L-B', price: 15_000_00, stock: 5 }],
    });
    t.clock.advanceSeconds(1);
    const c = await verifiedProduct(t, admin, s2, {
      categoryId: child,
      title: 'Maasai shuka blanket',
      description: 'red checked shuka',
      variants: [{ seller_sku: 'L-C', price: 30_000_00, stock: 5 }],
    });

    expect(ids(await get(`/api/v1/products?category=${root}`))).toEqual([c.id, b.id, a.id]);
    expect(ids(await get(`/api/v1/products?category=${child}`))).toEqual([c.id, b.id]);
    expect(ids(await get(`/api/v1/products?brand=${brandId}`))).toEqual([b.id]);
    expect(ids(await get(`/api/v1/products?seller=${s2.userId}`))).toEqual([c.id]);
    expect(ids(await get(`/api/v1/products?category=${root}&min_price=1000000&max_price=2000000`))).toEqual([
      b.id,
    ]);
    expect(ids(await get('/api/v1/products?q=shuka'))).toEqual([c.id]);
    expect(ids(await get('/api/v1/products?q=checked'))).toEqual([c.id]);
    expect(ids(await get(`/api/v1/products?category=${root}&sort=price_asc`))).toEqual([a.id, b.id, c.id]);
    expect(ids(await get(`/api/v1/products?category=${root}&sort=price_desc`))).toEqual([c.id, b.id, a.id]);

    for (const sort of ['newest', 'price_asc', 'price_desc']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await get(
          `/api/v1/products?category=${root}&sort=${sort}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...ids(res));
        cursor = res.json().next_cursor;
      } while (cursor);
      expect(seen.sort()).toEqual([a.id, b.id, c.id].sort());
    }
    const wrongSort = await get(
      `/api/v1/products?sort=price_asc&cursor=${(await get(`/api/v1/products?category=${root}&limit=1`)).json().next_cursor}`,
    );
    expect(wrongSort.json().code).toBe('INVALID_CURSOR');
  });

  it("a suspended seller's products disappear at once, and come back when the suspension ends", async () => {
    const seller = await verifiedSeller(t, admin);
    const p = await verifiedProduct(t, admin, seller, { categoryId: phones });
    const until = new Date(t.clock.now().getTime() + 3600_000).toISOString();
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/users/${seller.userId}/suspend`,
      headers: admin.auth,
      payload: { reason: 'checks', until },
    });
    expect((await get(`/api/v1/products/${p.id}`)).statusCode).toBe(404);
    expect(ids(await get(`/api/v1/products?seller=${seller.userId}`))).toEqual([]);
    t.clock.advanceSeconds(3601);
    expect((await get(`/api/v1/products/${p.id}`)).statusCode).toBe(200);
  });

  it("a banned seller's products disappear at once, and come back on reinstatement", async () => {
    const seller = await verifiedSeller(t, admin);
    const p = await verifiedProduct(t, admin, seller, { categoryId: phones });
    expect((await get(`/api/v1/products/${p.id}`)).statusCode).toBe(200);
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/users/${seller.userId}/ban`,
      headers: admin.auth,
      payload: { reason: 'fraud' },
    });
    expect((await get(`/api/v1/products/${p.id}`)).statusCode).toBe(404);
    expect(ids(await get(`/api/v1/products?seller=${seller.userId}`))).toEqual([]);
    expect((await get(`/api/v1/products/${p.id}/images/${p.image}`)).statusCode).toBe(404);
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/users/${seller.userId}/reinstate`,
      headers: admin.auth,
      payload: { reason: 'appeal' },
    });
    expect((await get(`/api/v1/products/${p.id}`)).statusCode).toBe(200);
  });
});
