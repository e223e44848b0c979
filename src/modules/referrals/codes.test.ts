import { describe, expect, it } from 'vitest';
import { newReferralCode, normalizeReferralCode, shareLink } from './codes.js';
import { CODE_ALPHABET, CODE_LENGTH } from './model.js';

describe('referral codes', () => {
  it('the alphabet has no look-alikes', () => {
    for (const ch of '0O1IL') expect(CODE_ALPHABET).not.toContain(ch);
    expect(new Set(CODE_ALPHABET).size).toBe(CODE_ALPHABET.length);
  });
  it('fixed length, only the alphabet, and random', () => {
    const codes = new Set(Array.from({ length: 500 }, () => newReferralCode()));
    for (const c of codes) expect(c).toMatch(new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`));
    expect(codes.size).toBeGreaterThan(495);
  });
  it('typed input is normalised; anything else is not a code', () => {
    expect(normalizeReferralCode(' abc-d ef2 ')).toBe('ABCDEF2');
    expect(normalizeReferralCode('ABCDEF')).toBeNull(); // too short
    expect(normalizeReferralCode('ABCDEF23')).toBeNull(); // too long
    expect(normalizeReferralCode('ABCDEF0')).toBeNull(); // 0 is never issued
    expect(normalizeReferralCode('ABCDEFO')).toBeNull();
    expect(normalizeReferralCode('ABCDEF1')).toBeNull();
    expect(normalizeReferralCode('ABCDEFÉ')).toBeNull();
  });
  it('the link is the base with the code as its last segment', () => {
    expect(shareLink('https://kkoo.co.tz/r/', 'ABCDEF2')).toBe('https://kkoo.co.tz/r/ABCDEF2');
  });
});
