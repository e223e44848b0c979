// Every job the riders module writes: its own commands and timers (`riders.<imperative>`). What
// riders does for orders' messages (`order.ready_for_pickup`, `order.moved_without_rider`) is in
// `riderJobHandlers` (module.ts).
import { z } from 'zod';
import { defineJobs, type JobQueue } from '../jobs/index.js';

const id = z.string().min(1).max(100);

export const riderJobs = defineJobs({
  /** offer the order to the next rider (again: an offer declined or expired, a rider released) */
  'riders.assign': z.object({ order_id: id }),
  /** an offer's time to answer is up */
  'riders.expire_offer': z.object({ offer_id: id }),
  /** the assigned rider's time to collect the parcel is up */
  'riders.enforce_pickup_deadline': z.object({ order_id: id, rider_id: id }),
  /** housekeeping every 10 minutes: missed offer expiries, old pings */
  'riders.sweep': z.object({ bucket: z.number().int().min(0) }),
});

export type RiderJobs = typeof riderJobs;
export type RiderJobQueue = JobQueue<RiderJobs>;
