// The settings slices the composition root hands to modules, read from the app's config (modules
// never import Config).
import type { Config } from '../config.js';
import type { OrderSettings } from '../modules/orders/index.js';
import { type PaymentsSettings, publicBaseUrl } from '../modules/payments/index.js';

/** identity's sign-in and session settings (createIdentityModule's `settings`) */
export const identity = (config: Config) => ({
  otpSecret: config.OTP_HASH_SECRET,
  otpTtlSeconds: config.OTP_TTL_SECONDS,
  otpMaxAttempts: config.OTP_MAX_ATTEMPTS,
  resendCooldownSeconds: config.OTP_RESEND_COOLDOWN_SECONDS,
  maxPerHour: config.OTP_MAX_PER_HOUR,
  sessionTtlDays: config.SESSION_TTL_DAYS,
  otpIpMaxPerHour: config.OTP_IP_MAX_PER_HOUR,
});

/** the riders' offer, staleness and pickup settings */
export const rider = (config: Config) => ({
  offerTtlSeconds: config.RIDER_OFFER_SECONDS,
  maxOfferAttempts: config.RIDER_MAX_OFFERS,
  staleAfterSeconds: config.RIDER_STALE_SECONDS,
  pickupMinutes: config.RIDER_PICKUP_MINUTES,
  dispatchAlertMinutes: config.DISPATCH_ALERT_MINUTES,
});

export function order(config: Config): OrderSettings {
  return {
    checkoutTtlMinutes: config.CHECKOUT_TTL_MINUTES,
    disputeWindowHours: config.DISPUTE_WINDOW_HOURS,
    deliveryFee: config.DELIVERY_FEE,
    sellerAcceptMinutes: config.SELLER_ACCEPT_MINUTES,
    sellerReminderMinutes: config.SELLER_REMINDER_MINUTES,
    sellerReadyMinutes: config.SELLER_READY_MINUTES,
    lateDeliveryPoints: config.LATE_DELIVERY_POINTS,
    redeliveryWindowHours: config.REDELIVERY_WINDOW_HOURS,
    ridersDeliver: config.DELIVERY_QUOTES === 'zones',
    deliveryCodeDigits: config.DELIVERY_CODE_DIGITS,
    deliveryCodeMaxAttempts: config.DELIVERY_CODE_MAX_ATTEMPTS,
  };
}

export function payments(config: Config): PaymentsSettings {
  return {
    provider: config.PAYMENT_PROVIDER,
    simulatorDelayMs: config.SIMULATOR_DELAY_MS,
    payoutIntervalHours: config.PAYOUT_INTERVAL_HOURS,
    pushesPerHour: config.PAYMENT_PUSHES_PER_HOUR,
    callbackToken: config.PAYMENT_CALLBACK_TOKEN,
    callbackBaseUrl: publicBaseUrl(config),
    allowedIps: config.PAYMENT_CALLBACK_ALLOWED_IPS,
    verifyByQuery: config.PAYMENT_VERIFY_BY_QUERY,
    firstQueryAfterSeconds: config.PAYMENT_FIRST_QUERY_SECONDS,
    giveUpAfterMinutes: config.PAYMENT_GIVE_UP_MINUTES,
    refundMaxAttempts: config.REFUND_MAX_ATTEMPTS,
    payoutMinimum: config.PAYOUT_MINIMUM,
    payoutHoldHoursAfterPhoneChange: config.PAYOUT_HOLD_HOURS_AFTER_PHONE_CHANGE,
    payoutStuckMinutes: config.PAYOUT_STUCK_MINUTES,
    pushesPerCheckout: config.PAYMENT_PUSHES_PER_CHECKOUT,
  };
}

/** Loyalty points for the promotions module's pricing (TZS only today). */
export function loyalty(config: Config) {
  return {
    pointValue: config.LOYALTY_POINT_VALUE,
    maxShareBp: config.LOYALTY_MAX_SHARE_BP,
    earnPerPoint: config.LOYALTY_EARN_PER_POINT,
    currency: 'TZS',
  };
}
