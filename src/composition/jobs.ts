// Every module's job kinds in one registry, and their handlers registered on the job service.
// Each kind is declared by the module that sends it (`<module>/jobs.ts`) and handled by exactly one
// module; src/composition/jobs.test.ts fails when a kind has no handler, a handler has no kind, or a
// declared kind is enqueued nowhere.
import { catalogJobs } from '../modules/catalog/index.js';
import { identityJobs } from '../modules/identity/index.js';
import type { JobDefinitions, JobHandlers, JobService } from '../modules/jobs/index.js';
import { notificationJobs } from '../modules/notifications/index.js';
import { orderJobs } from '../modules/orders/index.js';
import { paymentJobs } from '../modules/payments/index.js';
import { recommendationJobs } from '../modules/recommendations/index.js';
import { riderJobs } from '../modules/riders/index.js';
import { ussdJobs } from '../modules/ussd/index.js';

/** Merges declarations, refusing one kind declared by two modules (a spread would hide it). */
function merge<const L extends readonly JobDefinitions[]>(...list: L): UnionToIntersection<L[number]> {
  const all: JobDefinitions = {};
  for (const defs of list)
    for (const [kind, schema] of Object.entries(defs)) {
      if (all[kind]) throw new Error(`job kind ${kind} is declared by two modules`);
      all[kind] = schema;
    }
  return all as UnionToIntersection<L[number]>;
}

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? I
  : never;

export const JOB_DEFINITIONS = merge(
  identityJobs,
  catalogJobs,
  orderJobs,
  paymentJobs,
  riderJobs,
  notificationJobs,
  ussdJobs,
  recommendationJobs,
);
export type AllJobs = typeof JOB_DEFINITIONS;

/** Registers each module's one handler map; the job service refuses a kind handled twice. */
export function registerJobHandlers(jobs: Pick<JobService, 'register'>, maps: JobHandlers<AllJobs>[]) {
  for (const map of maps) jobs.register(JOB_DEFINITIONS, map);
}
