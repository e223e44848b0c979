export const TRANSFER_KINDS = [
  'ESCROW_HOLD',
  'INCENTIVE_FUNDING',
  'ESCROW_RELEASE',
  'DELIVERY_FEE',
  'REFUND',
  'PAYOUT',
] as const;
export type TransferKind = (typeof TRANSFER_KINDS)[number];
export const TRANSFER_PHASES = ['single', 'pending', 'post', 'void'] as const;

/** Account names: one string per account, typed by prefix, so balances are plain sums. */
export const account = {
  /** money the payment provider has collected for us */
  providerClearing: 'provider:clearing',
  /** the platform's budget for discounts it funds */
  incentiveExpense: 'platform:incentive_expense',
  deliveryFees: 'platform:delivery_fees',
  payouts: 'provider:payouts',
  escrow: (orderId: string) => `escrow:${orderId}`,
  sellerPayable: (sellerId: string) => `seller:${sellerId}:payable`,
  refundsPayable: (buyerId: string) => `buyer:${buyerId}:refunds_payable`,
};
