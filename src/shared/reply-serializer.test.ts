import { isResponseSerializationError } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compileReplySerializer, replySerializerCompiler } from './reply-serializer.js';

/** What fastify-type-provider-zod sends: the Zod-encoded value, stringified. */
const zodReply = (schema: z.ZodType, value: unknown) => JSON.stringify(z.encode(schema, value));

function same(schema: z.ZodType, value: unknown) {
  const expected = zodReply(schema, value);
  expect(compileReplySerializer(schema)(value)).toBe(expected);
  expect(replySerializerCompiler('fast')({ schema, method: 'GET', url: '/x' })(value)).toBe(expected);
  expect(replySerializerCompiler('checked')({ schema, method: 'GET', url: '/x' })(value)).toBe(expected);
}

const variant = z.object({
  id: z.uuid(),
  price: z.number().int(),
  attributes: z.record(z.string(), z.string()),
});
const product = z
  .object({
    id: z.uuid(),
    title: z.string(),
    brand: z.string().nullable(),
    note: z.string().optional(),
    rating: z.number().nullable().optional(),
    status: z.enum(['draft', 'verified']),
    kind: z.literal('product'),
    in_stock: z.boolean(),
    specs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    variants: z.array(variant),
    tags: z.array(z.string().nullable()),
    created_at: z.string(),
  })
  .meta({ id: 'TestProduct' });
const row = {
  // declared in another order than the schema's, with undeclared fields
  created_at: '2026-12-06T03:00:00+03:00',
  secret_cost: 1200,
  tags: ['a', null, 'c "quoted" \u2028 ü'],
  variants: [
    {
      price: 1250000,
      id: '6f1c1c52-4c51-4f4b-8a39-0f1f3d1f5a11',
      attributes: { size: 'M', '1': 'numeric key' },
      sku_cost: 5,
    },
    { id: '6f1c1c52-4c51-4f4b-8a39-0f1f3d1f5a12', price: 1, attributes: {} },
  ],
  specs: { 'RAM\n': '4 GB', cores: 8, dual_sim: true },
  in_stock: false,
  kind: 'product',
  status: 'verified',
  note: undefined,
  brand: null,
  title: 'Simu "Tecno"',
  id: '6f1c1c52-4c51-4f4b-8a39-0f1f3d1f5a10',
  seller_phone: '+255700000001',
};

describe('compiled reply serializer', () => {
  it('leaves coercions to Zod: a coerced string writes a number as a string', () => {
    same(z.object({ n: z.coerce.string(), d: z.coerce.number() }), { n: 5, d: '7' });
  });

  it('writes what Zod + JSON.stringify write: key order, stripped keys, nulls, optionals, records, nested arrays', () => {
    same(product, row);
    const out = JSON.parse(compileReplySerializer(product)(row) as string);
    expect(Object.keys(out)).toEqual([
      'id',
      'title',
      'brand',
      'status',
      'kind',
      'in_stock',
      'specs',
      'variants',
      'tags',
      'created_at',
    ]);
    expect(out).not.toHaveProperty('secret_cost');
    expect(out).not.toHaveProperty('seller_phone');
    expect(out.variants[0]).not.toHaveProperty('sku_cost');
  });

  it('keeps an optional that is present, and a nullable optional that is null', () => {
    same(product, { ...row, note: 'n', rating: null });
    same(product, { ...row, rating: 4.5 });
  });

  it('writes dates as JSON.stringify does (ISO in UTC), top-level arrays and scalars', () => {
    const schema = z.array(z.object({ at: z.date(), maybe: z.date().nullable() }));
    same(schema, [{ at: new Date('2026-12-06T00:00:00.123Z'), maybe: null, extra: 1 }]);
    same(z.string(), 'plain');
    same(z.number(), 0);
    same(z.null(), null);
  });

  it('picks a discriminated union option by its tag and strips keys of the other options', () => {
    const schema = z.object({
      events: z.array(
        z.discriminatedUnion('type', [
          z.object({ type: z.literal('paid'), amount: z.number() }),
          z.object({ type: z.literal('shipped'), rider: z.string().nullable() }),
        ]),
      ),
    });
    same(schema, {
      events: [
        { type: 'shipped', rider: null, amount: 5 },
        { amount: 10, type: 'paid', rider: 'x' },
      ],
    });
  });

  it('writes plain unions of objects, rewriting checks, defaults, loose objects and enum-keyed records as Zod does', () => {
    const schema = z.object({
      either: z.union([z.object({ a: z.string() }), z.object({ b: z.number() })]),
      trimmed: z.string().trim(),
      fallback: z.number().default(3),
      loose: z.looseObject({ keep: z.string() }),
      byDay: z.record(z.enum(['mon', 'tue']), z.number()),
      pair: z.tuple([z.string(), z.number()]),
      lazy: z.lazy(() => z.object({ n: z.number() })),
    });
    same(schema, {
      either: { b: 2, a: 1 },
      trimmed: '  t  ',
      fallback: 1,
      loose: { extra: true, keep: 'k' },
      byDay: { tue: 2, mon: 1 },
      pair: ['p', 1],
      lazy: { n: 1, m: 2 },
    });
  });

  it('serialises recursive schemas', () => {
    interface Node {
      name: string;
      children: Node[];
    }
    const node: z.ZodType<Node> = z.object({
      name: z.string(),
      get children() {
        return z.array(node);
      },
    });
    same(node, { name: 'a', x: 1, children: [{ name: 'b', children: [], y: 2 }] });
  });

  it('never writes a row where the schema wants a scalar: Zod refuses the reply instead', () => {
    const schema = z.object({ name: z.string(), tags: z.array(z.string()) });
    const leaky = { name: { first: 'A', phone: '+255700000001' }, tags: [] };
    expect(compileReplySerializer(schema)(leaky)).toBeUndefined();
    for (const mode of ['fast', 'checked'] as const) {
      let thrown: unknown;
      try {
        replySerializerCompiler(mode)({ schema, method: 'GET', url: '/x' })(leaky);
      } catch (err) {
        thrown = err;
      }
      expect(isResponseSerializationError(thrown)).toBe(true);
    }
    // not an object where one is declared, not an array where one is declared
    expect(compileReplySerializer(schema)('text')).toBeUndefined();
    expect(compileReplySerializer(schema)({ name: 'a', tags: 'not an array' })).toBeUndefined();
  });

  it('outside production, a reply the compiled writer would write differently is an error', () => {
    // A getter that answers differently on each read makes the two paths disagree.
    let reads = 0;
    const value = {
      get n() {
        reads += 1;
        return reads;
      },
    };
    expect(() =>
      replySerializerCompiler('checked')({ schema: z.object({ n: z.number() }), method: 'GET', url: '/x' })(
        value,
      ),
    ).toThrow(/differs from Zod/);
  });
});
