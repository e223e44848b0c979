import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test/support/app.js';
import { createTestDatabase } from '../test/support/db.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

interface Operation {
  requestBody?: unknown;
  parameters?: Array<{ in: string; name: string }>;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

describe('operations endpoints', () => {
  it('/health says the process is alive', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('/ready says the database answers, and 503 when it does not', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/ready' })).json()).toEqual({ status: 'ready' });
    const down = await createTestApp({}, { handle: await createTestDatabase() });
    await down.handle.close();
    const res = await down.app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('DATABASE_UNAVAILABLE');
    await down.app.close();
  });
});

describe('errors and request ids', () => {
  it('an unknown route is a problem+json 404 with the request id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/nowhere' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({
      code: 'ROUTE_NOT_FOUND',
      status: 404,
      request_id: res.headers['x-request-id'],
    });
  });

  it('keeps a well-formed client request id and replaces a malformed one', async () => {
    const kept = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'mobile-app.7f3a9c21' },
    });
    expect(kept.headers['x-request-id']).toBe('mobile-app.7f3a9c21');
    const replaced = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'bad id with spaces<script>' },
    });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('an unexpected failure is a generic 500 with the request id and no internals', async () => {
    const broken = await createTestApp({}, { handle: await createTestDatabase() });
    await broken.handle.close();
    const res = await broken.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: 'Bearer kks_xxxxxxxxxxxxxxxxxxxx' },
    });
    await broken.app.close();
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({
      code: 'INTERNAL',
      detail: 'Something went wrong on our side.',
      request_id: res.headers['x-request-id'],
    });
    expect(res.body).not.toMatch(/\.ts:\d+|select|sessions|PGlite|ECONN/i);
  });
});

