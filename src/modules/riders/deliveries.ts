// The rider's jobs once the order is theirs: pickup, delivery, a failed attempt, going out again,
// and the parcel's way back to the seller; each moves the job and the order in one transaction.
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { conflict, notFound } from '../../shared/errors.js';
import type { AssignmentServiceDeps, AssignmentStore, OrderAssignment } from './assignment-store.js';
import type { DeliveryProof, FailureEvidence } from './ports.js';
import { orderAssignments, riderProfiles } from './schema.js';

/** The rider's deliveries in hand and every move of them; `releaseOrder` is dispatch's, for a cancelled order. */
export function createDeliveryService(
  deps: AssignmentServiceDeps,
  store: AssignmentStore,
  releaseOrder: (orderId: string) => Promise<void>,
) {
  const { db, clock, orders } = deps;
  const { currentAssignment, takeCapacity, releaseCapacity } = store;

  async function requireOwnJob(tx: Database, riderId: string, orderId: string, lock = false) {
    const q = tx
      .select()
      .from(orderAssignments)
      .where(and(eq(orderAssignments.orderId, orderId), eq(orderAssignments.riderId, riderId)));
    const [row] = lock ? await q.for('update') : await q;
    if (!row || row.status === 'released') throw notFound('Delivery job');
    return row;
  }

  function requireAssigned(job: OrderAssignment): void {
    if (job.status !== 'assigned')
      throw conflict('JOB_ALREADY_PICKED_UP', `This delivery is already ${job.status.replace('_', ' ')}.`);
  }

  function requirePickedUp(job: OrderAssignment): void {
    if (job.status !== 'picked_up')
      throw conflict(
        'JOB_NOT_PICKED_UP',
        job.status === 'assigned' ? 'Confirm the pickup first.' : `This delivery is already ${job.status}.`,
      );
  }

  /**
   * The end of a run with the parcel: delivered (the job is finished) or a failed attempt (the rider
   * still holds the parcel: the job stays theirs, as 'failed_attempt'). Both give the capacity back.
   *
   * Why a failed attempt frees capacity although the rider keeps the parcel: capacity counts the
   * deliveries a rider is running, and a parcel waiting for its re-attempt may wait up to the
   * re-attempt window (a day by default); holding a bicycle rider's only slot that long would
   * stop them working. The parcel stays theirs all the same (the assignment row is the one holder,
   * so nobody else can be given it), and going out with it again takes a unit of capacity back with
   * the same conditional UPDATE as accepting an offer, in the same transaction as the order's
   * re-attempt: a rider who filled up meanwhile gets 409 AT_CAPACITY and nothing changes, so
   * active_jobs never exceeds capacity (the CHECK on rider_profiles says so too).
   *
   * One transaction: the job, the capacity and the order's transition (`act`, the orders side in
   * `tx`) commit together or not at all, so a crash or a refusal between them cannot leave an order
   * delivered with its job still picked up, or a unit of capacity held for ever. `before` runs
   * first, outside it (a delivery code's try, which must count even when the delivery fails).
   *
   * Lock order, the same in every rider action that moves an order (pickUp, retry, here): the
   * job's row (order_assignments, FOR UPDATE) first, then the rider's row (rider_profiles, the
   * capacity UPDATE), then the order's row (orders, FOR UPDATE inside the orders service) and what
   * its transition touches. The orders side never locks a job or a rider's row (it tells logistics
   * through an 'order.moved_without_rider' job, and its reads of the job take no lock), so nothing takes
   * the order's row before them. (Accepting an offer and an admin's assignment take the rider's row
   * before a job's row, but only for an order nobody holds, whose job row no rider action gets past
   * locking: the status check after the lock refuses it first.)
   */
  async function finishJob(
    riderId: string,
    orderId: string,
    to: 'delivered' | 'failed_attempt',
    act: (tx: Database) => Promise<void>,
    before?: () => Promise<void>,
  ): Promise<OrderAssignment> {
    // Refused before a code's try is spent: another rider's order (404), a job not picked up (409).
    requirePickedUp(await requireOwnJob(db, riderId, orderId));
    await before?.();
    return db.transaction(async (tx) => {
      const now = clock.now();
      requirePickedUp(await requireOwnJob(tx, riderId, orderId, true));
      await releaseCapacity(tx, riderId, now);
      await act(tx);
      const [row] = await tx
        .update(orderAssignments)
        .set({ status: to, finishedAt: to === 'delivered' ? now : null, updatedAt: now })
        .where(and(eq(orderAssignments.orderId, orderId), eq(orderAssignments.status, 'picked_up')))
        .returning();
      if (!row) throw conflict('JOB_CHANGED', 'This delivery changed meanwhile; reload it.');
      return row;
    });
  }

  /** Only a job whose attempt failed (the rider holds the parcel) can be re-attempted or given up. */
  function requireFailedAttempt(job: OrderAssignment): void {
    if (job.status === 'failed_attempt') return;
    throw conflict(
      'NO_FAILED_ATTEMPT',
      job.status === 'returning'
        ? 'This parcel is already going back to the seller.'
        : `Only a delivery whose attempt failed can be re-attempted or returned; this one is ${job.status.replace('_', ' ')}.`,
    );
  }

  /** Moves the job from one of `from` to `to` (a conditional update); the row as it is after. */
  async function moveJob(
    tx: Database,
    orderId: string,
    from: OrderAssignment['status'][],
    to: OrderAssignment['status'],
    now: Date,
  ): Promise<OrderAssignment | null> {
    const [row] = await tx
      .update(orderAssignments)
      .set({ status: to, updatedAt: now, ...(to === 'returned' ? { finishedAt: now } : {}) })
      .where(and(eq(orderAssignments.orderId, orderId), inArray(orderAssignments.status, from)))
      .returning();
    if (row) return row;
    const [current] = await tx.select().from(orderAssignments).where(eq(orderAssignments.orderId, orderId));
    return current ?? null;
  }
  return {
    /** The rider's deliveries in hand (assigned, picked up, failed attempt, going back), oldest first. */
    async jobsOf(riderId: string): Promise<OrderAssignment[]> {
      return db
        .select()
        .from(orderAssignments)
        .where(
          and(
            eq(orderAssignments.riderId, riderId),
            inArray(orderAssignments.status, ['assigned', 'picked_up', 'failed_attempt', 'returning']),
          ),
        )
        .orderBy(asc(orderAssignments.assignedAt));
    },

    /** The holder of an order (not released), or null: for the orders module's buyer view. */
    assignmentOf: (orderId: string, tx: Database = db) => currentAssignment(tx, orderId),

    /**
     * The orders a rider holds and has not collected yet (one row per rider job, so bounded by the
     * riders' capacity): a ready order among them is not waiting for a rider, whatever `orders.rider_id`
     * says (that column is set at pickup).
     */
    awaitingPickupOrderIds: async (tx: Database = db): Promise<string[]> =>
      (
        await tx
          .select({ orderId: orderAssignments.orderId })
          .from(orderAssignments)
          .where(eq(orderAssignments.status, 'assigned'))
      ).map((r) => r.orderId),

    /** A rider holds the job and has not collected it yet: for the orders module's seller-side rules. */
    awaitingPickup: async (orderId: string, tx: Database = db) =>
      (await currentAssignment(tx, orderId))?.status === 'assigned',

    /**
     * The rider collects the parcel with the seller's handover code (checked by the orders service).
     * The code's try is spent first, on its own (a wrong guess counts); then the order's pickup and
     * the job's, in one transaction (lock order: see finishJob). Capacity is untouched: it was
     * taken on accepting.
     */
    async pickUp(riderId: string, orderId: string, handoverCode: string): Promise<OrderAssignment> {
      // Refused before a try is spent: another rider's order (404), a job already collected (409).
      requireAssigned(await requireOwnJob(db, riderId, orderId));
      await orders.checkHandoverCode(orderId, riderId, handoverCode);
      return db.transaction(async (tx) => {
        const now = clock.now();
        requireAssigned(await requireOwnJob(tx, riderId, orderId, true));
        await orders.pickUp(tx, orderId, riderId, handoverCode);
        const [row] = await tx
          .update(orderAssignments)
          .set({ status: 'picked_up', pickedUpAt: now, updatedAt: now })
          .where(and(eq(orderAssignments.orderId, orderId), eq(orderAssignments.status, 'assigned')))
          .returning();
        if (!row) throw conflict('JOB_CHANGED', 'This delivery changed meanwhile; reload it.');
        return row;
      });
    },

    /**
     * Delivered with proof (checked by the orders service); frees one unit of capacity, in the
     * order's transaction. A code's try is spent before it, on its own.
     */
    deliver: (riderId: string, orderId: string, proof: DeliveryProof) =>
      finishJob(
        riderId,
        orderId,
        'delivered',
        (tx) => orders.deliver(tx, orderId, riderId, proof),
        proof.kind === 'code' ? () => orders.checkDeliveryCode(orderId, riderId, proof.code) : undefined,
      ),

    /**
     * A failed attempt (reason and evidence go to the order's timeline); frees one unit of capacity
     * but the job stays the rider's ('failed_attempt'): they hold the parcel (see finishJob).
     */
    fail: (riderId: string, orderId: string, reason: string, evidence: FailureEvidence) =>
      finishJob(riderId, orderId, 'failed_attempt', (tx) =>
        orders.failDelivery(tx, orderId, riderId, reason, evidence),
      ),

    /**
     * Out again with the parcel of the rider's own failed attempt, inside the re-attempt window:
     * capacity is taken (409 AT_CAPACITY), the order goes back to out_for_delivery (409
     * REDELIVERY_WINDOW_CLOSED after the window) and the job to picked_up, in one transaction. The
     * delivery then needs the same proof as any other. Lock order: job, rider, order (see finishJob).
     */
    async retry(riderId: string, orderId: string): Promise<OrderAssignment> {
      return db.transaction(async (tx) => {
        const now = clock.now();
        requireFailedAttempt(await requireOwnJob(tx, riderId, orderId, true));
        // A re-attempt is a new run: a rider struck off may bring the parcel back, not go out again.
        const [rider] = await tx
          .select({ status: riderProfiles.status })
          .from(riderProfiles)
          .where(eq(riderProfiles.userId, riderId));
        if (rider?.status !== 'verified')
          throw conflict(
            'RIDER_NOT_VERIFIED',
            'Your rider profile is not verified; bring the parcel back instead.',
          );
        await takeCapacity(tx, riderId, now);
        await orders.retryDelivery(tx, orderId, riderId);
        const row = await moveJob(tx, orderId, ['failed_attempt'], 'picked_up', now);
        if (row?.status !== 'picked_up')
          throw conflict('JOB_CHANGED', 'This delivery changed meanwhile; reload it.');
        return row;
      });
    },

    /**
     * The rider gives up after a failed attempt: the buyer is refunded at once (orders side) and the
     * job becomes 'returning' until the rider hands the parcel back to the seller. One transaction:
     * the order's refund and the job's move commit together or not at all (lock order: job, then
     * order, as in finishJob).
     */
    async returnToSeller(riderId: string, orderId: string, reason: string): Promise<OrderAssignment> {
      requireFailedAttempt(await requireOwnJob(db, riderId, orderId));
      return db.transaction(async (tx) => {
        requireFailedAttempt(await requireOwnJob(tx, riderId, orderId, true));
        await orders.returnToSeller(tx, orderId, riderId, reason);
        const row = await moveJob(tx, orderId, ['failed_attempt'], 'returning', clock.now());
        if (row?.status !== 'returning')
          throw conflict('JOB_CHANGED', 'This delivery changed meanwhile; reload it.');
        return row;
      });
    },

    /**
     * The parcel is back at the seller, proven by the seller's handover code (checked by the orders
     * service, which restocks it). Capacity is untouched: a parcel after a failed attempt holds none.
     */
    async returned(riderId: string, orderId: string, handoverCode: string): Promise<OrderAssignment> {
      const job = await requireOwnJob(db, riderId, orderId);
      if (job.status !== 'failed_attempt' && job.status !== 'returning')
        throw conflict(
          'NOT_RETURNING',
          job.status === 'returned'
            ? 'This parcel is already back with the seller.'
            : `This delivery is ${job.status.replace('_', ' ')}; only an undelivered parcel goes back.`,
        );
      // The code's try is spent on its own, before the transaction: a wrong guess counts.
      await orders.checkReturnCode(orderId, riderId);
      // One transaction: the order's return (restocked) and the job's move, together or not at all.
      return db.transaction(async (tx) => {
        const locked = await requireOwnJob(tx, riderId, orderId, true);
        if (locked.status !== 'failed_attempt' && locked.status !== 'returning')
          throw conflict('JOB_CHANGED', 'This delivery changed meanwhile; reload it.');
        await orders.recordReturn(tx, orderId, riderId, handoverCode);
        const row = await moveJob(tx, orderId, ['failed_attempt', 'returning'], 'returned', clock.now());
        if (row?.status !== 'returned')
          throw conflict('JOB_CHANGED', 'This delivery changed meanwhile; reload it.');
        return row;
      });
    },

    /**
     * The order moved on without the rider's own call (job 'order.moved_without_rider', written by the
     * orders side in the transition's transaction): refunded by an admin or when the re-attempt
     * window closed → the job is 'returning'; the return recorded by an admin → 'returned'. A job
     * still 'picked_up' (the attempt failed by an admin's hand, not the rider's; or a job left
     * behind before the rider's actions moved both sides in one transaction) gives its capacity
     * back here. Idempotent.
     */
    async orderMoved(orderId: string, status: string): Promise<OrderAssignment | null> {
      // Cancelled before collection (the seller banned or suspended): nobody goes to fetch it.
      if (status === 'cancelled') {
        await releaseOrder(orderId);
        return null;
      }
      return db.transaction(async (tx) => {
        const now = clock.now();
        const [job] = await tx
          .select()
          .from(orderAssignments)
          .where(eq(orderAssignments.orderId, orderId))
          .for('update');
        if (!job) return null;
        const from: OrderAssignment['status'][] =
          status === 'returning'
            ? ['picked_up', 'failed_attempt']
            : status === 'returned'
              ? ['picked_up', 'failed_attempt', 'returning']
              : [];
        if (!from.includes(job.status)) return job;
        if (job.status === 'picked_up') await releaseCapacity(tx, job.riderId, now);
        return moveJob(tx, orderId, from, status as OrderAssignment['status'], now);
      });
    },
  };
}
