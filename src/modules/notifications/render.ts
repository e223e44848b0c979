import {
  CATALOGUE,
  placeholdersIn,
  type TemplateDef,
  type TemplateKey,
  whatsappTemplate,
} from './catalogue.js';
import { formatDarTime, formatTzs, nonGsm7Chars } from './format.js';
import { reasonPhrase } from './provider-reasons.js';
import type { Language } from './schema.js';

export type PlaceholderValue = string | number | Date;

/** Free text from people (shop names, reasons) is cut to this many characters, so two SMS segments always do. */
export const MAX_TEXT_VALUE = 40;

const LOOKALIKES: Record<string, string> = {
  '\u2018': "'",
  '\u2019': "'",
  '\u201C': '"',
  '\u201D': '"',
  '\u2013': '-',
  '\u2014': '-',
  '\u2026': '...',
  '\u00A0': ' ',
};

/**
 * Text a person typed, made safe for GSM-7: curly quotes and dashes become plain ones, anything else
 * outside the alphabet (emoji, other scripts) becomes `?`. One emoji would double the SMS cost.
 */
export function gsm7Safe(value: string): string {
  const plain = [...value].map((c) => LOOKALIKES[c] ?? c).join('');
  const bad = new Set(nonGsm7Chars(plain));
  const cleaned = [...plain].map((c) => (bad.has(c) ? '?' : c)).join('');
  const cut = [...cleaned.replace(/\s+/g, ' ').trim()];
  return cut.length > MAX_TEXT_VALUE ? `${cut.slice(0, MAX_TEXT_VALUE - 3).join('')}...` : cut.join('');
}

function formatValue(kind: string, value: PlaceholderValue, name: string, language: Language): string {
  switch (kind) {
    case 'reason':
      return reasonPhrase(String(value), language);
    case 'money':
      if (typeof value !== 'number') throw new TypeError(`${name}: an amount in minor units is expected`);
      return formatTzs(value);
    case 'time': {
      const at = value instanceof Date ? value : new Date(value);
      if (Number.isNaN(at.getTime())) throw new TypeError(`${name}: a time is expected`);
      return formatDarTime(at);
    }
    case 'number':
      return String(value);
    default:
      return gsm7Safe(String(value));
  }
}

export interface Rendered {
  title: string;
  body: string;
  /** the WhatsApp template's parameters, formatted, in the template's order */
  params: string[];
}

/** Fills a catalogue template; a missing value is a programming error, never a blank in a message. */
export function render(
  key: TemplateKey,
  language: Language,
  values: Record<string, PlaceholderValue>,
): Rendered {
  const def = CATALOGUE[key] as TemplateDef;
  const formatted: Record<string, string> = {};
  for (const [name, kind] of Object.entries(def.placeholders)) {
    const v = values[name];
    if (v === undefined || v === null) throw new TypeError(`${key}: no value for {${name}}`);
    formatted[name] = formatValue(kind, v, name, language);
  }
  const text = def[language];
  const fill = (s: string) =>
    placeholdersIn(s).reduce((out, name) => out.replace(`{${name}}`, formatted[name] ?? ''), s);
  return {
    title: fill(text.title),
    body: fill(text.text),
    params: whatsappTemplate(key).params.map((p) => formatted[p]!),
  };
}
