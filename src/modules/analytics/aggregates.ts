// SQL sums over the facts table's stored economics (computed at fold time by the pure rules in
// economics.ts and figures.ts): the page reads tens of grouped rows instead of every order of the
// range. Only sums and counts here; every average, share and rate is computed by the pure modules.
import { type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { FigureSums } from './figures.js';
import type { Grain } from './model.js';
import { type FactFilter, num, rowsOf, scoped } from './queries.js';
import type { UnitGroup, UnitRow } from './unit-economics.js';

/** A local (UTC+03:00, all year) timestamp of a column, as periods.ts counts days. */
const local = (col: string) => `((f.${col} at time zone 'UTC') + interval '3 hours')`;
/** The first local day of the period holding a column's instant, YYYY-MM-DD (periods.ts `periodOf`). */
export function periodSql(col: string, grain: Grain): SQL {
  const at = grain === 'day' ? local(col) : `date_trunc('${grain}', ${local(col)})`;
  return sql.raw(`to_char(${at}, 'YYYY-MM-DD')`);
}

const FROM = sql`from analytics_order_facts f
  left join products p on p.id = f.main_product_id
  left join categories c on c.id = p.category_id`;

const SUMS = sql`count(*)::int as orders,
  coalesce(sum(f.e_gmv), 0)::bigint as gmv, coalesce(sum(f.e_take), 0)::bigint as take,
  coalesce(sum(f.e_promotion), 0)::bigint as promotion, coalesce(sum(f.e_code), 0)::bigint as code,
  coalesce(sum(f.e_loyalty), 0)::bigint as loyalty, coalesce(sum(f.e_referral), 0)::bigint as referral,
  coalesce(sum(f.e_late_compensation), 0)::bigint as late_compensation,
  coalesce(sum(f.e_refunds), 0)::bigint as refunds,
  (count(*) filter (where f.refunded_any))::int as refunded,
  (count(*) filter (where f.disputed))::int as disputed,
  (count(*) filter (where f.promised_delivered))::int as promised,
  (count(*) filter (where f.on_time))::int as kept,
  (count(*) filter (where f.accepted))::int as accepted,
  (count(*) filter (where f.accepted or f.refused))::int as decided`;

function sumsOfRow(r: Record<string, unknown>): FigureSums {
  return {
    orders: num(r.orders),
    gmv: num(r.gmv),
    take: num(r.take),
    promotion: num(r.promotion),
    code: num(r.code),
    loyalty: num(r.loyalty),
    referral: num(r.referral),
    lateCompensation: num(r.late_compensation),
    refunds: num(r.refunds),
    refunded: num(r.refunded),
    disputed: num(r.disputed),
    promised: num(r.promised),
    kept: num(r.kept),
    accepted: num(r.accepted),
    decided: num(r.decided),
    newBuyers: num(r.new_buyers),
    repeatBuyers: num(r.repeat_buyers),
  };
}

/**
 * The sums of the whole range and of each period with orders. A buyer is new in a period when
 * their first paid order falls in that period, over the range when it falls inside the range;
 * repeat otherwise (their first paid order is never later than an order of theirs).
 */
export async function summarySums(db: Database, f: FactFilter, grain: Grain) {
  const period = periodSql('paid_at', grain);
  const firstPeriod = periodSql('buyer_first_paid_at', grain);
  const from = f.from.toISOString();
  const [totals, periods] = await Promise.all([
    db.execute(sql`
      select ${SUMS},
        (count(distinct f.buyer_id) filter (where f.buyer_first_paid_at >= ${from}::timestamptz))::int as new_buyers,
        (count(distinct f.buyer_id) filter (where f.buyer_first_paid_at < ${from}::timestamptz))::int as repeat_buyers
      ${FROM} where ${scoped(f)}`),
    db.execute(sql`
      select ${period} as period, ${SUMS},
        (count(distinct f.buyer_id) filter (where ${firstPeriod} = ${period}))::int as new_buyers,
        (count(distinct f.buyer_id) filter (where ${firstPeriod} <> ${period}))::int as repeat_buyers
      ${FROM} where ${scoped(f)} group by 1`),
  ]);
  return {
    totals: sumsOfRow(rowsOf(totals)[0] ?? {}),
    byPeriod: new Map(rowsOf(periods).map((r) => [String(r.period), sumsOfRow(r)])),
  };
}

function groupKey(by: UnitGroup): SQL {
  switch (by) {
    case 'week':
      return periodSql('paid_at', 'week');
    case 'zone':
      return sql`coalesce(f.zone, '(no zone)')`;
    case 'category':
      return sql`coalesce(p.category_id::text, '(no category)')`;
    case 'seller':
      return sql`f.seller_id::text`;
    case 'order':
      return sql`f.order_id::text`;
  }
}

export type UnitSums = Omit<UnitRow, 'key' | 'contribution_per_order'>;

/** Unit economics sums per group (unsorted), plus the total (key null). */
export async function unitSums(db: Database, f: FactFilter, by: UnitGroup) {
  const res = await db.execute(sql`
    select ${groupKey(by)} as key, count(*)::int as orders,
      coalesce(sum(f.e_gmv), 0)::bigint as gmv, coalesce(sum(f.e_take), 0)::bigint as take,
      coalesce(sum(f.e_incentives), 0)::bigint as incentives,
      coalesce(sum(f.e_late_compensation), 0)::bigint as late_compensation,
      coalesce(sum(f.e_absorbed_refunds), 0)::bigint as absorbed_refunds,
      coalesce(sum(f.e_payment_fees), 0)::bigint as payment_fees,
      coalesce(sum(f.e_message_costs), 0)::bigint as message_costs,
      coalesce(sum(f.e_contribution), 0)::bigint as contribution
    ${FROM} where ${scoped(f)} group by grouping sets ((1), ())`);
  const rows: Array<{ key: string | null; sums: UnitSums }> = rowsOf(res).map((r) => ({
    key: r.key === null || r.key === undefined ? null : String(r.key),
    sums: {
      orders: num(r.orders),
      gmv: num(r.gmv),
      take: num(r.take),
      incentives: num(r.incentives),
      late_compensation: num(r.late_compensation),
      absorbed_refunds: num(r.absorbed_refunds),
      payment_fees: num(r.payment_fees),
      message_costs: num(r.message_costs),
      contribution: num(r.contribution),
    },
  }));
  return rows;
}

/** Orders, GMV and contribution of every seller of the filter (the top sellers table). */
export async function sellerSums(db: Database, f: FactFilter) {
  const res = await db.execute(sql`
    select f.seller_id, count(*)::int as orders, coalesce(sum(f.e_gmv), 0)::bigint as gmv,
      coalesce(sum(f.e_contribution), 0)::bigint as contribution
    ${FROM} where ${scoped(f)} group by f.seller_id`);
  return rowsOf(res).map((r) => ({
    seller_id: String(r.seller_id),
    orders: num(r.orders),
    gmv: num(r.gmv),
    contribution: num(r.contribution),
  }));
}

/**
 * Cohorts of the buyers whose first paid order falls inside the range: buyers per ISO week (local)
 * of their first paid order, and per cohort how many ordered k weeks later (cohorts.ts `cohortsOf`).
 */
export async function cohortSums(db: Database, f: FactFilter) {
  const cohort = sql.raw(`to_char(${local('buyer_first_paid_at')}, 'IYYY-"W"IW')`);
  const weeks = sql.raw(
    `((date_trunc('week', ${local('paid_at')})::date - date_trunc('week', ${local('buyer_first_paid_at')})::date) / 7)`,
  );
  const res = await db.execute(sql`
    select ${cohort} as cohort, ${weeks} as k, count(distinct f.buyer_id)::int as buyers
    ${FROM} where ${scoped(f)} and f.buyer_first_paid_at >= ${f.from.toISOString()}::timestamptz
    group by grouping sets ((1), (1, 2))`);
  return rowsOf(res).map((r) => ({
    cohort: String(r.cohort),
    k: r.k === null || r.k === undefined ? null : num(r.k),
    buyers: num(r.buyers),
  }));
}
