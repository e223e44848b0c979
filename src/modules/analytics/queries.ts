// SQL for analytics: the facts of paid orders (kept in its own table, folded in from the owning
// tables' rows here and nowhere else: it never writes another module's table) and the ledger's sums.
import { type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { economicsKey, economicsOf } from './economics.js';
import { flagsOf } from './figures.js';
import type { AnalyticsSettings, OrderFact } from './model.js';

export interface FactFilter {
  /** only orders in this currency: figures never add shillings to another money */
  currency: string;
  /** paid at or after (UTC instant) */
  from: Date;
  /** paid before */
  to: Date;
  /** the zone's name as orders' snapshots hold it */
  zoneName?: string | undefined;
  /** the category's path: the order's main category is it or below it */
  categoryPath?: string | undefined;
  sellerId?: string | undefined;
  promotionId?: string | undefined;
}

export const rowsOf = (res: unknown) => (res as { rows: Array<Record<string, unknown>> }).rows;
export const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as number | string | Date));
const nums = (v: unknown): number[] => {
  if (v === null || v === undefined) return [];
  const arr = typeof v === 'string' ? (JSON.parse(v) as unknown[]) : (v as unknown[]);
  return arr.map(Number);
};

/** The facts of the filter (paid in the range, then zone, seller, category, promotion). */
export function scoped(f: FactFilter): SQL {
  const parts: SQL[] = [sql`f.currency = ${f.currency}`];
  parts.push(sql`f.paid_at >= ${f.from.toISOString()}::timestamptz`);
  parts.push(sql`f.paid_at < ${f.to.toISOString()}::timestamptz`);
  if (f.sellerId) parts.push(sql`f.seller_id = ${f.sellerId}::uuid`);
  if (f.zoneName) parts.push(sql`lower(f.zone) = lower(${f.zoneName})`);
  if (f.promotionId) parts.push(sql`${f.promotionId} = any(f.promotion_ids)`);
  if (f.categoryPath) parts.push(sql`c.path like ${`${f.categoryPath}%`}`);
  return sql.join(parts, sql` and `);
}

const uuids = (ids: readonly string[]) => `{${ids.join(',')}}`;

/** How many logged orders one fold transaction takes (a long backfill never holds one huge transaction). */
export const FOLD_SLICE = 5_000;

/**
 * Folds the log of changed orders into the facts table, a slice of the log per transaction: the
 * facts of every logged order (and its checkout's siblings, whose totals it carries) are computed
 * again from the owning tables, their economics by the pure rules (stored with the settings' key),
 * and the first-order time of their buyers is corrected on the buyers' other facts. Facts whose
 * economics were computed with other settings are logged again first. A change committed while this
 * runs stays in the log for the next read. Returns the orders folded.
 */
export async function refreshFacts(db: Database, settings: AnalyticsSettings): Promise<number> {
  const key = economicsKey(settings);
  // Index range scans on economics_key: nothing found (the usual case) costs a few index pages.
  await db.execute(sql`
    insert into analytics_dirty_orders (order_id)
    select order_id from analytics_order_facts
    where economics_key is null or economics_key < ${key} or economics_key > ${key}`);
  let folded = 0;
  for (;;) {
    const n = await foldSlice(db, settings, key);
    if (n === 0) return folded;
    folded += n;
  }
}

