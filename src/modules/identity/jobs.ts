// Every job the identity module writes: its own hourly purge (`identity.<imperative>`) and what it
// tells other modules (`kyc.…`, past tense).
import { z } from 'zod';
import { defineJobs, type JobQueue } from '../jobs/index.js';

export const identityJobs = defineJobs({
  /** spent and expired sign-in codes are deleted once an hour */
  'identity.purge_spent_codes': z.object({ bucket: z.number().int().min(0) }),
  /** an admin verified or rejected a seller's KYC (notifications tells the seller) */
  'kyc.decided': z.object({
    submissionId: z.string().min(1).max(100),
    userId: z.string().min(1).max(100),
    outcome: z.enum(['verified', 'rejected']),
    reason: z.string().min(1).max(500).nullable(),
  }),
});

export type IdentityJobs = typeof identityJobs;
export type IdentityJobQueue = JobQueue<IdentityJobs>;
