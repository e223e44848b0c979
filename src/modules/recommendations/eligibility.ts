// Whether a candidate may be shown to this buyer now, pure: the read path gathers the facts
// (catalog, zones, cart) and asks this one function, so every block obeys the same rule.

export interface CandidateFacts {
  /** verified product of an active, verified seller, with an active variant in stock */
  sellable: boolean;
  /** the buyer's default address can be served from the seller's zone (always true without zones) */
  deliverable: boolean;
  /** already in the buyer's cart */
  inCart: boolean;
  /** the product the buyer is looking at (product:{id} context) */
  isContextProduct: boolean;
}

export type Ineligible = 'NOT_SELLABLE' | 'NOT_DELIVERABLE' | 'IN_CART' | 'CONTEXT_PRODUCT';

/** null when the item may be shown; otherwise the first reason it may not. */
export function ineligibility(f: CandidateFacts): Ineligible | null {
  if (!f.sellable) return 'NOT_SELLABLE';
  if (f.inCart) return 'IN_CART';
  if (f.isContextProduct) return 'CONTEXT_PRODUCT';
  if (!f.deliverable) return 'NOT_DELIVERABLE';
  return null;
}
