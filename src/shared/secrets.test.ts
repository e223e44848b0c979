import { describe, expect, it } from 'vitest';
import { constantTimeEqual, keyedHash, randomDigits, randomToken } from './secrets.js';

describe('secrets', () => {
  it('makes codes of exactly the asked length, digits only, with every digit in use', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const code = randomDigits(6);
      expect(code).toMatch(/^\d{6}$/);
      for (const ch of code) seen.add(ch);
    }
    expect(seen.size).toBe(10);
  });

  it('makes tokens of at least 32 random bytes that never repeat', () => {
    const a = randomToken();
    expect(Buffer.from(a, 'base64url').length).toBe(32);
    expect(randomToken()).not.toBe(a);
  });

  it('keyed hashes depend on the key and on every part', () => {
    const h = keyedHash('k1', 'a', 'b');
    expect(keyedHash('k2', 'a', 'b')).not.toBe(h);
    expect(keyedHash('k1', 'a', 'c')).not.toBe(h);
    // Parts are delimited, so ("ab","") cannot collide with ("a","b").
    expect(keyedHash('k1', 'ab', '')).not.toBe(h);
  });

  it('compares equal strings as equal and anything else as unequal', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', 'a')).toBe(false);
  });
});
