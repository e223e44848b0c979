import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { HOUR } from '../../shared/time.js';
import type { JobService } from '../jobs/index.js';
import type { AuthService } from './auth-service.js';

export const OTP_PURGE_KIND = 'identity.otp_purge';

/**
 * Spent and expired sign-in codes are purged once an hour by a job. Each run schedules the next
 * hour's run under a deduplicated key, so any number of processes starting it write one job.
 */
export function identitySchedules(
  deps: { jobs: Pick<JobService, 'enqueue' | 'handle'>; db: Database; clock: Clock },
  auth: Pick<AuthService, 'purgeSpentCodes'>,
) {
  const schedule = (bucket: number) =>
    deps.jobs.enqueue(deps.db, {
      kind: OTP_PURGE_KIND,
      payload: { bucket },
      runAt: new Date(bucket * HOUR),
      dedupeKey: `${OTP_PURGE_KIND}:${bucket}`,
    });
  deps.jobs.handle(OTP_PURGE_KIND, async (job) => {
    await auth.purgeSpentCodes();
    await schedule(Number((job.payload as { bucket: number }).bucket) + 1);
  });
  return { start: () => schedule(Math.floor(deps.clock.now().getTime() / HOUR) + 1) };
}
