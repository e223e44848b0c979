// The windows that close, as pure functions over what the use case loaded: no database, no clock.
import { describe, expect, it } from 'vitest';
import { disputeWindowClosed, redeliveryWindowClosed } from './guards.js';

const at = (iso: string) => new Date(iso);
const HOUR_MS = 3_600_000;

describe('redeliveryWindowClosed', () => {
  const failed = at('2026-12-01T10:00:00Z');

  it('is open with no failed attempt on record', () => {
    expect(redeliveryWindowClosed(null, at('2030-01-01T00:00:00Z'), 24)).toBe(false);
  });

  it('is open until the last instant before the window ends', () => {
    expect(redeliveryWindowClosed(failed, new Date(failed.getTime() + 24 * HOUR_MS - 1), 24)).toBe(false);
  });

  it('closes at the very instant the window ends, and stays closed', () => {
    expect(redeliveryWindowClosed(failed, new Date(failed.getTime() + 24 * HOUR_MS), 24)).toBe(true);
    expect(redeliveryWindowClosed(failed, new Date(failed.getTime() + 48 * HOUR_MS), 24)).toBe(true);
  });

  it('counts the window in hours of the setting, not a fixed day', () => {
    const now = new Date(failed.getTime() + 3 * HOUR_MS);
    expect(redeliveryWindowClosed(failed, now, 2)).toBe(true);
    expect(redeliveryWindowClosed(failed, now, 4)).toBe(false);
  });
});

describe('disputeWindowClosed', () => {
  const ends = at('2026-12-03T10:00:00Z');
  const delivered = { status: 'delivered' as const, disputeWindowEndsAt: ends };

  it('is open for a delivered order before the window ends', () => {
    expect(disputeWindowClosed(delivered, new Date(ends.getTime() - 1))).toBe(false);
  });

  it('closes at the instant the window ends', () => {
    expect(disputeWindowClosed(delivered, ends)).toBe(true);
    expect(disputeWindowClosed(delivered, new Date(ends.getTime() + HOUR_MS))).toBe(true);
  });

  it('leaves other statuses, and an order without a window, to the machine', () => {
    expect(
      disputeWindowClosed({ status: 'completed', disputeWindowEndsAt: ends }, new Date(ends.getTime() + 1)),
    ).toBe(false);
    expect(disputeWindowClosed({ status: 'delivered', disputeWindowEndsAt: null }, ends)).toBe(false);
  });
});
