// The statuses each console list can be filtered by (the modules' own value lists).
export const KYC_QUEUE_STATUSES = ['pending', 'verified', 'rejected'] as const;
export const PRODUCT_QUEUE_STATUSES = [
  'pending_review',
  'verified',
  'rejected',
  'suspended',
  'draft',
] as const;
