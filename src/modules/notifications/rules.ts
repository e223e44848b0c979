import { darClock, darHourOn } from './format.js';
import type { Category, Channel, MessageStatus } from './schema.js';

// Pure rules: which channel, whether at all, not before when, and which status changes are allowed.

export interface Preferences {
  language: 'sw' | 'en';
  whatsappOptIn: boolean;
  optedOut: Category[];
  marketingOptIn: boolean;
}

export const DEFAULT_PREFERENCES: Preferences = {
  language: 'sw',
  whatsappOptIn: false,
  optedOut: [],
  marketingOptIn: false,
};

/** Categories a person may switch off. Transactional and operations messages always go out. */
export const OPTIONAL_CATEGORIES: readonly Category[] = ['loyalty', 'marketing'];

/** Whether a message of this category may go to the person's phone at all (the in-app feed aside). */
export function mayReachPhone(category: Category, prefs: Preferences): boolean {
  if (category === 'marketing') return prefs.marketingOptIn && !prefs.optedOut.includes('marketing');
  if (!OPTIONAL_CATEGORIES.includes(category)) return true;
  return !prefs.optedOut.includes(category);
}

/** WhatsApp first for people who opted in to it (when it is switched on), SMS for everyone else. */
export function firstChannel(prefs: Preferences, whatsappOn: boolean): Exclude<Channel, 'in_app'> {
  return whatsappOn && prefs.whatsappOptIn ? 'whatsapp' : 'sms';
}

/** Quiet hours on the Dar es Salaam clock, e.g. 21 → 7 (wrapping past midnight); null = none. */
export interface QuietHours {
  start: number;
  end: number;
}

export function parseQuietHours(raw: string): QuietHours | null {
  if (raw === 'off') return null;
  const m = /^(\d{1,2})-(\d{1,2})$/.exec(raw);
  if (!m) throw new Error(`quiet hours must be "HH-HH" or "off": ${raw}`);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start > 23 || end > 23 || start === end) throw new Error(`quiet hours out of range: ${raw}`);
  return { start, end };
}

function inQuietHours(hour: number, q: QuietHours): boolean {
  return q.start > q.end ? hour >= q.start || hour < q.end : hour >= q.start && hour < q.end;
}

/** Marketing: 09:00–21:00 Africa/Dar_es_Salaam, Monday to Friday (the cautious reading of practice). */
export const MARKETING_WINDOW = { start: 9, end: 21 } as const;

function isBusinessDay(at: Date): boolean {
  return darClock(at).weekday <= 5;
}

/** The first instant at or after `now` inside the marketing window. */
export function nextMarketingSlot(now: Date): Date {
  for (let day = 0; day <= 7; day++) {
    const opens = darHourOn(now, MARKETING_WINDOW.start, day);
    const closes = darHourOn(now, MARKETING_WINDOW.end, day);
    if (!isBusinessDay(opens) || now >= closes) continue;
    return now > opens ? now : opens;
  }
  throw new Error('no marketing slot within a week'); // unreachable: every week has business days
}

/**
 * Not before when a message may go to a phone. Critical messages go now; marketing waits for its
 * window; the rest wait out quiet hours. Delayed, never dropped.
 */
export function sendAfter(
  now: Date,
  msg: { critical: boolean; category: Category },
  quiet: QuietHours | null,
): Date {
  if (msg.category === 'marketing') return nextMarketingSlot(now);
  if (msg.critical || !quiet) return now;
  const { hour } = darClock(now);
  if (!inQuietHours(hour, quiet)) return now;
  // Inside a window that wrapped past midnight and began today, it ends tomorrow.
  const endsTomorrow = quiet.start > quiet.end && hour >= quiet.start;
  return darHourOn(now, quiet.end, endsTomorrow ? 1 : 0);
}

/** Statuses only move forward. failed and delivered share a rank: neither overrides the other. */
const RANK: Record<MessageStatus, number> = {
  queued: 0,
  sending: 1,
  sent: 2,
  delivered: 3,
  failed: 3,
  read: 4,
  skipped: 9,
};

export function canMove(from: MessageStatus, to: MessageStatus): boolean {
  return from !== 'skipped' && RANK[to] > RANK[from];
}

/** The statuses a message may be in for `to` to be a step forward (for a guarded UPDATE). */
export function predecessorsOf(to: MessageStatus): MessageStatus[] {
  return (Object.keys(RANK) as MessageStatus[]).filter((from) => canMove(from, to));
}

/** Africa's Talking delivery report status → ours (PROTOCOLS.md §3.2); null for one we do not know. */
export function fromAtReport(status: string): MessageStatus | null {
  switch (status) {
    case 'Sent':
    case 'Submitted':
    case 'Buffered':
      return 'sent';
    case 'Success':
      return 'delivered';
    case 'Rejected':
    case 'Failed':
      return 'failed';
    default:
      return null;
  }
}

/** WhatsApp status webhook → ours (PROTOCOLS.md §4.4). */
export function fromWhatsAppStatus(status: string): MessageStatus | null {
  return status === 'sent' || status === 'delivered' || status === 'read' || status === 'failed'
    ? status
    : null;
}

/** `+255712345678` → `+2557*****678`: enough to tell numbers apart, not enough to call one. */
export function maskPhone(phone: string | null): string | null {
  if (!phone) return null;
  if (phone.length <= 7) return '*'.repeat(phone.length);
  return `${phone.slice(0, 5)}${'*'.repeat(phone.length - 8)}${phone.slice(-3)}`;
}

/** A short order reference people can read out: `K-3F2A9C1B`. */
/** A payout as operators find it in the console: its id's first eight hex digits (like an order's). */
export function payoutRef(payoutId: string): string {
  return `P-${payoutId.replace(/-/g, '').slice(0, 8).toUpperCase()}`;
}

export function orderRef(orderId: string): string {
  return `K-${orderId.replace(/-/g, '').slice(0, 8).toUpperCase()}`;
}

/** When a messaging provider counts as failing: `percent` of at least `minMessages` outcomes failed. */
export interface ProviderAlertRule {
  percent: number;
  minMessages: number;
  windowMinutes: number;
}

/**
 * The failure rate in basis points when it crossed the rule's threshold, else null. Too few outcomes
 * say nothing: two failures of the first three messages of the morning are not an outage.
 */
export function failureRateCrossed(
  outcomes: { failed: number; total: number },
  rule: Pick<ProviderAlertRule, 'percent' | 'minMessages'>,
): number | null {
  const { failed, total } = outcomes;
  if (total < rule.minMessages || total === 0) return null;
  // Integers only: failed / total >= percent / 100.
  if (failed * 100 < rule.percent * total) return null;
  return Math.round((failed * 10_000) / total);
}
