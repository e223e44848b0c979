import { createServer } from 'node:net';
import { expect } from 'vitest';
import type { TestApp } from '../../../test/support/app.js';
import { category, nextPhone, verifiedProduct, verifiedSeller } from '../../../test/support/fixtures.js';

// Shared helpers of the providers-*.http.test.ts files (not a test file: vitest collects only
// *.test.ts): a free port, a shop selling in one currency, and a buyer's checkout.

export const TOKEN = 'provtoken0123456789abcdefghijklmnopqrs';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function shopIn(t: TestApp, currency: 'TZS' | 'KES') {
  const admin = await t.loginAdmin(nextPhone());
  const seller = await verifiedSeller(t, admin, `Duka ${currency}`);
  const cat = await category(t, admin, `Providers ${currency}`);
  const product = await verifiedProduct(t, admin, seller, {
    categoryId: cat,
    variants: [{ seller_sku: `PR-${currency}`, price: 1_500_00, stock: 100, currency }],
  });
  return { admin, seller, skuId: product.skuIds[0]! };
}

export async function checkout(t: TestApp, skuId: string, payerPhone: string) {
  const b = await t.login(nextPhone());
  const api = (method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = {}) =>
    t.app.inject({ method, url, headers: { ...b.auth, ...headers }, ...(payload ? { payload } : {}) });
  await api('POST', '/api/v1/cart/items', { sku_id: skuId, quantity: 2 });
  const addr = await api('POST', '/api/v1/me/addresses', {
    label: 'Home',
    ward: 'Mikocheni',
    landmark: 'Gate',
  });
  const preview = (await api('GET', '/api/v1/cart')).json();
  const res = await api(
    'POST',
    '/api/v1/orders/checkout',
    { address_id: addr.json().id, payer_phone: payerPhone, preview_token: preview.preview_token },
    { 'idempotency-key': `prov-${Math.random().toString(36).slice(2)}` },
  );
  expect(res.statusCode, res.body).toBe(201);
  return {
    buyer: b,
    api,
    checkout: res.json() as { checkout_id: string; total: number; orders: Array<{ id: string }> },
  };
}
