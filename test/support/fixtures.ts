import { expect } from 'vitest';
import { DAR_DEMO_ZONES, demoFeeTable } from '../../src/demo-zones.js';
import { multipartBody, PNG_1x1, type TestApp } from './app.js';

type Auth = { authorization: string };
export interface Actor {
  token: string;
  userId: string;
  auth: Auth;
}

let seq = 0;
/** A fresh phone number in a range no other fixture uses. */
export const nextPhone = () => `+25573${String(1_000_000 + seq++).slice(-7)}`;

export async function upload(t: TestApp, auth: Auth, purpose: string): Promise<string> {
  const body = multipartBody('file', 'img.png', 'image/png', PNG_1x1);
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/media?purpose=${purpose}`,
    headers: { ...auth, ...body.headers },
    payload: body.payload,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

/** A seller who went through the whole KYC path and was approved by `admin`. */
export async function verifiedSeller(t: TestApp, admin: Actor, shop = 'Duka'): Promise<Actor> {
  const me = await t.login(nextPhone());
  const profile = await t.app.inject({
    method: 'POST',
    url: '/api/v1/me/seller-profile',
    headers: me.auth,
    payload: {
      shop_name: shop,
      business_type: 'informal',
      ward: 'Kariakoo',
      landmark: 'Msimbazi St',
      payout_phone: '0754 000 999',
      payout_wallet: 'mpesa',
    },
  });
  expect(profile.statusCode, profile.body).toBe(201);
  const doc = await upload(t, me.auth, 'kyc_document');
  const sub = await t.app.inject({
    method: 'POST',
    url: '/api/v1/me/kyc',
    headers: me.auth,
    payload: { id_type: 'nida', id_number: '19900101123456789012', document_media_ids: [doc] },
  });
  expect(sub.statusCode, sub.body).toBe(201);
  const ok = await t.app.inject({
    method: 'POST',
    url: `/api/v1/admin/kyc/${sub.json().id}/approve`,
    headers: admin.auth,
    payload: {},
  });
  expect(ok.statusCode, ok.body).toBe(200);
  return me;
}

export async function category(t: TestApp, admin: Actor, name: string, parentId?: string): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/admin/categories',
    headers: admin.auth,
    payload: { name, parent_id: parentId ?? null },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

export async function brand(t: TestApp, admin: Actor, name: string): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/admin/brands',
    headers: admin.auth,
    payload: { name },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

export interface ProductSpec {
  title?: string;
  description?: string;
  categoryId: string;
  brandId?: string | null;
  variants?: Array<{
    seller_sku: string;
    price: number;
    stock: number;
    currency?: 'TZS' | 'KES';
    attributes?: Record<string, string>;
  }>;
}

/** A product taken all the way to verified (with one verified image), as a buyer would find it. */
export async function verifiedProduct(t: TestApp, admin: Actor, seller: Actor, spec: ProductSpec) {
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/seller/products',
    headers: seller.auth,
    payload: {
      title: spec.title ?? 'Kitenge wax print',
      description: spec.description ?? '6 yards, cotton, made in Tanzania',
      category_id: spec.categoryId,
      brand_id: spec.brandId ?? null,
      specs: { material: 'cotton' },
      variants: (spec.variants ?? [{ seller_sku: `SKU-${seq++}`, price: 25_000_00, stock: 10 }]).map((v) => ({
        attributes: { colour: 'blue' },
        ...v,
      })),
    },
  });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json().id as string;
  const image = await upload(t, seller.auth, 'product_image');
  expect(
    (
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/seller/products/${id}/media`,
        headers: seller.auth,
        payload: { media_id: image },
      })
    ).statusCode,
  ).toBe(201);
  expect(
    (
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/seller/products/${id}/submit`,
        headers: seller.auth,
      })
    ).statusCode,
  ).toBe(200);
  expect(
    (
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/admin/products/${id}/media/${image}/verify`,
        headers: admin.auth,
        payload: {},
      })
    ).statusCode,
  ).toBe(200);
  const verified = await t.app.inject({
    method: 'POST',
    url: `/api/v1/admin/products/${id}/verify`,
    headers: admin.auth,
    payload: {},
  });
  expect(verified.statusCode, verified.body).toBe(200);
  return { id, image, skuIds: (verified.json().variants as Array<{ id: string }>).map((v) => v.id) };
}

/** The demo zones of Dar es Salaam and their whole fee table, drawn through the admin API: zone ids by name. */
export async function demoZones(t: TestApp, admin: Actor): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const z of DAR_DEMO_ZONES) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/zones',
      headers: admin.auth,
      payload: { name: z.name, polygon: z.polygon, reason: 'launch' },
    });
    expect(res.statusCode, res.body).toBe(201);
    ids.set(z.name, res.json().id);
  }
  const fees = await t.app.inject({
    method: 'PUT',
    url: '/api/v1/admin/delivery-fees',
    headers: admin.auth,
    payload: { fees: demoFeeTable(ids), reason: 'launch' },
  });
  expect(fees.statusCode, fees.body).toBe(200);
  return ids;
}

/** A verified seller whose pickup point is `location`. */
export async function sellerAt(
  t: TestApp,
  admin: Actor,
  shop: string,
  location: { lat: number; lng: number },
): Promise<Actor> {
  const seller = await verifiedSeller(t, admin, shop);
  const res = await t.app.inject({
    method: 'PATCH',
    url: '/api/v1/me/seller-profile',
    headers: seller.auth,
    payload: { location },
  });
  expect(res.statusCode, res.body).toBe(200);
  return seller;
}

const hoursFromNow = (t: TestApp, h: number) =>
  new Date(t.clock.now().getTime() + h * 3600_000).toISOString();

/**
 * A running promotion made by `admin`: 10 % off everything, started an hour ago, ending in two
 * days, with a budget that does not run out, unless `fields` says otherwise. Its id.
 */
export async function promotion(
  t: TestApp,
  admin: Actor,
  fields: Record<string, unknown> = {},
): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/admin/promotions',
    headers: admin.auth,
    payload: {
      name: 'Test promotion',
      value: { type: 'percentage', percent_bp: 1000 },
      scope: { type: 'all' },
      starts_at: hoursFromNow(t, -1),
      ends_at: hoursFromNow(t, 48),
      priority: 1,
      budget_amount: 1_000_000_00,
      active: true,
      ...fields,
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

/** A running discount code made by `admin`: 10 off, no minimum, started an hour ago, unless `fields` says otherwise. Its id. */
export async function discountCode(
  t: TestApp,
  admin: Actor,
  code: string,
  fields: Record<string, unknown> = {},
) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/admin/discount-codes',
    headers: admin.auth,
    payload: {
      code,
      value: { type: 'fixed', amount: 10_00 },
      min_order_amount: 0,
      starts_at: hoursFromNow(t, -1),
      ends_at: hoursFromNow(t, 48),
      active: true,
      ...fields,
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}
