import { describe, expect, it } from 'vitest';
import { findIllFormedString, jsonDepth, MAX_JSON_DEPTH } from './input-screen.js';

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('findIllFormedString', () => {
  it('names the first NUL or lone surrogate, in values and in keys, by its dotted path', () => {
    expect(findIllFormedString({ a: 'ok', b: [{ c: 'x\u0000' }] })).toEqual({ field: 'b.0.c', fault: 'nul' });
    expect(findIllFormedString({ specs: { k: 'v\ud83d' } })).toEqual({
      field: 'specs.k',
      fault: 'lone_surrogate',
    });
    expect(findIllFormedString({ specs: { 'k\udfff': 'v' } })).toEqual({
      field: 'specs.k\ufffd',
      fault: 'lone_surrogate',
    });
    expect(findIllFormedString({ 'a\u0000b': 1 })).toEqual({ field: 'ab', fault: 'nul' });
    expect(findIllFormedString('\ud800')).toEqual({ field: 'body', fault: 'lone_surrogate' });
    // Depth first, in order: the first offending field is the one reported.
    expect(findIllFormedString({ a: ['fine', 'x\u0000'], b: '\ud800' })?.field).toBe('a.1');
  });

  it('accepts well-formed strings, surrogate pairs included, and non-strings', () => {
    expect(findIllFormedString({ name: 'Duka 😀', n: 1, ok: true, none: null, list: [] })).toBeNull();
    expect(findIllFormedString(undefined)).toBeNull();
  });

  it('is linear: a value 30,000 levels deep is walked in a few milliseconds, without overflowing the stack', () => {
    const deep = JSON.parse(nested(30_000)) as unknown;
    let leaf = deep as unknown[];
    for (let i = 0; i < 29_999; i++) leaf = leaf[0] as unknown[];
    leaf.push('bad\ud800');
    const started = performance.now();
    const found = findIllFormedString(deep);
    const ms = performance.now() - started;
    expect(found?.fault).toBe('lone_surrogate');
    expect(found?.field.split('.')).toHaveLength(30_000);
    // The old walk copied the path at every level: ~10 s at depth 20,000, ~40 s at 30,000. This
    // takes a few ms; the bound leaves room for a loaded machine and still fails the old walk.
    expect(ms).toBeLessThan(2000);
  });
});

describe('jsonDepth', () => {
  it('counts nesting of arrays and objects, not brackets inside strings or escaped quotes', () => {
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('{"a":[1,{"b":[]}]}')).toBe(4);
    expect(jsonDepth('{"a":"[[[[{{{{"}')).toBe(1);
    expect(jsonDepth('{"a":"\\"[[[[","b":[]}')).toBe(2);
    expect(jsonDepth('["\\\\",[]]')).toBe(2);
  });

  it('stops as soon as the limit is passed, and is linear on 64 KB of brackets', () => {
    expect(jsonDepth(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(MAX_JSON_DEPTH);
    expect(jsonDepth(nested(30_000), MAX_JSON_DEPTH)).toBe(MAX_JSON_DEPTH + 1);
    const started = performance.now();
    expect(jsonDepth(nested(32_000))).toBe(32_000);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
