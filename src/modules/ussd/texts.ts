// Every word the USSD channel says, in Swahili (the default) and English. Plain ASCII on purpose:
// it is GSM-7 on every handset, and a test walks every screen to prove each fits 182 characters.
import type { UssdDisputeReason, UssdLanguage } from './ports.js';

export interface UssdTexts {
  home: string;
  invalid: string;
  footer: string;
  ordersTitle: string;
  noOrders: string;
  promised: string;
  confirmTitle: string;
  noConfirmable: string;
  confirmAsk: (label: string, amount: string) => string;
  yes: string;
  disputeTitle: string;
  noDisputable: string;
  reasonTitle: (label: string) => string;
  reasons: Record<UssdDisputeReason, string>;
  /** the dispute's statement, kept with the dispute as the buyer's evidence */
  statement: (reason: string) => string;
  languageTitle: string;
  confirmed: (label: string) => string;
  disputed: (label: string) => string;
  languageSet: string;
  notNow: (label: string, status: string) => string;
  windowClosed: (label: string) => string;
  alreadyDone: string;
  inProgress: string;
  failed: string;
  status: Record<string, string>;
}

const sw: UssdTexts = {
  home: "K'KOO\n1 Oda zangu\n2 Thibitisha kupokea\n3 Ripoti tatizo\n4 Lugha/Language",
  invalid: 'Chaguo batili.',
  footer: '0 Nyuma 00 Mwanzo',
  ordersTitle: 'Oda zako:',
  noOrders: 'Huna oda bado.',
  promised: 'ahadi',
  confirmTitle: 'Chagua oda uliyopokea:',
  noConfirmable: 'Huna oda iliyofika inayosubiri uthibitisho.',
  confirmAsk: (label, amount) =>
    `Thibitisha umepokea ${label} (${amount})? Malipo yatatolewa kwa muuzaji.\n1 Ndiyo`,
  yes: 'Ndiyo',
  disputeTitle: 'Oda ipi ina tatizo?',
  noDisputable: 'Huna oda inayoweza kuripotiwa sasa.',
  reasonTitle: (label) => `Tatizo la ${label} ni nini?`,
  reasons: {
    wrong_item: 'Bidhaa tofauti',
    damaged: 'Imeharibika',
    missing_items: 'Vitu vimepungua',
    not_delivered: 'Sikuipokea',
    counterfeit: 'Bandia',
  },
  statement: (reason) => `Mnunuzi aliripoti kwa USSD: ${reason}.`,
  languageTitle: 'Chagua lugha / Choose language:\n1 Kiswahili\n2 English',
  confirmed: (label) => `Asante! Umethibitisha kupokea ${label}. Malipo yametolewa kwa muuzaji. Utapata SMS.`,
  disputed: (label) =>
    `Tatizo la ${label} limeripotiwa. Pesa yako imeshikiliwa hadi tutatue. Tutakupigia. Utapata SMS.`,
  languageSet: 'Lugha: Kiswahili.',
  notNow: (label, status) => `Haiwezekani sasa: ${label} ni "${status}".`,
  windowClosed: (label) => `Muda wa kuripoti tatizo la ${label} umepita.`,
  alreadyDone: 'Oda hii imeshashughulikiwa katika kikao hiki.',
  inProgress: 'Ombi lako linashughulikiwa. Angalia tena baadaye.',
  failed: 'Samahani, huduma haipatikani sasa. Jaribu tena baadaye.',
  status: {
    pending_payment: 'Inasubiri malipo',
    paid: 'Imelipwa',
    accepted: 'Imekubaliwa',
    ready_for_pickup: 'Iko tayari',
    out_for_delivery: 'Njiani',
    delivered: 'Imefika',
    completed: 'Imekamilika',
    payment_failed: 'Malipo yameshindwa',
    cancelled: 'Imeghairiwa',
    rejected: 'Imekataliwa',
    delivery_failed: 'Haikufika',
    returning: 'Inarudishwa',
    returned: 'Imerudishwa',
    disputed: 'Tatizo limeripotiwa',
    refunded: 'Pesa imerudishwa',
    resolved: 'Imetatuliwa',
  },
};

const en: UssdTexts = {
  home: "K'KOO\n1 My orders\n2 Confirm delivery\n3 Report a problem\n4 Lugha/Language",
  invalid: 'Invalid choice.',
  footer: '0 Back 00 Home',
  ordersTitle: 'Your orders:',
  noOrders: 'You have no orders yet.',
  promised: 'due',
  confirmTitle: 'Which order did you receive?',
  noConfirmable: 'No delivered order is waiting for your confirmation.',
  confirmAsk: (label, amount) => `Confirm you received ${label} (${amount})? The seller will be paid.\n1 Yes`,
  yes: 'Yes',
  disputeTitle: 'Which order has a problem?',
  noDisputable: 'No order can be reported now.',
  reasonTitle: (label) => `What is wrong with ${label}?`,
  reasons: {
    wrong_item: 'Wrong item',
    damaged: 'Damaged',
    missing_items: 'Items missing',
    not_delivered: 'Not received',
    counterfeit: 'Counterfeit',
  },
  statement: (reason) => `Buyer reported by USSD: ${reason}.`,
  languageTitle: 'Chagua lugha / Choose language:\n1 Kiswahili\n2 English',
  confirmed: (label) =>
    `Thank you! You confirmed receipt of ${label}. The seller is paid. An SMS will follow.`,
  disputed: (label) =>
    `Problem with ${label} reported. Your money is held until we resolve it. We will call you. An SMS will follow.`,
  languageSet: 'Language: English.',
  notNow: (label, status) => `Not possible now: ${label} is "${status}".`,
  windowClosed: (label) => `The time to report a problem with ${label} has passed.`,
  alreadyDone: 'This order was already handled in this session.',
  inProgress: 'Your request is being handled. Check again later.',
  failed: 'Sorry, the service is unavailable now. Please try again later.',
  status: {
    pending_payment: 'Awaiting payment',
    paid: 'Paid',
    accepted: 'Accepted',
    ready_for_pickup: 'Ready',
    out_for_delivery: 'On the way',
    delivered: 'Delivered',
    completed: 'Completed',
    payment_failed: 'Payment failed',
    cancelled: 'Cancelled',
    rejected: 'Rejected',
    delivery_failed: 'Not delivered',
    returning: 'Returning',
    returned: 'Returned',
    disputed: 'Problem reported',
    refunded: 'Refunded',
    resolved: 'Resolved',
  },
};

export const TEXTS: Record<UssdLanguage, UssdTexts> = { sw, en };

/** Said before we know who calls, so in both languages. */
export const UNKNOWN_CALLER =
  "K'KOO: Pakua app ya K'KOO ujisajili kwa namba hii ili kununua. / Get the K'KOO app and sign up with this number to shop.";
export const MALFORMED =
  'Samahani, ombi halikueleweka. Piga tena. / Sorry, we could not read that request. Please dial again.';
export const RATE_LIMITED =
  'Maombi mengi mno. Jaribu tena baada ya dakika moja. / Too many requests. Try again in a minute.';
