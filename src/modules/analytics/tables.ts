// Pure: every analytics table as CSV (one function per table, the columns the JSON has).

import type { CohortRow } from './cohorts.js';
import { type Cell, toCsv } from './csv.js';
import type { Figures } from './figures.js';
import type { OrderEconomics, OrderFact } from './model.js';
import { localDay } from './periods.js';
import type { UnitRow } from './unit-economics.js';

const FIGURE_COLUMNS = [
  'orders',
  'gmv',
  'average_order_value',
  'take',
  'incentives_promotion',
  'incentives_code',
  'incentives_loyalty',
  'incentives_referral',
  'incentives_late_compensation',
  'incentives_total',
  'incentives_share_of_gmv_bp',
  'refunds',
  'refund_rate_bp',
  'dispute_rate_bp',
  'on_time_rate_bp',
  'acceptance_rate_bp',
  'new_buyers',
  'repeat_buyers',
];
const figureCells = (f: Figures): Cell[] => [
  f.orders,
  f.gmv,
  f.average_order_value,
  f.take,
  f.incentives.promotion,
  f.incentives.code,
  f.incentives.loyalty,
  f.incentives.referral,
  f.incentives.late_compensation,
  f.incentives.total,
  f.incentives.share_of_gmv_bp,
  f.refunds,
  f.refund_rate_bp,
  f.dispute_rate_bp,
  f.on_time_rate_bp,
  f.acceptance_rate_bp,
  f.new_buyers,
  f.repeat_buyers,
];

export const summaryCsv = (series: Array<Figures & { period: string }>) =>
  toCsv(
    ['period', ...FIGURE_COLUMNS],
    series.map((s) => [s.period, ...figureCells(s)]),
  );

const UNIT_COLUMNS = [
  'orders',
  'gmv',
  'take',
  'incentives',
  'late_compensation',
  'absorbed_refunds',
  'payment_fees',
  'message_costs',
  'contribution',
  'contribution_per_order',
] as const;

export const unitEconomicsCsv = (by: string, items: UnitRow[], total: UnitRow) =>
  toCsv(
    [by, ...UNIT_COLUMNS],
    [...items, total].map((r) => [r.key, ...UNIT_COLUMNS.map((c) => r[c])]),
  );

export function cohortsCsv(items: CohortRow[]) {
  const weeks = Math.max(1, ...items.map((c) => c.active.length));
  return toCsv(
    ['cohort', 'buyers', ...Array.from({ length: weeks }, (_, k) => `week_${k}`)],
    items.map((c) => [c.cohort, c.buyers, ...Array.from({ length: weeks }, (_, k) => c.active[k] ?? 0)]),
  );
}

export const topProductsCsv = (
  items: Array<{ product_id: string; title: string; units: number; amount: number; orders: number }>,
) =>
  toCsv(
    ['product_id', 'title', 'units', 'amount', 'orders'],
    items.map((p) => [p.product_id, p.title, p.units, p.amount, p.orders]),
  );

export const topSellersCsv = (
  items: Array<{ seller_id: string; shop_name: string; orders: number; gmv: number; contribution: number }>,
) =>
  toCsv(
    ['seller_id', 'shop_name', 'orders', 'gmv', 'contribution'],
    items.map((s) => [s.seller_id, s.shop_name, s.orders, s.gmv, s.contribution]),
  );

export const ordersCsv = (items: Array<{ fact: OrderFact; economics: OrderEconomics }>) =>
  toCsv(
    [
      'order_id',
      'paid_day',
      'status',
      'seller_id',
      'zone',
      'gmv',
      'take',
      'incentives',
      'late_compensation',
      'absorbed_refunds',
      'refunds',
      'payment_fees',
      'message_costs',
      'contribution',
    ],
    items.map(({ fact: o, economics: e }) => [
      o.id,
      localDay(o.paidAt),
      o.status,
      o.sellerId,
      o.zone,
      e.gmv,
      e.take,
      e.incentives,
      e.lateCompensation,
      e.absorbedRefunds,
      e.refunds,
      e.paymentFees,
      e.messageCosts,
      e.contribution,
    ]),
  );
