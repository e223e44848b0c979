// The HTTP plumbing under hostile input (issue #13): deeply nested bodies, lone surrogates, a
// long callback token, an unsupported method.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test/support/app.js';
import {
  type Actor,
  category,
  nextPhone,
  verifiedProduct,
  verifiedSeller,
} from '../test/support/fixtures.js';
import { CALLBACK_TOKEN_MAX_LENGTH } from './config.js';
import { DAR_DEMO_ZONES } from './demo-zones.js';
import { auditEvents } from './modules/audit/schema.js';
import { MAX_JSON_DEPTH } from './shared/input-screen.js';

let t: TestApp;
let admin: Actor;
beforeAll(async () => {
  t = await createTestApp();
  admin = await t.loginAdmin('+255754720001');
});
afterAll(() => t.close());

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const postJson = (url: string, payload: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload });

describe('deeply nested JSON bodies', () => {
  it(`nesting beyond ${MAX_JSON_DEPTH} levels is a 400 problem, answered at once even at depth 30,000`, async () => {
    const started = performance.now();
    const res = await postJson('/api/v1/auth/otp/request', nested(30_000));
    const ms = performance.now() - started;
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().code).toBe('JSON_TOO_DEEP');
    // It took 43 s at depth 32,000 (a quadratic walk); this takes ms, the bound allows for load.
    expect(ms).toBeLessThan(3000);
  });

  it(`depth ${MAX_JSON_DEPTH} passes the depth check (and meets validation); brackets inside strings do not count`, async () => {
    const atLimit = await postJson('/api/v1/auth/otp/request', nested(MAX_JSON_DEPTH));
    expect(atLimit.json().code).toBe('VALIDATION_FAILED');
    const over = await postJson('/api/v1/auth/otp/request', nested(MAX_JSON_DEPTH + 1));
    expect(over.json().code).toBe('JSON_TOO_DEEP');
    const inString = await postJson(
      '/api/v1/auth/otp/request',
      JSON.stringify({ phone: `"[{\\${'['.repeat(200)}` }),
    );
    expect(inString.json().code).toBe('VALIDATION_FAILED');
  });

  it('the routes named in the issue answer at once; anonymous callers of protected ones get 401', async () => {
    const deep = nested(32_000);
    const started = performance.now();
    for (const url of ['/api/v1/auth/logout', '/api/v1/me/addresses', '/api/v1/orders/checkout']) {
      const res = await postJson(url, deep);
      expect(res.statusCode, url).toBe(401);
    }
    const callback = await postJson(
      '/api/v1/payments/callbacks/simulator/collection/x'.padEnd(80, 'x'),
      deep,
    );
    expect(callback.statusCode).toBe(400);
    expect(callback.json().code).toBe('JSON_TOO_DEEP');
    const signedIn = await t.login(nextPhone());
    const mine = await postJson('/api/v1/me/addresses', deep, signedIn.auth);
    expect(mine.json().code).toBe('JSON_TOO_DEEP');
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('/health stays responsive while deep bodies arrive', async () => {
    const deep = nested(32_000);
    const started = performance.now();
    let healthMs = 0;
    const attacks = Array.from({ length: 20 }, () => postJson('/api/v1/auth/otp/request', deep));
    const health = t.app.inject({ method: 'GET', url: '/health' }).then((res) => {
      healthMs = performance.now() - started;
      return res;
    });
    const [h, ...rest] = await Promise.all([health, ...attacks]);
    expect(h!.statusCode).toBe(200);
    expect(rest.every((r) => r.statusCode === 400)).toBe(true);
    // Twenty bodies used to block the event loop for 20 × 43 s.
    expect(healthMs).toBeLessThan(10_000);
  });
});

describe('lone UTF-16 surrogates are refused with a 400 naming the field, and nothing is written', () => {
  let seller: Actor;
  let productId: string;
  beforeAll(async () => {
    seller = await verifiedSeller(t, admin, 'Surrogate Shop');
    const cat = await category(t, admin, 'Surrogates');
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/seller/products',
      headers: seller.auth,
      payload: {
        title: 'Kanga',
        description: 'cotton',
        category_id: cat,
        brand_id: null,
        specs: { k: 'v' },
        variants: [{ seller_sku: 'SUR-1', price: 1_000_00, stock: 1, attributes: {} }],
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    productId = created.json().id;
  });

  const audits = async () => (await t.handle.db.select().from(auditEvents)).length;

  it.each([
    ['POST', '/api/v1/seller/brands', 'seller', '{"name":"X\\ud83d"}', 'name'],
    ['POST', '/api/v1/admin/brands', 'admin', '{"name":"X\\udfff"}', 'name'],
    ['POST', '/api/v1/admin/categories', 'admin', '{"name":"X\\ud83d","parent_id":null}', 'name'],
    [
      'POST',
      '/api/v1/admin/zones',
      'admin',
      JSON.stringify({ name: 'Z', polygon: DAR_DEMO_ZONES[0]!.polygon, reason: 'launch' }).replace(
        '"Z"',
        '"Z\\ud83d"',
      ),
      'name',
    ],
  ])('%s %s', async (method, url, who, payload, field) => {
    const before = await audits();
    const res = await t.app.inject({
      method: method as 'POST',
      url,
      headers: { 'content-type': 'application/json', ...(who === 'admin' ? admin.auth : seller.auth) },
      payload,
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'INVALID_CHARACTER', field });
    expect(await audits()).toBe(before);
  });

  it('in the query string of a route that takes no query: a documented 400, signed in or not', async () => {
    // The contract check (test/support/contract.ts) fails this test if the 400 is not documented.
    for (const [url, headers] of [
      ['/health?x=%00', {}],
      ['/api/v1/me?x=%00', seller.auth],
      ['/api/v1/zones?x=a%00b', {}],
    ] as const) {
      const res = await t.app.inject({ method: 'GET', url, headers });
      expect(res.statusCode, `${url} ${res.body}`).toBe(400);
      expect(res.json()).toMatchObject({ code: 'INVALID_CHARACTER', field: 'x' });
    }
  });

  it('PATCH /api/v1/seller/products/{id}: in a spec value and in a spec key', async () => {
    const before = await audits();
    for (const [payload, field] of [
      ['{"specs":{"k":"v\\ud83d"}}', 'specs.k'],
      ['{"specs":{"k\\ud83d":"v"}}', 'specs.k\ufffd'],
    ] as const) {
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/seller/products/${productId}`,
        headers: { 'content-type': 'application/json', ...seller.auth },
        payload,
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ code: 'INVALID_CHARACTER', field });
    }
    const product = await t.app.inject({
      method: 'GET',
      url: `/api/v1/seller/products/${productId}`,
      headers: seller.auth,
    });
    expect(product.json().specs).toEqual({ k: 'v' });
    expect(await audits()).toBe(before);
  });

  it('a well-formed pair (an emoji) is accepted', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/seller/brands',
      headers: { 'content-type': 'application/json', ...seller.auth },
      payload: '{"name":"Duka \\ud83d\\ude00"}',
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().name).toBe('Duka 😀');
  });
});

describe('methods', () => {
  it('an unsupported method on an existing path is a 405 problem with Allow', async () => {
    const trace = await t.app.inject({ method: 'TRACE', url: '/health' });
    expect(trace.statusCode).toBe(405);
    expect(trace.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(trace.headers.allow).toBe('GET, HEAD');
    expect(trace.json().code).toBe('METHOD_NOT_ALLOWED');
    // No operation answers it, so the document says it once, for every path.
    const info = (t.app.swagger() as { info: { description: string } }).info;
    expect(info.description).toMatch(/405 METHOD_NOT_ALLOWED with an Allow header/);
    expect(info.description).toMatch(/414 URI_TOO_LONG/);
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/me/addresses/0190a1b2-0000-7000-8000-000000000001',
    });
    expect(put.statusCode).toBe(405);
    expect(put.headers.allow).toBe('DELETE, GET, HEAD, PATCH');
  });

  it('a URL the router cannot decode is a 400 problem', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/products/%E0%A4%A' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().code).toBe('BAD_URL');
  });

  it('an unknown path is still a 404', async () => {
    const res = await t.app.inject({ method: 'TRACE', url: '/api/v1/nowhere' });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('ROUTE_NOT_FOUND');
  });
});

describe('a payment callback token of the longest length config accepts', () => {
  const TOKEN = 'L0ngT0ken'.repeat(15).slice(0, CALLBACK_TOKEN_MAX_LENGTH);
  let p: TestApp;
  beforeAll(async () => {
    // The first status query comes long after the simulator's callback: only the callback can settle.
    p = await createTestApp({
      PAYMENT_CALLBACK_TOKEN: TOKEN,
      SIMULATOR_DELAY_MS: '5000',
      PAYMENT_FIRST_QUERY_SECONDS: '600',
      PAYMENT_PUSHES_PER_HOUR: '100000',
    });
  });
  afterAll(() => p.close());

  it('is accepted by the router: the simulator calls back and the checkout is paid', async () => {
    expect(TOKEN).toHaveLength(128);
    const padmin = await p.loginAdmin('+255754720002');
    const seller = await verifiedSeller(p, padmin, 'Long Token');
    const cat = await category(p, padmin, 'Long tokens');
    const kanga = await verifiedProduct(p, padmin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'LT-1', price: 10_000_00, stock: 5 }],
    });
    const buyer = await p.login(nextPhone());
    const api = (method: 'GET' | 'POST', url: string, payload?: object, headers: object = {}) =>
      p.app.inject({ method, url, headers: { ...buyer.auth, ...headers }, ...(payload ? { payload } : {}) });
    await api('POST', '/api/v1/cart/items', { sku_id: kanga.skuIds[0], quantity: 1 });
    const addr = await api('POST', '/api/v1/me/addresses', {
      label: 'Home',
      ward: 'Mikocheni',
      landmark: 'Gate',
    });
    const preview = (await api('GET', '/api/v1/cart')).json();
    const checkout = await api(
      'POST',
      '/api/v1/orders/checkout',
      { address_id: addr.json().id, payer_phone: '0754 123 456', preview_token: preview.preview_token },
      { 'idempotency-key': 'long-token-1' },
    );
    expect(checkout.statusCode, checkout.body).toBe(201);
    const id = checkout.json().checkout_id;
    const push = await api('POST', `/api/v1/payments/checkouts/${id}/collections`, {});
    expect(push.statusCode, push.body).toBe(202);
    p.clock.advanceSeconds(5);
    await p.app.services.jobs.drain();
    expect((await api('GET', `/api/v1/payments/checkouts/${id}`)).json().status).toBe('paid');
    const accepted = await p.app.services.payments.service.callbacksList({ verdict: 'accepted' });
    expect(accepted.length).toBe(1);
  });

  it('a path segment longer than that is a 414 problem', async () => {
    const res = await p.app.inject({
      method: 'POST',
      url: `/api/v1/payments/callbacks/simulator/collection/${TOKEN}x`,
      payload: {},
    });
    expect(res.statusCode).toBe(414);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({
      code: 'URI_TOO_LONG',
      status: 414,
      request_id: res.headers['x-request-id'],
    });
  });
});
