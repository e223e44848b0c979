import { describe, expect, it } from 'vitest';
import { entityTag, ifNoneMatchHolds } from './http-cache.js';

describe('entity tags', () => {
  it('are strong, quoted, and differ when one byte differs', () => {
    const a = entityTag('{"price":100}');
    expect(a).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    expect(entityTag('{"price":100}')).toBe(a);
    expect(entityTag('{"price":101}')).not.toBe(a);
  });
});

describe('If-None-Match', () => {
  const tag = entityTag('body');
  it.each([
    [undefined, false],
    ['', false],
    [tag, true],
    ['*', true],
    [` "other" , ${tag}`, true],
    [`W/${tag}`, true],
    ['"other"', false],
    [`${tag.slice(0, -2)}"`, false],
  ])('%s → %s', (header, holds) => {
    expect(ifNoneMatchHolds(header, tag)).toBe(holds);
  });
});