describe('OpenAPI document', () => {
  it('is served at /docs/json, with a browsable page at /docs', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
  });

  it('describes every API route with its request and reply schemas', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, Operation>>;
    };
    const expected: Array<
      [
        string,
        string,
        { body?: boolean; query?: boolean; params?: boolean; multipart?: boolean; public?: boolean },
      ]
    > = [
      ['post', '/api/v1/auth/otp/request', { body: true }],
      ['post', '/api/v1/auth/otp/verify', { body: true }],
      ['post', '/api/v1/auth/logout', {}],
      ['get', '/api/v1/me', {}],
      ['patch', '/api/v1/me', { body: true }],
      ['get', '/api/v1/me/addresses', {}],
      ['post', '/api/v1/me/addresses', { body: true }],
      ['get', '/api/v1/me/addresses/{id}', { params: true }],
      ['patch', '/api/v1/me/addresses/{id}', { params: true, body: true }],
      ['delete', '/api/v1/me/addresses/{id}', { params: true }],
      ['post', '/api/v1/me/seller-profile', { body: true }],
      ['get', '/api/v1/me/seller-profile', {}],
      ['patch', '/api/v1/me/seller-profile', { body: true }],
      ['get', '/api/v1/me/kyc', {}],
      ['post', '/api/v1/me/kyc', { body: true }],
      ['post', '/api/v1/media', { query: true, multipart: true }],
      ['get', '/api/v1/media/{id}', { params: true }],
      ['get', '/api/v1/media/{id}/content', { params: true }],
      ['get', '/api/v1/admin/kyc', { query: true }],
      ['get', '/api/v1/admin/kyc/{id}', { params: true }],
      ['post', '/api/v1/admin/kyc/{id}/approve', { params: true, body: true }],
      ['post', '/api/v1/admin/kyc/{id}/reject', { params: true, body: true }],
      ['get', '/api/v1/admin/users', { query: true }],
      ['get', '/api/v1/admin/users/{id}', { params: true }],
      ['post', '/api/v1/admin/users/{id}/suspend', { params: true, body: true }],
      ['post', '/api/v1/admin/users/{id}/ban', { params: true, body: true }],
      ['post', '/api/v1/admin/users/{id}/reinstate', { params: true, body: true }],
      ['get', '/api/v1/admin/audit-events', { query: true }],
      ['get', '/api/v1/admin/approvals', { query: true }],
      ['post', '/api/v1/admin/approvals/{id}/approve', { params: true }],
      ['post', '/api/v1/admin/approvals/{id}/withdraw', { params: true, body: true }],
      ['get', '/api/v1/products', { query: true }],
      ['get', '/api/v1/products/{id}', { params: true }],
      ['get', '/api/v1/products/{id}/images/{mediaId}', { params: true }],
      ['get', '/api/v1/categories', { public: true }],
      ['get', '/api/v1/brands', { public: true }],
      ['get', '/api/v1/zones', { public: true }],
      ['post', '/api/v1/seller/brands', { body: true }],
      ['post', '/api/v1/seller/products', { body: true }],
      ['get', '/api/v1/seller/products', { query: true }],
      ['get', '/api/v1/seller/products/{id}', { params: true }],
      ['patch', '/api/v1/seller/products/{id}', { params: true, body: true }],
      ['post', '/api/v1/seller/products/{id}/submit', { params: true }],
      ['post', '/api/v1/seller/products/{id}/variants', { params: true, body: true }],
      ['patch', '/api/v1/seller/products/{id}/variants/{variantId}', { params: true, body: true }],
      ['post', '/api/v1/seller/products/{id}/media', { params: true, body: true }],
      ['delete', '/api/v1/seller/products/{id}/media/{mediaId}', { params: true }],
      ['get', '/api/v1/admin/brands', { query: true }],
      ['post', '/api/v1/admin/brands', { body: true }],
      ['post', '/api/v1/admin/brands/{id}/verify', { params: true, body: true }],
      ['post', '/api/v1/admin/brands/{id}/reject', { params: true, body: true }],
      ['patch', '/api/v1/admin/brands/{id}', { params: true, body: true }],
      ['post', '/api/v1/admin/categories', { body: true }],
      ['patch', '/api/v1/admin/categories/{id}', { params: true, body: true }],
      ['get', '/api/v1/admin/products', { query: true }],
      ['get', '/api/v1/admin/products/{id}', { params: true }],
      ['post', '/api/v1/admin/products/{id}/verify', { params: true, body: true }],
      ['post', '/api/v1/admin/products/{id}/reject', { params: true, body: true }],
      ['post', '/api/v1/admin/products/{id}/suspend', { params: true, body: true }],
      ['post', '/api/v1/admin/products/{id}/reinstate', { params: true, body: true }],
      ['post', '/api/v1/admin/products/{id}/media/{mediaId}/verify', { params: true, body: true }],
      ['post', '/api/v1/admin/products/{id}/media/{mediaId}/reject', { params: true, body: true }],
      ['get', '/api/v1/me/loyalty', {}],
      ['get', '/api/v1/cart', {}],
      ['delete', '/api/v1/cart', {}],
      ['post', '/api/v1/cart/items', { body: true }],
      ['patch', '/api/v1/cart/items/{skuId}', { params: true, body: true }],
      ['delete', '/api/v1/cart/items/{skuId}', { params: true }],
      ['put', '/api/v1/cart/code', { body: true }],
      ['delete', '/api/v1/cart/code', {}],
      ['put', '/api/v1/cart/loyalty', { body: true }],
      ['post', '/api/v1/admin/promotions', { body: true }],
      ['get', '/api/v1/admin/promotions', {}],
      ['get', '/api/v1/admin/promotions/{id}', { params: true }],
      ['patch', '/api/v1/admin/promotions/{id}', { params: true, body: true }],
      ['post', '/api/v1/admin/discount-codes', { body: true }],
      ['get', '/api/v1/admin/discount-codes', {}],
      ['get', '/api/v1/admin/discount-codes/{id}', { params: true }],
      ['patch', '/api/v1/admin/discount-codes/{id}', { params: true, body: true }],
      ['post', '/api/v1/admin/loyalty/{id}/adjust', { params: true, body: true }],
      ['post', '/api/v1/orders/checkout', { body: true }],
      ['get', '/api/v1/orders', { query: true }],
      ['get', '/api/v1/orders/{id}', { params: true }],
      ['post', '/api/v1/orders/{id}/cancel', { params: true }],
      ['post', '/api/v1/orders/{id}/confirm-receipt', { params: true }],
      ['post', '/api/v1/orders/{id}/disputes', { params: true, body: true }],
      ['post', '/api/v1/disputes/{id}/evidence', { params: true, body: true }],
      ['get', '/api/v1/seller/orders', { query: true }],
      ['get', '/api/v1/seller/orders/{id}', { params: true }],
      ['post', '/api/v1/seller/orders/{id}/accept', { params: true }],
      ['post', '/api/v1/seller/orders/{id}/reject', { params: true, body: true }],
      ['post', '/api/v1/seller/orders/{id}/ready', { params: true }],
      ['post', '/api/v1/seller/orders/{id}/pick-up', { params: true }],
      ['post', '/api/v1/seller/orders/{id}/fail-delivery', { params: true, body: true }],
      ['post', '/api/v1/seller/orders/{id}/retry-delivery', { params: true }],
      ['post', '/api/v1/seller/orders/{id}/return-received', { params: true }],
      ['post', '/api/v1/seller/orders/{id}/deliver', { params: true, body: true }],
      ['get', '/api/v1/seller/balance', {}],
      ['get', '/api/v1/admin/orders/{id}', { params: true }],
      ['post', '/api/v1/admin/orders/{id}/cancel', { params: true, body: true }],
      ['post', '/api/v1/admin/orders/{id}/refund-undeliverable', { params: true, body: true }],
      ['post', '/api/v1/admin/orders/{id}/return-received', { params: true, body: true }],
      ['get', '/api/v1/admin/disputes', { query: true }],
      ['post', '/api/v1/admin/disputes/{id}/resolve', { params: true, body: true }],
      ['get', '/api/v1/admin/ledger/transfers', { query: true }],
      ['get', '/api/v1/admin/ledger/reconcile', {}],
      ['post', '/api/v1/payments/checkouts/{id}/collections', { params: true, body: true }],
      ['get', '/api/v1/payments/checkouts/{id}', { params: true }],
      ['get', '/api/v1/payments/refunds', {}],
      ['get', '/api/v1/seller/payouts', {}],
      ['post', '/api/v1/payments/callbacks/{provider}/{kind}/{token}', { params: true }],
      ['get', '/api/v1/admin/payments/collections', { query: true }],
      ['get', '/api/v1/admin/payments/disbursements', { query: true }],
      ['post', '/api/v1/admin/payments/payouts', { body: true }],
      ['post', '/api/v1/admin/payments/refunds/{id}/retry', { params: true, body: true }],
      ['post', '/api/v1/admin/payments/payouts/{id}/resolve', { params: true, body: true }],
      ['post', '/api/v1/admin/payments/rider-payouts', { body: true }],
      ['post', '/api/v1/admin/zones', { body: true }],
      ['get', '/api/v1/admin/zones', {}],
      ['get', '/api/v1/admin/zones/{id}', { params: true }],
      ['patch', '/api/v1/admin/zones/{id}', { params: true, body: true }],
      ['put', '/api/v1/admin/delivery-fees', { body: true }],
      ['get', '/api/v1/admin/delivery-fees', {}],
      ['put', '/api/v1/admin/service-hours', { body: true }],
      ['get', '/api/v1/admin/service-hours', {}],
      ['get', '/api/v1/admin/logistics/on-time', { query: true }],
      ['get', '/api/v1/admin/dispatch', {}],
      ['get', '/api/v1/admin/riders', { query: true }],
      ['post', '/api/v1/admin/dispatch/{orderId}/assign', { params: true, body: true }],
      ['post', '/api/v1/admin/riders/{id}/reject', { params: true, body: true }],
      ['post', '/api/v1/admin/riders/{id}/verify', { params: true }],
      ['get', '/api/v1/rider/jobs', {}],
      ['get', '/api/v1/rider/earnings', {}],
      ['get', '/api/v1/rider/offers', {}],
      ['get', '/api/v1/rider/profile', {}],
      ['post', '/api/v1/rider/profile', { body: true }],
      ['post', '/api/v1/rider/online', {}],
      ['post', '/api/v1/rider/offline', {}],
      ['post', '/api/v1/rider/pings', { body: true }],
      ['post', '/api/v1/rider/offers/{id}/accept', { params: true }],
      ['post', '/api/v1/rider/offers/{id}/decline', { params: true }],
      ['post', '/api/v1/rider/jobs/{orderId}/pick-up', { params: true, body: true }],
      ['post', '/api/v1/rider/jobs/{orderId}/deliver', { params: true, body: true }],
      ['post', '/api/v1/rider/jobs/{orderId}/fail', { params: true, body: true }],
      ['post', '/api/v1/rider/jobs/{orderId}/retry', { params: true }],
      ['post', '/api/v1/rider/jobs/{orderId}/return', { params: true, body: true }],
      ['post', '/api/v1/rider/jobs/{orderId}/returned', { params: true, body: true }],
      ['get', '/api/v1/admin/payments/callbacks', { query: true }],
      ['get', '/api/v1/admin/payments/provider-calls', { query: true }],
      ['post', '/api/v1/ussd/callback/{token}', { params: true }],
      ['get', '/api/v1/me/notifications', { query: true }],
      ['post', '/api/v1/me/notifications/{id}/read', { params: true }],
      ['post', '/api/v1/me/notifications/read-all', {}],
      ['get', '/api/v1/me/notification-preferences', {}],
      ['put', '/api/v1/me/notification-preferences', { body: true }],
      ['post', '/api/v1/notifications/callbacks/africastalking/delivery/{token}', { params: true }],
      ['get', '/api/v1/notifications/callbacks/whatsapp', { query: true }],
      ['post', '/api/v1/notifications/callbacks/whatsapp', {}],
      ['get', '/api/v1/admin/notifications', { query: true }],
      ['get', '/api/v1/admin/notifications/report', { query: true }],
      ['get', '/api/v1/admin/analytics/summary', { query: true }],
      ['get', '/api/v1/admin/analytics/unit-economics', { query: true }],
      ['get', '/api/v1/admin/analytics/cohorts', { query: true }],
      ['get', '/api/v1/admin/analytics/top', { query: true }],
      ['get', '/api/v1/admin/analytics/orders', { query: true }],
      ['get', '/api/v1/admin/analytics/reconciliation', { query: true }],
      ['get', '/api/v1/recommendations', { query: true }],
      ['post', '/api/v1/recommendations/views', { body: true }],
      ['get', '/api/v1/me/referral-code', {}],
      ['get', '/api/v1/me/referrals', { query: true }],
      ['post', '/api/v1/me/referral', { body: true }],
      ['get', '/api/v1/admin/referrals/campaign', {}],
      ['put', '/api/v1/admin/referrals/campaign', { body: true }],
      ['get', '/api/v1/admin/referrals', { query: true }],
      ['post', '/api/v1/admin/referrals/{id}/approve', { params: true, body: true }],
      ['post', '/api/v1/admin/referrals/{id}/reject', { params: true, body: true }],
      ['post', '/api/v1/admin/referrals/{id}/claw-back', { params: true, body: true }],
      ['get', '/api/v1/admin/referrals/report', {}],
    ];
    for (const [method, path, want] of expected) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      const success = Object.entries(op!.responses).find(([code]) => code.startsWith('2'));
      expect(success, `${method} ${path} success reply`).toBeDefined();
      const [code, reply] = success!;
      // USSD answers the gateway in text/plain (`CON …`/`END …`), as Africa's Talking requires.
      if (path.startsWith('/api/v1/ussd/'))
        expect(reply.content?.['text/plain']?.schema, `${method} ${path} reply schema`).toBeDefined();
      else if (code !== '204' && !path.endsWith('/content') && !path.endsWith('{mediaId}'))
        expect(reply.content?.['application/json']?.schema, `${method} ${path} reply schema`).toBeDefined();
      const problem = Object.entries(op!.responses).find(([c]) => c.startsWith('4'));
      // A public read with no input has no client error to document.
      if (!want.public) expect(problem, `${method} ${path} documents its errors`).toBeDefined();
      if (want.body) expect(op!.requestBody, `${method} ${path} body`).toBeDefined();
      if (want.multipart)
        expect(Object.keys((op!.requestBody as { content: object }).content)).toEqual([
          'multipart/form-data',
        ]);
      if (want.params)
        expect(
          op!.parameters?.some((p) => p.in === 'path'),
          `${method} ${path} params`,
        ).toBe(true);
      if (want.query)
        expect(
          op!.parameters?.some((p) => p.in === 'query'),
          `${method} ${path} query`,
        ).toBe(true);
    }
    const apiPaths = Object.entries(doc.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`))
      .filter((k) => k.includes('/api/v1/'));
    expect(apiPaths.sort()).toEqual(expected.map(([m, p]) => `${m} ${p}`).sort());
  });
});
