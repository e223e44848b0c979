import type { Category } from '../schema.js';

// The shape of a catalogue entry; the entries themselves are split by audience beside this file.

/** How a placeholder's raw value is written into the text. */
/** `reason`: a provider's reason, written as a short phrase in the reader's language (provider-reasons.ts). */
export type PlaceholderKind = 'text' | 'money' | 'time' | 'number' | 'secret' | 'reason';

export type Audience = 'buyer' | 'seller' | 'rider' | 'payee' | 'admin' | 'subscriber';

export interface TemplateText {
  title: string;
  text: string;
}

export interface TemplateDef {
  audience: Audience;
  category: Category;
  /** critical messages skip quiet hours and fall back to SMS when WhatsApp does not deliver in time */
  critical: boolean;
  placeholders: Record<string, PlaceholderKind>;
  sw: TemplateText;
  en: TemplateText;
}

/** Declares one entry (checked against TemplateDef, keys kept literal by the caller's `satisfies`). */
export const t = (def: TemplateDef) => def;
