import { z } from 'zod';
import type { TemplateKey } from './catalogue.js';
import { formatBasisPoints } from './format.js';
import type { PlaceholderValue } from './render.js';
import { maskPhone, orderRef, payoutRef } from './rules.js';

// The typed events producers hand to `notifications.notify(tx, event)`, named `<sender>.<past tense>`.
// `id` identifies the causing change (an order event row, a refund id + purpose, …): the same id
// notified twice produces its messages once. Amounts are integer minor units, times ISO 8601 or Date.

const id = z.string().min(1).max(200);
const uuid = z.uuid();
const amount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const at = z.coerce.date();
const text = z.string().min(1).max(500);
const phone = z.string().regex(/^\+\d{8,15}$/, 'an E.164 number');
const count = z.number().int().min(0).max(1_000_000_000);

const ev = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.strictObject({ type: z.literal(type), id, ...shape });

export const notificationEventSchema = z.discriminatedUnion('type', [
  ev('checkout.created', {
    buyer_id: uuid,
    checkout_id: uuid,
    amount,
    pay_number: phone,
    expires_at: at,
  }),
  ev('payment.push_failed', { buyer_id: uuid, checkout_id: uuid, amount, reason: text }),
  ev('order.paid', {
    order_id: uuid,
    buyer_id: uuid,
    seller_id: uuid,
    /** what the buyer paid for this order */
    amount,
    /** what the seller is credited (the full base price) */
    seller_amount: amount,
    accept_by: at,
    ready_by: at,
  }),
  ev('order.accept_deadline_approached', { order_id: uuid, seller_id: uuid, accept_by: at }),
  ev('order.accepted', { order_id: uuid, buyer_id: uuid, ready_by: at }),
  ev('order.ready', { order_id: uuid, buyer_id: uuid }),
  ev('order.picked_up', { order_id: uuid, buyer_id: uuid, rider_first_name: text, promised_at: at }),
  /** The buyer's delivery code: it goes to `buyer_id` and nobody else. */
  ev('order.delivery_code_issued', { order_id: uuid, buyer_id: uuid, code: z.string().regex(/^\d{4,8}$/) }),
  ev('order.delivered', { order_id: uuid, buyer_id: uuid, dispute_until: at }),
  ev('order.delivered_late', { order_id: uuid, buyer_id: uuid, points: count }),
  ev('order.cancelled', {
    order_id: uuid,
    buyer_id: uuid,
    seller_id: uuid,
    cause: z.enum(['buyer', 'admin', 'seller_rejected', 'seller_no_show']),
    refund_amount: amount,
    refund_phone: phone,
    refund_by: at,
    /** the seller's strikes including this one; required when the cause is seller_no_show */
    seller_strikes: count.optional(),
  }),
  ev('refund.sent', { order_id: uuid, buyer_id: uuid, amount, refund_phone: phone }),
  ev('refund.delayed', { order_id: uuid, buyer_id: uuid, amount }),
  ev('refund.failed', { order_id: uuid, amount, reason: text }),
  ev('dispute.opened', { order_id: uuid, buyer_id: uuid, seller_id: uuid }),
  ev('dispute.resolved', { order_id: uuid, buyer_id: uuid, refunded_amount: amount }),
  /** a buyer's confirmation or dispute from a feature phone: their receipt */
  ev('ussd.receipt', {
    order_id: uuid,
    buyer_id: uuid,
    action: z.enum(['confirmed', 'disputed']),
    amount,
    reason: text.nullable(),
  }),
  ev('loyalty.points_earned', { order_id: uuid, buyer_id: uuid, points: count }),
  /** Both sides of a referral were paid their platform-funded credit (referrals module). */
  ev('referral.rewarded', {
    referrer_id: uuid,
    referee_id: uuid,
    referrer_amount: amount,
    referee_amount: amount,
  }),
  ev('product.verified', { seller_id: uuid, product_name: text }),
  ev('product.rejected', { seller_id: uuid, product_name: text, reason: text }),
  ev('kyc.verified', { user_id: uuid }),
  ev('kyc.rejected', { user_id: uuid, reason: text }),
  ev('payout.sent', { payee_id: uuid, amount, payout_phone: phone }),
  ev('payout.failed', { payee_id: uuid, amount, reason: text }),
  ev('payout.stuck', { payout_id: uuid, amount, since: at }),
  ev('rider.verified', { rider_id: uuid }),
  ev('rider.rejected', { rider_id: uuid, reason: text }),
  ev('rider.job_assigned', { rider_id: uuid, order_id: uuid, pickup_by: at }),
  ev('rider.job_released', { rider_id: uuid, order_id: uuid }),
  ev('dispatch.wait_exceeded', { order_id: uuid, minutes: count }),
  ev('provider.failure_rate_crossed', { provider: text, rate_bp: z.number().int().min(0).max(10_000) }),
  ev('promotion.announced', { recipient_ids: z.array(uuid).min(1).max(10_000), headline: text, promo: text }),
]);

