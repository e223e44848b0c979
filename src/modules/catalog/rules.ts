// Pure catalog rules: the verification workflow as data, what sends a product back to review,
// and how stock is shown to buyers.
import type { ProductStatus, StockState } from './model.js';

export type ProductAction = 'submit' | 'verify' | 'reject' | 'suspend' | 'reinstate';

/** Which statuses each action may start from, and where it leads. */
export const PRODUCT_WORKFLOW: Record<
  ProductAction,
  { from: readonly ProductStatus[]; to: ProductStatus; by: 'seller' | 'admin' }
> = {
  submit: { from: ['draft', 'rejected'], to: 'pending_review', by: 'seller' },
  verify: { from: ['pending_review'], to: 'verified', by: 'admin' },
  reject: { from: ['pending_review'], to: 'rejected', by: 'admin' },
  suspend: { from: ['draft', 'pending_review', 'verified', 'rejected'], to: 'suspended', by: 'admin' },
  // A suspended product is looked at again before buyers see it.
  reinstate: { from: ['suspended'], to: 'pending_review', by: 'admin' },
};

export function nextStatus(current: ProductStatus, action: ProductAction): ProductStatus | null {
  const rule = PRODUCT_WORKFLOW[action];
  return rule.from.includes(current) ? rule.to : null;
}

/** Fields whose change means the buyer would see something an admin has not checked. */
const REVIEWED_FIELDS = new Set([
  'title',
  'description',
  'brand_id',
  'category_id',
  'specs',
  'media',
  'attributes',
  'new_variant',
]);

/** After an edit: a verified product whose reviewed content changed goes back to review; price and stock never do. */
export function statusAfterEdit(current: ProductStatus, changed: Iterable<string>): ProductStatus {
  if (current !== 'verified') return current;
  for (const f of changed) if (REVIEWED_FIELDS.has(f)) return 'pending_review';
  return current;
}

export function stockState(stock: number, lowThreshold: number): StockState {
  if (stock <= 0) return 'out';
  return stock <= lowThreshold ? 'low' : 'in_stock';
}