async function foldSlice(db: Database, settings: AnalyticsSettings, key: string): Promise<number> {
  return db.transaction(async (tx) => {
    // One refresher at a time: two would compute the same rows and race on the upsert.
    await tx.execute(sql`select pg_advisory_xact_lock(727551019)`);
    const logged = rowsOf(
      await tx.execute(sql`
        with gone as (
          delete from analytics_dirty_orders where seq in (
            select seq from analytics_dirty_orders order by seq limit ${FOLD_SLICE})
          returning order_id)
        select distinct order_id from gone`),
    ).map((r) => String(r.order_id));
    if (logged.length === 0) return 0;
    // JIT off: the planner's row guesses for these joins are huge, so PostgreSQL would JIT-compile
    // the query, which cost 2–3 s here against ~100 ms of work (measured with explain analyze).
    await tx.execute(sql`set local jit = off`);
    await tx.execute(upsertSql(uuids(logged)));
    await tx.execute(sql`
      update analytics_order_facts f set buyer_first_paid_at = m.first_paid_at
      from (
        select o.buyer_id, min(o.paid_at) as first_paid_at from orders o
        where o.paid_at is not null and o.buyer_id in (
          select buyer_id from orders where id = any(${uuids(logged)}::uuid[]))
        group by o.buyer_id
      ) m
      where f.buyer_id = m.buyer_id and f.buyer_first_paid_at <> m.first_paid_at`);
    // The economics of every upserted row (the logged orders and their checkouts' siblings).
    const facts = await selectFacts(
      tx,
      sql`f.checkout_id in (select checkout_id from analytics_order_facts
        where order_id = any(${uuids(logged)}::uuid[]))`,
    );
    const stored = facts.map((o) => {
      const e = economicsOf(o, settings);
      const f = flagsOf(o);
      return {
        order_id: o.id,
        e_gmv: e.gmv,
        e_take: e.take,
        e_promotion: e.promotion,
        e_code: e.code,
        e_loyalty: e.loyalty,
        e_referral: e.referral,
        e_incentives: e.incentives,
        e_late_compensation: e.lateCompensation,
        e_absorbed_refunds: e.absorbedRefunds,
        e_refunds: e.refunds,
        e_payment_fees: e.paymentFees,
        e_message_costs: e.messageCosts,
        e_contribution: e.contribution,
        refunded_any: f.refundedAny,
        promised_delivered: f.promisedDelivered,
        on_time: f.onTime,
      };
    });
    if (stored.length > 0) {
      const cols = Object.keys(stored[0]!).filter((c) => c !== 'order_id');
      const types = cols.map((c) => `${c} ${c.startsWith('e_') ? 'bigint' : 'boolean'}`).join(', ');
      await tx.execute(sql`
        update analytics_order_facts f set economics_key = ${key},
          ${sql.raw(cols.map((c) => `${c} = x.${c}`).join(', '))}
        from jsonb_to_recordset(${JSON.stringify(stored)}::jsonb) as x(order_id uuid, ${sql.raw(types)})
        where f.order_id = x.order_id`);
    }
    // The page cache is keyed by this version: a fold that changed facts makes cached pages stale.
    await tx.execute(sql`update analytics_facts_state set version = version + 1 where id = 1`);
    return logged.length;
  });
}

/** The facts version: bumped by every fold (the page cache's key). */
export async function factsVersion(db: Database): Promise<number> {
  const res = await db.execute(sql`select version from analytics_facts_state where id = 1`);
  return num(rowsOf(res)[0]?.version);
}

/** One row per paid order of the filter: every fact the pure rules need, from the facts table. */
export async function loadFacts(db: Database, f: FactFilter): Promise<OrderFact[]> {
  return selectFacts(db, scoped(f));
}

async function selectFacts(db: Database, where: SQL): Promise<OrderFact[]> {
  // Times as epoch milliseconds (a float the driver hands over as a number, not a timestamp string
  // to parse), and only the columns the rules read: ~30 % of the read's time on 8,000 orders.
  const ms = (c: string) => sql.raw(`(extract(epoch from f.${c}) * 1000)::float8 as ${c}`);
  const res = await db.execute(sql`
    select f.order_id, f.checkout_id, f.buyer_id, f.seller_id, f.status, ${ms('paid_at')},
      ${ms('buyer_first_paid_at')}, f.zone, p.category_id, f.original_amount, f.final_amount,
      f.delivery_fee, f.buyer_fee, f.promotion_discount, f.code_discount, f.loyalty_discount, f.rider_id,
      ${ms('promised_by')}, ${ms('delivered_at')}, f.disputed, f.resolution, f.dispute_refund, f.fault,
      f.accepted, f.refused, f.checkout_order_totals, f.checkout_index, f.refund_sends,
      f.message_cost_recorded, f.sms_uncosted, f.whatsapp_uncosted
    from analytics_order_facts f
    left join products p on p.id = f.main_product_id
    left join categories c on c.id = p.category_id
    where ${where}
    order by f.paid_at, f.order_id`);
  return rowsOf(res).map(factOf);
}

