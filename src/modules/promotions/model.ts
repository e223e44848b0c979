export const VALUE_KINDS = ['percentage', 'fixed'] as const;
export const SCOPE_TYPES = ['all', 'category', 'brand', 'product', 'sku'] as const;
export const BURN_KINDS = ['promotion', 'code'] as const;
export const LOYALTY_KINDS = ['earn', 'redeem', 'expire', 'adjust', 'refund'] as const;
export type LoyaltyKind = (typeof LOYALTY_KINDS)[number];
