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
  | 'update_rider_job'
  /** tell logistics (through a job) the order needs no rider: offers withdrawn, an uncollected job released */
  | 'release_rider';

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
  /**
   * The seller was banned or suspended: the platform takes the buyer's side at once, whatever the
   * seller's deadlines say. Only while the parcel is still at the seller (a collected one goes on
   * to delivery). No strike: the account is already stopped.
   */
  seller_disabled: {
    from: ['paid', 'accepted', 'ready_for_pickup'],
    to: 'cancelled',
    by: ['system'],
    evidence: 'none',
    effects: ['refund_escrow', 'restock', 'return_incentives', 'release_rider'],
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

/**
 * What the actor has shown for the event, as the service loaded it: the note saying why, how a
 * delivery or a return is proven, a partial refund's amount. Plain data, so `decide` stays pure.
 */
export interface Shown {
  reason?: string | null | undefined;
  proof?: 'code' | 'photo' | 'handover_code' | null | undefined;
  refundAmount?: number | undefined;
}

export type Refusal =
  | 'INVALID_TRANSITION'
  | 'FORBIDDEN_ACTOR'
  | 'REASON_REQUIRED'
  | 'PROOF_REQUIRED'
  | 'AMOUNT_REQUIRED';

export type Decision =
  | { ok: true; to: OrderStatus; transition: Transition }
  | { ok: false; code: Refusal; detail: string; field?: string };

type Refused = Extract<Decision, { ok: false }>;

const sayWhy = (field: string): Refused => ({
  ok: false,
  code: 'REASON_REQUIRED',
  field,
  detail: 'Say why.',
});

/** Does `shown` meet the table's `evidence` for this event and actor? null when it does. */
function missingEvidence(event: OrderEvent, t: Transition, actor: ActorRole, shown: Shown): Refused | null {
  switch (t.evidence) {
    case 'none':
      return null;
    case 'reason':
      return shown.reason ? null : sayWhy('reason');
    case 'delivery_proof':
      return shown.proof === 'code' || shown.proof === 'photo'
        ? null
        : {
            ok: false,
            code: 'PROOF_REQUIRED',
            field: 'proof',
            detail: "Delivered needs proof: the buyer's code, or a photo, a GPS point and a note.",
          };
    case 'return_proof':
      // The seller has the parcel in hand; a rider proves it with the seller's fresh return code;
      // an admin, who sees neither, says why.
      if (actor === 'rider' && shown.proof !== 'handover_code')
        return {
          ok: false,
          code: 'FORBIDDEN_ACTOR',
          detail: "A rider records a return with the seller's handover code.",
        };
      if (actor === 'admin' && !shown.reason) return sayWhy('reason');
      return null;
    case 'dispute':
      return shown.reason ? null : sayWhy('description');
    case 'resolution':
      if (!shown.reason) return sayWhy('note');
      if (event === 'resolve_partial_refund' && shown.refundAmount === undefined)
        return {
          ok: false,
          code: 'AMOUNT_REQUIRED',
          field: 'amount',
          detail: 'A partial refund needs an amount.',
        };
      return null;
  }
}

/**
 * May `actor` apply `event` to an order in `status`, having shown `shown`? Pure: no database, no
 * clock. Without `shown`, only who and from where are asked (a pre-check, before a code's try is
 * spent). Missing evidence is refused first, as the API always has: a request that says too
 * little is answered the same whoever sends it and whatever the order's state.
 */
export function decide(status: OrderStatus, event: OrderEvent, actor: ActorRole, shown?: Shown): Decision {
  const t: Transition = ORDER_MACHINE[event];
  if (shown) {
    const missing = missingEvidence(event, t, actor, shown);
    if (missing) return missing;
  }
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
