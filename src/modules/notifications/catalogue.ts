import type { Category, Language } from './schema.js';

// Every message K'KOO sends to a person, in one place: key, audience, category, the placeholders it
// takes and its text per language. The text is the SMS, the in-app body and the WhatsApp free-text
// body alike (one wording per language, so every channel says the same thing); WhatsApp outside the
// 24-hour window uses the Meta-approved template `whatsapp.name` with `whatsapp.params` in order.
// SMS text stays in GSM-7 and within two segments (catalogue.test.ts checks both languages).

/** How a placeholder's raw value is written into the text. */
export type PlaceholderKind = 'text' | 'money' | 'time' | 'number' | 'secret';

export type Audience = 'buyer' | 'seller' | 'rider' | 'payee' | 'admin' | 'subscriber';

export interface TemplateText {
  title: string;
  text: string;
}

export interface TemplateDef {
  audience: Audience;
  category: Category;
  /** critical messages skip quiet hours and fall back to SMS when WhatsApp does not deliver in time */
  critical: boolean;
  placeholders: Record<string, PlaceholderKind>;
  sw: TemplateText;
  en: TemplateText;
}

const t = (def: TemplateDef) => def;

export const CATALOGUE = {
  // ---- buyer ----
  'buyer.checkout_created': t({
    audience: 'buyer',
    category: 'transactional',
    critical: false,
    placeholders: { amount: 'money', pay_number: 'text', expires_at: 'time' },
    en: {
      title: 'Pay for your order',
      text: "K'KOO: Pay {amount} for your order. Approve the M-Pesa prompt on {pay_number} before {expires_at}, or the order is cancelled.",
    },
    sw: {
      title: 'Lipia oda yako',
      text: "K'KOO: Lipa {amount} kwa oda yako. Thibitisha ombi la M-Pesa kwenye {pay_number} kabla ya {expires_at}, la sivyo oda itaghairiwa.",
    },
  }),
  'buyer.payment_received': t({
    audience: 'buyer',
    category: 'transactional',
    critical: false,
    placeholders: { order: 'text', amount: 'money' },
    en: {
      title: 'Payment received',
      text: "K'KOO: We received {amount} for order {order}. The seller has been told and must accept it soon.",
    },
    sw: {
      title: 'Malipo yamepokelewa',
      text: "K'KOO: Tumepokea {amount} kwa oda {order}. Muuzaji amearifiwa na anapaswa kuikubali hivi karibuni.",
    },
  }),
  'buyer.payment_failed': t({
    audience: 'buyer',
    category: 'transactional',
    critical: false,
    placeholders: { amount: 'money', reason: 'text' },
    en: {
      title: 'Payment not completed',
      text: "K'KOO: The payment of {amount} did not go through ({reason}). Open the app and tap Push again to retry.",
    },
    sw: {
      title: 'Malipo hayakukamilika',
      text: "K'KOO: Malipo ya {amount} hayakufanikiwa ({reason}). Fungua programu na ubonyeze Tuma tena kujaribu upya.",
    },
  }),
  'buyer.order_accepted': t({
    audience: 'buyer',
    category: 'transactional',
    critical: false,
    placeholders: { order: 'text', ready_by: 'time' },
    en: {
      title: 'Order accepted',
      text: "K'KOO: The seller accepted order {order}. It will be ready by {ready_by}.",
    },
    sw: {
      title: 'Oda imekubaliwa',
      text: "K'KOO: Muuzaji amekubali oda {order}. Itakuwa tayari kabla ya {ready_by}.",
    },
  }),
  'buyer.order_ready': t({
    audience: 'buyer',
    category: 'transactional',
    critical: false,
    placeholders: { order: 'text' },
    en: { title: 'Order ready', text: "K'KOO: Order {order} is packed and waiting for a rider." },
    sw: { title: 'Oda iko tayari', text: "K'KOO: Oda {order} imefungwa na inasubiri msafirishaji." },
  }),
  'buyer.order_with_rider': t({
    audience: 'buyer',
    category: 'transactional',
    critical: false,
    placeholders: { order: 'text', rider: 'text', promised_at: 'time' },
    en: { title: 'On the way', text: "K'KOO: {rider} is bringing order {order}. Promised by {promised_at}." },
    sw: {
      title: 'Iko njiani',
      text: "K'KOO: {rider} anakuletea oda {order}. Ahadi ni kabla ya {promised_at}.",
    },
  }),
  'buyer.delivery_code': t({
    audience: 'buyer',
    category: 'transactional',
    critical: true,
    placeholders: { order: 'text', code: 'secret' },
    en: {
      title: 'Your delivery code',
      text: "K'KOO: Your delivery code for order {order} is {code}. Give it to the rider only once you have the parcel.",
    },
    sw: {
      title: 'Namba yako ya kupokea',
      text: "K'KOO: Namba ya kupokea oda {order} ni {code}. Mpe msafirishaji tu ukishapokea mzigo wako.",
    },
  }),
  'buyer.order_delivered': t({
    audience: 'buyer',
    category: 'transactional',
    critical: false,
    placeholders: { order: 'text', dispute_until: 'time' },
    en: {
      title: 'Order delivered',
      text: "K'KOO: Order {order} was delivered. Confirm it in the app, or open a dispute before {dispute_until} if something is wrong.",
    },
    sw: {
      title: 'Oda imefika',
      text: "K'KOO: Oda {order} imefika. Thibitisha kwenye programu, au fungua malalamiko kabla ya {dispute_until} kama kuna tatizo.",
    },
  }),
  'buyer.order_late': t({
    audience: 'buyer',
    category: 'transactional',
    critical: false,
    placeholders: { order: 'text', points: 'number' },
    en: {
      title: 'Sorry, your order is late',
      text: "K'KOO: Sorry, order {order} is late. We have already added {points} loyalty points to your account as compensation.",
    },
    sw: {
      title: 'Samahani, oda imechelewa',
      text: "K'KOO: Samahani, oda {order} imechelewa. Tumeshakuwekea pointi {points} za uaminifu kama fidia.",
    },
  }),
  'buyer.order_cancelled': t({
    audience: 'buyer',
    category: 'transactional',
    critical: false,
    placeholders: { order: 'text', amount: 'money', refund_phone: 'text', refund_by: 'time' },
    en: {
      title: 'Order cancelled',
      text: "K'KOO: Order {order} was cancelled. {amount} will be refunded to {refund_phone} by {refund_by}.",
    },
    sw: {
      title: 'Oda imeghairiwa',
      text: "K'KOO: Oda {order} imeghairiwa. {amount} zitarudishwa kwa {refund_phone} kabla ya {refund_by}.",
    },
  }),
  'buyer.order_rejected': t({
    audience: 'buyer',
    category: 'transactional',
    critical: false,
    placeholders: { order: 'text', amount: 'money', refund_phone: 'text', refund_by: 'time' },
    en: {
      title: 'Order not accepted',
      text: "K'KOO: The seller could not take order {order}. {amount} will be refunded to {refund_phone} by {refund_by}.",
    },
    sw: {
      title: 'Oda haikukubaliwa',
      text: "K'KOO: Muuzaji hakuweza kupokea oda {order}. {amount} zitarudishwa kwa {refund_phone} kabla ya {refund_by}.",
    },
  }),
  'buyer.refund_sent': t({
    audience: 'buyer',
    category: 'transactional',
    critical: true,
    placeholders: { order: 'text', amount: 'money', refund_phone: 'text' },
    en: {
      title: 'Refund sent',
      text: "K'KOO: Refund sent: {amount} for order {order} went to {refund_phone}.",
    },
    sw: {
      title: 'Marejesho yametumwa',
      text: "K'KOO: Marejesho yametumwa: {amount} ya oda {order} yametumwa kwa {refund_phone}.",
    },
  }),
  'buyer.refund_delayed': t({
    audience: 'buyer',
    category: 'transactional',
    critical: false,
    placeholders: { order: 'text', amount: 'money' },
    en: {
      title: 'Refund delayed',
      text: "K'KOO: Your refund of {amount} for order {order} is delayed. We keep trying and will tell you when it is sent.",
    },
    sw: {
      title: 'Marejesho yamechelewa',
      text: "K'KOO: Marejesho yako ya {amount} ya oda {order} yamechelewa. Tunaendelea kujaribu na tutakujulisha yakitumwa.",
    },
  }),
  'buyer.dispute_opened': t({
    audience: 'buyer',
    category: 'transactional',
    critical: false,
    placeholders: { order: 'text' },
    en: {
      title: 'Dispute opened',
      text: "K'KOO: Your dispute on order {order} is open. Our team will review it and reply.",
    },
    sw: {
      title: 'Malalamiko yamefunguliwa',
      text: "K'KOO: Malalamiko yako kuhusu oda {order} yamefunguliwa. Timu yetu itayapitia na kukujibu.",
    },
  }),
  'buyer.dispute_resolved': t({
    audience: 'buyer',
    category: 'transactional',
    critical: false,
    placeholders: { order: 'text', amount: 'money' },
    en: {
      title: 'Dispute resolved',
      text: "K'KOO: Your dispute on order {order} is resolved. Amount refunded to you: {amount}.",
    },
    sw: {
      title: 'Malalamiko yametatuliwa',
      text: "K'KOO: Malalamiko yako kuhusu oda {order} yametatuliwa. Kiasi ulichorudishiwa: {amount}.",
    },
  }),
  // The receipts of what a buyer did from a feature phone (USSD): the words the USSD menu uses.
  'buyer.receipt_confirmed': t({
    audience: 'buyer',
    category: 'transactional',
    critical: false,
    placeholders: { order: 'text', amount: 'money' },
    en: {
      title: 'Receipt confirmed',
      text: "K'KOO: You confirmed receipt of order {order} ({amount}). The seller has been paid. Thank you!",
    },
    sw: {
      title: 'Umethibitisha kupokea',
      text: "K'KOO: Umethibitisha kupokea oda {order} ({amount}). Malipo yametolewa kwa muuzaji. Asante!",
    },
  }),
  'buyer.problem_reported': t({
    audience: 'buyer',
    category: 'transactional',
    critical: false,
    placeholders: { order: 'text', reason: 'text' },
    en: {
      title: 'Problem reported',
      text: "K'KOO: We received your problem report on order {order} ({reason}). Your money is held until we resolve it.",
    },
    sw: {
      title: 'Tatizo limeripotiwa',
      text: "K'KOO: Tumepokea tatizo la oda {order} ({reason}). Pesa yako imeshikiliwa hadi tutatue.",
    },
  }),
  'buyer.loyalty_earned': t({
    audience: 'buyer',
    category: 'loyalty',
    critical: false,
    placeholders: { order: 'text', points: 'number' },
    en: { title: 'Points earned', text: "K'KOO: You earned {points} loyalty points on order {order}." },
    sw: { title: 'Umepata pointi', text: "K'KOO: Umepata pointi {points} za uaminifu kwa oda {order}." },
  }),
  'buyer.referral_reward': t({
    audience: 'buyer',
    category: 'loyalty',
    critical: false,
    placeholders: { amount: 'money' },
    en: {
      title: 'Referral reward',
      text: "K'KOO: {amount} of referral credit was added to your account. Thank you for shopping with K'KOO.",
    },
    sw: {
      title: 'Zawadi ya rufaa',
      text: "K'KOO: Salio la zawadi ya rufaa {amount} limeongezwa kwenye akaunti yako. Asante kwa kununua na K'KOO.",
    },
  }),
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
    placeholders: { amount: 'money', reason: 'text' },
    en: {
      title: 'Payout failed',
      text: "K'KOO: Your payout of {amount} failed ({reason}). We will try again; check your payout number in the app.",
    },
    sw: {
      title: 'Malipo hayakufanikiwa',
      text: "K'KOO: Malipo yako ya {amount} hayakufanikiwa ({reason}). Tutajaribu tena; hakikisha namba yako ya malipo kwenye programu.",
    },
  }),
  // ---- rider ----
  'rider.verified': t({
    audience: 'rider',
    category: 'transactional',
    critical: false,
    placeholders: {},
    en: {
      title: 'You are verified',
      text: "K'KOO: You are verified as a rider. Go online in the app to receive delivery jobs.",
    },
    sw: {
      title: 'Umethibitishwa',
      text: "K'KOO: Umethibitishwa kuwa msafirishaji. Washa hali ya kazi kwenye programu upate kazi za kusafirisha.",
    },
  }),
  'rider.rejected': t({
    audience: 'rider',
    category: 'transactional',
    critical: false,
    placeholders: { reason: 'text' },
    en: {
      title: 'Application not accepted',
      text: "K'KOO: Your rider application was not accepted: {reason}.",
    },
    sw: {
      title: 'Ombi halikukubaliwa',
      text: "K'KOO: Ombi lako la kuwa msafirishaji halikukubaliwa: {reason}.",
    },
  }),
  'rider.job_assigned': t({
    audience: 'rider',
    category: 'transactional',
    critical: false,
    placeholders: { order: 'text', pickup: 'text', fee: 'money' },
    en: {
      title: 'New delivery job',
      text: "K'KOO: New delivery job: order {order}, pick up at {pickup}. Your fee: {fee}.",
    },
    sw: {
      title: 'Kazi mpya',
      text: "K'KOO: Kazi mpya ya kusafirisha: oda {order}, chukua {pickup}. Malipo yako: {fee}.",
    },
  }),
  'rider.job_released': t({
    audience: 'rider',
    category: 'transactional',
    critical: false,
    placeholders: { order: 'text' },
    en: {
      title: 'Job released',
      text: "K'KOO: The delivery job for order {order} was released and is no longer yours.",
    },
    sw: {
      title: 'Kazi imeondolewa',
      text: "K'KOO: Kazi ya kusafirisha oda {order} imeondolewa na si yako tena.",
    },
  }),
  // ---- operations (every admin) ----
  'ops.refund_failed': t({
    audience: 'admin',
    category: 'operations',
    critical: false,
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
    critical: false,
    placeholders: { amount: 'money', since: 'time' },
    en: { title: 'Payout stuck', text: "K'KOO OPS: A payout of {amount} has been stuck since {since}." },
    sw: { title: 'Malipo yamekwama', text: "K'KOO OPS: Malipo ya {amount} yamekwama tangu {since}." },
  }),
  'ops.dispatch_waiting': t({
    audience: 'admin',
    category: 'operations',
    critical: false,
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
    critical: false,
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

export type TemplateKey = keyof typeof CATALOGUE;
export const TEMPLATE_KEYS = Object.keys(CATALOGUE) as TemplateKey[];

/** The approved WhatsApp template: one name per key (the language picks the translation), params in order. */
export function whatsappTemplate(key: TemplateKey): { name: string; params: string[] } {
  return { name: `kkoo_${key.replace(/\./g, '_')}`, params: Object.keys(CATALOGUE[key].placeholders) };
}

export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]!);
}

export function templateText(key: TemplateKey, language: Language): TemplateText {
  return (CATALOGUE[key] as TemplateDef)[language];
}
