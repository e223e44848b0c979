// What the USSD channel tells other modules (`ussd.…`, past tense): a caller confirmed or disputed
// an order from a feature phone; notifications sends the receipt.
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
});

export type UssdJobs = typeof ussdJobs;
export type UssdJobQueue = Pick<JobQueue<UssdJobs>, 'enqueue'>;
