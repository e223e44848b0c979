// What the recommendations module asks of others, declared here and answered by their owners
// (wired in src/composition/recommendations.ts). The read's questions are SQL fragments: each
// owner keeps its tables private and hands over an expression, and the read folds them all into
// one statement per request (one round trip instead of six or seven; docs/recommendations.md, Speed).
import type { Placeholder, SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { CompletedPurchase } from '../orders/index.js';

export interface RecCatalogPort {
  /** The category of each product that exists (the refresh job). */
  categoriesOf(productIds: readonly string[]): Promise<Map<string, string>>;
  /**
   * The facts of the products `ids` selects, as a subquery with the columns id, title, seller_id,
   * category_id, category_name, min_price, currency, sellable (verified, of an active verified
   * seller, with an active variant in stock at `now`).
   */
  factsSql(ids: SQL, now: Placeholder): SQL;
  /** The products of the SKUs `skuIds` selects, as a subquery (column product_id). */
  productIdsOfSkusSql(skuIds: SQL): SQL;
  /**
   * The newest sellable products (in the categories `categoryIds` selects, when it selects any),
   * newest first, as a subquery (column id); the cold-start fallback.
   */
  newestSellableSql(categoryIds: SQL, now: Placeholder, limit: number): SQL;
}

export interface RecOrdersPort {
  completedPurchasesSince(
    tx: Database,
    after: { cursor: string; id: string } | null,
    limit: number,
  ): Promise<CompletedPurchase[]>;
}

export interface RecCartPort {
  /** The SKU ids in the buyer's cart, as a subquery (one column). */
  skuIdsSql(buyerId: SQL | Placeholder): SQL;
}

/** Where the buyer is, as delivery sees it. */
export interface BuyerPlace {
  location: { lat: number; lng: number } | null;
  /** the delivery zone of the default address (by name), when zones are on and it lies in one */
  zone: string | null;
}

export interface RecDeliveryPort {
  /** The buyer's default delivery address; null when they have none (or are anonymous). */
  buyerPlace(buyerId: string): Promise<BuyerPlace | null>;
  /**
   * The sellers among `sellerIds` that can deliver now (zones: the same quote checkout makes, from
   * the seller's pickup zone to the buyer's default address within service hours). Null when
   * deliverability is not checked (flat delivery fee: no zones).
   */
  deliverableSellers(
    sellerIds: readonly string[],
    place: BuyerPlace | null,
    now: Date,
  ): Promise<Set<string> | null>;
}

export interface RecLanguagePort {
  /** The user's language as an SQL scalar ('sw' | 'en'). */
  languageSql(userId: SQL | Placeholder): SQL;
}
