import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/clock.js';
import { createPhoneLimiter } from './phone-limiter.js';

describe('per-phone limit', () => {
  it('allows max requests a window per phone, each phone on its own, and starts again next window', () => {
    const clock = new ManualClock();
    const limit = createPhoneLimiter(clock, 3, 60_000);
    expect([1, 2, 3, 4].map(() => limit.allow('+255731000001'))).toEqual([true, true, true, false]);
    expect(limit.allow('+255731000002')).toBe(true);
    clock.advanceSeconds(59);
    expect(limit.allow('+255731000001')).toBe(false);
    clock.advanceSeconds(1);
    expect(limit.allow('+255731000001')).toBe(true);
  });
});
