import type { Language } from './schema.js';

// A mobile-money provider's reason is long English prose ("The balance is insufficient for the
// transaction.") that was cut short inside a Swahili SMS. A `reason` placeholder is written as one
// short phrase in the reader's language instead; an unknown reason gets a general one. Every phrase
// is plain GSM-7 (the catalogue test renders each one in every template that uses it).

export type ReasonKey =
  | 'insufficient'
  | 'cancelled'
  | 'unreachable'
  | 'timeout'
  | 'invalid_number'
  | 'refused';

export const REASON_PHRASES: Record<ReasonKey, Record<Language, string>> = {
  insufficient: { en: 'insufficient balance', sw: 'salio halitoshi' },
  cancelled: { en: 'cancelled on the phone', sw: 'ilisitishwa kwenye simu' },
  unreachable: { en: 'phone not reachable', sw: 'simu haipatikani' },
  timeout: { en: 'no answer in time', sw: 'hakuna jibu kwa wakati' },
  invalid_number: { en: 'number not registered', sw: 'namba haijasajiliwa' },
  refused: { en: 'refused by the provider', sw: 'imekataliwa na mtoa huduma' },
};

/** Daraja's (and the simulator's) descriptions and our own fallbacks, matched loosely, first match wins. */
const RULES: Array<[RegExp, ReasonKey]> = [
  [/insufficient|balance/i, 'insufficient'],
  [/cancel/i, 'cancelled'],
  [/cannot be reached|unreachable|not reachable/i, 'unreachable'],
  [/time(d)? ?out/i, 'timeout'],
  [/msisdn|not registered|invalid (phone|number|party)/i, 'invalid_number'],
];

export function reasonKeyOf(raw: string): ReasonKey {
  return RULES.find(([re]) => re.test(raw))?.[1] ?? 'refused';
}

export function reasonPhrase(raw: string, language: Language): string {
  return REASON_PHRASES[reasonKeyOf(raw)][language];
}
