import { describe, expect, it } from 'vitest';
import { collectionShare, parseTariff, tariffFee } from './fees.js';

const bands = [
  { up_to: 1_000_000, fixed: 30_000, bp: 0 },
  { up_to: 10_000_000, fixed: 60_000, bp: 0 },
  { up_to: null, fixed: 0, bp: 150 },
];

describe('payment fees by tariff', () => {
  it('the first band covering the amount applies, inclusive of its limit', () => {
    expect(tariffFee(bands, 1)).toBe(30_000);
    expect(tariffFee(bands, 1_000_000)).toBe(30_000);
    expect(tariffFee(bands, 1_000_001)).toBe(60_000);
    expect(tariffFee(bands, 10_000_001)).toBe(150_001); // ceil(10 000 001 × 1.5 %)
  });

  it('percentages round up; nothing moved costs nothing; a closed last band still applies above it', () => {
    expect(tariffFee([{ up_to: null, fixed: 0, bp: 100 }], 1_001)).toBe(11);
    expect(tariffFee(bands, 0)).toBe(0);
    expect(tariffFee([{ up_to: 100, fixed: 5, bp: 0 }], 1_000)).toBe(5);
    expect(tariffFee([], 1_000)).toBe(0);
  });

  it("shares a checkout's collection fee so the shares add up to the fee exactly", () => {
    const totals = [10_000, 10_000, 10_000];
    const shares = totals.map((_, i) => collectionShare(100, totals, i));
    expect(shares).toEqual([34, 33, 33]);
    expect(shares.reduce((a, b) => a + b)).toBe(100);
    expect(collectionShare(100, [30_000], 0)).toBe(100);
    expect(collectionShare(100, [1, 3], 1)).toBe(75);
    expect(collectionShare(100, [1, 3], 5)).toBe(0);
    expect(collectionShare(0, [1, 3], 0)).toBe(0);
  });

  it('reads a tariff from configuration and refuses a malformed one', () => {
    expect(parseTariff('[{"up_to":null,"fixed":0,"bp":100}]')).toEqual([{ up_to: null, fixed: 0, bp: 100 }]);
    expect(() => parseTariff('[]')).toThrow(/non-empty/);
    expect(() => parseTariff('{"bp":1}')).toThrow(/non-empty/);
    expect(() => parseTariff('[{"up_to":null,"fixed":0.5,"bp":1}]')).toThrow(/integers/);
    expect(() => parseTariff('[{"up_to":null,"fixed":0,"bp":10001}]')).toThrow(/0..10000/);
    expect(() => parseTariff('[{"up_to":null,"fixed":0,"bp":1},{"up_to":5,"fixed":0,"bp":1}]')).toThrow(
      /last/,
    );
    expect(() => parseTariff('[{"up_to":9,"fixed":0,"bp":1},{"up_to":5,"fixed":0,"bp":1}]')).toThrow(
      /ascend/,
    );
    expect(() => parseTariff('not json')).toThrow();
  });
});
