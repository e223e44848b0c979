// Every job the riders module writes: its own commands and timers (`riders.<imperative>`) and what
// it tells other modules (`rider.…`, past tense; notifications tells the rider). What
// riders does for orders' messages (`order.ready_for_pickup`, `order.moved_without_rider`) is in
// `riderJobHandlers` (module.ts).
import { z } from 'zod';
import { defineJobs, type JobQueue } from '../jobs/index.js';

const id = z.string().min(1).max(100);
const at = z.iso.datetime({ offset: true });

export const riderJobs = defineJobs({
  /** offer the order to the next rider (again: an offer declined or expired, a rider released) */
  'riders.assign': z.object({ order_id: id }),
  /** an offer's time to answer is up */
  'riders.expire_offer': z.object({ offer_id: id }),
  /** the assigned rider's time to collect the parcel is up */
  'riders.enforce_pickup_deadline': z.object({ order_id: id, rider_id: id }),
  /** housekeeping every 10 minutes: missed offer expiries, old pings */
  'riders.sweep': z.object({ bucket: z.number().int().min(0) }),
  /** an order that entered the dispatch queue at `queued_at`: still there now, operations hear of it */
  'riders.check_dispatch_wait': z.object({ order_id: id, queued_at: at }),

  // ---- what riders tells other modules ----
  /** an admin verified or rejected a rider's application (`decisionId`: one per decision) */
  'rider.decided': z.object({
    decisionId: id,
    riderId: id,
    outcome: z.enum(['verified', 'rejected']),
    reason: z.string().max(500).nullable(),
  }),
  /** a rider now holds an order (their offer accepted, or an admin's assignment); collect it by `pickupBy` */
  'rider.job_assigned': z.object({ riderId: id, orderId: id, assignedAt: at, pickupBy: at }),
  /** a job the rider held, not yet collected, is no longer theirs (no-show, order cancelled, account stopped) */
  'rider.job_released': z.object({ riderId: id, orderId: id, releasedAt: at }),
  /** an order has waited in the dispatch queue `minutes` since `queuedAt` (notifications alerts operations) */
  'rider.dispatch_waiting': z.object({ orderId: id, queuedAt: at, minutes: z.number().int().min(0) }),
});

export type RiderJobs = typeof riderJobs;
export type RiderJobQueue = JobQueue<RiderJobs>;
