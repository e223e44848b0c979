import { describe, expect, it } from 'vitest';
import { gsm7Length, isGsm7 } from './gsm7.js';
import { darShort, formatAmount, MAX_SCREEN, type MenuContext, menu, orderLabel } from './menu.js';
import type { UssdOrder } from './ports.js';

const NOW = new Date('2026-12-04T09:00:00Z');
const hours = (h: number) => new Date(NOW.getTime() + h * 3600_000);

function order(n: number, over: Partial<UssdOrder> = {}): UssdOrder {
  return {
    id: `0193a1b2-0000-7000-8000-00000000000${n}`,
    status: 'delivered',
    total: 1_250_000_00,
    currency: 'TZS',
    title: `Redio ya Sola Kubwa Sana ${n}`,
    moreLines: 2,
    promisedBy: hours(3),
    disputeWindowEndsAt: hours(24),
    ...over,
  };
}

const busy: MenuContext = {
  language: 'sw',
  recent: [
    order(1, { status: 'out_for_delivery', title: 'Kánga “ya Pwani” ✓ 😀' }),
    order(2, { status: 'payment_failed' }),
    order(3, { status: 'delivered' }),
    order(4, { status: 'pending_payment' }),
    order(5, { status: 'ready_for_pickup' }),
  ],
  delivered: [
    order(3),
    order(6, { disputeWindowEndsAt: hours(-1) }),
    order(7),
    order(8),
    order(9, { title: 'Ñ'.repeat(40) }),
  ],
  takenAt: NOW,
};
const empty: MenuContext = { language: 'sw', recent: [], delivered: [], takenAt: NOW };

/** Every input path (digits 0-9, 00) up to `depth` inputs, and what the menu answers to each. */
function walk(ctx: MenuContext, depth = 4) {
  const seen: Array<{ path: string[]; result: ReturnType<typeof menu> }> = [];
  const inputs = ['1', '2', '3', '4', '5', '9', '0', '00'];
  const go = (path: string[]) => {
    const result = menu(path.join('*'), ctx);
    seen.push({ path, result });
    if (result.type === 'CON' && path.length < depth) for (const i of inputs) go([...path, i]);
  };
  go([]);
  return seen;
}

