// Black-box: the generated, typed client (openapi-typescript + openapi-fetch) drives a real listening
// server over HTTP on 127.0.0.1. The types come from the OpenAPI document, so a route whose schema
// drifts from what this test sends or reads breaks `tsc`, and the contract check breaks the run.
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { paths } from '../generated/api.js';
import { createTestApp, type TestApp } from './support/app.js';

let t: TestApp;
let api: ReturnType<typeof createClient<paths>>;
beforeAll(async () => {
  t = await createTestApp();
  const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
  api = createClient<paths>({ baseUrl: address });
});
afterAll(() => t.close());

describe('the typed client over real HTTP', () => {
  it('signs in, keeps an address book, and reads problems as problem+json', async () => {
    const phone = '+255754321000';
    const requested = await api.POST('/api/v1/auth/otp/request', { body: { phone } });
    expect(requested.response.status).toBe(202);

    const wrong = await api.POST('/api/v1/auth/otp/verify', { body: { phone, code: 'abc' } });
    expect(wrong.response.status).toBe(400);
    expect(wrong.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(wrong.error?.code).toBe('VALIDATION_FAILED');

    const code = t.sms.lastCode(t.sms.sent.at(-1)!.to);
    const verified = await api.POST('/api/v1/auth/otp/verify', { body: { phone, code } });
    expect(verified.response.status).toBe(200);
    const headers = { authorization: `Bearer ${verified.data!.token}` };

    const me = await api.GET('/api/v1/me', { headers });
    expect(me.data?.user.phone).toBe(phone);

    const created = await api.POST('/api/v1/me/addresses', {
      headers,
      body: {
        label: 'Home',
        district: 'Kinondoni',
        ward: 'Mikocheni',
        street: 'Mwai Kibaki Rd',
        landmark: 'Behind Shoppers Plaza, green gate',
        location: { lat: -6.7603, lng: 39.2436 },
      },
    });
    expect(created.response.status).toBe(201);
    const id = created.data!.id;
    expect(created.data?.is_default).toBe(true);

    const list = await api.GET('/api/v1/me/addresses', { headers });
    expect(list.data?.items.map((a) => a.id)).toEqual([id]);

    // 204: documented without a body, and none comes.
    const deleted = await api.DELETE('/api/v1/me/addresses/{id}', { headers, params: { path: { id } } });
    expect(deleted.response.status).toBe(204);
    expect(await deleted.response.text()).toBe('');

    const gone = await api.GET('/api/v1/me/addresses/{id}', { headers, params: { path: { id } } });
    expect(gone.response.status).toBe(404);
    expect(gone.error?.code).toBe('NOT_FOUND');

    const anonymous = await api.GET('/api/v1/me');
    expect(anonymous.response.status).toBe(401);
    expect(anonymous.error?.status).toBe(401);
  });
});
