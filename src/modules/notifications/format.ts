// Pure formatting for message text: money as TZS with thousands separators, times in Dar es Salaam,
// and the GSM-7 arithmetic that decides what an SMS costs.

const EAT_OFFSET_MS = 3 * 60 * 60 * 1000; // Africa/Dar_es_Salaam is UTC+03:00 all year

/** Integer minor units → `TZS 12,500` (cents shown only when there are any). */
export function formatTzs(minor: number): string {
  if (!Number.isSafeInteger(minor))
    throw new RangeError(`amount must be an integer of minor units: ${minor}`);
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  const whole = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const cents = abs % 100;
  return `TZS ${sign}${whole}${cents ? `.${String(cents).padStart(2, '0')}` : ''}`;
}

/**
 * Basis points as a percentage with one decimal, rounded half up, in integers only (no float
 * formatting): 1,234 bp → `12.3%`, 5 bp → `0.1%`, 10,000 bp → `100.0%`.
 */
export function formatBasisPoints(bp: number): string {
  if (!Number.isSafeInteger(bp) || bp < 0)
    throw new RangeError(`basis points must be a whole number ≥ 0: ${bp}`);
  const tenths = Math.floor((bp + 5) / 10);
  return `${Math.floor(tenths / 10)}.${tenths % 10}%`;
}

/** `14:30 04/12/2026`, the wall clock in Dar es Salaam: what a reader there expects to see. */
export function formatDarTime(at: Date): string {
  const d = new Date(at.getTime() + EAT_OFFSET_MS);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())} ${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

/** The hour (0-23) and ISO weekday (1 = Monday … 7 = Sunday) in Dar es Salaam. */
export function darClock(at: Date): { hour: number; minute: number; weekday: number } {
  const d = new Date(at.getTime() + EAT_OFFSET_MS);
  return { hour: d.getUTCHours(), minute: d.getUTCMinutes(), weekday: ((d.getUTCDay() + 6) % 7) + 1 };
}

/** The instant of `hour`:00 Dar time on the Dar calendar day of `at` plus `addDays`. */
export function darHourOn(at: Date, hour: number, addDays = 0): Date {
  const d = new Date(at.getTime() + EAT_OFFSET_MS);
  return new Date(
    Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + addDays, hour) - EAT_OFFSET_MS,
  );
}

// GSM 03.38 basic set, and the extension set whose characters cost two septets each.
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENDED = '^{}\\[~]|€\f';
const BASIC = new Set(GSM7_BASIC);
const EXTENDED = new Set(GSM7_EXTENDED);

/** Characters outside GSM-7 (an emoji or a curly quote turns the whole SMS into UCS-2 at double cost). */
export function nonGsm7Chars(text: string): string[] {
  return [...new Set([...text].filter((c) => !BASIC.has(c) && !EXTENDED.has(c)))];
}

/** How many SMS segments the text costs: 160/153 septets in GSM-7, 70/67 characters in UCS-2. */
export function smsSegments(text: string): number {
  if (nonGsm7Chars(text).length === 0) {
    const septets = [...text].reduce((n, c) => n + (EXTENDED.has(c) ? 2 : 1), 0);
    return septets <= 160 ? 1 : Math.ceil(septets / 153);
  }
  const units = text.length; // UTF-16 code units
  return units <= 70 ? 1 : Math.ceil(units / 67);
}

/** `TZS 20.0000` (Africa's Talking's cost field) → { minor: 2000, currency: 'TZS' }; null when absent or unreadable. */
export function parseProviderCost(raw: unknown): { minor: number; currency: string } | null {
  if (typeof raw !== 'string') return null;
  const m = /^([A-Z]{3})\s+(\d+)(?:\.(\d+))?$/.exec(raw.trim());
  if (!m) return null;
  const fraction = (m[3] ?? '').padEnd(2, '0');
  // Sub-cent fractions (AT quotes four decimals) are rounded up: a cost report never under-states.
  const cents = Number(fraction.slice(0, 2)) + (/[1-9]/.test(fraction.slice(2)) ? 1 : 0);
  return { minor: Number(m[2]) * 100 + cents, currency: m[1]! };
}
