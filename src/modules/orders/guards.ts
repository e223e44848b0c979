// The checks every use case makes before it moves an order: the row lock, ownership, who drives a
// delivery once a rider holds the parcel, and the windows that close (over data the use case
// loaded, so they are tested without a database). Pure, apart from the two reads in `tx`.
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { type AppError, conflict, forbidden, notFound, unprocessable } from '../../shared/errors.js';
import { HOUR } from '../../shared/time.js';
import type { Decision, OrderEvent } from './machine.js';
import type { Actor, Order } from './ports.js';
import { orderLines, orders } from './schema.js';

export async function lockOrder(tx: Database, orderId: string) {
  const [o] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
  if (!o) throw notFound('Order');
  return o;
}

/** Buyers and sellers act only on their own orders; a stranger's order id is a 404. */
export function checkOwner(o: Order, actor: Actor) {
  if (actor.role === 'buyer' && o.buyerId !== actor.userId) throw notFound('Order');
  if (actor.role === 'seller' && o.sellerId !== actor.userId) throw notFound('Order');
}

export async function linesOf(tx: Database, orderId: string) {
  return tx.select().from(orderLines).where(eq(orderLines.orderId, orderId));
}

/** Once a rider has collected an order, the delivery is theirs: the seller no longer drives it. */
export function refuseSellerOnRiderJob(o: Order, event: OrderEvent, actor: Actor) {
  if (
    actor.role === 'seller' &&
    o.riderId !== null &&
    (event === 'deliver' ||
      event === 'fail_delivery' ||
      event === 'retry_delivery' ||
      event === 'record_return')
  )
    throw conflict(
      'RIDER_DELIVERS',
      event === 'record_return'
        ? 'A rider carries this parcel; they record its return with your handover code (or an admin does).'
        : 'A rider carries this order; the rider (or an admin) records its delivery.',
    );
  // The rider who failed still holds the parcel: only they can go out with it again.
  if (actor.role === 'admin' && o.riderId !== null && event === 'retry_delivery')
    throw conflict('RIDER_DELIVERS', 'A rider holds this parcel; only that rider can re-attempt it.');
  // A rider acts only on the parcel they collected (logistics checks it too, before calling).
  if (actor.role === 'rider' && event !== 'pick_up' && o.riderId !== actor.userId) throw notFound('Order');
}

/**
 * A re-attempt must start before the window of the latest failed attempt closes: closed from the
 * instant it ends. No failed attempt on record: nothing to close.
 */
export function redeliveryWindowClosed(lastFailedAt: Date | null, now: Date, windowHours: number): boolean {
  return lastFailedAt !== null && now.getTime() >= lastFailedAt.getTime() + windowHours * HOUR;
}

/**
 * A delivered order's dispute window closes at `disputeWindowEndsAt`, from that instant on. Any other
 * status is the machine's to refuse (`decide`), with its own answer.
 */
export function disputeWindowClosed(o: Pick<Order, 'status' | 'disputeWindowEndsAt'>, now: Date): boolean {
  return (
    o.status === 'delivered' &&
    o.disputeWindowEndsAt !== null &&
    now.getTime() >= o.disputeWindowEndsAt.getTime()
  );
}

/** The machine's refusal as the API answers it: 403 who, 409 when, 422 what is missing. */
export function refusalError(d: Extract<Decision, { ok: false }>): AppError {
  switch (d.code) {
    case 'FORBIDDEN_ACTOR':
      return forbidden(d.code, d.detail);
    case 'INVALID_TRANSITION':
      return conflict(d.code, d.detail);
    case 'REASON_REQUIRED':
    case 'PROOF_REQUIRED':
    case 'AMOUNT_REQUIRED':
      return unprocessable(d.code, d.field ?? '', d.detail);
  }
}