const FACT_COLUMNS = [
  'order_id',
  'checkout_id',
  'buyer_id',
  'seller_id',
  'currency',
  'status',
  'paid_at',
  'buyer_first_paid_at',
  'zone',
  'main_product_id',
  'promotion_ids',
  'original_amount',
  'final_amount',
  'delivery_fee',
  'buyer_fee',
  'promotion_discount',
  'code_discount',
  'loyalty_discount',
  'rider_id',
  'promised_by',
  'delivered_at',
  'disputed',
  'resolution',
  'dispute_refund',
  'fault',
  'accepted',
  'refused',
  'checkout_order_totals',
  'checkout_index',
  'refund_sends',
  'message_cost_recorded',
  'sms_uncosted',
  'whatsapp_uncosted',
];

/** The facts of the logged orders and their checkouts' paid siblings, computed from the owning tables. */
function upsertSql(logged: string): SQL {
  const cols = sql.raw(FACT_COLUMNS.join(', '));
  const updates = sql.raw(
    FACT_COLUMNS.filter((c) => c !== 'order_id')
      .map((c) => `${c} = excluded.${c}`)
      .join(', '),
  );
  return sql`
    insert into analytics_order_facts (${cols})
    with base as materialized (
      select o.id, o.checkout_id, o.buyer_id, o.seller_id, o.currency, o.status, o.paid_at, o.final_amount,
        o.original_amount, o.delivery_fee, o.rider_id, o.promised_by, o.delivered_at,
        coalesce((o.snapshot->>'promotion_discount')::bigint, 0) as promotion_discount,
        coalesce((o.snapshot->>'code_discount')::bigint, 0) as code_discount,
        coalesce((o.snapshot->>'loyalty_discount')::bigint, 0) as loyalty_discount,
        coalesce((o.snapshot->>'buyer_fee')::bigint, 0) as buyer_fee,
        o.snapshot->'delivery'->>'to_zone' as zone,
        array(select distinct l->'promotion'->>'id'
          from jsonb_array_elements(case when jsonb_typeof(o.snapshot->'lines') = 'array'
            then o.snapshot->'lines' else '[]'::jsonb end) l
          where l->'promotion'->>'id' is not null order by 1) as promotion_ids
      from orders o
      where o.paid_at is not null and o.checkout_id in (
        select checkout_id from orders where id = any(${logged}::uuid[]))
    ), main as (
      select distinct on (ol.order_id) ol.order_id, v.product_id
      from order_lines ol
      join base b on b.id = ol.order_id
      join product_variants v on v.id = ol.sku_id
      order by ol.order_id, ol.final_amount desc, v.product_id
    ), firsts as (
      select o2.buyer_id, min(o2.paid_at) as first_paid_at from orders o2
      where o2.paid_at is not null and o2.buyer_id in (select buyer_id from base)
      group by o2.buyer_id
    ), ev as (
      select e.order_id, bool_or(e.event = 'accept') as accepted, bool_or(e.event = 'reject') as rejected,
        bool_or(e.event = 'seller_no_show') as no_show
      from order_events e where e.order_id in (select id from base)
        and e.event in ('accept', 'reject', 'seller_no_show')
      group by e.order_id
    ), sib as (
      select s.checkout_id, jsonb_agg(s.final_amount + s.delivery_fee order by s.id) as totals,
        array_agg(s.id order by s.id) as ids
      from orders s where s.checkout_id in (select checkout_id from base)
      group by s.checkout_id
    ), rs as (
      select pd.order_id, jsonb_agg(pd.amount) as amounts from payment_disbursements pd
      where pd.order_id in (select id from base) and pd.kind = 'refund' and pd.status = 'succeeded'
      group by pd.order_id
    ), msg as (
      select m.order_id, coalesce(sum(m.cost_minor), 0)::bigint as recorded,
        (count(*) filter (where m.cost_minor is null and m.channel = 'sms'
          and m.status in ('sent', 'delivered', 'read')))::int as sms,
        (count(*) filter (where m.cost_minor is null and m.channel = 'whatsapp'
          and m.status in ('sent', 'delivered', 'read')))::int as wa
      from notification_messages m where m.order_id in (select id from base)
      group by m.order_id
    )
    select b.id, b.checkout_id, b.buyer_id, b.seller_id, b.currency, b.status, b.paid_at,
      firsts.first_paid_at, b.zone, main.product_id, b.promotion_ids, b.original_amount, b.final_amount,
      b.delivery_fee, b.buyer_fee, b.promotion_discount, b.code_discount, b.loyalty_discount,
      b.rider_id, b.promised_by, b.delivered_at,
      d.id is not null, d.resolution, d.refund_amount, d.fault,
      coalesce(ev.accepted, false),
      (coalesce(ev.rejected, false) or (coalesce(ev.no_show, false) and not coalesce(ev.accepted, false))),
      sib.totals, array_position(sib.ids, b.id) - 1,
      coalesce(rs.amounts, '[]'::jsonb),
      coalesce(msg.recorded, 0), coalesce(msg.sms, 0), coalesce(msg.wa, 0)
    from base b
    left join main on main.order_id = b.id
    join firsts on firsts.buyer_id = b.buyer_id
    left join disputes d on d.order_id = b.id
    left join ev on ev.order_id = b.id
    join sib on sib.checkout_id = b.checkout_id
    left join rs on rs.order_id = b.id
    left join msg on msg.order_id = b.id
    on conflict (order_id) do update set ${updates}`;
}

