import { describe, expect, it } from 'vitest';
import { decideOtpIssue, effectiveStatus, normalizeIdNumber } from './rules.js';

const now = new Date('2026-11-25T09:00:00Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000);
const limits = { resendCooldownSeconds: 60, maxPerHour: 5 };

describe('decideOtpIssue', () => {
  it('allows the first code', () => {
    expect(decideOtpIssue([], now, limits)).toEqual({ ok: true });
  });
  it('refuses a second code within 60 s and says when to come back', () => {
    expect(decideOtpIssue([ago(20)], now, limits)).toEqual({
      ok: false,
      code: 'OTP_COOLDOWN',
      retryAfterSeconds: 40,
    });
  });
  it('allows a new code exactly when the cooldown ends', () => {
    expect(decideOtpIssue([ago(60)], now, limits)).toEqual({ ok: true });
  });
  it('refuses the sixth code within an hour until the oldest leaves the window', () => {
    const five = [ago(3000), ago(2400), ago(1800), ago(1200), ago(600)];
    expect(decideOtpIssue(five, now, limits)).toEqual({
      ok: false,
      code: 'OTP_HOURLY_LIMIT',
      retryAfterSeconds: 600,
    });
    expect(decideOtpIssue(five.slice(1), now, limits)).toEqual({ ok: true });
  });
  it('ignores codes older than an hour', () => {
    expect(decideOtpIssue([ago(3601), ago(3700), ago(4000), ago(5000), ago(6000)], now, limits)).toEqual({
      ok: true,
    });
  });
});

describe('effectiveStatus', () => {
  it('keeps an indefinite suspension', () => {
    expect(effectiveStatus({ status: 'suspended', suspendedUntil: null }, now)).toBe('suspended');
  });
  it('keeps a suspension that has not ended', () => {
    expect(effectiveStatus({ status: 'suspended', suspendedUntil: new Date(now.getTime() + 1) }, now)).toBe(
      'suspended',
    );
  });
  it('lifts a suspension whose end has passed', () => {
    expect(effectiveStatus({ status: 'suspended', suspendedUntil: now }, now)).toBe('active');
  });
  it('never lifts a ban by time', () => {
    expect(effectiveStatus({ status: 'banned', suspendedUntil: ago(10) }, now)).toBe('banned');
  });
});

describe('normalizeIdNumber', () => {
  it('accepts a NIDA number as printed and stores its 20 digits', () => {
    expect(normalizeIdNumber('nida', '19900101-12345-67890-12')).toEqual({
      ok: true,
      value: '19900101123456789012',
    });
  });
  it.each(['1990010112345678901', '199001011234567890123', '19900101-12345-6789A-12'])(
    'refuses the NIDA number %s',
    (n) => {
      expect(normalizeIdNumber('nida', n).ok).toBe(false);
    },
  );
  it('upper-cases and compacts passport numbers', () => {
    expect(normalizeIdNumber('passport', ' ab 123456 ')).toEqual({ ok: true, value: 'AB123456' });
  });
  it.each([
    ['passport', 'A1'],
    ['driving_licence', '123'],
    ['voter_id', '!!!!!!'],
  ] as const)('refuses the %s number %s', (type, n) => {
    expect(normalizeIdNumber(type, n).ok).toBe(false);
  });
});
