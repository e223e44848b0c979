// Pure: what one paid order earned and cost the platform. Sellers always get their full base
// price, so every discount, compensation, absorbed refund, fee and message is the platform's.
import { createHash } from 'node:crypto';
import { MONEY_UNIT } from '../../shared/money.js';
import { collectionShare, tariffFee } from './fees.js';
import {
  type AnalyticsSettings,
  FEE_KEPT_STATUSES,
  FULL_REFUND_STATUSES,
  type OrderEconomics,
  type OrderFact,
} from './model.js';

export const fullyRefunded = (o: Pick<OrderFact, 'status'>) =>
  (FULL_REFUND_STATUSES as readonly string[]).includes(o.status);
export const feeKept = (o: Pick<OrderFact, 'status'>) =>
  (FEE_KEPT_STATUSES as readonly string[]).includes(o.status);
/** Delivered after the promised time (the ledger compensates exactly these). */
export const deliveredLate = (o: Pick<OrderFact, 'promisedBy' | 'deliveredAt'>) =>
  o.promisedBy !== null && o.deliveredAt !== null && o.deliveredAt.getTime() > o.promisedBy.getTime();

/** The ledger's rule for the rider's share of a fee: whole shillings, rounded down; none without a rider. */
export function riderShare(o: Pick<OrderFact, 'deliveryFee' | 'riderId'>, bp: number): number {
  if (!o.riderId || o.deliveryFee <= 0) return 0;
  return Math.floor((o.deliveryFee * bp) / 10_000 / MONEY_UNIT) * MONEY_UNIT;
}

export function economicsOf(o: OrderFact, s: AnalyticsSettings): OrderEconomics {
  const refundedInFull = fullyRefunded(o);
  const share = riderShare(o, s.riderFeeShareBp);
  // Take is earned when the escrow is posted; a voided escrow gives the fee back to the buyer.
  const take = feeKept(o) ? o.deliveryFee - share + o.buyerFee : 0;
  // A voided escrow returns the platform's incentive funding; otherwise the platform paid it.
  const promotion = refundedInFull ? 0 : o.promotionDiscount;
  const code = refundedInFull ? 0 : o.codeDiscount;
  const loyalty = refundedInFull ? 0 : o.loyaltyDiscount;
  const referral = o.referralRewards;
  const incentives = promotion + code + loyalty + referral;
  // The fee given back for lateness is recovered from the buyer's refund if the order is then voided.
  const lateCompensation = deliveredLate(o) && !refundedInFull ? o.deliveryFee : 0;
  // A full refund after a delivery not the rider's fault: the platform pays the rider's share.
  const absorbedRefunds =
    o.status === 'refunded' && o.resolution === 'full_refund' && o.fault !== 'rider' ? share : 0;
  const refunds = refundedInFull
    ? o.finalAmount + o.deliveryFee
    : o.resolution === 'partial_refund'
      ? o.disputeRefund
      : 0;
  const collectionFee = tariffFee(
    s.collectionTariff,
    o.checkoutOrderTotals.reduce((a, b) => a + b, 0),
  );
  const paymentFees =
    collectionShare(collectionFee, o.checkoutOrderTotals, o.checkoutIndex) +
    o.refundSends.reduce((sum, amount) => sum + tariffFee(s.disbursementTariff, amount), 0);
  const messageCosts =
    o.messageCostRecorded + o.smsUncosted * s.smsCost + o.whatsappUncosted * s.whatsappCost;
  return {
    orderId: o.id,
    gmv: o.finalAmount + o.deliveryFee,
    take,
    promotion,
    code,
    loyalty,
    referral,
    incentives,
    lateCompensation,
    absorbedRefunds,
    refunds,
    paymentFees,
    messageCosts,
    contribution: take - incentives - lateCompensation - absorbedRefunds - paymentFees - messageCosts,
  };
}

/** Integer division rounded toward minus infinity (a loss per order is never shown smaller than it is). */
export const perOrder = (total: number, orders: number) => (orders > 0 ? Math.floor(total / orders) : 0);
/** A share in basis points, rounded down; 0 when the whole is 0. */
export const bp = (part: number, whole: number) => (whole > 0 ? Math.floor((part * 10_000) / whole) : 0);

/**
 * A digest of the settings an order's economics depend on. Stored beside the economics in the facts
 * table: a process with other settings refolds every order (so all processes must share them).
 */
export function economicsKey(s: AnalyticsSettings): string {
  const used = [s.riderFeeShareBp, s.collectionTariff, s.disbursementTariff, s.smsCost, s.whatsappCost];
  return createHash('sha256').update(JSON.stringify(used)).digest('hex').slice(0, 16);
}
