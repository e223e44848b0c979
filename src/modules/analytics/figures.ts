// Pure: the analytics figures of a set of paid orders, in total and per Dar es Salaam period.
import { bp, deliveredLate, economicsOf, fullyRefunded, perOrder } from './economics.js';
import type { AnalyticsSettings, Grain, OrderEconomics, OrderFact } from './model.js';
import { periodOf, periodsBetween } from './periods.js';

export interface Figures {
  orders: number;
  /** what buyers paid: goods after discounts plus delivery fees (= escrow holds funded) */
  gmv: number;
  /** floor(gmv / orders) */
  average_order_value: number;
  /** delivery fees kept less the rider's share, plus buyer fees */
  take: number;
  incentives: {
    promotion: number;
    code: number;
    loyalty: number;
    referral: number;
    late_compensation: number;
    total: number;
    /** total as a share of GMV, basis points rounded down */
    share_of_gmv_bp: number;
  };
  refunds: number;
  refund_rate_bp: number;
  dispute_rate_bp: number;
  /** null when no order with a promised time was delivered */
  on_time_rate_bp: number | null;
  /** null when no seller decided yet */
  acceptance_rate_bp: number | null;
  new_buyers: number;
  repeat_buyers: number;
}

export const refundedAny = (o: OrderFact) => fullyRefunded(o) || o.resolution === 'partial_refund';
export const promisedAndDelivered = (o: OrderFact) => o.promisedBy !== null && o.deliveredAt !== null;
export const onTime = (o: OrderFact) => promisedAndDelivered(o) && !deliveredLate(o);

/** The figures of `facts` (already filtered); `period` says which period new buyers are new in. */
export function figuresOf(
  facts: readonly OrderFact[],
  econ: ReadonlyMap<string, OrderEconomics>,
  isNewBuyer: (o: OrderFact) => boolean,
): Figures {
  let gmv = 0;
  let take = 0;
  let refunds = 0;
  const inc = { promotion: 0, code: 0, loyalty: 0, referral: 0, late_compensation: 0 };
  let refunded = 0;
  let disputed = 0;
  let promised = 0;
  let kept = 0;
  let accepted = 0;
  let decided = 0;
  const fresh = new Set<string>();
  const repeat = new Set<string>();
  for (const o of facts) {
    const e = econ.get(o.id)!;
    gmv += e.gmv;
    take += e.take;
    refunds += e.refunds;
    inc.promotion += e.promotion;
    inc.code += e.code;
    inc.loyalty += e.loyalty;
    inc.referral += e.referral;
    inc.late_compensation += e.lateCompensation;
    if (refundedAny(o)) refunded++;
    if (o.disputed) disputed++;
    if (promisedAndDelivered(o)) {
      promised++;
      if (onTime(o)) kept++;
    }
    if (o.accepted) accepted++;
    if (o.accepted || o.refused) decided++;
    (isNewBuyer(o) ? fresh : repeat).add(o.buyerId);
  }
  for (const b of fresh) repeat.delete(b);
  const total = inc.promotion + inc.code + inc.loyalty + inc.referral + inc.late_compensation;
  return {
    orders: facts.length,
    gmv,
    average_order_value: perOrder(gmv, facts.length),
    take,
    incentives: { ...inc, total, share_of_gmv_bp: bp(total, gmv) },
    refunds,
    refund_rate_bp: bp(refunded, facts.length),
    dispute_rate_bp: bp(disputed, facts.length),
    on_time_rate_bp: promised > 0 ? bp(kept, promised) : null,
    acceptance_rate_bp: decided > 0 ? bp(accepted, decided) : null,
    new_buyers: fresh.size,
    repeat_buyers: repeat.size,
  };
}

export function economicsMap(facts: readonly OrderFact[], s: AnalyticsSettings) {
  return new Map(facts.map((o) => [o.id, economicsOf(o, s)]));
}

/**
 * Totals over the range and one row per period (every period of the range, empty ones as zeros).
 * A buyer is new in a period when their first paid order ever falls in that same period; over the
 * whole range, when it falls inside the range.
 */
export function summarise(
  facts: readonly OrderFact[],
  s: AnalyticsSettings,
  range: { from: string; to: string; grain: Grain },
  econ: ReadonlyMap<string, OrderEconomics> = economicsMap(facts, s),
) {
  const byPeriod = new Map<string, OrderFact[]>();
  for (const o of facts) {
    const p = periodOf(o.paidAt, range.grain);
    const list = byPeriod.get(p);
    if (list) list.push(o);
    else byPeriod.set(p, [o]);
  }
  const startOfRange = Date.parse(`${range.from}T00:00:00+03:00`);
  const totals = figuresOf(facts, econ, (o) => o.buyerFirstPaidAt.getTime() >= startOfRange);
  const series = periodsBetween(range.from, range.to, range.grain).map((period) => ({
    period,
    ...figuresOf(
      byPeriod.get(period) ?? [],
      econ,
      (o) => periodOf(o.buyerFirstPaidAt, range.grain) === period,
    ),
  }));
  return { totals, series };
}
