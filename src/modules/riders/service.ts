import { and, asc, count, desc, eq, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { isUniqueViolation } from '../../db/columns.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, conflict, notFound, unprocessable } from '../../shared/errors.js';
import type { IdGenerator } from '../../shared/ids.js';
import { DAY } from '../../shared/time.js';
import type { AuditService } from '../audit/index.js';
import { cellOf } from '../zones/index.js';
import {
  capacityFor,
  JOB_IN_HAND_STATUSES,
  normalisePlate,
  type PingInput,
  type RiderPresence,
  type RiderSettings,
  type RiderStatus,
  tooFrequent,
  type Vehicle,
  validatePing,
} from './assignment.js';
import type { JobsPort, RiderZonesPort } from './ports.js';
import { orderAssignments, riderOffers, riderPings, riderProfiles } from './schema.js';
import { riderScorecard } from './scorecard.js';

export type RiderProfile = typeof riderProfiles.$inferSelect;

export interface RiderApplication {
  vehicle: Vehicle;
  plate?: string | null | undefined;
  homeZoneId: string;
  capacity?: number | undefined;
}

export interface RidersServiceDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  jobs: JobsPort;
  zones: RiderZonesPort;
  settings: RiderSettings;
  grantRiderRole: (userId: string, tx: Database) => Promise<unknown>;
}

