// Driving the admin console over HTTP in tests: sign in by OTP through its forms, keep the session
// cookie and CSRF token, and build the states its screens work on (a pending KYC, a delivered order).
import type { SQL } from 'drizzle-orm';
import type { LightMyRequestResponse as Response } from 'fastify';
import { expect } from 'vitest';
import type { TestApp } from './app.js';
import { type Actor, nextPhone, upload } from './fixtures.js';

export const CSRF_FIELD = /name="_csrf" value="([0-9a-f]{64})"/;

export interface ConsoleSession {
  cookie: string;
  csrf: string;
  get(url: string): Promise<Response>;
  post(url: string, form: Record<string, string>, opts?: { csrf?: string | null }): Promise<Response>;
}

const cookieOf = (res: { cookies: Array<{ name: string; value: string }> }, name: string) =>
  res.cookies.find((c) => c.name === name)?.value;

export const formBody = (form: Record<string, string>) => new URLSearchParams(form).toString();

/** Sign in through /admin/sign-in like a browser; fails the test unless a console session results. */
export async function consoleSignIn(t: TestApp, phone: string): Promise<ConsoleSession> {
  const res = await consoleSignInAttempt(t, phone);
  expect(res.verify.statusCode, res.verify.body).toBe(303);
  const cookie = cookieOf(res.verify, 'kkoo_console');
  expect(cookie).toBeTruthy();
  return sessionFor(t, cookie!);
}

/** The three steps of a sign-in; returns the last reply whatever it is. */
export async function consoleSignInAttempt(t: TestApp, phone: string) {
  const form = await t.app.inject({ method: 'GET', url: '/admin/sign-in' });
  const pre = cookieOf(form, 'kkoo_console_pre')!;
  const csrf = CSRF_FIELD.exec(form.body)![1]!;
  const headers = { cookie: `kkoo_console_pre=${pre}`, 'content-type': 'application/x-www-form-urlencoded' };
  const sent = await t.app.inject({
    method: 'POST',
    url: '/admin/sign-in',
    headers,
    payload: formBody({ _csrf: csrf, phone }),
  });
  expect(sent.statusCode, sent.body).toBe(200);
  const e164 = t.sms.sent.at(-1)!.to;
  const verify = await t.app.inject({
    method: 'POST',
    url: '/admin/sign-in/verify',
    headers,
    payload: formBody({ _csrf: csrf, phone, code: t.sms.lastCode(e164) }),
  });
  // The next sign-in of the same phone must not trip the resend cooldown.
  t.clock.advanceSeconds(61);
  return { form, sent, verify };
}

/** A session from its cookie; its CSRF token is read from the home page unless given. */
export async function sessionFor(t: TestApp, cookie: string, knownCsrf?: string): Promise<ConsoleSession> {
  const headers = { cookie: `kkoo_console=${cookie}` };
  const csrf =
    knownCsrf ??
    CSRF_FIELD.exec((await t.app.inject({ method: 'GET', url: '/admin', headers })).body)?.[1] ??
    '';
  const s: ConsoleSession = {
    cookie,
    csrf,
    get: async (url) => await t.app.inject({ method: 'GET', url, headers }),
    post: async (url, form, opts = {}) => {
      const token = opts.csrf === undefined ? s.csrf : opts.csrf;
      return await t.app.inject({
        method: 'POST',
        url,
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        payload: formBody(token === null ? form : { ...form, _csrf: token }),
      });
    },
  };
  return s;
}

/** A seller whose KYC submission waits in the queue. */
export async function pendingKycSeller(t: TestApp, shop: string) {
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
  return { seller: me, submissionId: sub.json().id as string, documentId: doc };
}

