import { describe, expect, it } from 'vitest';
import { CATALOGUE, placeholdersIn, TEMPLATE_KEYS, type TemplateDef, whatsappTemplate } from './catalogue.js';
import { formatDarTime, formatTzs, nonGsm7Chars, parseProviderCost, smsSegments } from './format.js';
import { REASON_PHRASES, type ReasonKey, reasonKeyOf } from './provider-reasons.js';
import { gsm7Safe, MAX_TEXT_VALUE, render } from './render.js';
import { LANGUAGES } from './schema.js';

const entries = Object.entries(CATALOGUE) as Array<[keyof typeof CATALOGUE, TemplateDef]>;

/** The longest values real messages carry: a 40-character name, a nine-figure amount. */
const LONG: Record<string, (name: string) => string | number | Date> = {
  text: () => 'W'.repeat(MAX_TEXT_VALUE + 25),
  money: () => 99_999_999_900,
  time: () => new Date('2026-12-31T20:59:00Z'),
  number: () => 99_999,
  secret: () => '999999',
  // a reason no rule knows: the general phrase
  reason: () => 'W'.repeat(200),
};

describe('the template catalogue', () => {
  it('lists the events the issue names for buyer, seller, rider and operations', () => {
    for (const key of [
      'buyer.checkout_created',
      'buyer.payment_received',
      'buyer.payment_failed',
      'buyer.order_accepted',
      'buyer.order_with_rider',
      'buyer.delivery_code',
      'buyer.order_delivered',
      'buyer.order_late',
      'buyer.order_cancelled',
      'buyer.order_rejected',
      'buyer.refund_sent',
      'buyer.refund_delayed',
      'buyer.dispute_opened',
      'buyer.dispute_resolved',
      'buyer.loyalty_earned',
      'seller.new_order',
      'seller.accept_reminder',
      'seller.order_auto_cancelled',
      'seller.order_cancelled_by_buyer',
      'seller.product_verified',
      'seller.product_rejected',
      'seller.kyc_verified',
      'seller.kyc_rejected',
      'payee.payout_sent',
      'payee.payout_failed',
      'rider.verified',
      'rider.rejected',
      'rider.job_assigned',
      'rider.job_released',
      'ops.refund_failed',
      'ops.payout_stuck',
      'ops.dispatch_waiting',
      'ops.provider_failing',
    ]) {
      expect(TEMPLATE_KEYS).toContain(key);
    }
  });

  it.each(entries)('%s has both languages, and each uses exactly the declared placeholders', (_key, def) => {
    const declared = Object.keys(def.placeholders).sort();
    for (const lang of LANGUAGES) {
      const text = def[lang];
      expect(text?.title, lang).toBeTruthy();
      expect(text?.text, lang).toBeTruthy();
      expect([...new Set(placeholdersIn(text.text))].sort(), `${lang} text`).toEqual(declared);
    }
  });

  it.each(entries)('%s: WhatsApp template name and params cover the placeholders', (key, def) => {
    const wa = whatsappTemplate(key);
    expect(wa.name).toMatch(/^[a-z0-9_]{1,512}$/);
    expect(wa.params.sort()).toEqual(Object.keys(def.placeholders).sort());
  });

  it.each(entries)(
    '%s: SMS in both languages is GSM-7 and at most two segments when filled with long values',
    (key, def) => {
      const values = Object.fromEntries(Object.entries(def.placeholders).map(([n, k]) => [n, LONG[k]!(n)]));
      for (const lang of LANGUAGES) {
        const { body } = render(key, lang, values);
        expect(nonGsm7Chars(body), `${lang}: ${body}`).toEqual([]);
        expect(smsSegments(body), `${lang} (${body.length} chars): ${body}`).toBeLessThanOrEqual(2);
      }
    },
  );

  it('writes every provider reason phrase into each reason template as GSM-7 within two segments', () => {
    for (const [key, def] of entries) {
      if (!Object.values(def.placeholders).includes('reason')) continue;
      for (const reasonKey of Object.keys(REASON_PHRASES) as ReasonKey[])
        for (const lang of LANGUAGES) {
          const values = Object.fromEntries(
            Object.entries(def.placeholders).map(([n, kind]) => [n, kind === 'reason' ? '' : LONG[kind]!(n)]),
          );
          // a raw reason that maps to this phrase
          values.reason = {
            insufficient: 'The balance is insufficient for the transaction.',
            cancelled: 'Request cancelled by user',
            unreachable: 'DS timeout user cannot be reached',
            timeout: 'the payment timed out',
            invalid_number: 'Invalid MSISDN',
            refused: 'The initiator information is invalid.',
          }[reasonKey];
          const { body } = render(key, lang, values);
          expect(body, `${key} ${lang}`).toContain(`(${REASON_PHRASES[reasonKey][lang]})`);
          expect(nonGsm7Chars(body), body).toEqual([]);
          expect(smsSegments(body), body).toBeLessThanOrEqual(2);
        }
    }
  });

  it("maps the providers' English reasons to short phrases, an unknown one to the general phrase", () => {
    expect(reasonKeyOf('The balance is insufficient for the transaction.')).toBe('insufficient');
    expect(reasonKeyOf('Request cancelled by user')).toBe('cancelled');
    expect(reasonKeyOf('DS timeout user cannot be reached')).toBe('unreachable');
    expect(reasonKeyOf('the payment timed out')).toBe('timeout');
    expect(reasonKeyOf('the payment was not completed')).toBe('refused');
    expect(reasonKeyOf('Invalid MSISDN')).toBe('invalid_number');
    expect(reasonKeyOf('something new')).toBe('refused');
    expect(
      render('payee.payout_failed', 'sw', {
        amount: 100_000,
        reason: 'The balance is insufficient for the transaction.',
      }).body,
    ).toBe(
      "K'KOO: Malipo yako ya TZS 1,000 hayakufanikiwa (salio halitoshi). Pesa inabaki kwenye salio lako la K'KOO; hakikisha namba yako ya malipo kwenye programu.",
    );
    expect(render('payee.payout_failed', 'en', { amount: 100_000, reason: 'x' }).body).toContain(
      "(refused by the provider). The money stays in your K'KOO balance",
    );
  });

  it('sends every operations alert at once: each asks for action now, so quiet hours never hold one', () => {
    const ops = entries.filter(([, def]) => def.category === 'operations');
    expect(ops.length).toBeGreaterThan(0);
    for (const [key, def] of ops) expect(def.critical, key).toBe(true);
  });

  it('keeps the delivery code (a secret) in buyer messages only', () => {
    for (const [key, def] of entries) {
      if (Object.values(def.placeholders).includes('secret')) expect(def.audience, key).toBe('buyer');
    }
  });

  it('refuses to render with a value missing, instead of sending a blank', () => {
    expect(() => render('buyer.refund_sent', 'sw', { order: 'K-1', amount: 100 })).toThrow(/refund_phone/);
    expect(() =>
      render('buyer.refund_sent', 'en', { order: 'K-1', amount: '12', refund_phone: 'x' }),
    ).toThrow(/minor units/);
  });

  it('renders Swahili and English with TZS amounts and Dar es Salaam times', () => {
    const values = {
      order: 'K-3F2A9C1B',
      amount: 1_250_000,
      accept_by: new Date('2026-12-04T12:30:00Z'),
      ready_by: new Date('2026-12-04T15:00:00Z'),
    };
    expect(render('seller.new_order', 'en', values).body).toBe(
      "K'KOO: New paid order K-3F2A9C1B, TZS 12,500. Accept it by 15:30 04/12/2026 and have it ready by 18:00 04/12/2026, or it is cancelled.",
    );
    const sw = render('seller.new_order', 'sw', values);
    expect(sw.body).toContain('TZS 12,500');
    expect(sw.body).toContain('kabla ya 15:30 04/12/2026');
    expect(sw.params).toEqual(['K-3F2A9C1B', 'TZS 12,500', '15:30 04/12/2026', '18:00 04/12/2026']);
  });
});

