import { sql } from 'drizzle-orm';
import { doublePrecision, index, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { tz } from '../../db/columns.js';

// The recommendations module's own tables. Signals (views, cart adds) are written as they happen,
// bounded per viewer; purchases arrive from completed orders through the refresh job, which keeps
// every aggregate below up to date incrementally. Reads use these tables directly and filter what
// can be sold and delivered at read time through the catalog's and zones' public functions.

/** The last few products a viewer looked at. `viewer` is `u:<user id>` or `s:<anonymous session id>`. */
export const recViews = pgTable(
  'rec_views',
  {
    viewer: text('viewer').notNull(),
    productId: uuid('product_id').notNull(),
    viewedAt: tz('viewed_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.viewer, t.productId] }),
    index('rec_views_recent_idx').on(t.viewer, t.viewedAt),
  ],
);

/** The last few products a buyer added to their cart (a signal, kept after the line leaves the cart). */
export const recCartAdds = pgTable(
  'rec_cart_adds',
  {
    buyerId: uuid('buyer_id').notNull(),
    productId: uuid('product_id').notNull(),
    addedAt: tz('added_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.buyerId, t.productId] }),
    index('rec_cart_adds_recent_idx').on(t.buyerId, t.addedAt),
  ],
);

/** What each buyer bought in completed orders: one row per (buyer, product), with how many orders. */
export const recBuyerProducts = pgTable(
  'rec_buyer_products',
  {
    buyerId: uuid('buyer_id').notNull(),
    productId: uuid('product_id').notNull(),
    categoryId: uuid('category_id'),
    orders: integer('orders').notNull(),
    lastAt: tz('last_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.buyerId, t.productId] })],
);

/** Distinct buyers per product (the popularity correction of co-purchase). */
export const recProductStats = pgTable('rec_product_stats', {
  productId: uuid('product_id').primaryKey(),
  buyers: integer('buyers').notNull(),
});

/** Co-purchase: distinct buyers who bought both products, stored in both directions. */
export const recPairs = pgTable(
  'rec_pairs',
  {
    productId: uuid('product_id').notNull(),
    otherId: uuid('other_id').notNull(),
    buyers: integer('buyers').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.productId, t.otherId] }),
    index('rec_pairs_top_idx').on(t.productId, sql`${t.buyers} desc`),
  ],
);

/**
 * Each anchor's "bought together" list, ranked: its strongest co-purchase pairs (the
 * `pairsPerAnchor` with the most distinct buyers, at least `minSupport`) with the counts the score
 * needs, rank 1 the best by co-purchase score. Rebuilt whole by the refresh job after it folds new
 * orders in (and when missing), so a read is one index range scan per anchor; rec_pairs, updated
 * in place by every refresh and bloated by its dead rows, is never read by a request.
 */
export const recTogetherTop = pgTable(
  'rec_together_top',
  {
    anchorProductId: uuid('anchor_product_id').notNull(),
    rank: integer('rank').notNull(),
    otherProductId: uuid('other_product_id').notNull(),
    together: integer('together').notNull(),
    anchorBuyers: integer('anchor_buyers').notNull(),
    otherBuyers: integer('other_buyers').notNull(),
  },
  (t) => [primaryKey({ columns: [t.anchorProductId, t.rank] })],
);

/**
 * Time-decayed purchases per zone (zone name; '' is the whole city) and product. `weight` is the
 * sum of 2^((t − epoch)/half-life) over purchases (scoring.ts): decaying everything to "now" is one
 * common factor, so weights stored at any time stay comparable and the job only ever adds.
 */
export const recPopularity = pgTable(
  'rec_popularity',
  {
    zone: text('zone').notNull(),
    productId: uuid('product_id').notNull(),
    categoryId: uuid('category_id'),
    weight: doublePrecision('weight').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.zone, t.productId] }),
    index('rec_popularity_top_idx').on(t.zone, sql`${t.weight} desc`),
    index('rec_popularity_category_idx').on(t.zone, t.categoryId, sql`${t.weight} desc`),
  ],
);

/** The same weights summed per (zone, category): the denominators of the smoothed share. */
export const recPopularityTotals = pgTable(
  'rec_popularity_totals',
  {
    zone: text('zone').notNull(),
    categoryId: uuid('category_id').notNull(),
    weight: doublePrecision('weight').notNull(),
  },
  (t) => [primaryKey({ columns: [t.zone, t.categoryId] })],
);

/** Per category: (buyer, product) rows and how many of them were bought in two orders or more. */
export const recCategoryStats = pgTable('rec_category_stats', {
  categoryId: uuid('category_id').primaryKey(),
  pairs: integer('pairs').notNull(),
  repeats: integer('repeats').notNull(),
});

/** How far the refresh job has read completed orders: (completed_at, order id) of the last one. */
export const recWatermarks = pgTable('rec_watermarks', {
  name: text('name').primaryKey(),
  at: tz('at').notNull(),
  lastId: uuid('last_id').notNull(),
});
