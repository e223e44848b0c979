// Pure: which orders make up each figure, so every number on the page opens to its order ids.
import { deliveredLate, economicsOf, fullyRefunded } from './economics.js';
import { disputeLost, onTime, promisedAndDelivered, refundedAny } from './figures.js';
import type { AnalyticsSettings, OrderFact } from './model.js';

export const DRILL_FIGURES = [
  'orders',
  'gmv',
  'take',
  'incentives',
  'late_compensation',
  'refunded',
  'refunded_in_full',
  'partially_refunded',
  'disputed',
  'disputes_lost',
  'on_time',
  'late',
  'accepted',
  'refused',
  'new_buyers',
  'repeat_buyers',
  'loss_making',
] as const;
export type DrillFigure = (typeof DRILL_FIGURES)[number];

/** Does order `o` count towards `figure`? `rangeStart`: a new buyer's first order is on or after it. */
export function counts(figure: DrillFigure, o: OrderFact, s: AnalyticsSettings, rangeStart: Date): boolean {
  switch (figure) {
    case 'orders':
    case 'gmv':
      return true;
    case 'take':
      return economicsOf(o, s).take > 0;
    case 'incentives':
      return economicsOf(o, s).incentives + economicsOf(o, s).lateCompensation > 0;
    case 'late_compensation':
      return economicsOf(o, s).lateCompensation > 0;
    case 'refunded':
      return refundedAny(o);
    case 'refunded_in_full':
      return fullyRefunded(o);
    case 'partially_refunded':
      return o.resolution === 'partial_refund';
    case 'disputed':
      return o.disputed;
    case 'disputes_lost':
      return disputeLost(o);
    case 'on_time':
      return onTime(o);
    case 'late':
      return promisedAndDelivered(o) && deliveredLate(o);
    case 'accepted':
      return o.accepted;
    case 'refused':
      return o.refused;
    case 'new_buyers':
      return o.buyerFirstPaidAt.getTime() >= rangeStart.getTime();
    case 'repeat_buyers':
      return o.buyerFirstPaidAt.getTime() < rangeStart.getTime();
    case 'loss_making':
      return economicsOf(o, s).contribution < 0;
  }
}
