// Pure: the USSD menu. (everything typed this session, the caller's orders as first shown,
// language) → the screen to show, and at most one action to run. No I/O: a test walks it whole.
import { gsm7Length, toGsm7 } from './gsm7.js';
import { USSD_DISPUTE_REASONS, type UssdDisputeReason, type UssdLanguage, type UssdOrder } from './ports.js';
import { TEXTS, type UssdTexts } from './texts.js';

/** Telcos cap a screen at about 182 GSM-7 characters (PROTOCOLS.md §3.3, §4.6). */
export const MAX_SCREEN = 182;
/** Orders offered for a choice: short enough that every list fits one screen with its footer. */
export const MAX_CHOICES = 3;

export interface MenuContext {
  language: UssdLanguage;
  /** the caller's latest orders, as fixed when the session started */
  recent: readonly UssdOrder[];
  /** the caller's delivered orders, as fixed when the session started */
  delivered: readonly UssdOrder[];
  /** when the lists were taken: which orders may be disputed is judged then, so numbers never shift */
  takenAt: Date;
}

export type MenuAction =
  | { kind: 'confirm_receipt'; order: UssdOrder }
  | { kind: 'open_dispute'; order: UssdOrder; reason: UssdDisputeReason }
  | { kind: 'set_language'; language: UssdLanguage };

export interface MenuResult {
  /** CON waits for input; END closes the session */
  type: 'CON' | 'END';
  text: string;
  action: MenuAction | null;
  /** screens shown before this one in the current path (home is 1): the action bound is 3 */
  depth: number;
}

type Screen =
  | { kind: 'home' }
  | { kind: 'orders' }
  | { kind: 'confirm_list' }
  | { kind: 'confirm_ask'; order: UssdOrder }
  | { kind: 'dispute_list' }
  | { kind: 'dispute_reason'; order: UssdOrder }
  | { kind: 'language' };

type Step = { to: Screen } | { action: MenuAction } | null;

const HOME_CHOICES = new Map<string, Screen>([
  ['1', { kind: 'orders' }],
  ['2', { kind: 'confirm_list' }],
  ['3', { kind: 'dispute_list' }],
  ['4', { kind: 'language' }],
]);

/** The inputs of the session: `text` is every input joined by `*` ("" on the first request). */
export function inputsOf(text: string): string[] {
  return text === '' ? [] : text.split('*');
}

export const confirmable = (ctx: MenuContext) => ctx.delivered.slice(0, MAX_CHOICES);
export const disputable = (ctx: MenuContext) =>
  ctx.delivered
    .filter((o) => o.disputeWindowEndsAt && o.disputeWindowEndsAt.getTime() > ctx.takenAt.getTime())
    .slice(0, MAX_CHOICES);

/** `n` (1-based) of `list`, or null for anything else typed. */
function pick<T>(list: readonly T[], input: string): T | null {
  if (!/^[1-9]$/.test(input)) return null;
  return list[Number(input) - 1] ?? null;
}

function step(screen: Screen, input: string, ctx: MenuContext): Step {
  switch (screen.kind) {
    case 'home': {
      const to = HOME_CHOICES.get(input);
      return to ? { to } : null;
    }
    case 'orders':
      return null;
    case 'confirm_list': {
      const order = pick(confirmable(ctx), input);
      return order ? { to: { kind: 'confirm_ask', order } } : null;
    }
    case 'confirm_ask':
      return input === '1' ? { action: { kind: 'confirm_receipt', order: screen.order } } : null;
    case 'dispute_list': {
      const order = pick(disputable(ctx), input);
      return order ? { to: { kind: 'dispute_reason', order } } : null;
    }
    case 'dispute_reason': {
      const reason = pick(USSD_DISPUTE_REASONS, input);
      return reason ? { action: { kind: 'open_dispute', order: screen.order, reason } } : null;
    }
    case 'language': {
      const language = pick(['sw', 'en'] as const, input);
      return language ? { action: { kind: 'set_language', language } } : null;
    }
  }
}

