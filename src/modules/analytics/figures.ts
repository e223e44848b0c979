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
/** A dispute the seller lost: resolved with money back to the buyer, and not the rider's fault. */
export const disputeLost = (o: OrderFact) =>
  o.disputed && (o.resolution === 'full_refund' || o.resolution === 'partial_refund') && o.fault !== 'rider';
export const promisedAndDelivered = (o: OrderFact) => o.promisedBy !== null && o.deliveredAt !== null;
export const onTime = (o: OrderFact) => promisedAndDelivered(o) && !deliveredLate(o);

/** What the figures of a set of orders are made of: sums and counts (SQL GROUP BY or `sumsOf`). */
export interface FigureSums {
  orders: number;
  gmv: number;
  take: number;
  promotion: number;
  code: number;
  loyalty: number;
  referral: number;
  lateCompensation: number;
  refunds: number;
  /** orders refunded in full or in part */
  refunded: number;
  disputed: number;
  /** delivered with a promised time */
  promised: number;
  /** of those, by the promised time */
  kept: number;
  accepted: number;
  /** accepted, rejected or let the accept deadline pass */
  decided: number;
  newBuyers: number;
  repeatBuyers: number;
}

/** The flags one order adds to the counts, stored on its facts row at fold time. */
export const flagsOf = (o: OrderFact) => ({
  refundedAny: refundedAny(o),
  promisedDelivered: promisedAndDelivered(o),
  onTime: onTime(o),
});

/** The sums of `facts` (already filtered), in process; `isNewBuyer` says which buyers are new. */
export function sumsOf(
  facts: readonly OrderFact[],
  econ: ReadonlyMap<string, OrderEconomics>,
  isNewBuyer: (o: OrderFact) => boolean,
): FigureSums {
  const t: FigureSums = {
    orders: facts.length,
    gmv: 0,
    take: 0,
    promotion: 0,
    code: 0,
    loyalty: 0,
    referral: 0,
    lateCompensation: 0,
    refunds: 0,
    refunded: 0,
    disputed: 0,
    promised: 0,
    kept: 0,
    accepted: 0,
    decided: 0,
    newBuyers: 0,
    repeatBuyers: 0,
  };
  const fresh = new Set<string>();
  const repeat = new Set<string>();
  for (const o of facts) {
    const e = econ.get(o.id)!;
    t.gmv += e.gmv;
    t.take += e.take;
    t.refunds += e.refunds;
    t.promotion += e.promotion;
    t.code += e.code;
    t.loyalty += e.loyalty;
    t.referral += e.referral;
    t.lateCompensation += e.lateCompensation;
    const f = flagsOf(o);
    if (f.refundedAny) t.refunded++;
    if (o.disputed) t.disputed++;
    if (f.promisedDelivered) t.promised++;
    if (f.onTime) t.kept++;
    if (o.accepted) t.accepted++;
    if (o.accepted || o.refused) t.decided++;
    (isNewBuyer(o) ? fresh : repeat).add(o.buyerId);
  }
  for (const b of fresh) repeat.delete(b);
  t.newBuyers = fresh.size;
  t.repeatBuyers = repeat.size;
  return t;
}

/** The figures from their sums: every average, share and rate is computed here and only here. */
export function figuresFromSums(t: FigureSums): Figures {
  const total = t.promotion + t.code + t.loyalty + t.referral + t.lateCompensation;
  return {
    orders: t.orders,
    gmv: t.gmv,
    average_order_value: perOrder(t.gmv, t.orders),
    take: t.take,
    incentives: {
      promotion: t.promotion,
      code: t.code,
      loyalty: t.loyalty,
      referral: t.referral,
      late_compensation: t.lateCompensation,
      total,
      share_of_gmv_bp: bp(total, t.gmv),
    },
    refunds: t.refunds,
    refund_rate_bp: bp(t.refunded, t.orders),
    dispute_rate_bp: bp(t.disputed, t.orders),
    on_time_rate_bp: t.promised > 0 ? bp(t.kept, t.promised) : null,
    acceptance_rate_bp: t.decided > 0 ? bp(t.accepted, t.decided) : null,
    new_buyers: t.newBuyers,
    repeat_buyers: t.repeatBuyers,
  };
}

/** The figures of `facts` (already filtered); `isNewBuyer` says which buyers are new. */
export function figuresOf(
  facts: readonly OrderFact[],
  econ: ReadonlyMap<string, OrderEconomics>,
  isNewBuyer: (o: OrderFact) => boolean,
): Figures {
  return figuresFromSums(sumsOf(facts, econ, isNewBuyer));
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
