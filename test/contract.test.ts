// The contract check itself must be able to fail, and the document must say what the replies do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/app.js';
import { createContractChecker, nullableToJsonSchema, type OpenApiDoc } from './support/contract.js';

const problem = { $ref: '#/components/schemas/Problem' };
const doc: OpenApiDoc = {
  components: {
    schemas: {
      Problem: {
        type: 'object',
        required: ['code'],
        properties: { code: { type: 'string' } },
        additionalProperties: false,
      },
    },
  },
  paths: {
    '/things/{id}': {
      get: {
        responses: {
          '200': {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['id'],
                  properties: {
                    id: { type: 'string' },
                    note: { nullable: true, allOf: [{ type: 'string' }] },
                  },
                },
              },
            },
          },
          '404': { content: { 'application/problem+json': { schema: problem } } },
        },
      },
      delete: { responses: { '204': {} } },
    },
  },
};
const check = createContractChecker(doc);
const reply = (over: Partial<Parameters<typeof check>[0]>) =>
  check({
    method: 'GET',
    route: '/things/:id',
    status: 200,
    contentType: 'application/json; charset=utf-8',
    body: '{"id":"a"}',
    ...over,
  });

describe('the contract check', () => {
  it('passes a reply that keeps the document, null where nullable', () => {
    expect(reply({})).toEqual([]);
    expect(reply({ body: '{"id":"a","note":null}' })).toEqual([]);
    expect(
      reply({ status: 404, contentType: 'application/problem+json', body: '{"code":"NOT_FOUND"}' }),
    ).toEqual([]);
    expect(reply({ method: 'DELETE', status: 204, contentType: undefined, body: '' })).toEqual([]);
  });

  it('refuses an error served as application/json', () => {
    expect(reply({ status: 404, body: '{"code":"NOT_FOUND"}' }).join()).toMatch(
      /not application\/problem\+json/,
    );
  });

  it('refuses an undocumented status, a wrong schema, an extra member and a body on a 200 without one', () => {
    expect(reply({ status: 201 }).join()).toMatch(/status 201 is not documented/);
    expect(reply({ body: '{"id":1}' }).join()).toMatch(/does not match its schema/);
    expect(
      reply({
        status: 404,
        contentType: 'application/problem+json',
        body: '{"code":"X","missing_pairs":[]}',
      }).join(),
    ).toMatch(/additional/);
    expect(reply({ body: 'not json' }).join()).toMatch(/not JSON/);
    expect(reply({ contentType: 'text/plain' }).join()).toMatch(/content type text\/plain/);
  });

  it('refuses a problem on an unknown route that is not problem+json', () => {
    expect(reply({ route: undefined, status: 404, contentType: 'text/html' }).join()).toMatch(
      /problem\+json/,
    );
  });

  it('reads OpenAPI nullable beside a reference as JSON Schema', () => {
    expect(nullableToJsonSchema({ nullable: true, $ref: '#/x' })).toEqual({
      anyOf: [{ $ref: '#/x' }, { type: 'null' }],
    });
  });
});

describe('the served document', () => {
  let t: TestApp;
  let served: OpenApiDoc;
  beforeAll(async () => {
    t = await createTestApp();
    served = t.app.swagger() as unknown as OpenApiDoc;
  });
  afterAll(() => t.close());
  const op = (path: string, method: string) => served.paths[path]![method]!;

  it('documents every error reply as application/problem+json', () => {
    const wrong: string[] = [];
    for (const [path, ops] of Object.entries(served.paths))
      for (const [method, o] of Object.entries(ops))
        for (const [status, r] of Object.entries(o.responses ?? {}))
          if (Number(status) >= 400 && Object.keys(r.content ?? {}).join() !== 'application/problem+json')
            wrong.push(`${method} ${path} ${status}`);
    expect(wrong).toEqual([]);
  });

  it('documents DELETE /me/addresses/{id} → 204 without a body', () => {
    expect(op('/api/v1/me/addresses/{id}', 'delete').responses?.['204']?.content).toBeUndefined();
  });

  it('documents the missing_pairs of PUT /admin/delivery-fees → 422', () => {
    const fees = createContractChecker(served);
    const body = {
      type: 'https://kkoo.africa/problems/fee-table-incomplete',
      title: 'Unprocessable Content',
      status: 422,
      code: 'FEE_TABLE_INCOMPLETE',
      detail: 'The table lacks 1 pair(s).',
      request_id: 'r-00000001',
      missing_pairs: [
        {
          from_zone_id: '00000000-0000-7000-8000-00000000a0e1',
          from_zone: 'Kariakoo',
          to_zone_id: '00000000-0000-7000-8000-00000000a0e1',
          to_zone: 'Kariakoo',
        },
      ],
    };
    const found = fees({
      method: 'PUT',
      route: '/api/v1/admin/delivery-fees',
      status: 422,
      contentType: 'application/problem+json',
      body: JSON.stringify(body),
    });
    expect(found).toEqual([]);
  });
});
