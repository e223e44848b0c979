import { type TemplateDef, t } from './types.js';

// What buyers hear: checkout, payment, the order's progress, refunds, disputes, loyalty.

export const BUYER_TEMPLATES = {
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
    placeholders: { amount: 'money', reason: 'reason' },
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
} satisfies Record<string, TemplateDef>;
