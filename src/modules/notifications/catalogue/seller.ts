import { type TemplateDef, t } from './types.js';

// What sellers hear (orders, products, KYC), and what every payee (seller or rider) hears of payouts.

export const SELLER_TEMPLATES = {
  // ---- seller ----
  'seller.new_order': t({
    audience: 'seller',
    category: 'transactional',
    critical: true,
    placeholders: { order: 'text', amount: 'money', accept_by: 'time', ready_by: 'time' },
    en: {
      title: 'New paid order',
      text: "K'KOO: New paid order {order}, {amount}. Accept it by {accept_by} and have it ready by {ready_by}, or it is cancelled.",
    },
    sw: {
      title: 'Oda mpya imelipiwa',
      text: "K'KOO: Oda mpya {order} imelipiwa, {amount}. Ikubali kabla ya {accept_by} na iwe tayari kabla ya {ready_by}, la sivyo itaghairiwa.",
    },
  }),
  'seller.accept_reminder': t({
    audience: 'seller',
    category: 'transactional',
    // A reminder held back by quiet hours would arrive after the deadline it warns about.
    critical: true,
    placeholders: { order: 'text', accept_by: 'time' },
    en: {
      title: 'Accept your order',
      text: "K'KOO: Reminder: accept order {order} before {accept_by}, or it is cancelled and counts as a strike.",
    },
    sw: {
      title: 'Kubali oda yako',
      text: "K'KOO: Kumbusho: kubali oda {order} kabla ya {accept_by}, la sivyo itaghairiwa na kuhesabiwa kama kosa.",
    },
  }),
  'seller.order_auto_cancelled': t({
    audience: 'seller',
    category: 'transactional',
    critical: false,
    placeholders: { order: 'text', strikes: 'number' },
    en: {
      title: 'Order cancelled: not accepted',
      text: "K'KOO: Order {order} was cancelled because it was not accepted in time. You now have {strikes} strike(s).",
    },
    sw: {
      title: 'Oda imeghairiwa',
      text: "K'KOO: Oda {order} imeghairiwa kwa sababu haikukubaliwa kwa wakati. Sasa una makosa {strikes}.",
    },
  }),
  'seller.order_cancelled_by_buyer': t({
    audience: 'seller',
    category: 'transactional',
    // The seller may be packing it already: told at once, even in quiet hours, SMS if WhatsApp fails.
    critical: true,
    placeholders: { order: 'text' },
    en: {
      title: 'Order cancelled by the buyer',
      text: "K'KOO: The buyer cancelled order {order}. Do not prepare or hand it over; the buyer is refunded.",
    },
    sw: {
      title: 'Mnunuzi ameghairi oda',
      text: "K'KOO: Mnunuzi ameghairi oda {order}. Usiiandae wala kuikabidhi; mnunuzi anarudishiwa pesa.",
    },
  }),
  'seller.dispute_opened': t({
    audience: 'seller',
    category: 'transactional',
    critical: false,
    placeholders: { order: 'text' },
    en: {
      title: 'Dispute on your order',
      text: "K'KOO: The buyer opened a dispute on order {order}. The money stays in escrow until it is resolved.",
    },
    sw: {
      title: 'Malalamiko kuhusu oda',
      text: "K'KOO: Mnunuzi amefungua malalamiko kuhusu oda {order}. Pesa zinabaki kwenye escrow hadi yatatuliwe.",
    },
  }),
  'seller.product_verified': t({
    audience: 'seller',
    category: 'transactional',
    critical: false,
    placeholders: { product: 'text' },
    en: {
      title: 'Product verified',
      text: "K'KOO: Your product {product} is verified and now visible to buyers.",
    },
    sw: {
      title: 'Bidhaa imethibitishwa',
      text: "K'KOO: Bidhaa yako {product} imethibitishwa na sasa inaonekana kwa wanunuzi.",
    },
  }),
  'seller.product_rejected': t({
    audience: 'seller',
    category: 'transactional',
    critical: false,
    placeholders: { product: 'text', reason: 'text' },
    en: {
      title: 'Product not approved',
      text: "K'KOO: Your product {product} was not approved: {reason}. Fix it and submit again.",
    },
    sw: {
      title: 'Bidhaa haikukubaliwa',
      text: "K'KOO: Bidhaa yako {product} haikukubaliwa: {reason}. Rekebisha na uwasilishe tena.",
    },
  }),
  'seller.kyc_verified': t({
    audience: 'seller',
    category: 'transactional',
    critical: false,
    placeholders: {},
    en: {
      title: 'Identity verified',
      text: "K'KOO: Your identity documents are verified. You can now sell and receive payouts.",
    },
    sw: {
      title: 'Utambulisho umethibitishwa',
      text: "K'KOO: Nyaraka zako za utambulisho zimethibitishwa. Sasa unaweza kuuza na kupokea malipo.",
    },
  }),
  'seller.kyc_rejected': t({
    audience: 'seller',
    category: 'transactional',
    critical: false,
    placeholders: { reason: 'text' },
    en: {
      title: 'Identity not accepted',
      text: "K'KOO: Your identity documents were not accepted: {reason}. Please submit again.",
    },
    sw: {
      title: 'Utambulisho haukukubaliwa',
      text: "K'KOO: Nyaraka zako za utambulisho hazikukubaliwa: {reason}. Tafadhali wasilisha tena.",
    },
  }),
  // ---- sellers and riders ----
  'payee.payout_sent': t({
    audience: 'payee',
    category: 'transactional',
    critical: false,
    placeholders: { amount: 'money', payout_phone: 'text' },
    en: { title: 'Payout sent', text: "K'KOO: Payout sent: {amount} to {payout_phone}." },
    sw: { title: 'Malipo yametumwa', text: "K'KOO: Malipo yametumwa: {amount} kwa {payout_phone}." },
  }),
  'payee.payout_failed': t({
    audience: 'payee',
    category: 'transactional',
    critical: false,
    placeholders: { amount: 'money', reason: 'reason' },
    // A refused payout is never resent by itself: the money waits in the balance for the next payout.
    en: {
      title: 'Payout failed',
      text: "K'KOO: Your payout of {amount} failed ({reason}). The money stays in your K'KOO balance; check your payout number in the app.",
    },
    sw: {
      title: 'Malipo hayakufanikiwa',
      text: "K'KOO: Malipo yako ya {amount} hayakufanikiwa ({reason}). Pesa inabaki kwenye salio lako la K'KOO; hakikisha namba yako ya malipo kwenye programu.",
    },
  }),
} satisfies Record<string, TemplateDef>;
