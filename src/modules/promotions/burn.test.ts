import { describe, expect, it } from 'vitest';
import { daysToExhaustion } from './burn.js';

const days = (...amounts: number[]) =>
  amounts.map((amount, i) => ({ day: `2026-12-${String(i + 1).padStart(2, '0')}`, amount }));

describe('days to exhaustion', () => {
  it('divides what is left by the average of the last seven days, rounded up', () => {
    // last 7 days burn 7 000 in all: 1 000 a day; 10 500 left → 10.5 → 11 days
    expect(daysToExhaustion(10_500, days(50_000, 0, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000))).toBe(
      11,
    );
    expect(daysToExhaustion(7_000, days(0, 0, 0, 0, 0, 0, 7_000))).toBe(7);
  });
  it('uses the days there are when the promotion is younger than a week', () => {
    expect(daysToExhaustion(3_000, days(2_000, 1_000))).toBe(2);
  });
  it('is 0 when nothing is left and null when nothing was burned lately', () => {
    expect(daysToExhaustion(0, days(1_000))).toBe(0);
    expect(daysToExhaustion(-5, days(1_000))).toBe(0);
    expect(daysToExhaustion(1_000, days(9_000, 0, 0, 0, 0, 0, 0, 0))).toBeNull();
    expect(daysToExhaustion(1_000, [])).toBeNull();
  });
});
