// What people hear of other modules' messages: pure translations of each message into the
// notification events it causes (none when nobody needs telling), and the handlers that turn them
// into outbox rows. The event id is the causing change's own id, so a retried job or a replayed
// callback writes nothing twice (messages are unique per event, recipient, channel and template).
import type { Database } from '../../db/client.js';
import { HOUR } from '../../shared/time.js';
import type { MessageHandlers } from '../jobs/index.js';
import type { NotificationEvent } from './events.js';
import type { PeoplePort } from './ports.js';

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
    promisedBy: Iso | null;
    disputeUntil: Iso | null;
    deliveryCode: string | null;
    refund: { amount: number; phone: string } | null;
    latePoints: number | null;
    loyaltyPoints: number | null;
    /** the seller's strikes with this change's (a no-show or a rejection) */
    sellerStrikes?: number | null;
    /** the rider holding the order after the change */
    riderId?: string | null;
  };
  'order.accept_deadline_approached': { orderId: string; sellerId: string; acceptBy: Iso };
  'product.decided': {
    decisionId: string;
    productId: string;
    sellerId: string;
    title: string;
    outcome: 'verified' | 'rejected';
    reason: string | null;
  };
  'rider.decided': {
    decisionId: string;
    riderId: string;
    outcome: 'verified' | 'rejected';
    reason: string | null;
  };
  'rider.job_assigned': { riderId: string; orderId: string; assignedAt: Iso; pickupBy: Iso };
  'rider.job_released': { riderId: string; orderId: string; releasedAt: Iso };
  'rider.dispatch_waiting': { orderId: string; queuedAt: Iso; minutes: number };
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
  'payment.payout_stuck': { disbursementId: string; partyId: string; amount: number; since: Iso };
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

/** What the order-change translation needs besides the message: the refund promise, the rider's name. */
export interface OrderChangeContext {
  /** how long a buyer is told a refund takes at most (REFUND_PROMISE_HOURS; payments retries within it) */
  refundPromiseHours: number;
  /** the first name of the rider holding the order, when the change is their pickup */
  riderFirstName?: string | null;
}

/** A rider without a display name is announced by the platform's name (it reads in both languages). */
export const UNNAMED_RIDER = "K'KOO";

/** A paid order still unaccepted near its deadline: its seller is reminded, once per order. */
export function acceptReminderEvents(p: In<'order.accept_deadline_approached'>): NotificationEvent[] {
  return [
    {
      type: 'order.accept_deadline_approached',
      id: `accept-reminder:${p.orderId}`,
      order_id: p.orderId,
      seller_id: p.sellerId,
      accept_by: p.acceptBy,
    },
  ];
}

/** An admin's decision on a product under review: its seller hears it, with the reason when rejected. */
export function productDecisionEvents(p: In<'product.decided'>): NotificationEvent[] {
  const id = `product-decision:${p.decisionId}`;
  return p.outcome === 'verified'
    ? [{ type: 'product.verified', id, seller_id: p.sellerId, product_name: p.title }]
    : [
        {
          type: 'product.rejected',
          id,
          seller_id: p.sellerId,
          product_name: p.title,
          reason: p.reason || '-',
        },
      ];
}

/** An admin's decision on a rider's application: the rider hears it, with the reason when rejected. */
export function riderDecisionEvents(p: In<'rider.decided'>): NotificationEvent[] {
  const id = `rider-decision:${p.decisionId}`;
  return p.outcome === 'verified'
    ? [{ type: 'rider.verified', id, rider_id: p.riderId }]
    : [{ type: 'rider.rejected', id, rider_id: p.riderId, reason: p.reason || '-' }];
}

/** A job given to a rider: they hear which order and by when to collect it. */
export function riderAssignedEvents(p: In<'rider.job_assigned'>): NotificationEvent[] {
  return [
    {
      type: 'rider.job_assigned',
      id: `rider-assigned:${p.orderId}:${p.riderId}:${p.assignedAt}`,
      rider_id: p.riderId,
      order_id: p.orderId,
      pickup_by: p.pickupBy,
    },
  ];
}

