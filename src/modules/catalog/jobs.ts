// Every job the catalog module writes: what it tells other modules (`product.…`, past tense).
import { z } from 'zod';
import { defineJobs, type JobQueue } from '../jobs/index.js';

const id = z.string().min(1).max(100);

export const catalogJobs = defineJobs({
  /** an admin verified or rejected a product under review (`decisionId`: one per decision); its seller hears it */
  'product.decided': z.object({
    decisionId: id,
    productId: id,
    sellerId: id,
    title: z.string().min(1).max(500),
    outcome: z.enum(['verified', 'rejected']),
    reason: z.string().max(500).nullable(),
  }),
});

export type CatalogJobs = typeof catalogJobs;
export type CatalogJobQueue = Pick<JobQueue<CatalogJobs>, 'enqueue'>;
