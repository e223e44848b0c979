import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type Actor,
  category,
  nextPhone,
  verifiedProduct,
  verifiedSeller,
} from '../../../test/support/fixtures.js';

// Shared setup of the payments-*.http.test.ts files (not a test file: vitest collects only *.test.ts).
// Each file that calls usePaymentsApp() gets its own app and database; `t`, `admin`, `seller` and
// `kanga` are live bindings set by its beforeAll.

export const TOKEN = 'cbtoken0123456789abcdefghijklmnopqrstuv';
export let t: TestApp;
export let admin: Actor;
export let seller: Actor;
export let kanga: { id: string; skuIds: string[] };

/** An app with the simulator, a verified seller and a product, for the calling test file; checks the orders reconcile after each test. */
export function usePaymentsApp(): void {
  beforeAll(async () => {
    t = await createTestApp({
      DELIVERY_FEE: '300000',
      CHECKOUT_TTL_MINUTES: '30',
      SIMULATOR_DELAY_MS: '5000',
      PAYMENT_FIRST_QUERY_SECONDS: '60',
      PAYMENT_GIVE_UP_MINUTES: '5',
      PAYMENT_CALLBACK_TOKEN: TOKEN,
      PAYOUT_MINIMUM: '1000000',
      PAYOUT_HOLD_HOURS_AFTER_PHONE_CHANGE: '48',
      PAYMENT_PUSHES_PER_HOUR: '100000',
    });
    admin = await t.loginAdmin('+255754310001');
    seller = await verifiedSeller(t, admin, 'Mama Pesa');
    const cat = await category(t, admin, 'Payments');
    kanga = await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'P-KANGA', price: 10_000_00, stock: 500 }],
    });
  });
  afterAll(() => t.close());

  afterEach(async () => {
    expect(await t.app.services.orders.service.reconcile()).toEqual([]);
  });
}

export const api = (
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  auth: Record<string, string> = {},
  payload?: unknown,
  headers: Record<string, string> = {},
) =>
  t.app.inject({
    method,
    url,
    headers: { ...auth, ...headers },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
export const pay = () => t.app.services.payments.service;
export const jobs = () => t.app.services.jobs;
/** Let time pass and run whatever became due (callbacks, queries, sends). */
export async function elapse(seconds: number) {
  t.clock.advanceSeconds(seconds);
  await jobs().drain();
}
export let keys = 0;
/** Push the simulated customer's answer `seconds` into the future. */
export const slowProvider = (reference: string, seconds: number) =>
  t.handle.db.execute(
    `update payment_simulator_txns set decides_at = '${new Date(t.clock.now().getTime() + seconds * 1000).toISOString()}' where reference = '${reference}'`,
  );

export async function checkoutFor(phone = '0754 123 456', quantity = 1) {
  const b = await t.login(nextPhone());
  await api('POST', '/api/v1/cart/items', b.auth, { sku_id: kanga.skuIds[0], quantity });
  const addr = await api('POST', '/api/v1/me/addresses', b.auth, {
    label: 'Home',
    ward: 'Mikocheni',
    landmark: 'Blue gate',
  });
  const preview = (await api('GET', '/api/v1/cart', b.auth)).json();
  const res = await api(
    'POST',
    '/api/v1/orders/checkout',
    b.auth,
    { address_id: addr.json().id, payer_phone: phone, preview_token: preview.preview_token },
    { 'idempotency-key': `pay-key-${keys++}` },
  );
  expect(res.statusCode, res.body).toBe(201);
  return {
    buyer: b,
    checkout: res.json() as { checkout_id: string; total: number; orders: Array<{ id: string }> },
  };
}

export const startPush = (b: Actor, checkoutId: string, body: object = {}) =>
  api('POST', `/api/v1/payments/checkouts/${checkoutId}/collections`, b.auth, body);
export const paymentOf = async (b: Actor, checkoutId: string) =>
  (await api('GET', `/api/v1/payments/checkouts/${checkoutId}`, b.auth)).json();
export const orderOf = async (b: Actor, id: string) =>
  (await api('GET', `/api/v1/orders/${id}`, b.auth)).json();
export const callbackUrl = (kind = 'collection', token = TOKEN) =>
  `/api/v1/payments/callbacks/simulator/${kind}/${token}`;
