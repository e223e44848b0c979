export const TRANSFER_KINDS = [
  'ESCROW_HOLD',
  'INCENTIVE_FUNDING',
  'ESCROW_RELEASE',
  'DELIVERY_FEE',
  'REFUND',
  'PAYOUT',
  'COLLECTION',
  'REFUND_SENT',
  'COMPENSATION',
  'RIDER_EARNING',
  'RIDER_COMPENSATION',
  'REFERRAL_REWARD',
  'REFERRAL_CLAWBACK',
] as const;
export type TransferKind = (typeof TRANSFER_KINDS)[number];
export const TRANSFER_PHASES = ['single', 'pending', 'post', 'void'] as const;

/** Account names: one string per account, typed by prefix, so balances are plain sums. */
export const account = {
  /**
   * Buyers' money on its way to an order: a collection credits it, the escrow hold (or a refund
   * of money that funds no order) debits it. Its total is always zero once a transaction commits.
   */
  providerClearing: 'provider:clearing',
  /** our float at the mobile-money provider: debited by money in, credited by money sent out */
  providerFloat: 'provider:float',
  /** the platform's budget for discounts it funds */
  incentiveExpense: 'platform:incentive_expense',
  deliveryFees: 'platform:delivery_fees',
  /** what the platform pays when it breaks a promise (late delivery) */
  guaranteeExpense: 'platform:guarantee_expense',
  /**
   * what the platform pays a rider who delivered an order later refunded in full through no fault
   * of theirs (RIDER_COMPENSATION): the buyer is refunded, the rider is not out of pocket
   */
  disputeExpense: 'platform:dispute_expense',
  /** what the referral programme costs: both sides' rewards, less what was clawed back */
  referralExpense: 'platform:referral_expense',
  escrow: (orderId: string) => `escrow:${orderId}`,
  sellerPayable: (sellerId: string) => `seller:${sellerId}:payable`,
  riderPayable: (riderId: string) => `rider:${riderId}:payable`,
  refundsPayable: (buyerId: string) => `buyer:${buyerId}:refunds_payable`,
  /** platform-funded credit a user earned by referring or being referred (docs/referrals.md) */
  referralCredit: (userId: string) => `user:${userId}:referral_credit`,
};
