// The dispatch side of assignment: the queue operations work from, an admin's assignment by hand,
// the no-show and wait timers, and releasing an order that no longer needs a rider.
import { and, asc, eq, isNull } from 'drizzle-orm';
import { conflict, notFound } from '../../shared/errors.js';
import type {
  AssignmentServiceDeps,
  AssignmentStore,
  DispatchEntry,
  OrderAssignment,
} from './assignment-store.js';
import { dispatchQueue, orderAssignments, riderOffers, riderProfiles } from './schema.js';

/** The dispatch queue, an admin's assignment, the pickup and wait timers, and release. */
export function createDispatchService(deps: AssignmentServiceDeps, store: AssignmentStore) {
  const { db, clock, audit, jobs, orders, settings } = deps;
  const { takeCapacity, releaseCapacity, tellReleased, insertAssignment } = store;

  return {
    /**
     * Pickup deadline job: the rider who holds the order has not collected it in time. They are
     * released (capacity back, a strike in the audit trail) and the order goes to the next rider.
     */
    async pickupDeadline(orderId: string, riderId: string): Promise<boolean> {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const [released] = await tx
          .update(orderAssignments)
          .set({ status: 'released', finishedAt: now, updatedAt: now })
          .where(
            and(
              eq(orderAssignments.orderId, orderId),
              eq(orderAssignments.riderId, riderId),
              eq(orderAssignments.status, 'assigned'),
            ),
          )
          .returning();
        if (!released) return false;
        await releaseCapacity(tx, riderId, now);
        await tellReleased(tx, riderId, orderId, now);
        await deps.audit.record(tx, {
          actorUserId: null,
          action: 'rider.no_show',
          targetType: 'user',
          targetId: riderId,
          reason: `did not collect order ${orderId} within ${settings.pickupMinutes} min`,
          data: { order_id: orderId },
        });
        await jobs.enqueue(tx, {
          kind: 'riders.assign',
          payload: { order_id: orderId },
          dedupeKey: `logistics.assign:${orderId}:no-show:${riderId}`,
        });
        return true;
      });
    },

    /** Open dispatch-queue entries, oldest first (200 at most). */
    async dispatchList(): Promise<DispatchEntry[]> {
      return db
        .select()
        .from(dispatchQueue)
        .where(isNull(dispatchQueue.resolvedAt))
        .orderBy(asc(dispatchQueue.queuedAt))
        .limit(200);
    },

    /**
     * An admin gives the order to a rider by hand (from the queue, or over an open offer, which is
     * withdrawn). Refusals: 404 (no such rider), 409 `RIDER_NOT_VERIFIED`, 409 `ORDER_NOT_READY`,
     * 409 `OFFER_TAKEN` (a rider holds it already), 409 `AT_CAPACITY`. Audited.
     */
    async adminAssign(
      adminId: string,
      orderId: string,
      riderId: string,
      reason: string,
    ): Promise<OrderAssignment> {
      if (!(await orders.isReadyForPickup(orderId))) {
        throw conflict('ORDER_NOT_READY', 'This order is not waiting for a rider.');
      }
      return db.transaction(async (tx) => {
        const now = clock.now();
        const [rider] = await tx.select().from(riderProfiles).where(eq(riderProfiles.userId, riderId));
        if (!rider) throw notFound('Rider');
        if (rider.status !== 'verified') throw conflict('RIDER_NOT_VERIFIED', 'This rider is not verified.');
        const withdrawn = await tx
          .update(riderOffers)
          .set({ status: 'withdrawn', decidedAt: now })
          .where(and(eq(riderOffers.orderId, orderId), eq(riderOffers.status, 'offered')))
          .returning({ id: riderOffers.id, riderId: riderOffers.riderId });
        await takeCapacity(tx, riderId, now);
        const assignment = await insertAssignment(tx, {
          orderId,
          riderId,
          offerId: null,
          assignedBy: adminId,
          now,
        });
        await tx
          .update(dispatchQueue)
          .set({ resolvedAt: now, resolvedBy: adminId })
          .where(and(eq(dispatchQueue.orderId, orderId), isNull(dispatchQueue.resolvedAt)));
        await audit.record(tx, {
          actorUserId: adminId,
          action: 'order.rider_assigned',
          targetType: 'order',
          targetId: orderId,
          reason,
          data: { rider_id: riderId, withdrawn_offers: withdrawn.map((w) => w.id) },
        });
        return assignment;
      });
    },

    /**
     * Dispatch-wait job: the order is still in the queue since `queuedAt` (not resolved, not queued
     * again): operations hear of it once (`rider.dispatch_waiting`). Idempotent.
     */
    async dispatchWaitCheck(orderId: string, queuedAt: Date): Promise<boolean> {
      return db.transaction(async (tx) => {
        const [entry] = await tx
          .select()
          .from(dispatchQueue)
          .where(and(eq(dispatchQueue.orderId, orderId), isNull(dispatchQueue.resolvedAt)));
        if (entry?.queuedAt.getTime() !== queuedAt.getTime()) return false;
        const minutes = Math.floor((clock.now().getTime() - queuedAt.getTime()) / 60_000);
        await jobs.enqueue(tx, {
          kind: 'rider.dispatch_waiting',
          payload: { orderId, queuedAt: queuedAt.toISOString(), minutes },
          dedupeKey: `rider.dispatch_waiting:${orderId}:${queuedAt.getTime()}`,
        });
        return true;
      });
    },

    /**
     * The order no longer needs a rider (cancelled): open offers are withdrawn, the queue entry
     * resolved, and a holder who has not picked it up is released with their capacity back.
     */
    async releaseOrder(orderId: string): Promise<void> {
      await db.transaction(async (tx) => {
        const now = clock.now();
        await tx
          .update(riderOffers)
          .set({ status: 'withdrawn', decidedAt: now })
          .where(and(eq(riderOffers.orderId, orderId), eq(riderOffers.status, 'offered')));
        await tx
          .update(dispatchQueue)
          .set({ resolvedAt: now })
          .where(and(eq(dispatchQueue.orderId, orderId), isNull(dispatchQueue.resolvedAt)));
        const [released] = await tx
          .update(orderAssignments)
          .set({ status: 'released', finishedAt: now, updatedAt: now })
          .where(and(eq(orderAssignments.orderId, orderId), eq(orderAssignments.status, 'assigned')))
          .returning();
        if (released) {
          await releaseCapacity(tx, released.riderId, now);
          await tellReleased(tx, released.riderId, orderId, now);
        }
      });
    },
  };
}
