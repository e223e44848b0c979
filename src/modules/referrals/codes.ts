// Referral codes: short, unambiguous, random. Pure apart from the random source.
import { randomInt } from 'node:crypto';
import { CODE_ALPHABET, CODE_LENGTH } from './model.js';

/** A fresh code; uniqueness is the database's job (a unique index, retried on collision). */
export function newReferralCode(random: (max: number) => number = randomInt): string {
  let out = '';
  for (let i = 0; i < CODE_LENGTH; i++) out += CODE_ALPHABET[random(CODE_ALPHABET.length)];
  return out;
}

/**
 * What a person typed, as a stored code would be spelled, or null when it cannot be a code.
 * Spaces and dashes are dropped and case ignored; the look-alikes people type anyway (O for 0, I
 * or L for 1) are not "corrected": the alphabet has neither, so such input is simply not a code.
 */
export function normalizeReferralCode(input: string): string | null {
  const s = input.replace(/[\s-]+/g, '').toUpperCase();
  if (s.length !== CODE_LENGTH) return null;
  for (const ch of s) if (!CODE_ALPHABET.includes(ch)) return null;
  return s;
}

/** The share link: the configured base with the code as its last path segment. */
export function shareLink(baseUrl: string, code: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${code}`;
}
