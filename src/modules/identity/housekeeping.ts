import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { HOUR } from '../../shared/time.js';
import type { JobHandlers, JobQueue } from '../jobs/index.js';
import type { AuthService } from './auth-service.js';
import type { IdentityJobs } from './jobs.js';

/**
 * Spent and expired sign-in codes are purged once an hour by a job. Each run schedules the next
 * hour's run under a deduplicated key, so any number of processes starting it write one job.
 */
export function identitySchedules(
  deps: { jobs: JobQueue<IdentityJobs>; db: Database; clock: Clock },
  auth: Pick<AuthService, 'purgeSpentCodes'>,
) {
  const schedule = (bucket: number) =>
    deps.jobs.enqueue(deps.db, {
      kind: 'identity.purge_spent_codes',
      payload: { bucket },
      runAt: new Date(bucket * HOUR),
      // The key of the kind's former name, so a process of the previous version writes no second run.
      dedupeKey: `identity.otp_purge:${bucket}`,
    });
  const jobHandlers: JobHandlers<Pick<IdentityJobs, 'identity.purge_spent_codes'>> = {
    'identity.purge_spent_codes': async (p) => {
      await auth.purgeSpentCodes();
      await schedule(p.bucket + 1);
    },
  };
  return { jobHandlers, start: () => schedule(Math.floor(deps.clock.now().getTime() / HOUR) + 1) };
}
