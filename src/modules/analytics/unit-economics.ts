// Pure: contribution (what the platform keeps less what it pays) per order, grouped by week, zone,
// category or seller, and its weekly trend.
import { perOrder } from './economics.js';
import type { OrderEconomics, OrderFact } from './model.js';
import { periodOf } from './periods.js';

export const UNIT_GROUPS = ['week', 'zone', 'category', 'seller', 'order'] as const;
export type UnitGroup = (typeof UNIT_GROUPS)[number];

export interface UnitRow {
  key: string;
  orders: number;
  gmv: number;
  take: number;
  incentives: number;
  late_compensation: number;
  absorbed_refunds: number;
  payment_fees: number;
  message_costs: number;
  contribution: number;
  /** floor(contribution / orders): a loss per order is never shown smaller than it is */
  contribution_per_order: number;
}

const keyOf = (o: OrderFact, by: UnitGroup): string => {
  switch (by) {
    case 'week':
      return periodOf(o.paidAt, 'week');
    case 'zone':
      return o.zone ?? '(no zone)';
    case 'category':
      return o.categoryId ?? '(no category)';
    case 'seller':
      return o.sellerId;
    case 'order':
      return o.id;
  }
};

export function emptyUnitRow(key: string): UnitRow {
  return {
    key,
    orders: 0,
    gmv: 0,
    take: 0,
    incentives: 0,
    late_compensation: 0,
    absorbed_refunds: 0,
    payment_fees: 0,
    message_costs: 0,
    contribution: 0,
    contribution_per_order: 0,
  };
}

export function addTo(row: UnitRow, e: OrderEconomics): void {
  row.orders++;
  row.gmv += e.gmv;
  row.take += e.take;
  row.incentives += e.incentives;
  row.late_compensation += e.lateCompensation;
  row.absorbed_refunds += e.absorbedRefunds;
  row.payment_fees += e.paymentFees;
  row.message_costs += e.messageCosts;
  row.contribution += e.contribution;
  row.contribution_per_order = perOrder(row.contribution, row.orders);
}

/** A row from its sums (SQL GROUP BY over the stored economics). */
export function unitRowOf(key: string, sums: Omit<UnitRow, 'key' | 'contribution_per_order'>): UnitRow {
  return { key, ...sums, contribution_per_order: perOrder(sums.contribution, sums.orders) };
}

/** Weeks sorted by time, other groups by contribution, worst first. */
export function sortUnitRows(rows: UnitRow[], by: UnitGroup): UnitRow[] {
  return rows.sort((a, b) =>
    by === 'week'
      ? a.key.localeCompare(b.key)
      : a.contribution - b.contribution || a.key.localeCompare(b.key),
  );
}

/** One row per group, plus the total; weeks sorted by time, other groups by contribution, worst first. */
export function unitEconomics(
  facts: readonly OrderFact[],
  econ: ReadonlyMap<string, OrderEconomics>,
  by: UnitGroup,
) {
  const rows = new Map<string, UnitRow>();
  const total = emptyUnitRow('total');
  for (const o of facts) {
    const e = econ.get(o.id)!;
    const key = keyOf(o, by);
    const row = rows.get(key) ?? emptyUnitRow(key);
    rows.set(key, row);
    addTo(row, e);
    addTo(total, e);
  }
  return { by, items: sortUnitRows([...rows.values()], by), total };
}