/** Rider profiles, verification, availability and pings. */
export function createRidersService(deps: RidersServiceDeps) {
  const { db, clock, ids, audit, settings } = deps;

  async function load(tx: Database, userId: string, lock = false): Promise<RiderProfile | null> {
    const q = tx.select().from(riderProfiles).where(eq(riderProfiles.userId, userId));
    const [row] = lock ? await q.for('update') : await q;
    return row ?? null;
  }

  async function requireProfile(tx: Database, userId: string, lock = false): Promise<RiderProfile> {
    const p = await load(tx, userId, lock);
    if (!p) throw notFound('Rider profile');
    return p;
  }

  async function requireZone(zoneId: string): Promise<void> {
    let active = false;
    try {
      active = (await deps.zones.getZone(zoneId)).zone.active;
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 404) throw err;
    }
    if (!active) {
      throw unprocessable(
        'UNKNOWN_ZONE',
        'home_zone_id',
        'home_zone_id is not an active delivery zone (see GET /zones).',
      );
    }
  }

  /** How many jobs each rider holds (JOB_IN_HAND_STATUSES); riders holding none are absent. */
  async function jobsInHand(tx: Database, riderIds: readonly string[]): Promise<Map<string, number>> {
    if (!riderIds.length) return new Map();
    const rows = await tx
      .select({ riderId: orderAssignments.riderId, n: count() })
      .from(orderAssignments)
      .where(
        and(
          inArray(orderAssignments.riderId, [...riderIds]),
          inArray(orderAssignments.status, [...JOB_IN_HAND_STATUSES]),
        ),
      )
      .groupBy(orderAssignments.riderId);
    return new Map(rows.map((r) => [r.riderId, Number(r.n)]));
  }

  /** The SQL of presenceOf, for filtering lists: a rider holds a job (order_assignments_rider_status_idx). */
  const holdsJob = sql`exists (select 1 from ${orderAssignments} where ${orderAssignments.riderId} = ${riderProfiles.userId} and ${inArray(orderAssignments.status, [...JOB_IN_HAND_STATUSES])})`;
  const presenceCondition = (p: RiderPresence) =>
    p === 'on_delivery' ? holdsJob : and(eq(riderProfiles.availability, p), sql`not ${holdsJob}`);

  /** Withdraws the rider's open offer (if any) and asks the assigner to find someone else. */
  async function withdrawOpenOffers(tx: Database, riderId: string) {
    const withdrawn = await tx
      .update(riderOffers)
      .set({ status: 'withdrawn', decidedAt: clock.now() })
      .where(and(eq(riderOffers.riderId, riderId), eq(riderOffers.status, 'offered')))
      .returning({ orderId: riderOffers.orderId, id: riderOffers.id });
    await deps.jobs.enqueue(
      tx,
      ...withdrawn.map((o) => ({
        kind: 'riders.assign' as const,
        payload: { order_id: o.orderId },
        dedupeKey: `logistics.assign:${o.orderId}:after:${o.id}`,
      })),
    );
  }

  /**
   * The rider can no longer work (rejected by an admin, or the account banned or suspended): every
   * job not yet collected is released, its unit of capacity given back, and the order offered to
   * the next rider, in the caller's transaction, so the buyer's order never waits on a rider who
   * cannot come. A parcel already in hand stays the rider's to deliver, fail or bring back: a
   * parcel on a motorbike cannot be reassigned by a database row (docs/riders.md).
   */
  async function releaseUncollected(
    tx: Database,
    riderId: string,
    why: 'rejected' | 'banned' | 'suspended',
  ): Promise<string[]> {
    const now = clock.now();
    const released = await tx
      .update(orderAssignments)
      .set({ status: 'released', finishedAt: now, updatedAt: now })
      .where(and(eq(orderAssignments.riderId, riderId), eq(orderAssignments.status, 'assigned')))
      .returning({ orderId: orderAssignments.orderId });
    if (released.length) {
      await tx
        .update(riderProfiles)
        .set({
          activeJobs: sql`greatest(${riderProfiles.activeJobs} - ${released.length}, 0)`,
          updatedAt: now,
        })
        .where(eq(riderProfiles.userId, riderId));
      await deps.jobs.enqueue(
        tx,
        ...released.map((r) => ({
          kind: 'riders.assign' as const,
          payload: { order_id: r.orderId },
          dedupeKey: `logistics.assign:${r.orderId}:${why}:${riderId}:${now.getTime()}`,
        })),
        // The rider hears each job is no longer theirs.
        ...released.map((r) => ({
          kind: 'rider.job_released' as const,
          payload: { riderId, orderId: r.orderId, releasedAt: now.toISOString() },
          dedupeKey: `rider.job_released:${r.orderId}:${riderId}:${now.getTime()}`,
        })),
      );
    }
    return released.map((r) => r.orderId);
  }

  /** The rider hears an admin's decision on their application (notifications), in the deciding transaction. */
  async function tellDecision(
    tx: Database,
    riderId: string,
    outcome: 'verified' | 'rejected',
    reason: string | null,
  ) {
    const decisionId = ids.newId();
    await deps.jobs.enqueue(tx, {
      kind: 'rider.decided',
      payload: { decisionId, riderId, outcome, reason },
      dedupeKey: `rider.decided:${decisionId}`,
    });
  }

  return {
    /**
     * The account was banned or suspended (identity's governance, in its transaction): offline, no
     * open offer, no job not yet collected. A rider who never applied has nothing to release.
     */
    async accountDisabled(tx: Database, userId: string, why: 'banned' | 'suspended'): Promise<void> {
      const p = await load(tx, userId, true);
      if (!p) return;
      await tx
        .update(riderProfiles)
        .set({ availability: 'offline', updatedAt: clock.now() })
        .where(eq(riderProfiles.userId, userId));
      await withdrawOpenOffers(tx, userId);
      const released = await releaseUncollected(tx, userId, why);
      if (released.length) {
        await audit.record(tx, {
          actorUserId: null,
          action: 'rider.jobs_released',
          targetType: 'rider',
          targetId: userId,
          reason: `account ${why}`,
          data: { order_ids: released },
        });
      }
    },

    /** The caller's profile, or null when they never applied. */
    profileOf: (userId: string, tx: Database = db) => load(tx, userId),

    /** A rider's jobs and offers over a period (the console's rider scorecard). */
    scorecard: (riderId: string, q: { from: Date; to: Date }) => riderScorecard(db, riderId, q),

    /** Jobs held per rider (absent: none), for the derived `on_delivery` (presenceOf). */
    jobsInHand: (riderIds: readonly string[], tx: Database = db) => jobsInHand(tx, riderIds),

    /**
     * Apply (or re-apply after a rejection, or correct a pending application). Grants the rider role
     * so the applicant can follow their application. 409 `RIDER_ALREADY_VERIFIED` once verified.
     */
    async apply(userId: string, input: RiderApplication): Promise<RiderProfile> {
      const plate = normalisePlate(input.vehicle, input.plate);
      const capacity = capacityFor(input.vehicle, input.capacity);
      await requireZone(input.homeZoneId);
      const write = () =>
        db.transaction(async (tx) => {
          const now = clock.now();
          const existing = await load(tx, userId, true);
          if (existing?.status === 'verified') {
            throw conflict(
              'RIDER_ALREADY_VERIFIED',
              'Your rider profile is verified; ask support to change your vehicle or plate.',
            );
          }
          const values = {
            vehicle: input.vehicle,
            plate,
            homeZoneId: input.homeZoneId,
            capacity,
            status: 'pending' as const,
            statusReason: null,
            reviewedBy: null,
            reviewedAt: null,
            updatedAt: now,
          };
          const [row] = existing
            ? await tx.update(riderProfiles).set(values).where(eq(riderProfiles.userId, userId)).returning()
            : await tx
                .insert(riderProfiles)
                .values({ ...values, userId, availability: 'offline', activeJobs: 0, createdAt: now })
                .returning();
          await deps.grantRiderRole(userId, tx);
          await audit.record(tx, {
            actorUserId: userId,
            action: existing ? 'rider.reapplied' : 'rider.applied',
            targetType: 'rider',
            targetId: userId,
            data: { vehicle: input.vehicle, plate, home_zone_id: input.homeZoneId, capacity },
          });
          return row!;
        });
      try {
        return await write();
      } catch (err) {
        // Two first applications at once: the second sees the first's row and updates it.
        if (isUniqueViolation(err)) return write();
        throw err;
      }
    },

    /** Riders by status and availability as shown (presenceOf), oldest application first, 200 at most. */
    async list(q: {
      status?: RiderStatus | undefined;
      availability?: RiderPresence | undefined;
    }): Promise<RiderProfile[]> {
      return db
        .select()
        .from(riderProfiles)
        .where(
          and(
            q.status ? eq(riderProfiles.status, q.status) : undefined,
            q.availability ? presenceCondition(q.availability) : undefined,
          ),
        )
        .orderBy(asc(riderProfiles.createdAt), asc(riderProfiles.userId))
        .limit(200);
    },

    /** Admin: the rider's identity is checked. 409 `RIDER_ALREADY_VERIFIED`. */
    async verify(adminId: string, riderId: string, reason: string | undefined): Promise<RiderProfile> {
      return db.transaction(async (tx) => {
        const p = await requireProfile(tx, riderId, true);
        if (p.status === 'verified')
          throw conflict('RIDER_ALREADY_VERIFIED', 'This rider is already verified.');
        const now = clock.now();
        const [row] = await tx
          .update(riderProfiles)
          .set({
            status: 'verified',
            statusReason: null,
            reviewedBy: adminId,
            reviewedAt: now,
            updatedAt: now,
          })
          .where(eq(riderProfiles.userId, riderId))
          .returning();
        await audit.record(tx, {
          actorUserId: adminId,
          action: 'rider.verified',
          targetType: 'rider',
          targetId: riderId,
          reason: reason ?? null,
          data: { from: p.status, vehicle: p.vehicle, plate: p.plate },
        });
        await tellDecision(tx, riderId, 'verified', null);
        return row!;
      });
    },

    /**
     * Admin: the identity check failed (or a verified rider is struck off). The rider goes offline,
     * loses any open offer and every job not yet collected (re-offered at once); a parcel already
     * picked up stays theirs to deliver, fail or bring back, but not to re-attempt.
     * 409 `RIDER_ALREADY_REJECTED`.
     */
    async reject(adminId: string, riderId: string, reason: string): Promise<RiderProfile> {
      return db.transaction(async (tx) => {
        const p = await requireProfile(tx, riderId, true);
        if (p.status === 'rejected')
          throw conflict('RIDER_ALREADY_REJECTED', 'This rider is already rejected.');
        const now = clock.now();
        const [row] = await tx
          .update(riderProfiles)
          .set({
            status: 'rejected',
            statusReason: reason,
            availability: 'offline',
            reviewedBy: adminId,
            reviewedAt: now,
            updatedAt: now,
          })
          .where(eq(riderProfiles.userId, riderId))
          .returning();
        await withdrawOpenOffers(tx, riderId);
        const released = await releaseUncollected(tx, riderId, 'rejected');
        await audit.record(tx, {
          actorUserId: adminId,
          action: 'rider.rejected',
          targetType: 'rider',
          targetId: riderId,
          reason,
          data: { from: p.status, released_order_ids: released },
        });
        await tellDecision(tx, riderId, 'rejected', reason);
        // Read again: the released jobs gave their capacity back after the status update.
        return released.length ? requireProfile(tx, riderId) : row!;
      });
    },

    /** Ready for offers. 409 `RIDER_NOT_VERIFIED` until an admin verified the rider. */
    async goOnline(riderId: string): Promise<RiderProfile> {
      return db.transaction(async (tx) => {
        const p = await requireProfile(tx, riderId, true);
        if (p.status !== 'verified') {
          throw conflict(
            'RIDER_NOT_VERIFIED',
            p.status === 'rejected'
              ? 'Your rider profile was rejected; you cannot go online.'
              : 'Your rider profile is waiting for an admin to verify it.',
          );
        }
        if (p.availability === 'available') return p;
        const [row] = await tx
          .update(riderProfiles)
          .set({ availability: 'available', updatedAt: clock.now() })
          .where(eq(riderProfiles.userId, riderId))
          .returning();
        return row!;
      });
    },

    /**
     * No more offers; an open offer is handed to the next rider. Jobs in hand stay the rider's to
     * finish (the rider reads as on_delivery until the last one is done, and may keep pinging).
     */
    async goOffline(riderId: string): Promise<RiderProfile> {
      return db.transaction(async (tx) => {
        const p = await requireProfile(tx, riderId, true);
        if (p.availability === 'offline') return p;
        const [row] = await tx
          .update(riderProfiles)
          .set({ availability: 'offline', updatedAt: clock.now() })
          .where(eq(riderProfiles.userId, riderId))
          .returning();
        await withdrawOpenOffers(tx, riderId);
        return row!;
      });
    },

    /**
     * Where the rider is. See validatePing for the refusals; also 409 `RIDER_OFFLINE` (go online
     * first). The rate bound holds under concurrent pings: the update is conditional on last_ping_at.
     */
    async ping(riderId: string, input: PingInput): Promise<RiderProfile> {
      const p = await requireProfile(db, riderId);
      const at = validatePing(input, clock.now(), p.lastPingAt, settings);
      // Offline riders still holding a parcel keep reporting where it is (the buyer's ETA, the place
      // a delivery code was given); the offline switch only stops new offers.
      if (p.availability !== 'available' && !(await jobsInHand(db, [riderId])).size) {
        throw conflict('RIDER_OFFLINE', 'Go online before sending your position.');
      }
      const cell = cellOf(input, 'lat');
      const minGap = settings.pingMinIntervalSeconds * 1000;
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(riderProfiles)
          .set({
            lastLat: input.lat,
            lastLng: input.lng,
            lastCell: cell,
            lastPingAt: at,
            updatedAt: clock.now(),
          })
          .where(
            and(
              eq(riderProfiles.userId, riderId),
              or(
                isNull(riderProfiles.lastPingAt),
                lte(riderProfiles.lastPingAt, new Date(at.getTime() - minGap)),
              ),
            ),
          )
          .returning();
        if (!row) throw tooFrequent(settings.pingMinIntervalSeconds, minGap);
        await tx.insert(riderPings).values({
          id: ids.newId(),
          riderId,
          lat: input.lat,
          lng: input.lng,
          cell,
          at,
          receivedAt: clock.now(),
        });
        return row;
      });
    },

    /** A rider's recent pings, newest first (for support). */
    async pingsOf(riderId: string, limit = 50) {
      return db
        .select()
        .from(riderPings)
        .where(eq(riderPings.riderId, riderId))
        .orderBy(desc(riderPings.at))
        .limit(limit);
    },

    /**
     * Deletes pings older than the retention (default settings.pingRetentionDays), in batches so no
     * statement holds locks for long. Returns how many went. For the 'riders.sweep' job.
     */
    async prunePings(olderThanDays = settings.pingRetentionDays, batch = 5000): Promise<number> {
      const cutoff = new Date(clock.now().getTime() - olderThanDays * DAY);
      let total = 0;
      for (;;) {
        const gone = await db
          .delete(riderPings)
          .where(
            sql`${riderPings.id} in (select ${riderPings.id} from ${riderPings} where ${lt(riderPings.at, cutoff)} limit ${batch})`,
          )
          .returning({ id: riderPings.id });
        total += gone.length;
        if (gone.length < batch) return total;
      }
    },
  };
}

export type RidersService = ReturnType<typeof createRidersService>;
