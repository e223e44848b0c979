import { describe, expect, it } from 'vitest';
import { toDarTime } from './time.js';

describe('toDarTime', () => {
  it('shows a UTC instant in East Africa Time with its offset', () => {
    expect(toDarTime(new Date('2026-11-25T21:30:00Z'))).toBe('2026-11-26T00:30:00.000+03:00');
  });
  it('names the same instant it was given', () => {
    const d = new Date('2026-01-01T00:00:00.123Z');
    expect(new Date(toDarTime(d)).getTime()).toBe(d.getTime());
  });
});
