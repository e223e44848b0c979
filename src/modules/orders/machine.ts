// The order state machine, as data: one row per event. The service asks `decide` before every
// change; the docs' diagram is rendered from this same table; a test walks it like a start-up check.
import type { ActorRole, OrderStatus } from './model.js';

/** What must be shown for the event to happen. */
export type Evidence = 'none' | 'delivery_proof' | 'dispute' | 'reason' | 'resolution' | 'return_proof';

/** What happens to money and stock when the event happens (run by the service in the same transaction). */
export type Effect =
  | 'hold_escrow'
  | 'release_escrow'
  | 'refund_escrow'
  | 'split_escrow'
  | 'restock'
  | 'return_incentives'
  | 'earn_loyalty'
  | 'issue_delivery_code'
  | 'schedule_completion'
  | 'seller_strike'
  /** start the seller's clock: accept in time (after payment), be ready in time (after accepting) */
  | 'schedule_seller_deadline'
  /** delivered after the promised time: the platform compensates the buyer at once */
  | 'compensate_if_late'
  /** a code the seller gives the rider at pickup, and a rider asked for (when riders deliver) */
  | 'request_rider'
  /** a failed attempt starts the re-attempt window; when it closes undelivered, the buyer is refunded */
  | 'schedule_redelivery_deadline'
  /**
   * a fresh seller's handover code for the parcel's return (the rider typed the pickup one, so it
   * would prove nothing), with its own limited tries
   */
  | 'issue_return_code'
  /** tell logistics (through a job) so the rider's job follows the order: returning, then returned */
  | 'update_rider_job';

export interface Transition {
  from: readonly OrderStatus[];
  to: OrderStatus;
  by: readonly ActorRole[];
  evidence: Evidence;
  effects: readonly Effect[];
}

