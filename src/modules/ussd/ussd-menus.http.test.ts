import { describe, expect, it } from 'vitest';
import { nextPhone } from '../../../test/support/fixtures.js';
import { api, deliveredOrder, newSession, phoneOf, screen, t, useUssdApp } from './ussd.fixtures.js';

// The USSD callback as Africa's Talking posts it: form fields in, text/plain `CON …`/`END …` out.
// Shared setup and helpers live in ussd.fixtures.ts.

useUssdApp();

describe('every menu path against the real route', () => {
  for (const language of ['sw', 'en'] as const)
    it(`walks every path (${language}): CON/END, 182 characters, GSM-7, an action within three screens`, async () => {
      const b = await deliveredOrder();
      await deliveredOrder(b.buyer);
      const phone = await phoneOf(b.buyer.userId);
      const store = t.app.services.notifications.service;
      await store.setLanguage(b.buyer.userId, language);
      const inputs = ['1', '2', '3', '4', '9', '0', '00'];
      let requests = 0;
      let ends = 0;
      // One session per first choice, as a caller would walk it: the gateway sends the whole path
      // each time, so one session serves every path below that choice.
      const sessions = new Map<string, string>();
      const go = async (path: string[]) => {
        const key = path[0] ?? '';
        if (!sessions.has(key)) sessions.set(key, newSession());
        const r = await screen(sessions.get(key)!, phone, path.join('*'));
        if (++requests % 150 === 0) t.clock.advanceSeconds(61);
        // The language screen's action switches it: put it back for the rest of the walk.
        if (key === '4' && r.type === 'END') await store.setLanguage(b.buyer.userId, language);
        if (r.type === 'END') {
          ends++;
          expect(path.length, path.join('*')).toBeLessThanOrEqual(3);
          return;
        }
        expect(r.text.length).toBeGreaterThan(0);
        // 0, 00 and a wrong choice show screens the walk reaches anyway: only choices go deeper.
        if (path.length < 3 && !['0', '00', '9'].includes(path.at(-1) ?? ''))
          for (const i of inputs) await go([...path, i]);
      };
      await go([]);
      expect(requests).toBeGreaterThan(100);
      expect(ends).toBeGreaterThan(0);
      const home = await screen(newSession(), phone, '');
      expect(home.text).toContain(language === 'sw' ? 'Oda zangu' : 'My orders');
    }, 60_000);

  it('Swahili first; English by choice, kept for the next session', async () => {
    const b = await t.login(nextPhone());
    const phone = await phoneOf(b.userId);
    expect((await screen(newSession(), phone, '')).text).toContain('1 Oda zangu');
    const s = newSession();
    expect((await screen(s, phone, '4')).text).toContain('1 Kiswahili\n2 English');
    expect(await screen(s, phone, '4*2')).toEqual({ type: 'END', text: 'Language: English.' });
    expect((await screen(newSession(), phone, '')).text).toContain('1 My orders');
    expect((await screen(newSession(), phone, '4*1')).text).toBe('Lugha: Kiswahili.');
  });

  it('my orders shows each order with its status; the list is fixed for the session', async () => {
    const o = await deliveredOrder();
    const phone = await phoneOf(o.buyer.userId);
    const s = newSession();
    const first = await screen(s, phone, '1');
    expect(first.text).toMatch(/^Oda zako:\n1 .+: Imefika\n0 Nyuma 00 Mwanzo$/);
    // Confirmed in the app meanwhile: this session still shows its first list, a new one the truth.
    expect((await api('POST', `/api/v1/orders/${o.id}/confirm-receipt`, o.buyer.auth)).statusCode).toBe(200);
    expect((await screen(s, phone, '1*0*1')).text).toBe(first.text);
    expect((await screen(newSession(), phone, '1')).text).toContain(': Imekamilika');
  });
});