/** A paid order of one unit of `skuId` (payment confirmed as the provider's callback would). */
export async function paidOrder(t: TestApp, skuId: string) {
  const api = (method: 'GET' | 'POST', url: string, auth: object, payload?: object, headers: object = {}) =>
    t.app.inject({ method, url, headers: { ...auth, ...headers }, ...(payload ? { payload } : {}) });
  const buyer = await t.login(nextPhone());
  expect(
    (await api('POST', '/api/v1/cart/items', buyer.auth, { sku_id: skuId, quantity: 1 })).statusCode,
  ).toBe(200);
  const addr = await api('POST', '/api/v1/me/addresses', buyer.auth, {
    label: 'Home',
    ward: 'Mikocheni',
    landmark: 'Blue gate',
    location: { lat: -6.76, lng: 39.24 },
  });
  const preview = (await api('GET', '/api/v1/cart', buyer.auth)).json();
  const co = await api(
    'POST',
    '/api/v1/orders/checkout',
    buyer.auth,
    { address_id: addr.json().id, payer_phone: '0754 123 456', preview_token: preview.preview_token },
    { 'idempotency-key': `k-${nextPhone()}` },
  );
  expect(co.statusCode, co.body).toBe(201);
  await t.app.services.orders.service.confirmPayment(co.json().checkout_id, `REF${Date.now()}`);
  const orderId = co.json().orders[0].id as string;
  return { buyer, orderId, api };
}

/** A paid order of one unit of `skuId`, carried by the seller and delivered with the buyer's code. */
export async function deliveredOrder(t: TestApp, seller: Actor, skuId: string) {
  const { buyer, orderId, api } = await paidOrder(t, skuId);
  for (const step of ['accept', 'ready', 'pick-up'])
    expect((await api('POST', `/api/v1/seller/orders/${orderId}/${step}`, seller.auth, {})).statusCode).toBe(
      200,
    );
  const code = (await api('GET', `/api/v1/orders/${orderId}`, buyer.auth)).json().delivery_code;
  const del = await api('POST', `/api/v1/seller/orders/${orderId}/deliver`, seller.auth, {
    code,
    location: { lat: -6.77, lng: 39.27 },
  });
  expect(del.statusCode, del.body).toBe(200);
  return { buyer, orderId };
}

/** The buyer disputes a delivered order with one photo and a statement. */
export async function disputeOf(t: TestApp, buyer: Actor, orderId: string, description: string) {
  const photo = await upload(t, buyer.auth, 'dispute_evidence');
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/orders/${orderId}/disputes`,
    headers: buyer.auth,
    payload: { reason: 'damaged', description, evidence_media_ids: [photo] },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

/** A product with one image, submitted for review (not yet decided). */
export async function submittedProduct(
  t: TestApp,
  seller: Actor,
  categoryId: string,
  title: string,
  price = 20_000_00,
) {
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/seller/products',
    headers: seller.auth,
    payload: {
      title,
      description: 'Cotton, 6 yards',
      category_id: categoryId,
      brand_id: null,
      specs: { material: 'cotton' },
      variants: [
        { seller_sku: `C-${nextPhone().slice(-6)}`, price, stock: 20, attributes: { colour: 'blue' } },
      ],
    },
  });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json().id as string;
  const image = await upload(t, seller.auth, 'product_image');
  const attach = await t.app.inject({
    method: 'POST',
    url: `/api/v1/seller/products/${id}/media`,
    headers: seller.auth,
    payload: { media_id: image },
  });
  expect(attach.statusCode, attach.body).toBe(201);
  const submit = await t.app.inject({
    method: 'POST',
    url: `/api/v1/seller/products/${id}/submit`,
    headers: seller.auth,
  });
  expect(submit.statusCode, submit.body).toBe(200);
  return { id, image, skuIds: (submit.json().variants as Array<{ id: string }>).map((v) => v.id) };
}

/** The rows of a raw query (the driver's result type is not narrowed for raw SQL). */
export async function rowsOf<T = Record<string, unknown>>(t: TestApp, q: SQL): Promise<T[]> {
  return ((await t.handle.db.execute(q)) as unknown as { rows: T[] }).rows;
}