export type NotificationEvent = z.input<typeof notificationEventSchema>;
type Parsed = z.output<typeof notificationEventSchema>;
export type NotificationEventType = Parsed['type'];

/** Who gets which template with which values. `admins` means every active admin. */
export interface Delivery {
  to: { userIds: string[] } | 'admins';
  template: TemplateKey;
  values: Record<string, PlaceholderValue>;
  orderId?: string;
}

const one = (userId: string) => ({ userIds: [userId] });

/** Pure fan-out of one event to its messages (the table the "what people must hear" lists). */
export function deliveriesOf(e: Parsed): Delivery[] {
  const order = 'order_id' in e ? { order: orderRef(e.order_id), orderId: e.order_id } : null;
  const withOrder = (
    to: Delivery['to'],
    template: TemplateKey,
    values: Record<string, PlaceholderValue>,
  ) => ({
    to,
    template,
    values: { ...values, ...(order ? { order: order.order } : {}) },
    ...(order ? { orderId: order.orderId } : {}),
  });
  switch (e.type) {
    case 'checkout.created':
      return [
        withOrder(one(e.buyer_id), 'buyer.checkout_created', {
          amount: e.amount,
          pay_number: maskPhone(e.pay_number)!,
          expires_at: e.expires_at,
        }),
      ];
    case 'payment.push_failed':
      return [withOrder(one(e.buyer_id), 'buyer.payment_failed', { amount: e.amount, reason: e.reason })];
    case 'order.paid':
      return [
        withOrder(one(e.buyer_id), 'buyer.payment_received', { amount: e.amount }),
        withOrder(one(e.seller_id), 'seller.new_order', {
          amount: e.seller_amount,
          accept_by: e.accept_by,
          ready_by: e.ready_by,
        }),
      ];
    case 'order.accept_deadline_approached':
      return [withOrder(one(e.seller_id), 'seller.accept_reminder', { accept_by: e.accept_by })];
    case 'order.accepted':
      return [withOrder(one(e.buyer_id), 'buyer.order_accepted', { ready_by: e.ready_by })];
    case 'order.ready':
      return [withOrder(one(e.buyer_id), 'buyer.order_ready', {})];
    case 'order.picked_up':
      return [
        withOrder(one(e.buyer_id), 'buyer.order_with_rider', {
          rider: e.rider_first_name,
          promised_at: e.promised_at,
        }),
      ];
    case 'order.delivery_code_issued':
      return [withOrder(one(e.buyer_id), 'buyer.delivery_code', { code: e.code })];
    case 'order.delivered':
      return [withOrder(one(e.buyer_id), 'buyer.order_delivered', { dispute_until: e.dispute_until })];
    case 'order.delivered_late':
      return [withOrder(one(e.buyer_id), 'buyer.order_late', { points: e.points })];
    case 'order.cancelled': {
      const refund = {
        amount: e.refund_amount,
        refund_phone: maskPhone(e.refund_phone)!,
        refund_by: e.refund_by,
      };
      const rejected = e.cause === 'seller_rejected' || e.cause === 'seller_no_show';
      const out = [
        withOrder(one(e.buyer_id), rejected ? 'buyer.order_rejected' : 'buyer.order_cancelled', refund),
      ];
      // A paid order the buyer cancelled: the seller must stop preparing it.
      if (e.cause === 'buyer') out.push(withOrder(one(e.seller_id), 'seller.order_cancelled_by_buyer', {}));
      if (e.cause === 'seller_no_show')
        out.push(
          withOrder(one(e.seller_id), 'seller.order_auto_cancelled', { strikes: e.seller_strikes ?? 1 }),
        );
      return out;
    }
    case 'refund.sent':
      return [
        withOrder(one(e.buyer_id), 'buyer.refund_sent', {
          amount: e.amount,
          refund_phone: maskPhone(e.refund_phone)!,
        }),
      ];
    case 'refund.delayed':
      return [withOrder(one(e.buyer_id), 'buyer.refund_delayed', { amount: e.amount })];
    case 'refund.failed':
      return [withOrder('admins', 'ops.refund_failed', { amount: e.amount, reason: e.reason })];
    case 'dispute.opened':
      return [
        withOrder(one(e.buyer_id), 'buyer.dispute_opened', {}),
        withOrder(one(e.seller_id), 'seller.dispute_opened', {}),
      ];
    case 'dispute.resolved':
      return [withOrder(one(e.buyer_id), 'buyer.dispute_resolved', { amount: e.refunded_amount })];
    case 'ussd.receipt':
      return [
        e.action === 'confirmed'
          ? withOrder(one(e.buyer_id), 'buyer.receipt_confirmed', { amount: e.amount })
          : withOrder(one(e.buyer_id), 'buyer.problem_reported', { reason: e.reason ?? '-' }),
      ];
    case 'loyalty.points_earned':
      return [withOrder(one(e.buyer_id), 'buyer.loyalty_earned', { points: e.points })];
    case 'referral.rewarded':
      return (
        [
          [e.referrer_id, e.referrer_amount],
          [e.referee_id, e.referee_amount],
        ] as const
      )
        .filter(([, amount]) => amount > 0)
        .map(([to, amount]) => withOrder(one(to), 'buyer.referral_reward', { amount }));
    case 'product.verified':
      return [withOrder(one(e.seller_id), 'seller.product_verified', { product: e.product_name })];
    case 'product.rejected':
      return [
        withOrder(one(e.seller_id), 'seller.product_rejected', { product: e.product_name, reason: e.reason }),
      ];
    case 'kyc.verified':
      return [withOrder(one(e.user_id), 'seller.kyc_verified', {})];
    case 'kyc.rejected':
      return [withOrder(one(e.user_id), 'seller.kyc_rejected', { reason: e.reason })];
    case 'payout.sent':
      return [
        withOrder(one(e.payee_id), 'payee.payout_sent', {
          amount: e.amount,
          payout_phone: maskPhone(e.payout_phone)!,
        }),
      ];
    case 'payout.failed':
      return [withOrder(one(e.payee_id), 'payee.payout_failed', { amount: e.amount, reason: e.reason })];
    case 'payout.stuck':
      return [
        withOrder('admins', 'ops.payout_stuck', {
          payout: payoutRef(e.payout_id),
          amount: e.amount,
          since: e.since,
        }),
      ];
    case 'rider.verified':
      return [withOrder(one(e.rider_id), 'rider.verified', {})];
    case 'rider.rejected':
      return [withOrder(one(e.rider_id), 'rider.rejected', { reason: e.reason })];
    case 'rider.job_assigned':
      return [withOrder(one(e.rider_id), 'rider.job_assigned', { pickup_by: e.pickup_by })];
    case 'rider.job_released':
      return [withOrder(one(e.rider_id), 'rider.job_released', {})];
    case 'dispatch.wait_exceeded':
      return [withOrder('admins', 'ops.dispatch_waiting', { minutes: e.minutes })];
    case 'provider.failure_rate_crossed':
      return [
        withOrder('admins', 'ops.provider_failing', {
          provider: e.provider,
          rate: formatBasisPoints(e.rate_bp),
        }),
      ];
    case 'promotion.announced':
      return [
        withOrder({ userIds: e.recipient_ids }, 'marketing.promotion', {
          headline: e.headline,
          promo: e.promo,
        }),
      ];
  }
}
