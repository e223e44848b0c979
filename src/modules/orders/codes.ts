// The limited-tries codes: the seller's handover code (pickup, and a rider's return) and the
// buyer's delivery code, compared in constant time.
import { and, eq, lt, sql } from 'drizzle-orm';
import { AppError, conflict, forbidden, notFound } from '../../shared/errors.js';
import { constantTimeEqual } from '../../shared/secrets.js';
import { checkOwner, refuseSellerOnRiderJob } from './guards.js';
import { decide } from './machine.js';
import type { Actor, OrdersDeps } from './ports.js';
import { orders } from './schema.js';

export function createCodeChecks(deps: Pick<OrdersDeps, 'db' | 'settings'>) {
  const { db, settings: s } = deps;

  const handoverInvalid = () =>
    new AppError('HANDOVER_CODE_INVALID', 422, 'The handover code is not correct.', {
      field: 'handover_code',
    });
  const deliveryCodeInvalid = () =>
    new AppError('DELIVERY_CODE_INVALID', 422, 'The delivery code is not correct.', { field: 'code' });

  // The limited-tries code checks run before the transition's transaction, on `db`: the try is
  // spent in a statement of its own, committed at once, so a wrong guess counts although the
  // transition then fails (a try spent inside the transaction would be rolled back with it).
  // Callers that run the transition in their own transaction (logistics, for a rider's pickup or
  // delivery) call these first, outside it.

  /**
   * Spend one try of an order's limited-tries code (the seller's handover code or the buyer's
   * delivery code) in a statement of its own; the code as it stands, or null when no try is left.
   */
  async function spendCodeTry(orderId: string, which: 'handover' | 'delivery') {
    const attempts = which === 'handover' ? orders.handoverCodeAttempts : orders.deliveryCodeAttempts;
    const [tried] = await db
      .update(orders)
      .set({ [which === 'handover' ? 'handoverCodeAttempts' : 'deliveryCodeAttempts']: sql`${attempts} + 1` })
      .where(and(eq(orders.id, orderId), lt(attempts, s.deliveryCodeMaxAttempts)))
      .returning({ code: which === 'handover' ? orders.handoverCode : orders.deliveryCode });
    return tried ?? null;
  }

  /** See `checkHandoverCode` in the object returned below. */
  async function checkHandoverCode(orderId: string, handoverCode: string): Promise<void> {
    const tried = await spendCodeTry(orderId, 'handover');
    if (!tried)
      throw new AppError(
        'HANDOVER_CODE_LOCKED',
        429,
        'Too many wrong handover codes for this order; an admin must hand it over.',
        { field: 'handover_code' },
      );
    if (!tried.code || !constantTimeEqual(handoverCode, tried.code)) throw handoverInvalid();
  }

  /** See `checkDeliveryCode` in the object returned below. */
  async function checkDeliveryCode(orderId: string, actor: Actor, code: string): Promise<void> {
    const [current] = await db.select().from(orders).where(eq(orders.id, orderId));
    if (!current) throw notFound('Order');
    checkOwner(current, actor);
    const d = decide(current.status, 'deliver', actor.role);
    if (!d.ok)
      throw d.code === 'FORBIDDEN_ACTOR'
        ? forbidden('FORBIDDEN_ACTOR', d.detail)
        : conflict('INVALID_TRANSITION', d.detail);
    // Refused before a try is spent: a seller must not use up the buyer's tries on a rider's job.
    refuseSellerOnRiderJob(current, 'deliver', actor);
    // Spend a try first, in its own statement, so wrong guesses count even though the delivery fails.
    const o = await spendCodeTry(orderId, 'delivery');
    if (!o)
      throw new AppError(
        'DELIVERY_CODE_LOCKED',
        429,
        'Too many wrong codes; deliver with a photo, a GPS point and a note.',
        { field: 'code' },
      );
    if (!o.code || !constantTimeEqual(code, o.code)) throw deliveryCodeInvalid();
  }

  return {
    handoverInvalid,
    deliveryCodeInvalid,
    spendCodeTry,

    /**
     * Spends one of the order's limited tries at the seller's handover code, then checks it
     * (constant time): 429 HANDOVER_CODE_LOCKED once the tries are used up, 422
     * HANDOVER_CODE_INVALID. The try is its own statement, committed at once, so a wrong guess
     * counts even though the pickup then fails: never call it inside a transaction (the pickup's
     * own transaction comes after it; `riderPickUp` with `tx` expects it to have run).
     */
    checkHandoverCode,

    /**
     * Spends one of the order's limited tries at the buyer's delivery code, then checks it
     * (constant time): refused before a try is spent when `actor` may not deliver this order now;
     * 429 DELIVERY_CODE_LOCKED once the tries are used up, 422 DELIVERY_CODE_INVALID. Committed at
     * once, on its own, so a wrong guess counts even though the delivery then fails: never call it
     * inside a transaction (`deliver` with `tx` expects it to have run before `tx` was opened).
     */
    checkDeliveryCode,
  };
}

export type CodeChecks = ReturnType<typeof createCodeChecks>;