function factOf(r: Record<string, unknown>): OrderFact {
  return {
    id: String(r.order_id),
    checkoutId: String(r.checkout_id),
    buyerId: String(r.buyer_id),
    sellerId: String(r.seller_id),
    status: String(r.status),
    paidAt: date(r.paid_at)!,
    buyerFirstPaidAt: date(r.buyer_first_paid_at)!,
    zone: (r.zone as string | null) ?? null,
    categoryId: (r.category_id as string | null) ?? null,
    originalAmount: num(r.original_amount),
    finalAmount: num(r.final_amount),
    deliveryFee: num(r.delivery_fee),
    buyerFee: num(r.buyer_fee),
    promotionDiscount: num(r.promotion_discount),
    codeDiscount: num(r.code_discount),
    loyaltyDiscount: num(r.loyalty_discount),
    referralRewards: 0,
    riderId: (r.rider_id as string | null) ?? null,
    promisedBy: date(r.promised_by),
    deliveredAt: date(r.delivered_at),
    disputed: Boolean(r.disputed),
    resolution: (r.resolution as string | null) ?? null,
    disputeRefund: num(r.dispute_refund),
    fault: (r.fault as string | null) ?? null,
    accepted: Boolean(r.accepted),
    refused: Boolean(r.refused),
    checkoutOrderTotals: nums(r.checkout_order_totals),
    checkoutIndex: num(r.checkout_index),
    refundSends: nums(r.refund_sends),
    messageCostRecorded: num(r.message_cost_recorded),
    smsUncosted: num(r.sms_uncosted),
    whatsappUncosted: num(r.whatsapp_uncosted),
  };
}

/** Top products of the filter's orders by what buyers paid for them (goods after discounts). */
export async function topProducts(db: Database, f: FactFilter, limit: number) {
  // The same orders as the facts (the filter is applied to the facts table, then their lines).
  const res = await db.execute(sql`
    select v.product_id, max(pr.title) as title, sum(ol.quantity)::bigint as units,
      sum(ol.final_amount)::bigint as amount, count(distinct ol.order_id)::int as orders
    from analytics_order_facts f
    left join products p on p.id = f.main_product_id
    left join categories c on c.id = p.category_id
    join order_lines ol on ol.order_id = f.order_id
    join product_variants v on v.id = ol.sku_id
    join products pr on pr.id = v.product_id
    where ${scoped(f)}
    group by v.product_id
    order by amount desc, v.product_id
    limit ${limit}`);
  return rowsOf(res).map((r) => ({
    product_id: String(r.product_id),
    title: String(r.title),
    units: num(r.units),
    amount: num(r.amount),
    orders: num(r.orders),
  }));
}