export const ORDER_MACHINE = {
  confirm_payment: {
    from: ['pending_payment'],
    to: 'paid',
    by: ['system'],
    evidence: 'none',
    effects: ['hold_escrow', 'issue_delivery_code', 'schedule_seller_deadline'],
  },
  fail_payment: {
    from: ['pending_payment'],
    to: 'payment_failed',
    by: ['system'],
    evidence: 'none',
    effects: ['restock', 'return_incentives'],
  },
  expire: {
    from: ['pending_payment'],
    to: 'cancelled',
    by: ['system'],
    evidence: 'none',
    effects: ['restock', 'return_incentives'],
  },
  cancel_unpaid: {
    from: ['pending_payment'],
    to: 'cancelled',
    by: ['buyer', 'admin'],
    evidence: 'none',
    effects: ['restock', 'return_incentives'],
  },
  cancel: {
    from: ['paid'],
    to: 'cancelled',
    by: ['buyer', 'admin'],
    evidence: 'none',
    effects: ['refund_escrow', 'restock', 'return_incentives'],
  },
  accept: {
    from: ['paid'],
    to: 'accepted',
    by: ['seller'],
    evidence: 'none',
    effects: ['schedule_seller_deadline'],
  },
  seller_no_show: {
    from: ['paid', 'accepted'],
    to: 'cancelled',
    by: ['system'],
    evidence: 'none',
    effects: ['refund_escrow', 'restock', 'return_incentives', 'seller_strike'],
  },
  reject: {
    from: ['paid'],
    to: 'rejected',
    by: ['seller'],
    evidence: 'reason',
    effects: ['refund_escrow', 'restock', 'return_incentives', 'seller_strike'],
  },
  mark_ready: {
    from: ['accepted'],
    to: 'ready_for_pickup',
    by: ['seller'],
    evidence: 'none',
    effects: ['request_rider'],
  },
  pick_up: {
    from: ['ready_for_pickup'],
    to: 'out_for_delivery',
    by: ['seller', 'rider', 'admin'],
    evidence: 'none',
    effects: [],
  },
  deliver: {
    from: ['out_for_delivery'],
    to: 'delivered',
    by: ['seller', 'rider', 'admin'],
    evidence: 'delivery_proof',
    effects: ['schedule_completion', 'compensate_if_late'],
  },
  fail_delivery: {
    from: ['out_for_delivery'],
    to: 'delivery_failed',
    by: ['seller', 'rider', 'admin'],
    evidence: 'reason',
    effects: ['schedule_redelivery_deadline'],
  },
  /** inside the re-attempt window only; a rider's parcel is re-attempted by that rider alone */
  retry_delivery: {
    from: ['delivery_failed'],
    to: 'out_for_delivery',
    by: ['seller', 'rider', 'admin'],
    evidence: 'none',
    effects: [],
  },
  /**
   * The platform cannot deliver (the rider gives up, an admin decides, or the re-attempt window
   * closed): the buyer is refunded in full at once; the stock waits for the parcel (record_return).
   */
  refund_undeliverable: {
    from: ['delivery_failed'],
    to: 'returning',
    by: ['rider', 'admin', 'system'],
    evidence: 'reason',
    effects: ['refund_escrow', 'return_incentives', 'issue_return_code', 'update_rider_job'],
  },
  /** The parcel is physically back at the seller: only now is it back in stock. */
  record_return: {
    from: ['returning'],
    to: 'returned',
    by: ['rider', 'seller', 'admin'],
    evidence: 'return_proof',
    effects: ['restock', 'update_rider_job'],
  },
  confirm_receipt: {
    from: ['delivered'],
    to: 'completed',
    by: ['buyer'],
    evidence: 'none',
    effects: ['release_escrow', 'earn_loyalty'],
  },
  auto_complete: {
    from: ['delivered'],
    to: 'completed',
    by: ['system'],
    evidence: 'none',
    effects: ['release_escrow', 'earn_loyalty'],
  },
  open_dispute: { from: ['delivered'], to: 'disputed', by: ['buyer'], evidence: 'dispute', effects: [] },
  resolve_full_refund: {
    from: ['disputed'],
    to: 'refunded',
    by: ['admin'],
    evidence: 'resolution',
    effects: ['refund_escrow', 'return_incentives'],
  },
  resolve_partial_refund: {
    from: ['disputed'],
    to: 'resolved',
    by: ['admin'],
    evidence: 'resolution',
    effects: ['split_escrow'],
  },
  resolve_release: {
    from: ['disputed'],
    to: 'completed',
    by: ['admin'],
    evidence: 'resolution',
    effects: ['release_escrow', 'earn_loyalty'],
  },
} as const satisfies Record<string, Transition>;

export type OrderEvent = keyof typeof ORDER_MACHINE;

export const TERMINAL: readonly OrderStatus[] = [
  'completed',
  'cancelled',
  'rejected',
  'refunded',
  'resolved',
  'payment_failed',
  'returned',
];

export type Decision =
  | { ok: true; to: OrderStatus; transition: Transition }
  | { ok: false; code: 'INVALID_TRANSITION' | 'FORBIDDEN_ACTOR'; detail: string };

/** May `actor` apply `event` to an order in `status`? Pure: no database, no clock. */
export function decide(status: OrderStatus, event: OrderEvent, actor: ActorRole): Decision {
  const t: Transition = ORDER_MACHINE[event];
  if (!t.by.includes(actor))
    return { ok: false, code: 'FORBIDDEN_ACTOR', detail: `A ${actor} cannot ${event.replaceAll('_', ' ')}.` };
  if (!t.from.includes(status))
    return {
      ok: false,
      code: 'INVALID_TRANSITION',
      detail: `Cannot ${event.replaceAll('_', ' ')} an order that is ${status.replaceAll('_', ' ')}.`,
    };
  return { ok: true, to: t.to, transition: t };
}

/** The diagram for the docs, rendered from the table (Mermaid). */
export function renderMermaid(): string {
  const lines = ['stateDiagram-v2', '  [*] --> pending_payment'];
  for (const [event, t] of Object.entries(ORDER_MACHINE) as Array<[string, Transition]>) {
    for (const from of t.from) lines.push(`  ${from} --> ${t.to}: ${event} (${t.by.join('/')})`);
  }
  for (const s of TERMINAL) lines.push(`  ${s} --> [*]`);
  return lines.join('\n');
}
