import { describe, expect, it } from 'vitest';
import {
  giveBack,
  preferredSlice,
  reslice,
  type SliceState,
  splitBudget,
  takeFrom,
} from './budget-slices.js';

const slices = (rows: Array<[budget: number, burned: number, uses?: number]>): SliceState[] =>
  rows.map(([budget, burned, uses = 0], slice) => ({ slice, budget, burned, uses }));

describe('budget slices', () => {
  it('a new budget is split evenly and adds up exactly', () => {
    expect(splitBudget(100, 16).reduce((a, b) => a + b, 0)).toBe(100);
    expect(splitBudget(100, 16)).toEqual([7, 7, 7, 7, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6]);
    expect(splitBudget(5, 4)).toEqual([2, 1, 1, 1]);
    expect(splitBudget(3, 4)).toEqual([1, 1, 1, 0]);
  });

  it('a changed budget keeps what each slice spent and shares out the room left', () => {
    const s = slices([
      [50, 50],
      [50, 10],
      [50, 0],
    ]);
    const b = reslice(90, s)!;
    expect(b.reduce((x, y) => x + y, 0)).toBe(90);
    expect(b).toEqual([50 + 10, 10 + 10, 0 + 10]);
    // down to exactly what is spent: no room anywhere
    expect(reslice(60, s)).toEqual([50, 10, 0]);
    // below what is spent: refused
    expect(reslice(59, s)).toBeNull();
  });

  it('an amount is taken from the slices in order, across as many as it needs', () => {
    const s = slices([
      [10, 10],
      [10, 4],
      [10, 0],
    ]);
    expect(takeFrom(s, 5)).toEqual([{ slice: 1, amount: 5 }]);
    expect(takeFrom(s, 6)).toEqual([{ slice: 1, amount: 6 }]);
    expect(takeFrom(s, 7)).toEqual([
      { slice: 1, amount: 6 },
      { slice: 2, amount: 1 },
    ]);
    expect(takeFrom(s, 16)).toEqual([
      { slice: 1, amount: 6 },
      { slice: 2, amount: 10 },
    ]);
    // one more than all the room there is
    expect(takeFrom(s, 17)).toBeNull();
  });

  it('a reversal gives back exactly its amount and uses, never taking a slice below zero', () => {
    const s = slices([
      [10, 3, 1],
      [10, 0, 0],
      [10, 8, 2],
    ]);
    expect(giveBack(s, 5, 2)).toEqual([
      { slice: 0, amount: 3, uses: 1 },
      { slice: 2, amount: 2, uses: 1 },
    ]);
    expect(giveBack(s, 11, 3)).toEqual([
      { slice: 0, amount: 3, uses: 1 },
      { slice: 2, amount: 8, uses: 2 },
    ]);
    expect(() => giveBack(s, 12, 0)).toThrow(/less than the reversal/);
    expect(() => giveBack(s, 0, 4)).toThrow(/less than the reversal/);
  });

  it('checkouts start at slices spread by their id', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 64; i++) {
      const id = `0190a1b2-c3d4-7e5f-8a9b-${(i * 7919).toString(16).padStart(12, '0')}`;
      const p = preferredSlice(id, 16);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(16);
      seen.add(p);
    }
    expect(seen.size).toBeGreaterThan(8);
  });
});
