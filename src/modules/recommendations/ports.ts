// What the recommendations module asks of others, declared here and answered by their owners
// (wired in src/composition/recommendations.ts).
import type { Database } from '../../db/client.js';
import type { ProductFacts } from '../catalog/index.js';
import type { CompletedPurchase } from '../orders/index.js';
import type { RecLanguage } from './reasons.js';

export interface RecCatalogPort {
  productFacts(productIds: readonly string[]): Promise<Map<string, ProductFacts>>;
  newestSellable(categoryIds: readonly string[] | null, limit: number): Promise<string[]>;
}

export interface RecOrdersPort {
  completedPurchasesSince(
    tx: Database,
    after: { cursor: string; id: string } | null,
    limit: number,
  ): Promise<CompletedPurchase[]>;
}

export interface RecCartPort {
  productIdsIn(buyerId: string): Promise<string[]>;
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
  languageOf(userId: string): Promise<RecLanguage>;
}
