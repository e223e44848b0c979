// The referral programme's vocabulary: states, the signals that hold a reward, the code alphabet.

/**
 * attributed → qualified → rewarded | held | rejected; rewarded → clawed_back.
 * `qualified` is the instant the referee's first order completes cleanly; it lasts only inside
 * that transaction (the same transaction pays, holds or rejects), so readers see it only in the
 * timeline (`qualified_at`).
 */
export const REFERRAL_STATES = [
  'attributed',
  'qualified',
  'rewarded',
  'held',
  'rejected',
  'clawed_back',
] as const;
export type ReferralState = (typeof REFERRAL_STATES)[number];

/** Why a reward waits for an admin instead of being paid. */
export const HOLD_SIGNALS = [
  'SHARED_PAYING_PHONE',
  'SHARED_ADDRESS',
  'NEARBY_ADDRESS',
  'SHARED_DEVICE',
  'REFERRER_IS_SELLER',
  'REFERRER_IS_RIDER',
  'DAILY_CAP',
  'TOTAL_CAP',
  'BUDGET_EXHAUSTED',
] as const;
export type HoldSignal = (typeof HOLD_SIGNALS)[number];

/** Why a referral ends without a reward on its own (no admin needed). */
export const REJECT_REASONS = [
  'FIRST_ORDER_DISPUTED',
  'BELOW_MINIMUM',
  'CAMPAIGN_INACTIVE',
  'ADMIN_REJECTED',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/**
 * Crockford-like: no 0/O, 1/I/L, and no U (avoids accidental words); 30 symbols. Read aloud or
 * typed from a screenshot on a feature phone, nothing can be confused for something else.
 */
export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
export const CODE_LENGTH = 7;

export const CAMPAIGN_ID = 'default';
