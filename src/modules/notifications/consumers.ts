// What people hear of other modules' messages: pure translations of each message into the
// notification events it causes (none when nobody needs telling), and the handlers that turn them
// into outbox rows. The event id is the causing change's own id, so a retried job or a replayed
// callback writes nothing twice (messages are unique per event, recipient, channel and template).
import type { Database } from '../../db/client.js';
import { HOUR } from '../../shared/time.js';
import type { MessageHandlers } from '../jobs/index.js';
import type { NotificationEvent } from './events.js';

// The messages notifications acts on, as it needs them. Their senders declare them (orders/jobs.ts,
// payments/jobs.ts); importing those modules here would close an import cycle (identity sends its
// codes through this module), so the composition registers these handlers against the senders'
// declarations and the compiler checks each sender's payload fits.
type Iso = string;
/** A seller's KYC decided: they hear it, with the reason when rejected. */
export function kycEvents(p: In<'kyc.decided'>): NotificationEvent[] {
  const id = `kyc:${p.submissionId}`;
  return p.outcome === 'verified'
    ? [{ type: 'kyc.verified', id, user_id: p.userId }]
    : [{ type: 'kyc.rejected', id, user_id: p.userId, reason: p.reason ?? '-' }];
}

/** A USSD confirmation or dispute → the buyer's receipt, once per (session, order). */
export function ussdReceiptEvents(p: In<'ussd.action_taken'>): NotificationEvent[] {
  return [
    {
      type: 'ussd.receipt',
      id: `ussd:${p.sessionId}:${p.orderId}`,
      order_id: p.orderId,
      buyer_id: p.buyerId,
      action: p.action,
      amount: p.amount,
      reason: p.reason,
    },
  ];
}

export type ConsumedMessages = {
  'checkout.created': {
    checkoutId: string;
    buyerId: string;
    amount: number;
    payNumber: string;
    expiresAt: Iso;
  };
  'order.status_changed': {
    eventId: string;
    orderId: string;
    buyerId: string;
    sellerId: string;
    event: string;
    by: string;
    from: string;
    to: string;
    at: Iso;
    amount: number;
    sellerAmount: number;
    acceptBy: Iso | null;
    readyBy: Iso | null;
    disputeUntil: Iso | null;
    deliveryCode: string | null;
    refund: { amount: number; phone: string } | null;
    latePoints: number | null;
    loyaltyPoints: number | null;
  };
  'payment.collection_settled': {
    collectionId: string;
    checkoutId: string;
    buyerId: string;
    outcome: 'succeeded' | 'failed' | 'timeout' | 'cancelled';
    amount: number;
    reason: string;
  };
  'payment.disbursement_sent': {
    disbursementId: string;
    kind: 'refund' | 'payout';
    partyId: string;
    orderId: string | null;
    amount: number;
    phone: string;
  };
  'kyc.decided': {
    submissionId: string;
    userId: string;
    outcome: 'verified' | 'rejected';
    reason: string | null;
  };
  'ussd.action_taken': {
    sessionId: string;
    orderId: string;
    buyerId: string;
    action: 'confirmed' | 'disputed';
    amount: number;
    reason: string | null;
  };
  'payment.disbursement_failed': {
    disbursementId: string;
    kind: 'refund' | 'payout';
    partyId: string;
    orderId: string | null;
    amount: number;
    reason: string;
    willRetry: boolean;
  };
};
type In<K extends keyof ConsumedMessages> = ConsumedMessages[K];
type StatusChanged = In<'order.status_changed'>;

/** How long a buyer is told a refund takes at most (the payments module retries within it). */
export const REFUND_PROMISE_HOURS = 24;

export function checkoutCreatedEvents(p: In<'checkout.created'>): NotificationEvent[] {
  return [
    {
      type: 'checkout.created',
      id: `checkout:${p.checkoutId}`,
      buyer_id: p.buyerId,
      checkout_id: p.checkoutId,
      amount: p.amount,
      pay_number: p.payNumber,
      expires_at: p.expiresAt,
    },
  ];
}

const CANCEL_CAUSE = {
  reject: 'seller_rejected',
  seller_no_show: 'seller_no_show',
  seller_disabled: 'admin',
  refund_undeliverable: 'admin',
} as const;

