// What the offer, dispatch and delivery use cases of rider assignment share: the row types, their
// dependencies, and the writes more than one of them makes (capacity, the holder, the released notice).
import { and, eq, gt, ne, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { conflict } from '../../shared/errors.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { AuditService } from '../audit/index.js';
import type { DispatchReason, RiderSettings } from './assignment.js';
import type { JobsPort, RiderOrdersPort } from './ports.js';
import { type dispatchQueue, orderAssignments, type riderOffers, riderProfiles } from './schema.js';

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

export const takenError = () =>
  conflict('OFFER_TAKEN', 'Another rider already holds this order; wait for the next offer.');

/** The writes shared by the assignment use cases, bound to the job queue and the rider settings. */
export function createAssignmentStore(deps: AssignmentServiceDeps) {
  const { jobs, settings } = deps;

  async function currentAssignment(tx: Database, orderId: string): Promise<OrderAssignment | null> {
    const [row] = await tx
      .select()
      .from(orderAssignments)
      .where(and(eq(orderAssignments.orderId, orderId), ne(orderAssignments.status, 'released')));
    return row ?? null;
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

  return { currentAssignment, takeCapacity, releaseCapacity, tellReleased, insertAssignment };
}

export type AssignmentStore = ReturnType<typeof createAssignmentStore>;