/** Walks the session's inputs from the home screen: `0` goes back one screen, `00` home. */
export function menu(text: string, ctx: MenuContext): MenuResult {
  const t = TEXTS[ctx.language];
  const stack: Screen[] = [{ kind: 'home' }];
  let invalid = false;
  for (const input of inputsOf(text)) {
    invalid = false;
    if (input === '00') stack.splice(1);
    else if (input === '0') {
      if (stack.length > 1) stack.pop();
    } else if (input !== '') {
      const next = step(stack.at(-1)!, input.trim(), ctx);
      if (next === null) invalid = true;
      else if ('to' in next) stack.push(next.to);
      // An action ends the session; anything typed after it (a replay of a longer dial string) is ignored.
      else return { type: 'END', text: '', action: next.action, depth: stack.length };
    }
  }
  const body = render(stack.at(-1)!, ctx, t);
  return {
    type: 'CON',
    text: fitScreen(invalid ? `${t.invalid}\n${body}` : body),
    action: null,
    depth: stack.length,
  };
}

/** A short, GSM-7 name for an order: its first product's title and how many more lines it has. */
export function orderLabel(o: UssdOrder): string {
  const title = toGsm7(o.title, 14) || `#${o.id.replace(/-/g, '').slice(-5).toUpperCase()}`;
  return o.moreLines > 0 ? `${title} +${o.moreLines}` : title;
}

/** Minor units as whole currency units with thousands separators: `TZS 10,000`. */
export function formatAmount(minor: number, currency: string): string {
  const whole = Math.floor(minor / 100);
  return `${currency} ${whole.toLocaleString('en-US')}`;
}

/** Dar es Salaam time (UTC+3 all year, no daylight saving) as `dd/mm HH:MM`. */
export function darShort(at: Date): string {
  const d = new Date(at.getTime() + 3 * 3600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

const IN_PROGRESS = new Set(['paid', 'accepted', 'ready_for_pickup', 'out_for_delivery']);

function orderLine(n: number, o: UssdOrder, t: UssdTexts): string {
  const status = t.status[o.status] ?? o.status;
  const promise = o.promisedBy && IN_PROGRESS.has(o.status) ? ` ${t.promised} ${darShort(o.promisedBy)}` : '';
  return `${n} ${orderLabel(o)}: ${status}${promise}`;
}

/** Title, as many lines as fit whole (dropping from the end), then the footer. */
function listScreen(title: string, lines: string[], footer: string): string {
  const kept = [...lines];
  const join = () => [title, ...kept, footer].join('\n');
  while (kept.length > 1 && (gsm7Length(join()) ?? Infinity) > MAX_SCREEN) kept.pop();
  return join();
}

function render(screen: Screen, ctx: MenuContext, t: UssdTexts): string {
  switch (screen.kind) {
    case 'home':
      return t.home;
    case 'orders':
      return ctx.recent.length === 0
        ? `${t.noOrders}\n${t.footer}`
        : listScreen(
            t.ordersTitle,
            ctx.recent.map((o, i) => orderLine(i + 1, o, t)),
            t.footer,
          );
    case 'confirm_list': {
      const list = confirmable(ctx);
      return list.length === 0
        ? `${t.noConfirmable}\n${t.footer}`
        : listScreen(
            t.confirmTitle,
            list.map((o, i) => `${i + 1} ${orderLabel(o)} ${formatAmount(o.total, o.currency)}`),
            t.footer,
          );
    }
    case 'confirm_ask':
      return `${t.confirmAsk(orderLabel(screen.order), formatAmount(screen.order.total, screen.order.currency))}\n${t.footer}`;
    case 'dispute_list': {
      const list = disputable(ctx);
      return list.length === 0
        ? `${t.noDisputable}\n${t.footer}`
        : listScreen(
            t.disputeTitle,
            list.map((o, i) => `${i + 1} ${orderLabel(o)}`),
            t.footer,
          );
    }
    case 'dispute_reason':
      return [
        t.reasonTitle(orderLabel(screen.order)),
        ...USSD_DISPUTE_REASONS.map((r, i) => `${i + 1} ${t.reasons[r]}`),
        t.footer,
      ].join('\n');
    case 'language':
      return `${t.languageTitle}\n${t.footer}`;
  }
}

/**
 * The last guard before a screen leaves: GSM-7 only and at most 182 septets. Every screen is
 * built to fit (a test walks them all); this only keeps a bug from reaching a handset.
 */
export function fitScreen(text: string): string {
  let out = toGsm7Lines(text);
  while ((gsm7Length(out) ?? Infinity) > MAX_SCREEN) out = out.slice(0, -1);
  return out;
}

/** Like toGsm7, but keeps the line breaks a menu is made of. */
function toGsm7Lines(text: string): string {
  return text
    .split('\n')
    .map((line) => toGsm7(line, MAX_SCREEN))
    .join('\n');
}
