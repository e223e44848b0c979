// What the USSD channel tells other modules (`ussd.…`, past tense): a caller confirmed or disputed
// an order from a feature phone; notifications sends the receipt. And its own daily purge of old
// sessions (`ussd.<imperative>`, handled in housekeeping.ts).
import { z } from 'zod';
import { defineJobs, type JobQueue } from '../jobs/index.js';

export const ussdJobs = defineJobs({
  /** once per (session, order): the dedupe key and the receipt's event id are both built from them */
  'ussd.action_taken': z.object({
    sessionId: z.string().min(1).max(200),
    orderId: z.string().min(1).max(100),
    buyerId: z.string().min(1).max(100),
    action: z.enum(['confirmed', 'disputed']),
    /** what the order cost the buyer, integer minor units */
    amount: z.number().int().min(0),
    /** the reason the caller chose, in the caller's words (disputes only) */
    reason: z.string().min(1).max(200).nullable(),
  }),
  /** old sessions and their answered actions are deleted once a day; `day` counts UTC days since 1970 */
  'ussd.purge_sessions': z.object({ day: z.number().int().min(0) }),
});

export type UssdJobs = typeof ussdJobs;
export type UssdJobQueue = Pick<JobQueue<UssdJobs>, 'enqueue'>;
