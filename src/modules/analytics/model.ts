// The shapes the analytics module works on: one row of facts per paid order (read by queries.ts),
// the settings that price what the database does not record, and the figures computed from them.

export const GRAINS = ['day', 'week', 'month'] as const;
export type Grain = (typeof GRAINS)[number];

/** Statuses in which a paid order's escrow was voided and the buyer got everything back. */
export const FULL_REFUND_STATUSES = ['cancelled', 'rejected', 'returning', 'returned', 'refunded'] as const;
/** Statuses in which the escrow was posted: the platform kept the delivery fee (less the rider's share). */
export const FEE_KEPT_STATUSES = ['completed', 'resolved'] as const;

/** Everything the figures need about one paid order, read-only from orders, disputes, payments, notifications. */
export interface OrderFact {
  id: string;
  checkoutId: string;
  buyerId: string;
  sellerId: string;
  status: string;
  paidAt: Date;
  /** when this buyer's first paid order (of all time) was paid: new and repeat buyers, cohorts */
  buyerFirstPaidAt: Date;
  /** the delivery zone's name as frozen in the snapshot at checkout (null: flat delivery) */
  zone: string | null;
  /** the category of the order's largest line (see docs/analytics.md) */
  categoryId: string | null;
  /** full base price of the goods */
  originalAmount: number;
  /** what the buyer paid for the goods after every discount */
  finalAmount: number;
  deliveryFee: number;
  /** a fee the buyer pays the platform on top (none today: snapshot.buyer_fee when it exists) */
  buyerFee: number;
  promotionDiscount: number;
  codeDiscount: number;
  loyaltyDiscount: number;
  /** platform-paid referral rewards attributed to this order (no referrals module yet: 0) */
  referralRewards: number;
  riderId: string | null;
  promisedBy: Date | null;
  deliveredAt: Date | null;
  disputed: boolean;
  resolution: string | null;
  /** the amount a partial-refund resolution gave back */
  disputeRefund: number;
  fault: string | null;
  /** the seller accepted it */
  accepted: boolean;
  /** the seller rejected it or let the accept deadline pass */
  refused: boolean;
  /** what the buyer paid for each order of the checkout, in order id order, and this order's index */
  checkoutOrderTotals: number[];
  checkoutIndex: number;
  /** amounts of refunds actually sent to the buyer's phone for this order (each a paid B2C send) */
  refundSends: number[];
  /** message costs recorded by the providers, and billable messages that carry no cost */
  messageCostRecorded: number;
  smsUncosted: number;
  whatsappUncosted: number;
}

/** One band of a provider tariff: amounts up to `up_to` (inclusive; null: no limit) pay fixed + bp. */
export interface TariffBand {
  up_to: number | null;
  fixed: number;
  bp: number;
}

export interface AnalyticsSettings {
  /** the rider's share of a delivery fee (the ledger's rule), basis points */
  riderFeeShareBp: number;
  collectionTariff: TariffBand[];
  disbursementTariff: TariffBand[];
  smsCost: number;
  whatsappCost: number;
  currency: string;
}

/** What one order earned and cost the platform, all integer minor units. */
export interface OrderEconomics {
  orderId: string;
  gmv: number;
  take: number;
  promotion: number;
  code: number;
  loyalty: number;
  referral: number;
  incentives: number;
  lateCompensation: number;
  absorbedRefunds: number;
  refunds: number;
  paymentFees: number;
  messageCosts: number;
  contribution: number;
}
