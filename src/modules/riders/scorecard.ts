// A rider's record over a period, for the admin console's rider scorecard: jobs taken (by assignment
// time) and how they ended, and the offers they were sent and what they did with them. On-time is the
// orders module's rate (it owns the promise and the delivery time); presence is presenceOf.
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { JOB_IN_HAND_STATUSES } from './assignment.js';
import { orderAssignments, riderOffers } from './schema.js';

export interface RiderScorecard {
  /** jobs assigned in the period, however they ended */
  jobs: number;
  delivered: number;
  /** the delivery failed: a failed attempt (waiting to re-attempt), taken back, returned, or failed */
  failed: number;
  /** handed back or taken off the rider before pickup */
  released: number;
  /** still being worked and not failed (heading to pickup, carrying) */
  inHand: number;
  offers: {
    sent: number;
    accepted: number;
    declined: number /** never answered: a no-show */;
    expired: number;
  };
}

const FAILED = ['failed_attempt', 'returning', 'returned', 'failed'];

export async function riderScorecard(
  db: Database,
  riderId: string,
  q: { from: Date; to: Date },
): Promise<RiderScorecard> {
  const n = (cond: ReturnType<typeof sql>) => sql<number>`(count(*) filter (where ${cond}))::int`;
  const [jobs] = await db
    .select({
      jobs: sql<number>`count(*)::int`,
      delivered: n(sql`${orderAssignments.status} = 'delivered'`),
      failed: n(sql`${orderAssignments.status} in ${FAILED}`),
      released: n(sql`${orderAssignments.status} = 'released'`),
      // A failed attempt or a parcel going back is still in hand, but counted once, as failed: the
      // four columns add up to the jobs.
      inHand: n(
        sql`${orderAssignments.status} in ${JOB_IN_HAND_STATUSES.filter((s) => !FAILED.includes(s))}`,
      ),
    })
    .from(orderAssignments)
    .where(
      and(
        eq(orderAssignments.riderId, riderId),
        gte(orderAssignments.assignedAt, q.from),
        lt(orderAssignments.assignedAt, q.to),
      ),
    );
  const [offers] = await db
    .select({
      sent: sql<number>`count(*)::int`,
      accepted: n(sql`${riderOffers.status} = 'accepted'`),
      declined: n(sql`${riderOffers.status} = 'declined'`),
      expired: n(sql`${riderOffers.status} = 'expired'`),
    })
    .from(riderOffers)
    .where(
      and(
        eq(riderOffers.riderId, riderId),
        gte(riderOffers.offeredAt, q.from),
        lt(riderOffers.offeredAt, q.to),
      ),
    );
  const num = (v: unknown) => Number(v ?? 0);
  return {
    jobs: num(jobs?.jobs),
    delivered: num(jobs?.delivered),
    failed: num(jobs?.failed),
    released: num(jobs?.released),
    inHand: num(jobs?.inHand),
    offers: {
      sent: num(offers?.sent),
      accepted: num(offers?.accepted),
      declined: num(offers?.declined),
      expired: num(offers?.expired),
    },
  };
}
