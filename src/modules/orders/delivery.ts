// The parcel's way: a rider's pickup, failed attempt, re-attempt and return; delivery with proof.
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { AppError, conflict, notFound } from '../../shared/errors.js';
import { constantTimeEqual } from '../../shared/secrets.js';
import type { CodeChecks } from './codes.js';
import { checkOwner, lockOrder } from './guards.js';
import { decide } from './machine.js';
import type { Actor, DeliveryProof, OrdersDeps } from './ports.js';
import { orders } from './schema.js';
import type { Transitions } from './transitions.js';

export function createDelivery(deps: OrdersDeps, { apply }: Pick<Transitions, 'apply'>, codes: CodeChecks) {
  const { db, media } = deps;
  const { handoverInvalid, deliveryCodeInvalid, spendCodeTry, checkHandoverCode, checkDeliveryCode } = codes;

  /**
   * Before a rider records a return: refuses what would refuse it before a try is spent (another
   * rider's order, a return already recorded or not begun), then spends a try at the seller's
   * return handover code, in a statement of its own, so wrong guesses count even though the
   * return fails (429 HANDOVER_CODE_LOCKED once they are used up). Never inside a transaction.
   */
  async function checkReturnCode(orderId: string, riderUserId: string) {
    const [current] = await db.select().from(orders).where(eq(orders.id, orderId));
    if (!current || current.riderId !== riderUserId) throw notFound('Order');
    const d = decide(current.status, 'record_return', 'rider');
    if (!d.ok) throw conflict('INVALID_TRANSITION', d.detail);
    if (!(await spendCodeTry(orderId, 'handover')))
      throw new AppError(
        'HANDOVER_CODE_LOCKED',
        429,
        'Too many wrong handover codes for this order; an admin must record the return.',
        { field: 'handover_code' },
      );
  }

  return {
    /**
     * A rider takes the parcel: the seller's handover code (constant time) proves it is the right
     * parcel for the right rider. The logistics module has already checked the rider holds the order.
     * Without `tx`: a try is spent (`checkHandoverCode`), then the pickup runs in its own
     * transaction. With `tx` (logistics moves the rider's job in the same one): the caller has
     * spent the try with `checkHandoverCode` before opening `tx`; the code is compared again here,
     * under the order's lock, and nothing in here touches `db`.
     */
    async riderPickUp(orderId: string, riderUserId: string, handoverCode: string, tx?: Database) {
      const run = async (tx: Database) => {
        const o = await lockOrder(tx, orderId);
        if (!o.handoverCode || !constantTimeEqual(handoverCode, o.handoverCode)) throw handoverInvalid();
        const picked = await apply(tx, o, 'pick_up', { userId: riderUserId, role: 'rider' });
        const [withRider] = await tx
          .update(orders)
          .set({ riderId: riderUserId })
          .where(eq(orders.id, orderId))
          .returning();
        return withRider ?? picked;
      };
      if (tx) return run(tx);
      await checkHandoverCode(orderId, handoverCode);
      return db.transaction(run);
    },

    /**
     * The rider's failed attempt (out_for_delivery → delivery_failed). Its evidence goes on the
     * order's timeline, where the buyer and admins see it: the reason as the note, the photo (an
     * upload of the rider's, purpose delivery_proof) and the GPS point. With `tx`, runs in the
     * caller's transaction (logistics gives the rider's capacity back in the same one).
     */
    async riderFailDelivery(
      orderId: string,
      riderUserId: string,
      reason: string,
      evidence: { photoMediaId: string; location: { lat: number; lng: number } },
      tx?: Database,
    ) {
      const run = async (tx: Database) => {
        const o = await lockOrder(tx, orderId);
        if (o.riderId !== riderUserId) throw notFound('Order');
        await media.requireOwned(
          tx,
          riderUserId,
          [evidence.photoMediaId],
          'delivery_proof',
          'photo_media_id',
        );
        return apply(
          tx,
          o,
          'fail_delivery',
          { userId: riderUserId, role: 'rider' },
          {
            note: reason,
            evidence: { method: 'photo', photo_media_id: evidence.photoMediaId },
            location: evidence.location,
          },
        );
      };
      return tx ? run(tx) : db.transaction(run);
    },

    /**
     * The rider who failed goes out again with the parcel (delivery_failed → out_for_delivery), in
     * the caller's transaction (logistics takes the rider's capacity in the same one). Refused once
     * the re-attempt window has closed (409 REDELIVERY_WINDOW_CLOSED).
     */
    async riderRetryDelivery(tx: Database, orderId: string, riderUserId: string) {
      const o = await lockOrder(tx, orderId);
      return apply(tx, o, 'retry_delivery', { userId: riderUserId, role: 'rider' });
    },

    /**
     * The rider gives up after a failed attempt: the buyer is refunded in full at once and the
     * parcel goes back to the seller (delivery_failed → returning); the stock waits for the parcel.
     * With `tx`, runs in the caller's transaction (riders moves the rider's job in the same one) and
     * touches nothing but `tx`.
     */
    async riderReturnToSeller(orderId: string, riderUserId: string, reason: string, tx?: Database) {
      const run = async (tx: Database) => {
        const o = await lockOrder(tx, orderId);
        return apply(tx, o, 'refund_undeliverable', { userId: riderUserId, role: 'rider' }, { note: reason });
      };
      return tx ? run(tx) : db.transaction(run);
    },

    checkReturnCode,

    /**
     * The parcel is back at the seller (returning → returned, restocked): the seller's return
     * handover code proves it, compared in constant time; wrong tries count and lock like at pickup.
     * Without `tx`: a try is spent (`checkReturnCode`), then the return runs in its own
     * transaction. With `tx` (riders finishes the rider's job in the same one): the caller has
     * spent the try with `checkReturnCode` before opening `tx`; the code is compared again here,
     * under the order's lock, and nothing in here touches `db`.
     */
    async riderRecordReturn(
      orderId: string,
      riderUserId: string,
      handoverCode: string,
      location: { lat: number; lng: number } | null = null,
      tx?: Database,
    ) {
      const run = async (tx: Database) => {
        const o = await lockOrder(tx, orderId);
        if (o.riderId !== riderUserId) throw notFound('Order');
        if (!o.handoverCode || !constantTimeEqual(handoverCode, o.handoverCode)) throw handoverInvalid();
        return apply(
          tx,
          o,
          'record_return',
          { userId: riderUserId, role: 'rider' },
          { evidence: { method: 'handover_code' }, location },
        );
      };
      if (tx) return run(tx);
      await checkReturnCode(orderId, riderUserId);
      return db.transaction(run);
    },

    /**
     * Delivered needs proof: the buyer's code (constant-time, limited tries) or a photo, a GPS
     * point and a note. Records who, when and where. Without `tx`: a code proof spends a try first
     * (`checkDeliveryCode`), then the delivery runs in its own transaction. With `tx` (logistics
     * finishes the rider's job in the same one): the caller has spent the try with
     * `checkDeliveryCode` before opening `tx`; the code is compared again here, under the order's
     * lock, and nothing in here touches `db`.
     */
    async deliver(orderId: string, actor: Actor, proof: DeliveryProof, tx?: Database) {
      const run = async (tx: Database) => {
        const o = await lockOrder(tx, orderId);
        checkOwner(o, actor);
        if ('code' in proof) {
          if (!o.deliveryCode || !constantTimeEqual(proof.code, o.deliveryCode)) throw deliveryCodeInvalid();
          return apply(tx, o, 'deliver', actor, { evidence: { method: 'code' }, location: proof.location });
        }
        await media.requireOwned(
          tx,
          actor.userId ?? '',
          [proof.photo_media_id],
          'delivery_proof',
          'photo_media_id',
        );
        return apply(tx, o, 'deliver', actor, {
          note: proof.note,
          evidence: { method: 'photo', photo_media_id: proof.photo_media_id },
          location: proof.location,
        });
      };
      if (tx) return run(tx);
      if ('code' in proof) await checkDeliveryCode(orderId, actor, proof.code);
      return db.transaction(run);
    },
  };
}
