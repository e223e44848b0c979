import { type TemplateDef, t } from './types.js';

// What operations (every active admin) hear, and the opt-in marketing messages.

export const OPERATIONS_TEMPLATES = {
  // ---- operations (every admin) ----
  'ops.refund_failed': t({
    audience: 'admin',
    category: 'operations',
    critical: true,
    placeholders: { order: 'text', amount: 'money', reason: 'text' },
    en: {
      title: 'Refund failed',
      text: "K'KOO OPS: Refund of {amount} for order {order} failed after its last attempt ({reason}). Act now.",
    },
    sw: {
      title: 'Marejesho yameshindikana',
      text: "K'KOO OPS: Marejesho ya {amount} ya oda {order} yameshindikana baada ya jaribio la mwisho ({reason}). Chukua hatua.",
    },
  }),
  'ops.payout_stuck': t({
    audience: 'admin',
    category: 'operations',
    critical: true,
    placeholders: { payout: 'text', amount: 'money', since: 'time' },
    en: {
      title: 'Payout stuck',
      text: "K'KOO OPS: Payout {payout} of {amount}, requested {since}, is still not sent. Check it with the provider.",
    },
    sw: {
      title: 'Malipo yamekwama',
      text: "K'KOO OPS: Malipo {payout} ya {amount}, yaliyoombwa {since}, bado hayajatumwa. Yafuatilie kwa mtoa huduma.",
    },
  }),
  'ops.dispatch_waiting': t({
    audience: 'admin',
    category: 'operations',
    critical: true,
    placeholders: { order: 'text', minutes: 'number' },
    en: {
      title: 'Order waiting for a rider',
      text: "K'KOO OPS: Order {order} has waited {minutes} minutes in the dispatch queue.",
    },
    sw: {
      title: 'Oda inasubiri msafirishaji',
      text: "K'KOO OPS: Oda {order} imesubiri dakika {minutes} kwenye foleni ya usafirishaji.",
    },
  }),
  'ops.provider_failing': t({
    audience: 'admin',
    category: 'operations',
    critical: true,
    placeholders: { provider: 'text', rate: 'text' },
    en: { title: 'Provider failing', text: "K'KOO OPS: Provider {provider} is failing {rate} of calls." },
    sw: {
      title: 'Mtoa huduma anashindwa',
      text: "K'KOO OPS: Mtoa huduma {provider} anashindwa {rate} ya maombi.",
    },
  }),
  // ---- marketing (opt-in only, business hours only) ----
  'marketing.promotion': t({
    audience: 'subscriber',
    category: 'marketing',
    critical: false,
    placeholders: { headline: 'text', promo: 'text' },
    en: {
      title: 'Offer',
      text: "K'KOO: {headline}. Use code {promo} at checkout. Switch offers off in the app settings.",
    },
    sw: {
      title: 'Ofa',
      text: "K'KOO: {headline}. Tumia msimbo {promo} unapolipa. Zima ofa kwenye mipangilio ya programu.",
    },
  }),
} satisfies Record<string, TemplateDef>;
