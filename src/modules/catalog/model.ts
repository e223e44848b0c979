export const PRODUCT_STATUSES = ['draft', 'pending_review', 'verified', 'rejected', 'suspended'] as const;
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];

export const BRAND_STATUSES = ['unverified', 'verified', 'rejected'] as const;
export const MEDIA_REVIEW_STATUSES = ['pending', 'verified', 'rejected'] as const;
export const CURRENCIES = ['TZS', 'KES'] as const;
export type Currency = (typeof CURRENCIES)[number];

export type StockState = 'in_stock' | 'low' | 'out';
