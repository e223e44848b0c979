import { and, asc, count, desc, eq, gt, inArray, isNull, lte, ne, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { isUniqueViolation } from '../../db/columns.js';
import type { Clock } from '../../shared/clock.js';
import { conflict, notFound } from '../../shared/errors.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { AuditService } from '../audit/index.js';
import { cellOf, type LatLng, neighbourCells } from '../zones/index.js';
import {
  type DispatchReason,
  needsDispatcher,
  type RankedCandidate,
  type RiderSettings,
  rankCandidates,
} from './assignment.js';
import type { DeliveryProof, FailureEvidence, JobsPort, RiderOrdersPort } from './ports.js';
import { dispatchQueue, orderAssignments, riderOffers, riderProfiles } from './schema.js';

export type RiderOffer = typeof riderOffers.$inferSelect;
export type OrderAssignment = typeof orderAssignments.$inferSelect;
export type DispatchEntry = typeof dispatchQueue.$inferSelect;

export type OfferNextResult =
  | { outcome: 'offered'; offer: RiderOffer; ring: number }
  | { outcome: 'already_offered'; offer: RiderOffer }
  | { outcome: 'already_assigned'; assignment: OrderAssignment }
  | { outcome: 'queued'; reason: DispatchReason }
  | { outcome: 'already_queued' }
  | { outcome: 'not_ready' };

export interface AssignmentServiceDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  jobs: JobsPort;
  orders: RiderOrdersPort;
  settings: RiderSettings;
}

/** How many candidates the query hands to the ranking: enough to re-rank exactly, few enough to be cheap. */
const CANDIDATE_LIMIT = 10;

/** Haversine distance in metres from the rider's last position to `p`, in SQL (same formula as haversineMeters). */
const distanceSql = (p: LatLng) => sql`round(2 * 6371000 * asin(least(1, sqrt(
  power(sin(radians(r.last_lat - ${p.lat}::float8) / 2), 2)
  + cos(radians(${p.lat}::float8)) * cos(radians(r.last_lat))
  * power(sin(radians(r.last_lng - ${p.lng}::float8) / 2), 2)))))::int`;

export interface CandidateRow {
  riderId: string;
  lat: number;
  lng: number;
  activeJobs: number;
  capacity: number;
  lastPingAt: Date;
  distanceM: number;
}

/**
 * The one candidate query: verified, available riders in `cells` with spare capacity, a fresh
 * ping, no open offer and never offered this order, nearest first. It probes the partial index
 * rider_profiles_dispatch_idx (last_cell, last_ping_at) where availability='available' and
 * status='verified' once per cell (a lateral join over the cell list, which the planner cannot turn
 * into a scan of every rider however small the table), so it reads only riders in those cells.
 * Exported for the EXPLAIN test and the bench.
 */
export function candidateSql(q: {
  orderId: string;
  pickup: LatLng;
  cells: string[];
  freshSince: Date;
  limit?: number;
}) {
  const cells = sql.join(
    q.cells.map((c) => sql`${c}`),
    sql`, `,
  );
  return sql`select r.user_id, r.last_lat, r.last_lng, r.active_jobs, r.capacity, r.last_ping_at,
      ${distanceSql(q.pickup)} as distance_m
    from unnest(array[${cells}]::text[]) as c(cell)
    cross join lateral (
      select p.user_id, p.last_lat, p.last_lng, p.active_jobs, p.capacity, p.last_ping_at
      from rider_profiles p
      where p.last_cell = c.cell
        and p.availability = 'available' and p.status = 'verified'
        and p.last_ping_at >= ${q.freshSince.toISOString()}::timestamptz
        and p.active_jobs < p.capacity
      offset 0
    ) r
    where not exists (select 1 from rider_offers o where o.order_id = ${q.orderId}::uuid and o.rider_id = r.user_id)
      and not exists (select 1 from rider_offers o where o.rider_id = r.user_id and o.status = 'offered')
    order by distance_m, r.active_jobs, r.last_ping_at desc, r.user_id
    limit ${q.limit ?? CANDIDATE_LIMIT}`;
}

export async function candidateQuery(
  db: Database,
  q: { orderId: string; pickup: LatLng; cells: string[]; freshSince: Date; limit?: number },
): Promise<CandidateRow[]> {
  const res = await db.execute(candidateSql(q));
  const rows = (res as unknown as { rows: Array<Record<string, unknown>> }).rows;
  return rows.map((r) => ({
    riderId: String(r.user_id),
    lat: Number(r.last_lat),
    lng: Number(r.last_lng),
    activeJobs: Number(r.active_jobs),
    capacity: Number(r.capacity),
    lastPingAt: new Date(r.last_ping_at as string | Date),
    distanceM: Number(r.distance_m),
  }));
}

