import { type SQL, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type Actor,
  category,
  nextPhone,
  verifiedProduct,
  verifiedSeller,
} from '../../../test/support/fixtures.js';
import { gsm7Length, isGsm7 } from './gsm7.js';

// Shared setup of the ussd-*.http.test.ts files (not a test file: vitest collects only *.test.ts).
// Each file that calls useUssdApp() gets its own app and database; `t`, `admin`, `seller` and
// `kanga` are live bindings set by its beforeAll.

export const TOKEN = 'UssdTestToken0123456789abcdefABCDEF';
export const URL_OK = `/api/v1/ussd/callback/${TOKEN}`;
export const HERE = { lat: -6.7735, lng: 39.2695 };

export let t: TestApp;
export let admin: Actor;
export let seller: Actor;
export let kanga: { id: string; skuIds: string[] };
export let sessionSeq = 0;
export const newSession = () => `ATUid_test_${Date.now().toString(36)}_${sessionSeq++}`;

/** An app with the USSD callback on, a verified seller and a product, for the calling test file. */
export function useUssdApp(): void {
  beforeAll(async () => {
    t = await createTestApp({
      DISPUTE_WINDOW_HOURS: '48',
      USSD_CALLBACK_TOKEN: TOKEN,
      USSD_REQUESTS_PER_MINUTE: '200',
    });
    admin = await t.loginAdmin('+255754900001');
    seller = await verifiedSeller(t, admin, 'Mama Neema');
    const cat = await category(t, admin, 'USSD');
    kanga = await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'U-KANGA', price: 10_000_00, stock: 500 }],
    });
  });
  afterAll(() => t.close());
}

export const api = (method: 'GET' | 'POST', url: string, auth: Record<string, string>, payload?: object) =>
  t.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });

/** What the fake gateway posts: the whole session's input so far, joined by `*`. */
export async function dial(sessionId: string, phoneNumber: string, text: string, url = URL_OK) {
  const res = await t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      sessionId,
      serviceCode: '*384*123#',
      phoneNumber,
      networkCode: '63902',
      text,
    }).toString(),
  });
  return res;
}

/** The reply, checked as every reply must be: 200, text/plain, CON or END, GSM-7, ≤ 182. */
export async function screen(sessionId: string, phone: string, text: string) {
  const res = await dial(sessionId, phone, text);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  const m = /^(CON|END) ([\s\S]*)$/.exec(res.body);
  expect(m, res.body).not.toBeNull();
  const body = m![2]!;
  expect(isGsm7(body), body).toBe(true);
  expect(gsm7Length(body)!, body).toBeLessThanOrEqual(182);
  return { type: m![1] as 'CON' | 'END', text: body };
}

/** A buyer with one order of `qty` kangas taken all the way to `delivered` by the seller. */
export async function deliveredOrder(buyer?: Actor & { addressId: string }, qty = 1) {
  const b =
    buyer ??
    (await (async () => {
      const me = await t.login(nextPhone());
      const addr = await api('POST', '/api/v1/me/addresses', me.auth, {
        label: 'Home',
        ward: 'Mikocheni',
        landmark: 'Blue gate',
        location: { lat: -6.76, lng: 39.24 },
      });
      return { ...me, addressId: addr.json().id as string };
    })());
  expect(
    (await api('POST', '/api/v1/cart/items', b.auth, { sku_id: kanga.skuIds[0], quantity: qty })).statusCode,
  ).toBe(200);
  const preview = (await api('GET', '/api/v1/cart', b.auth)).json();
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/orders/checkout',
    headers: { ...b.auth, 'idempotency-key': `ussd-${Math.random().toString(36).slice(2)}` },
    payload: { address_id: b.addressId, payer_phone: '0754 123 456', preview_token: preview.preview_token },
  });
  expect(res.statusCode, res.body).toBe(201);
  await t.app.services.orders.service.confirmPayment(res.json().checkout_id, `MPESA-${Math.random()}`);
  const id = res.json().orders[0].id as string;
  for (const step of ['accept', 'ready', 'pick-up'])
    expect((await api('POST', `/api/v1/seller/orders/${id}/${step}`, seller.auth)).statusCode).toBe(200);
  const code = (await api('GET', `/api/v1/orders/${id}`, b.auth)).json().delivery_code as string;
  const done = await api('POST', `/api/v1/seller/orders/${id}/deliver`, seller.auth, {
    code,
    location: HERE,
  });
  expect(done.json().status).toBe('delivered');
  return { buyer: b, id };
}

/** Rows of a raw query (the typed client does not type `execute`). */
export const rowsOf = async (q: SQL) =>
  ((await t.handle.db.execute(q)) as unknown as { rows: Array<Record<string, unknown>> }).rows;

export const phoneOf = async (userId: string) =>
  (await t.app.services.identity.profiles.loadUser(userId)).phone;

/** Everything an order left behind, with ids, times and the people replaced by their part. */
export async function recordsOf(orderId: string) {
  const [o] = (await rowsOf(sql`select * from orders where id = ${orderId}`)) as Array<
    Record<string, unknown>
  >;
  const names = new Map<string, string>([
    [orderId, 'ORDER'],
    [String(o!.buyer_id), 'BUYER'],
    [String(o!.seller_id), 'SELLER'],
    [String(o!.checkout_id), 'CHECKOUT'],
  ]);
  const anon = (v: unknown): unknown => {
    if (typeof v === 'string') {
      let s = v;
      for (const [id, name] of names) s = s.replaceAll(id, name);
      return s;
    }
    if (Array.isArray(v)) return v.map(anon);
    if (v && typeof v === 'object' && !(v instanceof Date))
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, anon(x)]));
    return v;
  };
  const drop = (row: Record<string, unknown>, keys: string[]) =>
    anon(Object.fromEntries(Object.entries(row).filter(([k]) => !keys.includes(k))));
  const TIMES = [
    'created_at',
    'updated_at',
    'paid_at',
    'delivered_at',
    'dispute_window_ends_at',
    'completed_at',
    'accept_by',
    'ready_by',
    'opened_at',
  ];
  const events = await rowsOf(
    sql`select * from order_events where order_id = ${orderId} order by created_at, id`,
  );
  const transfers = await rowsOf(
    sql`select * from ledger_transfers where order_id = ${orderId} order by created_at, id`,
  );
  const audits = await rowsOf(
    sql`select * from audit_events where target_id = ${orderId} order by created_at, id`,
  );
  const disputes = (await rowsOf(sql`select * from disputes where order_id = ${orderId}`)) as Array<
    Record<string, unknown>
  >;
  return {
    order: drop(o!, ['id', 'checkout_id', 'delivery_code', 'handover_code', 'snapshot', ...TIMES]),
    events: events.map((e) => drop(e, ['id', 'latitude', 'longitude', ...TIMES])),
    transfers: transfers.map((x) => drop(x, ['id', 'key', 'pending_id', 'payment_id', ...TIMES])),
    audits: audits.map((a) => drop(a, ['id', ...TIMES])),
    disputes: disputes.map((d) => drop(d, ['id', ...TIMES])),
  };
}