describe('the USSD menu', () => {
  for (const language of ['sw', 'en'] as const)
    for (const [name, base] of [
      ['busy', busy],
      ['empty', empty],
    ] as const)
      it(`every screen (${language}, ${name} account) is GSM-7, at most 182 characters, and every action is reached within three screens`, () => {
        const ctx = { ...base, language };
        const results = walk(ctx);
        expect(results.length).toBeGreaterThan(100);
        let actions = 0;
        const bad: string[] = [];
        for (const { path, result } of results) {
          const where = `${path.join('*')}: ${result.text}`;
          if (result.type === 'CON') {
            if (!isGsm7(result.text)) bad.push(`not GSM-7 ${where}`);
            if ((gsm7Length(result.text) ?? Infinity) > MAX_SCREEN) bad.push(`too long ${where}`);
            if (result.text.length === 0) bad.push(`empty ${where}`);
          } else {
            actions++;
            if (result.action === null) bad.push(`END without action ${where}`);
            if (result.depth > 3) bad.push(`action after ${result.depth} screens ${where}`);
          }
        }
        expect(bad).toEqual([]);
        expect(actions).toBeGreaterThan(0);
      });

  it('starts in Swahili and speaks English by choice', () => {
    expect(menu('', busy).text).toContain('Oda zangu');
    expect(menu('', { ...busy, language: 'en' }).text).toContain('My orders');
    expect(menu('4', busy).text).toContain('1 Kiswahili\n2 English');
    expect(menu('4*2', busy).action).toEqual({ kind: 'set_language', language: 'en' });
    expect(menu('4*1', { ...busy, language: 'en' }).action).toEqual({ kind: 'set_language', language: 'sw' });
  });

  it('lists my orders with status and the promised time in Dar es Salaam, GSM-7 titles only', () => {
    const s = menu('1', busy).text;
    expect(s).toContain('1 Kanga ya Pwani +2: Njiani ahadi 04/12 15:00');
    expect(s).toContain('2 Redio ya Sola. +2: Malipo yameshindwa');
    expect(s.endsWith('0 Nyuma 00 Mwanzo')).toBe(true);
    // Shown orders are whole lines, dropped from the end to fit.
    expect(gsm7Length(s)!).toBeLessThanOrEqual(MAX_SCREEN);
    expect(menu('1', { ...busy, language: 'en' }).text).toContain('On the way due 04/12 15:00');
  });

  it('confirm: pick a delivered order, then say yes; nothing happens before the yes', () => {
    expect(menu('2', busy).text).toMatch(/^Chagua oda uliyopokea:\n1 Redio ya Sola. \+2 TZS 1,250,000\n2 /);
    const ask = menu('2*2', busy);
    expect(ask).toMatchObject({ type: 'CON', action: null, depth: 3 });
    expect(ask.text).toContain('Thibitisha umepokea');
    const done = menu('2*2*1', busy);
    expect(done).toMatchObject({ type: 'END', depth: 3 });
    expect(done.action).toEqual({ kind: 'confirm_receipt', order: busy.delivered[1] });
  });

  it('dispute: only orders inside the window are offered, numbered once for the session', () => {
    const list = menu('3', busy).text;
    expect(list.split('\n').filter((l) => /^[1-9] /.test(l))).toHaveLength(3);
    // Order 6's window had closed when the session began: number 2 is order 7.
    expect(menu('3*2*2', busy).action).toEqual({
      kind: 'open_dispute',
      order: busy.delivered[2],
      reason: 'damaged',
    });
    expect(menu('3*1*5', busy).action).toMatchObject({ reason: 'counterfeit' });
    expect(menu('3*1*6', busy)).toMatchObject({ type: 'CON', action: null });
    // Judged at the session's start, not at each request: numbers cannot shift under the caller.
    expect(menu('3*2*2', { ...busy, takenAt: hours(-2) }).action).toMatchObject({ order: busy.delivered[1] });
  });

  it('0 goes back one screen, 00 goes home, and back at home stays home', () => {
    expect(menu('2*2*0', busy).text).toBe(menu('2', busy).text);
    expect(menu('2*2*00', busy).text).toBe(menu('', busy).text);
    expect(menu('0', busy).text).toBe(menu('', busy).text);
    expect(menu('3*1*0*0*2*1*1', busy).action).toMatchObject({ kind: 'confirm_receipt' });
  });

  it('a wrong choice says so and shows the same screen again; empty inputs change nothing', () => {
    expect(menu('7', busy).text).toBe(`Chaguo batili.\n${menu('', busy).text}`);
    expect(menu('2*9', busy).text).toBe(`Chaguo batili.\n${menu('2', busy).text}`);
    expect(menu('2*abc', busy).text).toBe(`Chaguo batili.\n${menu('2', busy).text}`);
    expect(menu('2*1*2', busy).action).toBeNull();
    expect(menu('2**', busy).text).toBe(menu('2', busy).text);
    expect(menu('1*1', busy).text).toContain('Chaguo batili.');
    // a wrong choice forgotten once a right one follows
    expect(menu('9*1', busy).text).toBe(menu('1', busy).text);
  });

  it('with nothing to confirm or dispute, says so and offers the way back', () => {
    expect(menu('2', empty).text).toBe('Huna oda iliyofika inayosubiri uthibitisho.\n0 Nyuma 00 Mwanzo');
    expect(menu('3*1', empty).text).toContain('Chaguo batili.');
    expect(menu('1', { ...empty, language: 'en' }).text).toBe('You have no orders yet.\n0 Back 00 Home');
  });

  it('formats money in whole units and labels orders without a usable title by their id', () => {
    expect(formatAmount(1_000_000_00, 'TZS')).toBe('TZS 1,000,000');
    expect(formatAmount(50, 'KES')).toBe('KES 0');
    expect(orderLabel(order(1, { title: '😀', moreLines: 0 }))).toBe('#00001');
    expect(darShort(new Date('2026-12-31T22:30:00Z'))).toBe('01/01 01:30');
  });
});

describe('the closing screens', () => {
  it('every outcome, in both languages, is GSM-7 and fits a screen, even for the longest label', async () => {
    const { outcomeScreen } = await import('./outcome.js');
    const o = order(1, { title: 'W'.repeat(60), moreLines: 9, total: 999_999_999_00 });
    for (const language of ['sw', 'en'] as const) {
      const screens = [
        outcomeScreen(language, { kind: 'confirmed', order: o }),
        outcomeScreen(language, { kind: 'disputed', order: o }),
        outcomeScreen(language, { kind: 'language_set', language }),
        outcomeScreen(language, { kind: 'not_now', order: o, status: 'payment_failed' }),
        outcomeScreen(language, { kind: 'window_closed', order: o }),
        outcomeScreen(language, { kind: 'already_done' }),
        outcomeScreen(language, { kind: 'in_progress' }),
        outcomeScreen(language, { kind: 'failed' }),
      ];
      for (const s of screens) {
        expect(isGsm7(s), s).toBe(true);
        expect(gsm7Length(s)!, s).toBeLessThanOrEqual(MAX_SCREEN);
      }
      // The text of the longest one is whole, not cut by the last guard.
      expect(screens[1]).toMatch(language === 'sw' ? /Utapata SMS\.$/ : /An SMS will follow\.$/);
    }
    expect(outcomeScreen('sw', { kind: 'language_set', language: 'en' })).toBe('Language: English.');
  });

  it('the callers-we-do-not-know, malformed and too-many screens fit too', async () => {
    const { MALFORMED, RATE_LIMITED, UNKNOWN_CALLER } = await import('./texts.js');
    for (const s of [MALFORMED, RATE_LIMITED, UNKNOWN_CALLER]) {
      expect(isGsm7(s)).toBe(true);
      expect(gsm7Length(s)!).toBeLessThanOrEqual(MAX_SCREEN);
    }
  });
});
