// Fuzz: every documented operation, as anonymous and as each role, gets bounded property-based
// requests built from its schema and then broken on purpose (wrong types, huge numbers, lone
// surrogates, NUL, deep nesting). No reply may be a 5xx, every 4xx is problem+json, and a refused
// request writes nothing (the row count of every table is the same before and after it).
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/app.js';
import type { OpenApiDoc } from './support/contract.js';

type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  $ref?: string;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
};

const SEED = 20261204;
/** Requests per operation and caller: the whole file stays well under ~30 s on an idle machine. */
const RUNS = 1;

/** Values that have broken servers before: the fuzzer mixes them into every position. */
const hostile = fc.constantFrom<unknown>(
  '\uD800',
  'a\uDC00b',
  'x\u0000y',
  '',
  ' ',
  'x'.repeat(5000),
  1e308,
  -1e308,
  2 ** 53 + 1,
  -1,
  0.5,
  Number.MAX_SAFE_INTEGER,
  true,
  null,
  [],
  {},
  '00000000-0000-0000-0000-000000000000',
  '9999-99-99T99:99:99Z',
  { __proto__: { admin: true } },
);

/** `[[[…]]]` or `{"a":{"a":…}}` as deep as a body limit allows. */
const deep = fc
  .integer({ min: 50, max: 2000 })
  .map((n) => JSON.parse(`${'{"a":['.repeat(n)}1${']}'.repeat(n)}`) as unknown);

function arbFor(schema: Schema | undefined, doc: OpenApiDoc, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return hostile;
  if (schema.$ref) {
    const name = schema.$ref.split('/').at(-1)!;
    return arbFor(doc.components?.schemas?.[name] as Schema, doc, depth + 1);
  }
  const union = schema.anyOf ?? schema.oneOf ?? schema.allOf;
  if (union?.length) return fc.oneof(...union.map((s) => arbFor(s, doc, depth + 1)));
  if (schema.enum?.length) return fc.oneof(fc.constantFrom(...schema.enum), hostile);
  switch (schema.type) {
    case 'object': {
      const props = Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([k, s]) => [k, arbFor(s, doc, depth + 1)]),
      );
      return fc.oneof(
        { weight: 4, arbitrary: fc.record(props, { requiredKeys: [] }) },
        { weight: 1, arbitrary: hostile },
      );
    }
    case 'array':
      return fc.oneof(fc.array(arbFor(schema.items, doc, depth + 1), { maxLength: 3 }), hostile);
    case 'integer':
    case 'number':
      return fc.oneof(fc.integer(), fc.double(), hostile);
    case 'boolean':
      return fc.oneof(fc.boolean(), hostile);
    case 'string':
      return fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.uuid(),
        fc.string({ unit: 'binary', maxLength: 10 }),
        hostile,
      );
    default:
      return fc.oneof(fc.jsonValue({ maxDepth: 3 }), hostile);
  }
}

/** encodeURIComponent, but a lone surrogate becomes its raw (invalid UTF-8) bytes instead of a throw. */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value
      .split('')
      .map((ch) => {
        const c = ch.charCodeAt(0);
        return c >= 0xd800 && c <= 0xdfff ? '%ED%A0%80' : encodeURIComponent(ch);
      })
      .join('');
  }
}

interface Operation {
  parameters?: Array<{ in: string; name: string; schema?: Schema }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

let t: TestApp;
let doc: OpenApiDoc;
const callers: Record<string, Record<string, string>> = { anonymous: {} };
let tables: string[] = [];

async function rowCounts(): Promise<string> {
  const query = tables
    .map((name) => `select '${name}' as t, count(*)::int as n from "${name}"`)
    .join(' union all ');
  const res = (await t.handle.db.execute(sql.raw(query))) as unknown as { rows?: unknown[] } | unknown[];
  const rows = (Array.isArray(res) ? res : (res.rows ?? [])) as Array<{ t: string; n: number }>;
  return rows.map((r) => `${r.t}=${r.n}`).join(',');
}

beforeAll(async () => {
  t = await createTestApp();
  doc = t.app.swagger() as unknown as OpenApiDoc;
  const res = (await t.handle.db.execute(
    sql`select tablename from pg_tables where schemaname = 'public' order by tablename`,
  )) as unknown as { rows?: unknown[] } | unknown[];
  tables = ((Array.isArray(res) ? res : (res.rows ?? [])) as Array<{ tablename: string }>).map(
    (r) => r.tablename,
  );
  const roles = { buyer: ['buyer'], seller: ['buyer', 'seller'], rider: ['buyer', 'rider'] } as const;
  let n = 0;
  for (const [who, granted] of Object.entries(roles)) {
    const u = await t.login(`+25575490${String(n++).padStart(4, '0')}`);
    // Signed in as a buyer; the other roles through identity's own face.
    for (const role of granted.filter((r) => r !== 'buyer'))
      await t.app.services.identity.governance.grantRole(u.userId, role);
    callers[who] = u.auth;
  }
  callers.admin = (await t.loginAdmin('+255754909999')).auth;
}, 120_000);
afterAll(() => t.close());

describe('fuzz: every operation, every caller', () => {
  it('never answers 5xx, answers every 4xx with problem+json, and writes nothing when it refuses', async () => {
    const failures: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, raw] of Object.entries(ops)) {
        const op = raw as Operation;
        const params = op.parameters ?? [];
        const bodySchema = op.requestBody?.content?.['application/json']?.schema;
        const request = fc.record({
          path: fc.record(
            Object.fromEntries(
              params
                .filter((p) => p.in === 'path')
                .map((p) => [p.name, fc.oneof(fc.uuid(), fc.string({ maxLength: 20 }), fc.constant('%00'))]),
            ),
          ),
          query: fc.record(
            Object.fromEntries(
              params.filter((p) => p.in === 'query').map((p) => [p.name, arbFor(p.schema, doc)]),
            ),
            { requiredKeys: [] },
          ),
          body: bodySchema
            ? fc.oneof({ weight: 3, arbitrary: arbFor(bodySchema, doc) }, deep)
            : fc.constant(undefined),
        });
        for (const [who, headers] of Object.entries(callers)) {
          for (const sample of fc.sample(request, { seed: SEED, numRuns: RUNS })) {
            const url = path.replace(/\{(\w+)\}/g, (_, name: string) =>
              encode(String((sample.path as Record<string, unknown>)[name])),
            );
            const query = Object.entries(sample.query as Record<string, unknown>)
              .map(
                ([k, v]) => `${encode(k)}=${encode(typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))}`,
              )
              .join('&');
            const before = await rowCounts();
            const res = await t.app.inject({
              method: method.toUpperCase() as 'GET',
              url: query ? `${url}?${query}` : url,
              headers:
                sample.body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
              ...(sample.body === undefined ? {} : { payload: JSON.stringify(sample.body) ?? 'null' }),
            });
            const where = `${who} ${method.toUpperCase()} ${url} → ${res.statusCode}`;
            if (res.statusCode >= 500) failures.push(`${where}: ${res.body.slice(0, 200)}`);
            if (res.statusCode >= 400) {
              if (!String(res.headers['content-type']).startsWith('application/problem+json'))
                failures.push(`${where}: not problem+json`);
              const after = await rowCounts();
              if (after !== before) failures.push(`${where}: a refused request wrote rows`);
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);
  }, 180_000);
});