describe('formatting', () => {
  it('writes minor units as TZS with thousands separators', () => {
    expect(formatTzs(1_250_000)).toBe('TZS 12,500');
    expect(formatTzs(0)).toBe('TZS 0');
    expect(formatTzs(100_000_000_000)).toBe('TZS 1,000,000,000');
    expect(formatTzs(1_250_050)).toBe('TZS 12,500.50');
    expect(() => formatTzs(12.5)).toThrow(RangeError);
  });

  it('writes times on the Dar es Salaam clock, across midnight and the year end', () => {
    expect(formatDarTime(new Date('2026-12-31T21:30:00Z'))).toBe('00:30 01/01/2027');
  });

  it('counts SMS segments the way operators bill them', () => {
    expect(smsSegments('a'.repeat(160))).toBe(1);
    expect(smsSegments('a'.repeat(161))).toBe(2);
    expect(smsSegments('a'.repeat(306))).toBe(2);
    expect(smsSegments('a'.repeat(307))).toBe(3);
    expect(smsSegments(`${'a'.repeat(159)}€`)).toBe(2); // € costs two septets
    expect(smsSegments('Asante \u{1F600}')).toBe(1);
    expect(smsSegments(`${'a'.repeat(70)}\u2019`)).toBe(2); // one curly quote: UCS-2, 70 a segment
  });

  it('makes people-typed text GSM-7 safe and short', () => {
    expect(gsm7Safe('Mama\u2019s Duka \u{1F6CD}')).toBe("Mama's Duka ?");
    expect([...gsm7Safe('x'.repeat(100))]).toHaveLength(MAX_TEXT_VALUE);
  });

  it("reads Africa's Talking's cost field into minor units, rounding sub-cent fractions up", () => {
    expect(parseProviderCost('TZS 20.0000')).toEqual({ minor: 2000, currency: 'TZS' });
    expect(parseProviderCost('KES 0.8000')).toEqual({ minor: 80, currency: 'KES' });
    expect(parseProviderCost('TZS 17.5050')).toEqual({ minor: 1751, currency: 'TZS' });
    expect(parseProviderCost('0')).toBeNull();
    expect(parseProviderCost(undefined)).toBeNull();
  });
});
