import { describe, expect, it } from 'vitest';
import { cohortsOf } from './cohorts.js';
import { counts } from './drill.js';
import { bp, economicsOf, perOrder, riderShare } from './economics.js';
import { economicsMap, summarise } from './figures.js';
import type { AnalyticsSettings, OrderFact } from './model.js';
import { unitEconomics } from './unit-economics.js';

const settings: AnalyticsSettings = {
  riderFeeShareBp: 8000,
  collectionTariff: [{ up_to: null, fixed: 0, bp: 100 }],
  disbursementTariff: [{ up_to: null, fixed: 500, bp: 0 }],
  smsCost: 25,
  whatsappCost: 40,
  currency: 'TZS',
};

let n = 0;
function fact(over: Partial<OrderFact> = {}): OrderFact {
  n++;
  const id = `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`;
  return {
    id,
    checkoutId: id,
    buyerId: 'b1',
    sellerId: 's1',
    status: 'completed',
    paidAt: new Date('2026-12-07T09:00:00Z'),
    buyerFirstPaidAt: new Date('2026-12-07T09:00:00Z'),
    zone: 'Kariakoo',
    categoryId: 'c1',
    originalAmount: 10_000,
    finalAmount: 9_000,
    deliveryFee: 3_000,
    buyerFee: 0,
    promotionDiscount: 1_000,
    codeDiscount: 0,
    loyaltyDiscount: 0,
    referralRewards: 0,
    riderId: 'r1',
    promisedBy: null,
    deliveredAt: null,
    disputed: false,
    resolution: null,
    disputeRefund: 0,
    fault: null,
    accepted: true,
    refused: false,
    checkoutOrderTotals: [12_000],
    checkoutIndex: 0,
    refundSends: [],
    messageCostRecorded: 0,
    smsUncosted: 0,
    whatsappUncosted: 0,
    ...over,
  };
}

describe('one order’s economics', () => {
  it('completed: take is the fee less the rider’s share; every cost comes off it', () => {
    const e = economicsOf(fact({ smsUncosted: 2, whatsappUncosted: 1, messageCostRecorded: 7 }), settings);
    expect(e).toMatchObject({
      gmv: 12_000,
      take: 3_000 - 2_400,
      promotion: 1_000,
      incentives: 1_000,
      lateCompensation: 0,
      refunds: 0,
      paymentFees: 120, // 1 % of the 12 000 collected
      messageCosts: 7 + 2 * 25 + 40,
    });
    expect(e.contribution).toBe(600 - 1_000 - 120 - 97);
  });

  it('the rider’s share is whole shillings rounded down, and none without a rider', () => {
    expect(riderShare({ deliveryFee: 2_990, riderId: 'r' }, 8000)).toBe(2_300);
    expect(riderShare({ deliveryFee: 2_990, riderId: null }, 8000)).toBe(0);
    expect(economicsOf(fact({ riderId: null }), settings).take).toBe(3_000);
  });

  it('a buyer fee is kept with the take', () => {
    expect(economicsOf(fact({ buyerFee: 500 }), settings).take).toBe(600 + 500);
  });

  it('refunded in full: no take, the incentive comes back, the refund and its send still cost', () => {
    const e = economicsOf(
      fact({ status: 'cancelled', accepted: false, refused: true, refundSends: [12_000] }),
      settings,
    );
    expect(e).toMatchObject({ take: 0, incentives: 0, refunds: 12_000, paymentFees: 120 + 500 });
    expect(e.contribution).toBe(-620);
  });

  it('late: the fee goes back to the buyer as compensation; recovered if the order is then refunded', () => {
    const late = {
      promisedBy: new Date('2026-12-07T10:00:00Z'),
      deliveredAt: new Date('2026-12-07T10:00:01Z'),
    };
    expect(economicsOf(fact(late), settings).lateCompensation).toBe(3_000);
    expect(
      economicsOf(fact({ ...late, status: 'refunded', resolution: 'full_refund' }), settings)
        .lateCompensation,
    ).toBe(0);
    const onTime = { ...late, deliveredAt: new Date('2026-12-07T10:00:00Z') };
    expect(economicsOf(fact(onTime), settings).lateCompensation).toBe(0);
  });

  it('full refund after a dispute: the platform pays the rider’s share unless it was the rider’s fault', () => {
    const base = { status: 'refunded', disputed: true, resolution: 'full_refund' };
    expect(economicsOf(fact({ ...base, fault: 'seller' }), settings).absorbedRefunds).toBe(2_400);
    expect(economicsOf(fact({ ...base, fault: 'rider' }), settings).absorbedRefunds).toBe(0);
    expect(economicsOf(fact({ ...base, fault: 'seller', riderId: null }), settings).absorbedRefunds).toBe(0);
  });

  it('partial refund: the seller bears it; the platform keeps the fee and paid the incentive', () => {
    const e = economicsOf(
      fact({ status: 'resolved', disputed: true, resolution: 'partial_refund', disputeRefund: 4_000 }),
      settings,
    );
    expect(e).toMatchObject({ take: 600, incentives: 1_000, refunds: 4_000, absorbedRefunds: 0 });
  });

  it('integer rules: per order rounds toward minus infinity, shares are basis points rounded down', () => {
    expect(perOrder(10, 3)).toBe(3);
    expect(perOrder(-10, 3)).toBe(-4);
    expect(perOrder(5, 0)).toBe(0);
    expect(bp(1, 3)).toBe(3333);
    expect(bp(1, 0)).toBe(0);
  });
});