const takenError = () =>
  conflict('OFFER_TAKEN', 'Another rider already holds this order; wait for the next offer.');

/** Offers, accept/decline, expiry, the dispatch queue, and the rider's jobs. */
export function createAssignmentService(deps: AssignmentServiceDeps) {
  const { db, clock, ids, audit, jobs, orders, settings } = deps;

  async function openOffer(tx: Database, orderId: string): Promise<RiderOffer | null> {
    const [row] = await tx
      .select()
      .from(riderOffers)
      .where(and(eq(riderOffers.orderId, orderId), eq(riderOffers.status, 'offered')));
    return row ?? null;
  }

  async function currentAssignment(tx: Database, orderId: string): Promise<OrderAssignment | null> {
    const [row] = await tx
      .select()
      .from(orderAssignments)
      .where(and(eq(orderAssignments.orderId, orderId), ne(orderAssignments.status, 'released')));
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

  /** One more job for the rider if they have room, in the caller's transaction; else 409 AT_CAPACITY. */
  async function takeCapacity(tx: Database, riderId: string, now: Date) {
    const [row] = await tx
      .update(riderProfiles)
      .set({ activeJobs: sql`${riderProfiles.activeJobs} + 1`, updatedAt: now })
      .where(
        and(eq(riderProfiles.userId, riderId), sql`${riderProfiles.activeJobs} < ${riderProfiles.capacity}`),
      )
      .returning({ activeJobs: riderProfiles.activeJobs });
    if (!row) {
      throw conflict('AT_CAPACITY', 'You already carry as many deliveries as your capacity allows.');
    }
  }

  async function releaseCapacity(tx: Database, riderId: string, now: Date) {
    await tx
      .update(riderProfiles)
      .set({ activeJobs: sql`${riderProfiles.activeJobs} - 1`, updatedAt: now })
      .where(and(eq(riderProfiles.userId, riderId), gt(riderProfiles.activeJobs, 0)));
  }

  /** The rider hears that a job they held, not yet collected, is no longer theirs (notifications). */
  async function tellReleased(tx: Database, riderId: string, orderId: string, now: Date) {
    await jobs.enqueue(tx, {
      kind: 'rider.job_released',
      payload: { riderId, orderId, releasedAt: now.toISOString() },
      dedupeKey: `rider.job_released:${orderId}:${riderId}:${now.getTime()}`,
    });
  }

  /** Holds the order for the rider; a holder already there (or coming at once) is 409 OFFER_TAKEN. */
  async function insertAssignment(
    tx: Database,
    a: { orderId: string; riderId: string; offerId: string | null; assignedBy: string | null; now: Date },
  ): Promise<OrderAssignment> {
    // The rider's clock to collect the parcel starts now; a no-show is released and the order re-offered.
    await jobs.enqueue(tx, {
      kind: 'riders.enforce_pickup_deadline',
      payload: { order_id: a.orderId, rider_id: a.riderId },
      runAt: new Date(a.now.getTime() + settings.pickupMinutes * 60_000),
      dedupeKey: `logistics.pickup_deadline:${a.orderId}:${a.riderId}:${a.now.getTime()}`,
    });
    // The rider hears the job is theirs and by when to collect it (notifications).
    await jobs.enqueue(tx, {
      kind: 'rider.job_assigned',
      payload: {
        riderId: a.riderId,
        orderId: a.orderId,
        assignedAt: a.now.toISOString(),
        pickupBy: new Date(a.now.getTime() + settings.pickupMinutes * 60_000).toISOString(),
      },
      dedupeKey: `rider.job_assigned:${a.orderId}:${a.riderId}:${a.now.getTime()}`,
    });
    const values = {
      orderId: a.orderId,
      riderId: a.riderId,
      status: 'assigned' as const,
      offerId: a.offerId,
      assignedBy: a.assignedBy,
      assignedAt: a.now,
      pickedUpAt: null,
      finishedAt: null,
      updatedAt: a.now,
    };
    const [row] = await tx
      .insert(orderAssignments)
      .values(values)
      .onConflictDoUpdate({
        target: orderAssignments.orderId,
        set: values,
        setWhere: sql`${orderAssignments.status} = 'released'`,
      })
      .returning();
    if (!row) throw takenError();
    return row;
  }

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

  const api = {
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
        await api.releaseOrder(orderId);
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
  return api;
}

export type AssignmentService = ReturnType<typeof createAssignmentService>;