/** One order change → what its buyer and seller hear. */
export function orderChangeEvents(p: StatusChanged): NotificationEvent[] {
  const id = `order-event:${p.eventId}`;
  const o = { id, order_id: p.orderId, buyer_id: p.buyerId };
  const out: NotificationEvent[] = [];
  if (p.event === 'confirm_payment') {
    out.push({
      ...o,
      type: 'order.paid',
      seller_id: p.sellerId,
      amount: p.amount,
      seller_amount: p.sellerAmount,
      accept_by: p.acceptBy!,
      ready_by: p.readyBy ?? p.acceptBy!,
    });
    if (p.deliveryCode) out.push({ ...o, type: 'order.delivery_code_issued', code: p.deliveryCode });
  }
  if (p.to === 'accepted' && p.readyBy) out.push({ ...o, type: 'order.accepted', ready_by: p.readyBy });
  if (p.to === 'ready_for_pickup') out.push({ ...o, type: 'order.ready' });
  if (p.to === 'delivered' && p.disputeUntil) {
    out.push({ ...o, type: 'order.delivered', dispute_until: p.disputeUntil });
    if (p.latePoints) out.push({ ...o, type: 'order.delivered_late', points: p.latePoints });
  }
  // A cancelled unpaid order owes nothing: only a change that sends money back is told as one.
  const cancelled = p.to === 'cancelled' || p.to === 'rejected' || p.to === 'returning';
  if (cancelled && p.refund) {
    const cause =
      CANCEL_CAUSE[p.event as keyof typeof CANCEL_CAUSE] ?? (p.by === 'buyer' ? 'buyer' : 'admin');
    out.push({
      ...o,
      type: 'order.cancelled',
      seller_id: p.sellerId,
      cause,
      refund_amount: p.refund.amount,
      refund_phone: p.refund.phone,
      refund_by: new Date(new Date(p.at).getTime() + REFUND_PROMISE_HOURS * HOUR),
    });
  }
  if (p.to === 'disputed') out.push({ ...o, type: 'dispute.opened', seller_id: p.sellerId });
  if (p.from === 'disputed')
    out.push({ ...o, type: 'dispute.resolved', refunded_amount: p.refund?.amount ?? 0 });
  if (p.to === 'completed' && p.loyaltyPoints)
    out.push({ ...o, type: 'loyalty.points_earned', points: p.loyaltyPoints });
  return out;
}

/** A failed payment prompt: the buyer hears why and may push again. A success is the order's news. */
export function collectionEvents(p: In<'payment.collection_settled'>): NotificationEvent[] {
  if (p.outcome === 'succeeded') return [];
  return [
    {
      type: 'payment.push_failed',
      id: `collection:${p.collectionId}`,
      buyer_id: p.buyerId,
      checkout_id: p.checkoutId,
      amount: p.amount,
      reason: p.reason || `the payment ${p.outcome === 'timeout' ? 'timed out' : 'was not completed'}`,
    },
  ];
}

export function disbursementSentEvents(p: In<'payment.disbursement_sent'>): NotificationEvent[] {
  const id = `disbursement:${p.disbursementId}`;
  if (p.kind === 'payout')
    return [{ type: 'payout.sent', id, payee_id: p.partyId, amount: p.amount, payout_phone: p.phone }];
  // A refund of money that bought nothing (no order) is told by its own receipt from the provider.
  if (!p.orderId) return [];
  return [
    {
      type: 'refund.sent',
      id,
      order_id: p.orderId,
      buyer_id: p.partyId,
      amount: p.amount,
      refund_phone: p.phone,
    },
  ];
}

export function disbursementFailedEvents(p: In<'payment.disbursement_failed'>): NotificationEvent[] {
  const id = `disbursement:${p.disbursementId}`;
  const reason = p.reason || 'the provider refused the transfer';
  if (p.kind === 'payout')
    return p.willRetry ? [] : [{ type: 'payout.failed', id, payee_id: p.partyId, amount: p.amount, reason }];
  if (!p.orderId) return [];
  // The buyer hears once that it is late; operations hear when the last attempt failed.
  if (p.willRetry)
    return [{ type: 'refund.delayed', id, order_id: p.orderId, buyer_id: p.partyId, amount: p.amount }];
  return [{ type: 'refund.failed', id, order_id: p.orderId, amount: p.amount, reason }];
}

/** The handlers of the messages notifications acts on: each writes its events' messages in one transaction. */
export function consumerHandlers(deps: {
  db: Database;
  notify: (tx: Database, event: NotificationEvent) => Promise<unknown>;
}): MessageHandlers<ConsumedMessages> {
  const tell = (events: NotificationEvent[]) =>
    events.length
      ? deps.db.transaction(async (tx) => {
          for (const e of events) await deps.notify(tx, e);
        })
      : Promise.resolve();
  return {
    'checkout.created': (p) => tell(checkoutCreatedEvents(p)),
    'order.status_changed': (p) => tell(orderChangeEvents(p)),
    'payment.collection_settled': (p) => tell(collectionEvents(p)),
    'payment.disbursement_sent': (p) => tell(disbursementSentEvents(p)),
    'payment.disbursement_failed': (p) => tell(disbursementFailedEvents(p)),
    'ussd.action_taken': (p) => tell(ussdReceiptEvents(p)),
    'kyc.decided': (p) => tell(kycEvents(p)),
  };
}