describe('figures over many orders', () => {
  it('sums, rates and new/repeat buyers per period, empty periods as zeros', () => {
    const facts = [
      fact({
        buyerId: 'a',
        paidAt: new Date('2026-12-06T22:30:00Z'),
        buyerFirstPaidAt: new Date('2026-12-06T22:30:00Z'),
      }),
      fact({
        buyerId: 'b',
        paidAt: new Date('2026-12-07T09:00:00Z'),
        buyerFirstPaidAt: new Date('2026-11-01T09:00:00Z'),
        status: 'rejected',
        accepted: false,
        refused: true,
      }),
      fact({
        buyerId: 'a',
        paidAt: new Date('2026-12-09T09:00:00Z'),
        buyerFirstPaidAt: new Date('2026-12-06T22:30:00Z'),
        disputed: true,
        status: 'resolved',
        resolution: 'partial_refund',
        disputeRefund: 1_000,
        promisedBy: new Date('2026-12-09T10:00:00Z'),
        deliveredAt: new Date('2026-12-09T11:00:00Z'),
      }),
    ];
    const { totals, series } = summarise(facts, settings, {
      from: '2026-12-07',
      to: '2026-12-09',
      grain: 'day',
    });
    expect(series.map((s) => [s.period, s.orders])).toEqual([
      ['2026-12-07', 2],
      ['2026-12-08', 0],
      ['2026-12-09', 1],
    ]);
    expect(totals).toMatchObject({
      orders: 3,
      gmv: 36_000,
      average_order_value: 12_000,
      take: 600 + 600,
      refunds: 12_000 + 1_000,
      refund_rate_bp: 6666,
      dispute_rate_bp: 3333,
      on_time_rate_bp: 0,
      acceptance_rate_bp: 6666,
      new_buyers: 1,
      repeat_buyers: 1,
    });
    // promotion on the two not voided, late compensation on the late one
    expect(totals.incentives).toMatchObject({ promotion: 2_000, late_compensation: 3_000, total: 5_000 });
    expect(totals.incentives.share_of_gmv_bp).toBe(Math.floor((5_000 * 10_000) / 36_000));
    expect(series[0]).toMatchObject({ new_buyers: 1, repeat_buyers: 1 });
    // buyer a is not new again on the 9th: their first order was on the 7th (local)
    expect(series[2]).toMatchObject({ new_buyers: 0, repeat_buyers: 1 });
    expect(series[1]).toMatchObject({
      gmv: 0,
      average_order_value: 0,
      on_time_rate_bp: null,
      acceptance_rate_bp: null,
    });
    const start = new Date('2026-12-07T00:00:00+03:00');
    expect(facts.filter((o) => counts('new_buyers', o, settings, start)).map((o) => o.buyerId)).toEqual([
      'a',
      'a',
    ]);
    expect(facts.filter((o) => counts('late', o, settings, start))).toEqual([facts[2]]);
  });

  it('a dispute is lost by the seller when resolved with money back, unless the rider was at fault', () => {
    const start = new Date('2026-12-01T00:00:00+03:00');
    const lost = (over: Partial<OrderFact>) => counts('disputes_lost', fact(over), settings, start);
    expect(lost({ disputed: true, resolution: 'full_refund', fault: 'seller' })).toBe(true);
    expect(lost({ disputed: true, resolution: 'partial_refund', fault: 'none' })).toBe(true);
    expect(lost({ disputed: true, resolution: 'full_refund', fault: 'rider' })).toBe(false);
    expect(lost({ disputed: true, resolution: 'release_to_seller', fault: 'none' })).toBe(false);
    expect(lost({ disputed: true, resolution: null })).toBe(false);
    expect(lost({ disputed: false, resolution: 'full_refund', status: 'rejected' })).toBe(false);
  });

  it('unit economics group and total, worst contribution first; weeks in time order', () => {
    const facts = [
      fact({ sellerId: 's1' }),
      fact({ sellerId: 's2', status: 'cancelled', refundSends: [12_000] }),
      fact({ sellerId: 's1', paidAt: new Date('2026-12-14T09:00:00Z') }),
    ];
    const econ = economicsMap(facts, settings);
    const bySeller = unitEconomics(facts, econ, 'seller');
    expect(bySeller.items.map((r) => [r.key, r.orders])).toEqual([
      ['s1', 2],
      ['s2', 1],
    ]);
    expect(bySeller.total.contribution).toBe([...econ.values()].reduce((a, e) => a + e.contribution, 0));
    expect(bySeller.total.contribution_per_order).toBe(Math.floor(bySeller.total.contribution / 3));
    expect(unitEconomics(facts, econ, 'week').items.map((r) => r.key)).toEqual(['2026-12-07', '2026-12-14']);
  });

  it('cohorts: buyers by ISO week of their first order, active in later weeks', () => {
    const first = new Date('2026-12-07T09:00:00Z');
    const facts = [
      fact({ buyerId: 'a', buyerFirstPaidAt: first, paidAt: first }),
      fact({ buyerId: 'a', buyerFirstPaidAt: first, paidAt: new Date('2026-12-21T09:00:00Z') }),
      fact({ buyerId: 'b', buyerFirstPaidAt: first, paidAt: first }),
      fact({ buyerId: 'c', buyerFirstPaidAt: new Date('2026-11-02T09:00:00Z'), paidAt: first }),
    ];
    expect(cohortsOf(facts, new Date('2026-12-01T00:00:00+03:00'))).toEqual([
      { cohort: '2026-W50', buyers: 2, active: [2, 0, 1] },
    ]);
  });
});