/** Shop names of sellers, for the tables. */
export async function shopNames(db: Database, sellerIds: string[]): Promise<Map<string, string>> {
  if (sellerIds.length === 0) return new Map();
  const res = await db.execute(sql`
    select user_id, shop_name from seller_profiles
    where user_id = any(${`{${sellerIds.join(',')}}`}::uuid[])`);
  return new Map(rowsOf(res).map((r) => [String(r.user_id), String(r.shop_name)]));
}

/** A zone's name by its id (null: no such zone). */
export async function zoneName(db: Database, zoneId: string): Promise<string | null> {
  const res = await db.execute(sql`select name from delivery_zones where id = ${zoneId}::uuid`);
  return (rowsOf(res)[0]?.name as string | undefined) ?? null;
}

/** A category's path by its id (null: no such category). */
export async function categoryPath(db: Database, categoryId: string): Promise<string | null> {
  const res = await db.execute(sql`select path from categories where id = ${categoryId}::uuid`);
  return (rowsOf(res)[0]?.path as string | undefined) ?? null;
}

export async function sellerExists(db: Database, sellerId: string): Promise<boolean> {
  const res = await db.execute(sql`select 1 from seller_profiles where user_id = ${sellerId}::uuid`);
  return rowsOf(res).length > 0;
}

export async function promotionExists(db: Database, promotionId: string): Promise<boolean> {
  const res = await db.execute(sql`select 1 from promotions where id = ${promotionId}::uuid`);
  return rowsOf(res).length > 0;
}

/** The ledger's sums for these orders, by what they mean (see docs/analytics.md, reconciliation). */
export async function ledgerSums(db: Database, orderIds: string[]) {
  const zero = { holds: 0, incentives: 0, take: 0, lateCompensation: 0, absorbed: 0, refunds: 0 };
  if (orderIds.length === 0) return zero;
  const res = await db.execute(sql`
    select
      coalesce(sum(amount) filter (where kind = 'ESCROW_HOLD' and phase = 'pending'), 0)::bigint as holds,
      coalesce(sum(amount) filter (where kind = 'INCENTIVE_FUNDING' and phase = 'pending'), 0)::bigint
        - coalesce(sum(amount) filter (where kind = 'INCENTIVE_FUNDING' and phase = 'void'), 0)::bigint
        as incentives,
      coalesce(sum(amount) filter (where kind = 'DELIVERY_FEE'), 0)::bigint as take,
      coalesce(sum(amount) filter (where kind = 'COMPENSATION' and debit_account = 'platform:guarantee_expense'), 0)::bigint
        - coalesce(sum(amount) filter (where kind = 'COMPENSATION' and credit_account = 'platform:guarantee_expense'), 0)::bigint
        as late_compensation,
      coalesce(sum(amount) filter (where kind = 'RIDER_COMPENSATION'), 0)::bigint as absorbed,
      coalesce(sum(amount) filter (where kind = 'REFUND'), 0)::bigint
        + coalesce(sum(amount) filter (where kind = 'COMPENSATION' and credit_account = 'platform:guarantee_expense'), 0)::bigint
        as refunds
    from ledger_transfers
    where order_id = any(${`{${orderIds.join(',')}}`}::uuid[])`);
  const r = rowsOf(res)[0] ?? {};
  return {
    holds: num(r.holds),
    incentives: num(r.incentives),
    take: num(r.take),
    lateCompensation: num(r.late_compensation),
    absorbed: num(r.absorbed),
    refunds: num(r.refunds),
  };
}
export type LedgerSums = Awaited<ReturnType<typeof ledgerSums>>;
