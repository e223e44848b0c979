// The recommendations module's one job: its own refresh timer (`recommendations.<imperative>`).
import { z } from 'zod';
import { defineJobs, type JobQueue } from '../jobs/index.js';

export const RECOMMENDATIONS_REFRESH = 'recommendations.refresh';

export const recommendationJobs = defineJobs({
  /** fold completed orders since the watermark into the co-purchase and popularity tables */
  [RECOMMENDATIONS_REFRESH]: z.object({ slot: z.number().int().min(0) }),
} as const);

export type RecommendationJobs = typeof recommendationJobs;
export type RecommendationJobQueue = JobQueue<RecommendationJobs>;
