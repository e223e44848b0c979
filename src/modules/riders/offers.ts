// Offering an order to riders: the next offer (or the dispatch queue), expiry, and the rider's
// accept or decline.
import { and, count, desc, eq, gt, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { isUniqueViolation } from '../../db/columns.js';
import { conflict, notFound } from '../../shared/errors.js';
import { cellOf, type LatLng, neighbourCells } from '../zones/index.js';
import { type DispatchReason, needsDispatcher, type RankedCandidate, rankCandidates } from './assignment.js';
import type {
  AssignmentServiceDeps,
  AssignmentStore,
  OfferNextResult,
  OrderAssignment,
  RiderOffer,
} from './assignment-store.js';
import { takenError } from './assignment-store.js';
import { candidateQuery } from './candidates.js';
import { dispatchQueue, riderOffers } from './schema.js';

/** Offers, their expiry, and the rider's answer. */
export function createOfferService(deps: AssignmentServiceDeps, store: AssignmentStore) {
  const { db, clock, ids, jobs, orders, settings } = deps;
  const { currentAssignment, takeCapacity, insertAssignment } = store;

  async function openOffer(tx: Database, orderId: string): Promise<RiderOffer | null> {
    const [row] = await tx
      .select()
      .from(riderOffers)
      .where(and(eq(riderOffers.orderId, orderId), eq(riderOffers.status, 'offered')));
    return row ?? null;
  }

  async function enqueueDispatch(tx: Database, orderId: string, reason: DispatchReason, attempts: number) {
    const now = clock.now();
    const [entered] = await tx
      .insert(dispatchQueue)
      .values({ orderId, reason, attempts, queuedAt: now })
      .onConflictDoUpdate({
        target: dispatchQueue.orderId,
        set: { reason, attempts, queuedAt: now, resolvedAt: null, resolvedBy: null },
        setWhere: sql`${dispatchQueue.resolvedAt} is not null`,
      })
      .returning({ queuedAt: dispatchQueue.queuedAt });
    // A new stay in the queue (not one already waiting): operations hear if it lasts too long.
    if (entered)
      await jobs.enqueue(tx, {
        kind: 'riders.check_dispatch_wait',
        payload: { order_id: orderId, queued_at: entered.queuedAt.toISOString() },
        runAt: new Date(entered.queuedAt.getTime() + settings.dispatchAlertMinutes * 60_000),
        dedupeKey: `riders.check_dispatch_wait:${orderId}:${entered.queuedAt.getTime()}`,
      });
  }

  /** Best candidates around the pickup, trying wider rings until one holds a rider. */
  async function findCandidates(
    orderId: string,
    pickup: LatLng,
  ): Promise<{ ranked: RankedCandidate[]; ring: number }> {
    const now = clock.now();
    const freshSince = new Date(now.getTime() - settings.staleAfterSeconds * 1000);
    const centre = cellOf(pickup, 'pickup');
    let ring = 0;
    for (const k of settings.searchRings) {
      ring = k;
      const rows = await candidateQuery(db, {
        orderId,
        pickup,
        cells: neighbourCells(centre, k),
        freshSince,
      });
      const ranked = rankCandidates(pickup, rows, now, settings.staleAfterSeconds);
      if (ranked.length) return { ranked, ring };
    }
    return { ranked: [], ring };
  }

  async function refusalsOf(tx: Database, orderId: string): Promise<number> {
    const [row] = await tx
      .select({ n: count() })
      .from(riderOffers)
      .where(and(eq(riderOffers.orderId, orderId), inArray(riderOffers.status, ['declined', 'expired'])));
    return Number(row?.n ?? 0);
  }

  /**
   * Offer the order to the best rider, or queue it for a dispatcher. Idempotent and safe to run
   * from several workers at once: an open offer, a holder or an open queue entry means nothing
   * to do, and the unique open-offer index settles two workers offering at the same moment. An
   * open offer past its expiry is expired here first (its expiry job may not have run yet).
   */
  async function offerNext(orderId: string): Promise<OfferNextResult> {
    const now = clock.now();
    const assigned = await currentAssignment(db, orderId);
    if (assigned) return { outcome: 'already_assigned', assignment: assigned };
    const open = await openOffer(db, orderId);
    if (open) {
      if (open.expiresAt > now) return { outcome: 'already_offered', offer: open };
      await db
        .update(riderOffers)
        .set({ status: 'expired', decidedAt: now })
        .where(and(eq(riderOffers.id, open.id), eq(riderOffers.status, 'offered')));
    }
    const [queued] = await db
      .select()
      .from(dispatchQueue)
      .where(and(eq(dispatchQueue.orderId, orderId), isNull(dispatchQueue.resolvedAt)));
    if (queued) return { outcome: 'already_queued' };
    if (!(await orders.isReadyForPickup(orderId))) return { outcome: 'not_ready' };

    const refusals = await refusalsOf(db, orderId);
    if (needsDispatcher(refusals, settings.maxOfferAttempts)) {
      await db.transaction(async (tx) => enqueueDispatch(tx, orderId, 'too_many_refusals', refusals));
      return { outcome: 'queued', reason: 'too_many_refusals' };
    }
    const pickup = await orders.pickupOf(orderId);
    const { ranked, ring } = await findCandidates(orderId, pickup);
    const best = ranked[0];
    if (!best) {
      await db.transaction(async (tx) => enqueueDispatch(tx, orderId, 'no_rider', refusals));
      return { outcome: 'queued', reason: 'no_rider' };
    }
    try {
      const offer = await db.transaction(async (tx) => {
        const [row] = await tx
          .insert(riderOffers)
          .values({
            id: ids.newId(),
            orderId,
            riderId: best.riderId,
            status: 'offered',
            distanceM: best.distanceM,
            offeredAt: now,
            expiresAt: new Date(now.getTime() + settings.offerTtlSeconds * 1000),
          })
          .returning();
        await jobs.enqueue(tx, {
          kind: 'riders.expire_offer',
          payload: { offer_id: row!.id },
          runAt: row!.expiresAt,
          dedupeKey: `logistics.offer_expire:${row!.id}`,
        });
        return row!;
      });
      return { outcome: 'offered', offer, ring };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // Another worker offered it a moment ago.
      const other = await openOffer(db, orderId);
      if (other) return { outcome: 'already_offered', offer: other };
      throw err;
    }
  }

  /** Loads an offer of this rider, locked; another rider's offer is a 404. */
  async function lockOwnOffer(tx: Database, riderId: string, offerId: string): Promise<RiderOffer> {
    const [offer] = await tx.select().from(riderOffers).where(eq(riderOffers.id, offerId)).for('update');
    if (!offer || offer.riderId !== riderId) throw notFound('Offer');
    return offer;
  }

  function refuseClosedOffer(offer: RiderOffer, now: Date): void {
    if (offer.status === 'offered' && offer.expiresAt <= now) {
      throw conflict('OFFER_EXPIRED', 'This offer expired; it went to another rider.');
    }
    switch (offer.status) {
      case 'offered':
        return;
      case 'expired':
        throw conflict('OFFER_EXPIRED', 'This offer expired; it went to another rider.');
      case 'declined':
        throw conflict('OFFER_DECLINED', 'You declined this offer.');
      default:
        throw takenError();
    }
  }

  return {
    offerNext,

    /**
     * Expires one offer if it is still open and due, then offers the order to the next rider.
     * For the 'riders.expire_offer' job (at expires_at). A job that runs early throws, to retry.
     */
    async expireOffer(offerId: string): Promise<OfferNextResult | null> {
      const now = clock.now();
      const [offer] = await db.select().from(riderOffers).where(eq(riderOffers.id, offerId));
      if (offer?.status !== 'offered') return null;
      if (offer.expiresAt > now)
        throw new Error(`offer ${offerId} is not due to expire until ${offer.expiresAt.toISOString()}`);
      await db
        .update(riderOffers)
        .set({ status: 'expired', decidedAt: now })
        .where(and(eq(riderOffers.id, offerId), eq(riderOffers.status, 'offered')));
      return offerNext(offer.orderId);
    },

    /** Expires every open offer past its time (a sweep for missed expiry jobs); returns the orders moved on. */
    async expireDue(limit = 100): Promise<number> {
      const due = await db
        .select({ id: riderOffers.id, orderId: riderOffers.orderId })
        .from(riderOffers)
        .where(and(eq(riderOffers.status, 'offered'), lte(riderOffers.expiresAt, clock.now())))
        .limit(limit);
      for (const o of due) {
        await db
          .update(riderOffers)
          .set({ status: 'expired', decidedAt: clock.now() })
          .where(and(eq(riderOffers.id, o.id), eq(riderOffers.status, 'offered')));
        await offerNext(o.orderId);
      }
      return due.length;
    },

    /** The rider's open offers (not yet expired), newest first. */
    async offersOf(riderId: string): Promise<RiderOffer[]> {
      return db
        .select()
        .from(riderOffers)
        .where(
          and(
            eq(riderOffers.riderId, riderId),
            eq(riderOffers.status, 'offered'),
            gt(riderOffers.expiresAt, clock.now()),
          ),
        )
        .orderBy(desc(riderOffers.offeredAt));
    },

    /**
     * The rider takes the order. Refusals: 404 (not this rider's offer), 409 `OFFER_EXPIRED`,
     * 409 `OFFER_DECLINED`, 409 `OFFER_TAKEN` (someone else holds the order), 409 `AT_CAPACITY`.
     * Accepting an offer already accepted by the same rider answers the same assignment.
     */
    async accept(riderId: string, offerId: string): Promise<OrderAssignment> {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const offer = await lockOwnOffer(tx, riderId, offerId);
        if (offer.status === 'accepted') {
          const held = await currentAssignment(tx, offer.orderId);
          if (held?.riderId === riderId) return held;
        }
        refuseClosedOffer(offer, now);
        await takeCapacity(tx, riderId, now);
        const assignment = await insertAssignment(tx, {
          orderId: offer.orderId,
          riderId,
          offerId,
          assignedBy: null,
          now,
        });
        await tx
          .update(riderOffers)
          .set({ status: 'accepted', decidedAt: now })
          .where(eq(riderOffers.id, offerId));
        return assignment;
      });
    },

    /** The rider says no: the order goes to the next rider. Same refusals as accept, but no capacity check. */
    async decline(riderId: string, offerId: string): Promise<RiderOffer> {
      const declined = await db.transaction(async (tx) => {
        const offer = await lockOwnOffer(tx, riderId, offerId);
        if (offer.status === 'declined') return offer;
        refuseClosedOffer(offer, clock.now());
        const [row] = await tx
          .update(riderOffers)
          .set({ status: 'declined', decidedAt: clock.now() })
          .where(eq(riderOffers.id, offerId))
          .returning();
        await jobs.enqueue(tx, {
          kind: 'riders.assign',
          payload: { order_id: offer.orderId },
          dedupeKey: `logistics.assign:${offer.orderId}:after:${offer.id}`,
        });
        return row!;
      });
      return declined;
    },
  };
}
