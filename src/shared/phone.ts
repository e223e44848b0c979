import { getCountryCallingCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** Countries whose mobile numbers we accept: the East African Community, Tanzania first. */
export const ACCEPTED_COUNTRIES = ['TZ', 'KE', 'UG', 'RW', 'BI', 'SS', 'CD', 'SO'] as const;
export type AcceptedCountry = (typeof ACCEPTED_COUNTRIES)[number];

// Tanzanian mobile ranges by operator prefix (Vodacom 74-76/79/72, Airtel 68/69/78/66, Yas 65/67/71/77/70,
// Halotel 61-63, TTCL 73). libphonenumber's metadata lags allocations (it rejects 72), so Tanzania is
// checked by length plus this prefix table rather than by the library's digit patterns.
const TZ_MOBILE_NSN = /^(6[1-35-9]|7\d)\d{7}$/;

export type PhoneResult =
  | { ok: true; e164: string; country: AcceptedCountry }
  | { ok: false; reason: 'NOT_A_NUMBER' | 'COUNTRY_NOT_SUPPORTED' | 'NOT_MOBILE' };

/**
 * Parse user input (`0712 345 678`, `+255712345678`, `255712345678`) into E.164, default region TZ.
 * Only mobile numbers of accepted countries pass: the phone is the identity and the wallet.
 */
export function normalizeMobile(input: string, defaultCountry: AcceptedCountry = 'TZ'): PhoneResult {
  const raw = input.trim();
  if (!/^[+\d][\d\s().-]{6,24}$/.test(raw)) return { ok: false, reason: 'NOT_A_NUMBER' };
  // "2557…" without the plus is how M-Pesa and many users write it: treat a leading country code as such.
  const candidate =
    /^(25[0-9]|243)\d{8,10}$/.test(raw.replace(/\D/g, '')) && !raw.startsWith('0')
      ? `+${raw.replace(/\D/g, '')}`
      : raw;
  const parsed = parsePhoneNumberFromString(candidate, { defaultCountry, extract: false });
  if (!parsed) return { ok: false, reason: 'NOT_A_NUMBER' };
  const country = parsed.country as AcceptedCountry | undefined;
  if (!country || !ACCEPTED_COUNTRIES.includes(country)) {
    const eastAfricanCode = ACCEPTED_COUNTRIES.some(
      (c) => getCountryCallingCode(c) === parsed.countryCallingCode,
    );
    return { ok: false, reason: eastAfricanCode ? 'NOT_A_NUMBER' : 'COUNTRY_NOT_SUPPORTED' };
  }
  if (country === 'TZ') {
    return TZ_MOBILE_NSN.test(parsed.nationalNumber)
      ? { ok: true, e164: parsed.number, country }
      : { ok: false, reason: 'NOT_MOBILE' };
  }
  if (!parsed.isValid()) return { ok: false, reason: 'NOT_A_NUMBER' };
  const type = parsed.getType();
  if (type !== 'MOBILE' && type !== 'FIXED_LINE_OR_MOBILE') return { ok: false, reason: 'NOT_MOBILE' };
  return { ok: true, e164: parsed.number, country };
}

/** Shown in logs instead of the full number: enough to correlate, not enough to identify. */
export function maskPhone(e164: string): string {
  return e164.length > 7 ? `${e164.slice(0, 6)}***${e164.slice(-3)}` : '***';
}
