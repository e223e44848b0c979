import { type TemplateDef, t } from './types.js';

// What riders hear: their verification and their delivery jobs.

export const RIDER_TEMPLATES = {
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
    placeholders: { order: 'text', pickup_by: 'time' },
    en: {
      title: 'New delivery job',
      text: "K'KOO: New delivery job: order {order}. Collect it from the seller by {pickup_by}; the app shows where.",
    },
    sw: {
      title: 'Kazi mpya',
      text: "K'KOO: Kazi mpya ya kusafirisha: oda {order}. Ichukue kwa muuzaji kabla ya {pickup_by}; programu inaonyesha mahali.",
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
} satisfies Record<string, TemplateDef>;
