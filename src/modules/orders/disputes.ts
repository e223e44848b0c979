// Disputes: the buyer opens one with evidence, both sides add to it, an admin resolves it.
import { asc, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { conflict, forbidden, notFound, unprocessable } from '../../shared/errors.js';
import { escrowOf } from './effects.js';
import { checkOwner, disputeWindowClosed, lockOrder } from './guards.js';
import type { OrderEvent } from './machine.js';
import type { DisputeFault } from './model.js';
import type { Actor, Dispute, OrdersDeps } from './ports.js';
import { disputeEvidence, disputes, orders } from './schema.js';
import type { Transitions } from './transitions.js';

export function createDisputes(deps: OrdersDeps, { apply }: Pick<Transitions, 'apply'>) {
  const { db, clock, ids, media } = deps;

  return {
    async openDispute(
      orderId: string,
      buyerId: string,
      input: { reason: Dispute['reason']; description: string; evidence_media_ids: string[] },
      /** the caller's own record of it (USSD's receipt), written in the same transaction */
      within?: (tx: Database) => Promise<void>,
    ) {
      return db.transaction(async (tx) => {
        const o = await lockOrder(tx, orderId);
        checkOwner(o, { userId: buyerId, role: 'buyer' });
        if (disputeWindowClosed(o, clock.now())) {
          throw conflict('DISPUTE_WINDOW_CLOSED', 'The time to open a dispute on this order has passed.');
        }
        await media.requireOwned(
          tx,
          buyerId,
          input.evidence_media_ids,
          'dispute_evidence',
          'evidence_media_ids',
        );
        await apply(
          tx,
          o,
          'open_dispute',
          { userId: buyerId, role: 'buyer' },
          { note: input.description, evidence: { reason: input.reason, media: input.evidence_media_ids } },
        );
        const [d] = await tx
          .insert(disputes)
          .values({
            id: ids.newId(),
            orderId,
            buyerId,
            reason: input.reason,
            description: input.description,
            status: 'open',
            openedAt: clock.now(),
          })
          .returning();
        // USSD opens a dispute with its written statement (the description) and no upload; the
        // app's route still requires at least one photo.
        if (input.evidence_media_ids.length > 0)
          await tx.insert(disputeEvidence).values(
            input.evidence_media_ids.map((m) => ({
              disputeId: d!.id,
              mediaId: m,
              addedBy: buyerId,
              createdAt: clock.now(),
            })),
          );
        if (within) await within(tx);
        return d!;
      });
    },

    async addDisputeEvidence(
      disputeId: string,
      actor: Actor,
      input: { media_ids: string[]; note?: string | undefined },
    ) {
      return db.transaction(async (tx) => {
        const [d] = await tx.select().from(disputes).where(eq(disputes.id, disputeId)).for('update');
        if (!d) throw notFound('Dispute');
        const [o] = await tx.select().from(orders).where(eq(orders.id, d.orderId));
        checkOwner(o!, actor);
        if (actor.role === 'rider' || actor.role === 'system')
          throw forbidden('FORBIDDEN_ACTOR', 'Only the buyer, the seller or an admin add evidence.');
        if (d.status !== 'open') throw conflict('DISPUTE_CLOSED', 'This dispute is already resolved.');
        await media.requireOwned(tx, actor.userId ?? '', input.media_ids, 'dispute_evidence', 'media_ids');
        await tx
          .insert(disputeEvidence)
          .values(
            input.media_ids.map((m) => ({
              disputeId,
              mediaId: m,
              addedBy: actor.userId!,
              note: input.note ?? null,
              createdAt: clock.now(),
            })),
          )
          .onConflictDoNothing();
        return d;
      });
    },

    async resolveDispute(
      disputeId: string,
      adminId: string,
      input: {
        resolution: NonNullable<Dispute['resolution']>;
        amount?: number | undefined;
        note: string;
        fault?: DisputeFault | undefined;
      },
    ) {
      // A refund says whose fault it was (it decides who bears the cost); a release defaults to nobody's.
      if (input.resolution !== 'release_to_seller' && !input.fault)
        throw unprocessable('FAULT_REQUIRED', 'fault', 'Say whose fault it was: seller, rider or none.');
      const fault: DisputeFault = input.fault ?? 'none';
      return db.transaction(async (tx) => {
        const [d] = await tx.select().from(disputes).where(eq(disputes.id, disputeId)).for('update');
        if (!d) throw notFound('Dispute');
        if (d.status !== 'open') throw conflict('DISPUTE_CLOSED', 'This dispute is already resolved.');
        const o = await lockOrder(tx, d.orderId);
        if (fault === 'rider' && !o.riderId)
          throw unprocessable('INVALID_FAULT', 'fault', 'No rider carried this order.');
        const event: OrderEvent =
          input.resolution === 'full_refund'
            ? 'resolve_full_refund'
            : input.resolution === 'partial_refund'
              ? 'resolve_partial_refund'
              : 'resolve_release';
        // A partial refund without its amount: `decide` refuses it (AMOUNT_REQUIRED).
        await apply(
          tx,
          o,
          event,
          { userId: adminId, role: 'admin' },
          { note: input.note, refundAmount: input.amount },
        );
        const refund =
          input.resolution === 'full_refund'
            ? o.finalAmount + o.deliveryFee
            : input.resolution === 'partial_refund'
              ? input.amount!
              : 0;
        // A full refund gives the delivery fee back to the buyer too; the rider who delivered is
        // not out of pocket for it unless it was their fault: the platform pays their share.
        if (input.resolution === 'full_refund' && fault !== 'rider')
          await deps.ledger.compensateRider(tx, escrowOf(o));
        const [updated] = await tx
          .update(disputes)
          .set({
            status: 'resolved',
            resolution: input.resolution,
            refundAmount: refund,
            resolutionNote: input.note,
            fault,
            resolvedBy: adminId,
            resolvedAt: clock.now(),
          })
          .where(eq(disputes.id, disputeId))
          .returning();
        return updated!;
      });
    },

    async disputeOf(disputeId: string) {
      const [d] = await db.select().from(disputes).where(eq(disputes.id, disputeId));
      if (!d) throw notFound('Dispute');
      const evidence = await db
        .select()
        .from(disputeEvidence)
        .where(eq(disputeEvidence.disputeId, disputeId))
        .orderBy(asc(disputeEvidence.createdAt));
      return { dispute: d, evidence };
    },

    async listDisputes(status: 'open' | 'resolved') {
      return db
        .select()
        .from(disputes)
        .where(eq(disputes.status, status))
        .orderBy(asc(disputes.openedAt))
        .limit(200);
    },
  };
}
