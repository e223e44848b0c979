import { describe, expect, it } from 'vitest';
import {
  canMove,
  failureRateCrossed,
  fromAtReport,
  maskPhone,
  nextMarketingSlot,
  parseQuietHours,
  sendAfter,
} from './rules.js';

const quiet = parseQuietHours('21-7');
const at = (iso: string) => new Date(iso);

describe('when a message may ring a phone', () => {
  it('holds non-critical messages through quiet hours, across midnight', () => {
    // 22:30 Dar → 07:00 next day; 05:00 Dar → 07:00 the same day; 12:00 → now.
    expect(
      sendAfter(at('2026-11-25T19:30:00Z'), { critical: false, category: 'transactional' }, quiet),
    ).toEqual(at('2026-11-26T04:00:00Z'));
    expect(
      sendAfter(at('2026-11-26T02:00:00Z'), { critical: false, category: 'transactional' }, quiet),
    ).toEqual(at('2026-11-26T04:00:00Z'));
    expect(sendAfter(at('2026-11-26T09:00:00Z'), { critical: false, category: 'loyalty' }, quiet)).toEqual(
      at('2026-11-26T09:00:00Z'),
    );
  });

  it('sends critical messages at once, quiet hours or not', () => {
    const night = at('2026-11-25T20:00:00Z');
    expect(sendAfter(night, { critical: true, category: 'transactional' }, quiet)).toEqual(night);
  });

  it('keeps marketing to 09:00-21:00 Dar on business days', () => {
    expect(nextMarketingSlot(at('2026-11-25T09:00:00Z'))).toEqual(at('2026-11-25T09:00:00Z')); // Wed 12:00
    expect(nextMarketingSlot(at('2026-11-25T18:30:00Z'))).toEqual(at('2026-11-26T06:00:00Z')); // Wed 21:30 → Thu 09:00
    expect(nextMarketingSlot(at('2026-11-27T18:00:00Z'))).toEqual(at('2026-11-30T06:00:00Z')); // Fri 21:00 → Mon
    expect(nextMarketingSlot(at('2026-11-28T03:00:00Z'))).toEqual(at('2026-11-30T06:00:00Z')); // Sat → Mon
    expect(nextMarketingSlot(at('2026-11-30T05:59:00Z'))).toEqual(at('2026-11-30T06:00:00Z')); // Mon 08:59
  });

  it('reads quiet hours, and refuses nonsense', () => {
    expect(parseQuietHours('off')).toBeNull();
    expect(parseQuietHours('22-6')).toEqual({ start: 22, end: 6 });
    expect(() => parseQuietHours('7-7')).toThrow();
    expect(() => parseQuietHours('24-6')).toThrow();
  });
});

describe('statuses only move forward', () => {
  it('never from delivered or read back to sent, and not between failed and delivered', () => {
    expect(canMove('sent', 'delivered')).toBe(true);
    expect(canMove('delivered', 'read')).toBe(true);
    expect(canMove('delivered', 'sent')).toBe(false);
    expect(canMove('read', 'delivered')).toBe(false);
    expect(canMove('delivered', 'failed')).toBe(false);
    expect(canMove('failed', 'delivered')).toBe(false);
    expect(canMove('skipped', 'sent')).toBe(false);
  });

  it("maps Africa's Talking report statuses, unknown ones to nothing", () => {
    expect(fromAtReport('Success')).toBe('delivered');
    expect(fromAtReport('Buffered')).toBe('sent');
    expect(fromAtReport('Rejected')).toBe('failed');
    expect(fromAtReport('Whatever')).toBeNull();
  });

  it('masks phones in admin views', () => {
    expect(maskPhone('+255712345678')).toBe('+2557*****678');
    expect(maskPhone(null)).toBeNull();
  });
});

describe('when a messaging provider counts as failing', () => {
  const rule = { percent: 20, minMessages: 10 };
  it('crosses at the threshold share, not below it, given enough outcomes', () => {
    expect(failureRateCrossed({ failed: 2, total: 10 }, rule)).toBe(2000);
    expect(failureRateCrossed({ failed: 1, total: 10 }, rule)).toBeNull();
    expect(failureRateCrossed({ failed: 199, total: 1000 }, rule)).toBeNull();
    expect(failureRateCrossed({ failed: 1000, total: 1000 }, rule)).toBe(10_000);
    // 1 of 3 is 3,333.33 bp: rounded to whole basis points
    expect(failureRateCrossed({ failed: 1, total: 3 }, { percent: 20, minMessages: 1 })).toBe(3333);
  });
  it('says nothing of too few outcomes, however bad', () => {
    expect(failureRateCrossed({ failed: 9, total: 9 }, rule)).toBeNull();
    expect(failureRateCrossed({ failed: 0, total: 0 }, { percent: 1, minMessages: 1 })).toBeNull();
  });
});
