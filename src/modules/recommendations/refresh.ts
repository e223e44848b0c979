import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { RecCatalogPort, RecOrdersPort } from './ports.js';
import {
  recBuyerProducts,
  recCategoryStats,
  recPairs,
  recPopularity,
  recPopularityTotals,
  recProductStats,
  recTogetherTop,
  recWatermarks,
} from './schema.js';
import { decayWeight, REC_SETTINGS } from './scoring.js';

// The refresh job's use case: read the orders completed since the watermark, and fold them into
// every aggregate in one transaction with the watermark's advance, so a crash or a second worker
// never counts an order twice or skips one. Only additions to the counts; the small ranked lists reads
// use (rec_together_top) are then rebuilt whole from them.

const WATERMARK = 'completed_orders';
/** The city-wide popularity row's zone. */
export const CITY = '';

export function createRefresh(deps: {
  db: Database;
  orders: RecOrdersPort;
  catalog: Pick<RecCatalogPort, 'categoriesOf'>;
  batchSize?: number;
}) {
  const { db } = deps;
  const batchSize = deps.batchSize ?? 2000;

  async function watermark(tx: Database, lock: boolean) {
    const q = tx
      .select({
        at: recWatermarks.at,
        cursor: sql<string>`${recWatermarks.at}::text`.mapWith(String),
        id: recWatermarks.lastId,
      })
      .from(recWatermarks)
      .where(eq(recWatermarks.name, WATERMARK));
    const [row] = lock ? await q.for('update') : await q;
    return row ?? null;
  }

  /** Folds in one batch; the number of orders read (0: up to date; -1: another worker moved first). */
  async function refreshBatch(): Promise<number> {
    const after = await watermark(db, false);
    const batch = await deps.orders.completedPurchasesSince(db, after, batchSize);
    if (!batch.length) return 0;
    // Categories as the catalog has them now: read before the transaction (PGlite has one connection).
    const categories = await deps.catalog.categoriesOf([...new Set(batch.flatMap((o) => o.productIds))]);
    const category = (p: string) => categories.get(p) ?? null;

    const bought = new Map<
      string,
      { buyer: string; product: string; category: string | null; orders: number; last_at: string }
    >();
    const popularity = new Map<
      string,
      { zone: string; product: string; category: string | null; weight: number }
    >();
    const totals = new Map<string, { zone: string; category: string; weight: number }>();
    for (const o of batch) {
      const weight = decayWeight(o.completedAt);
      for (const product of o.productIds) {
        const key = `${o.buyerId}|${product}`;
        const was = bought.get(key);
        bought.set(key, {
          buyer: o.buyerId,
          product,
          category: category(product),
          orders: (was?.orders ?? 0) + 1,
          last_at: o.completedAt.toISOString(),
        });
        for (const zone of o.zone ? [CITY, o.zone] : [CITY]) {
          const pk = `${zone}|${product}`;
          const p = popularity.get(pk) ?? { zone, product, category: category(product), weight: 0 };
          p.weight += weight;
          popularity.set(pk, p);
          const c = category(product);
          if (c) {
            const tk = `${zone}|${c}`;
            const t = totals.get(tk) ?? { zone, category: c, weight: 0 };
            t.weight += weight;
            totals.set(tk, t);
          }
        }
      }
    }
    const last = batch.at(-1)!;
    const rows = sql`(select * from jsonb_to_recordset(${JSON.stringify([...bought.values()])}::jsonb)
      as x(buyer uuid, product uuid, category uuid, orders int, last_at timestamptz))`;
    return db.transaction(async (tx) => {
      const now = await watermark(tx, true);
      if ((now?.id ?? null) !== (after?.id ?? null)) return -1;
      // Category repeat statistics, against what each buyer had before this batch.
      await tx.execute(sql`insert into ${recCategoryStats} (category_id, pairs, repeats)
        select b.category, count(*) filter (where e.buyer_id is null),
          count(*) filter (where coalesce(e.orders, 0) < 2 and coalesce(e.orders, 0) + b.orders >= 2)
        from ${rows} b left join ${recBuyerProducts} e on e.buyer_id = b.buyer and e.product_id = b.product
        where b.category is not null group by b.category
        on conflict (category_id) do update set pairs = ${recCategoryStats.pairs} + excluded.pairs,
          repeats = ${recCategoryStats.repeats} + excluded.repeats`);
      // Co-purchase: each (buyer, product) seen for the first time pairs with the buyer's other
      // products, old and new, once per buyer: the counts are distinct buyers.
      await tx.execute(sql`with b as ${rows},
        n as (select b.buyer, b.product from b where not exists (select 1 from ${recBuyerProducts} e
          where e.buyer_id = b.buyer and e.product_id = b.product)),
        combos as (
          select n.product as a, e.product_id as o from n join ${recBuyerProducts} e on e.buyer_id = n.buyer
          union all
          select e.product_id, n.product from n join ${recBuyerProducts} e on e.buyer_id = n.buyer
          union all
          select n1.product, n2.product from n n1 join n n2 on n1.buyer = n2.buyer and n1.product <> n2.product)
        insert into ${recPairs} (product_id, other_id, buyers)
        select a, o, count(*) from combos group by a, o
        on conflict (product_id, other_id) do update set buyers = ${recPairs.buyers} + excluded.buyers`);
      await tx.execute(sql`insert into ${recProductStats} (product_id, buyers)
        select b.product, count(*) from ${rows} b where not exists (select 1 from ${recBuyerProducts} e
          where e.buyer_id = b.buyer and e.product_id = b.product) group by b.product
        on conflict (product_id) do update set buyers = ${recProductStats.buyers} + excluded.buyers`);
      await tx.execute(sql`insert into ${recBuyerProducts} (buyer_id, product_id, category_id, orders, last_at)
        select buyer, product, category, orders, last_at from ${rows} b
        on conflict (buyer_id, product_id) do update set orders = ${recBuyerProducts.orders} + excluded.orders,
          last_at = greatest(${recBuyerProducts.lastAt}, excluded.last_at)`);
      await tx.execute(sql`insert into ${recPopularity} (zone, product_id, category_id, weight)
        select zone, product, category, weight from jsonb_to_recordset(${JSON.stringify([...popularity.values()])}::jsonb)
          as x(zone text, product uuid, category uuid, weight float8)
        on conflict (zone, product_id) do update set weight = ${recPopularity.weight} + excluded.weight,
          category_id = excluded.category_id`);
      if (totals.size)
        await tx.execute(sql`insert into ${recPopularityTotals} (zone, category_id, weight)
          select zone, category, weight from jsonb_to_recordset(${JSON.stringify([...totals.values()])}::jsonb)
            as x(zone text, category uuid, weight float8)
          on conflict (zone, category_id) do update set weight = ${recPopularityTotals.weight} + excluded.weight`);
      // Raw SQL: the text keeps the microseconds a Date parameter would drop.
      await tx.execute(sql`insert into ${recWatermarks} (name, at, last_id)
        values (${WATERMARK}, ${last.cursor}::timestamptz, ${last.orderId}::uuid)
        on conflict (name) do update set at = excluded.at, last_id = excluded.last_id`);
      return batch.length;
    });
  }

  /**
   * Rebuilds every anchor's ranked "bought together" list from the pair counts, whole, in one
   * transaction: readers see the old lists until it commits. Ranked by the co-purchase score
   * (scoring.ts's cosine) within each anchor's `pairsPerAnchor` strongest pairs by distinct buyers
   * (the cut the offline evaluation makes too). The advisory lock makes two workers' rebuilds
   * take turns instead of colliding on the primary key.
   */
  async function rebuildTogetherTop(): Promise<void> {
    await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('rec_together_top'))`);
      await tx.execute(sql`delete from ${recTogetherTop}`);
      await tx.execute(sql`insert into ${recTogetherTop}
          (anchor_product_id, rank, other_product_id, together, anchor_buyers, other_buyers)
        select anchor, row_number() over (partition by anchor
            order by together / sqrt(na::float8 * nb) desc, together desc, other)::int,
          other, together, na, nb
        from (select p.product_id as anchor, p.other_id as other, p.buyers as together,
            a.buyers as na, b.buyers as nb,
            row_number() over (partition by p.product_id order by p.buyers desc, p.other_id) as strength
          from ${recPairs} p
          join ${recProductStats} a on a.product_id = p.product_id
          join ${recProductStats} b on b.product_id = p.other_id
          where p.buyers >= ${REC_SETTINGS.minSupport} and a.buyers > 0 and b.buyers > 0) s
        where strength <= ${REC_SETTINGS.pairsPerAnchor}`);
      // Fresh statistics for the planner: the table was just replaced whole.
      await tx.execute(sql`analyze ${recTogetherTop}`);
    });
  }

  /** Pairs exist but no ranked list does (first run after the migration, or a lost rebuild). */
  async function togetherTopMissing(): Promise<boolean> {
    const [row] = rowsOf<{ missing: boolean }>(
      await db.execute(sql`select (exists (select 1 from ${recPairs} where buyers >= ${REC_SETTINGS.minSupport})
        and not exists (select 1 from ${recTogetherTop})) as missing`),
    );
    return row?.missing === true || (row?.missing as unknown) === 't';
  }

  return {
    refreshBatch,
    rebuildTogetherTop,
    /**
     * Folds in everything completed since the last run, batch by batch, then rebuilds the ranked
     * lists once when anything was folded in or they are missing; the number of orders read.
     */
    async refresh(maxBatches = 1000): Promise<number> {
      let total = 0;
      let moved = false;
      for (let i = 0; i < maxBatches; i++) {
        const n = await refreshBatch();
        if (n === 0) break;
        // -1: another process holds the watermark and folds (and rebuilds) this round.
        if (n > 0) {
          total += n;
          moved = true;
        }
      }
      if (moved || (await togetherTopMissing())) await rebuildTogetherTop();
      return total;
    },
    watermark: () => watermark(db, false),
  };
}

/** db.execute answers rows directly on PGlite and as `{ rows }` on pg. */
function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
