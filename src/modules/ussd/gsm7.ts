// Pure: the GSM 03.38 alphabet a USSD screen must stay inside. Handsets show anything else as
// garbage or force UCS-2, which halves the room on a screen.

/** The basic table: one septet each. */
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** The extension table: an escape septet plus one, so two septets each. */
const EXTENSION = '^{}\\[~]|€\f';

const basic = new Set(BASIC);
const extension = new Set(EXTENSION);

/** True when every character of `text` is in the GSM-7 basic or extension table. */
export function isGsm7(text: string): boolean {
  for (const c of text) if (!basic.has(c) && !extension.has(c)) return false;
  return true;
}

/** Septets `text` takes on the air (extension characters count twice); null when it is not GSM-7. */
export function gsm7Length(text: string): number | null {
  let n = 0;
  for (const c of text) {
    if (basic.has(c)) n += 1;
    else if (extension.has(c)) n += 2;
    else return null;
  }
  return n;
}

/**
 * A free-text value (a product title) made safe for a screen: accents folded to plain letters,
 * anything else outside GSM-7 dropped, runs of spaces collapsed, cut to `max` characters.
 */
export function toGsm7(text: string, max: number): string {
  const folded = text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  const kept = [...folded]
    .map((c) => (c === '\n' || c === '\r' || c === '\t' ? ' ' : c))
    .filter((c) => basic.has(c))
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
  return kept.length <= max ? kept : `${kept.slice(0, Math.max(0, max - 1)).trimEnd()}.`;
}