/** A job taken back before collection: the rider hears it is no longer theirs. */
export function riderReleasedEvents(p: In<'rider.job_released'>): NotificationEvent[] {
  return [
    {
      type: 'rider.job_released',
      id: `rider-released:${p.orderId}:${p.riderId}:${p.releasedAt}`,
      rider_id: p.riderId,
      order_id: p.orderId,
    },
  ];
}

/** An order waiting too long for a rider: operations hear it once per stay in the dispatch queue. */
export function dispatchWaitEvents(p: In<'rider.dispatch_waiting'>): NotificationEvent[] {
  return [
    {
      type: 'dispatch.wait_exceeded',
      id: `dispatch-wait:${p.orderId}:${p.queuedAt}`,
      order_id: p.orderId,
      minutes: p.minutes,
    },
  ];
}

/** A rider collected the parcel: the buyer hears who brings it and by when (only with a rider and a promise). */
const isRiderPickup = (p: StatusChanged) =>
  p.event === 'pick_up' && p.to === 'out_for_delivery' && !!p.riderId && !!p.promisedBy;

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
export function orderChangeEvents(p: StatusChanged, ctx: OrderChangeContext): NotificationEvent[] {
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
  if (isRiderPickup(p))
    out.push({
      ...o,
      type: 'order.picked_up',
      rider_first_name: ctx.riderFirstName || UNNAMED_RIDER,
      promised_at: p.promisedBy!,
    });
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
      refund_by: new Date(new Date(p.at).getTime() + ctx.refundPromiseHours * HOUR),
      ...(cause === 'seller_no_show' && p.sellerStrikes ? { seller_strikes: p.sellerStrikes } : {}),
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

/** A payout not sent in time: operations hear it once per payout. */
export function payoutStuckEvents(p: In<'payment.payout_stuck'>): NotificationEvent[] {
  return [
    {
      type: 'payout.stuck',
      id: `payout-stuck:${p.disbursementId}`,
      payout_id: p.disbursementId,
      amount: p.amount,
      since: p.since,
    },
  ];
}

/** The handlers of the messages notifications acts on: each writes its events' messages in one transaction. */
export function consumerHandlers(deps: {
  db: Database;
  notify: (tx: Database, event: NotificationEvent) => Promise<unknown>;
  people: Pick<PeoplePort, 'firstNameOf'>;
  refundPromiseHours: number;
}): MessageHandlers<ConsumedMessages> {
  const tell = (events: NotificationEvent[]) =>
    events.length
      ? deps.db.transaction(async (tx) => {
          for (const e of events) await deps.notify(tx, e);
        })
      : Promise.resolve();
  return {
    'checkout.created': (p) => tell(checkoutCreatedEvents(p)),
    'order.status_changed': async (p) => {
      const riderFirstName = isRiderPickup(p) ? await deps.people.firstNameOf(deps.db, p.riderId!) : null;
      await tell(orderChangeEvents(p, { refundPromiseHours: deps.refundPromiseHours, riderFirstName }));
    },
    'order.accept_deadline_approached': (p) => tell(acceptReminderEvents(p)),
    'product.decided': (p) => tell(productDecisionEvents(p)),
    'rider.decided': (p) => tell(riderDecisionEvents(p)),
    'rider.job_assigned': (p) => tell(riderAssignedEvents(p)),
    'rider.job_released': (p) => tell(riderReleasedEvents(p)),
    'rider.dispatch_waiting': (p) => tell(dispatchWaitEvents(p)),
    'payment.collection_settled': (p) => tell(collectionEvents(p)),
    'payment.disbursement_sent': (p) => tell(disbursementSentEvents(p)),
    'payment.disbursement_failed': (p) => tell(disbursementFailedEvents(p)),
    'payment.payout_stuck': (p) => tell(payoutStuckEvents(p)),
    'ussd.action_taken': (p) => tell(ussdReceiptEvents(p)),
    'kyc.decided': (p) => tell(kycEvents(p)),
  };
}
