import { BUYER_TEMPLATES } from './catalogue/buyer.js';
import { OPERATIONS_TEMPLATES } from './catalogue/operations.js';
import { RIDER_TEMPLATES } from './catalogue/rider.js';
import { SELLER_TEMPLATES } from './catalogue/seller.js';
import type { TemplateDef, TemplateText } from './catalogue/types.js';
import type { Language } from './schema.js';

// Every message K'KOO sends to a person, in one place: key, audience, category, the placeholders it
// takes and its text per language. The text is the SMS, the in-app body and the WhatsApp free-text
// body alike (one wording per language, so every channel says the same thing); WhatsApp outside the
// 24-hour window uses the Meta-approved template `whatsapp.name` with `whatsapp.params` in order.
// SMS text stays in GSM-7 and within two segments (catalogue.test.ts checks both languages).

// The entries live in catalogue/ by audience (buyer, seller and payee, rider, operations and
// marketing); their shape is catalogue/types.ts.

export type { Audience, PlaceholderKind, TemplateDef, TemplateText } from './catalogue/types.js';

export const CATALOGUE = {
  ...BUYER_TEMPLATES,
  ...SELLER_TEMPLATES,
  ...RIDER_TEMPLATES,
  ...OPERATIONS_TEMPLATES,
} satisfies Record<string, TemplateDef>;

export type TemplateKey = keyof typeof CATALOGUE;
export const TEMPLATE_KEYS = Object.keys(CATALOGUE) as TemplateKey[];

/** The approved WhatsApp template: one name per key (the language picks the translation), params in order. */
export function whatsappTemplate(key: TemplateKey): { name: string; params: string[] } {
  return { name: `kkoo_${key.replace(/\./g, '_')}`, params: Object.keys(CATALOGUE[key].placeholders) };
}

export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]!);
}

export function templateText(key: TemplateKey, language: Language): TemplateText {
  return (CATALOGUE[key] as TemplateDef)[language];
}
