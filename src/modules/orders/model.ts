export const ORDER_STATUSES = [
  'pending_payment',
  'paid',
  'accepted',
  'ready_for_pickup',
  'out_for_delivery',
  'delivered',
  'completed',
  'payment_failed',
  'cancelled',
  'rejected',
  'delivery_failed',
  /** not delivered: the buyer is refunded, the parcel is on its way back to the seller */
  'returning',
  /** the parcel is back at the seller (and back in stock) */
  'returned',
  'disputed',
  'refunded',
  'resolved',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const CHECKOUT_STATUSES = [
  'pending_payment',
  'paid',
  'expired',
  'cancelled',
  'payment_failed',
] as const;
export const ACTOR_ROLES = ['buyer', 'seller', 'rider', 'admin', 'system'] as const;
export type ActorRole = (typeof ACTOR_ROLES)[number];

export const DISPUTE_REASONS = [
  'wrong_item',
  'damaged',
  'missing_items',
  'not_delivered',
  'counterfeit',
] as const;
export const DISPUTE_RESOLUTIONS = ['full_refund', 'partial_refund', 'release_to_seller'] as const;
/** Whose fault a resolved dispute was, as the admin found: it decides who bears a refund's cost. */
export const DISPUTE_FAULTS = ['seller', 'rider', 'none'] as const;
export type DisputeFault = (typeof DISPUTE_FAULTS)[number];
