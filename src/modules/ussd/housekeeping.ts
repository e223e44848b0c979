// Old USSD sessions and their actions are deleted by a daily job. A session lives minutes at the
// telco; its rows are kept `retentionDays` (USSD_RETENTION_DAYS) for support and for a late replay,
// then go. What a replay still needs stays whatever its age: an action whose first attempt has not
// answered yet (its claim is what stops a replay from running it twice), and a session that still
// has an action.
import { and, eq, isNotNull, lt, notExists, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { DAY } from '../../shared/time.js';
import type { JobHandlers } from '../jobs/index.js';
import type { UssdJobQueue, UssdJobs } from './jobs.js';
import { ussdActions, ussdSessions } from './schema.js';

export interface UssdHousekeepingSettings {
  /** whole days a session and its answered actions are kept */
  retentionDays: number;
}

export function ussdHousekeeping(deps: {
  db: Database;
  clock: Clock;
  jobs: UssdJobQueue;
  settings: UssdHousekeepingSettings;
}) {
  const { db, clock } = deps;

  /** Deletes what is older than the retention and no longer needed, in one transaction. */
  async function purgeOld(): Promise<{ sessions: number; actions: number }> {
    const before = new Date(clock.now().getTime() - deps.settings.retentionDays * DAY);
    return db.transaction(async (tx) => {
      const actions = await tx
        .delete(ussdActions)
        .where(and(lt(ussdActions.createdAt, before), isNotNull(ussdActions.reply)))
        .returning({ sessionId: ussdActions.sessionId });
      const sessions = await tx
        .delete(ussdSessions)
        .where(
          and(
            lt(ussdSessions.createdAt, before),
            notExists(
              tx
                .select({ one: sql`1` })
                .from(ussdActions)
                .where(eq(ussdActions.sessionId, ussdSessions.sessionId)),
            ),
          ),
        )
        .returning({ sessionId: ussdSessions.sessionId });
      return { sessions: sessions.length, actions: actions.length };
    });
  }

  /** Each run schedules the next day's under a deduplicated key: any number of processes write one job. */
  const schedule = (day: number) =>
    deps.jobs.enqueue(db, {
      kind: 'ussd.purge_sessions',
      payload: { day },
      runAt: new Date(day * DAY),
      dedupeKey: `ussd.purge_sessions:${day}`,
    });
  const jobHandlers: JobHandlers<Pick<UssdJobs, 'ussd.purge_sessions'>> = {
    'ussd.purge_sessions': async (p) => {
      await purgeOld();
      await schedule(p.day + 1);
    },
  };
  return {
    purgeOld,
    jobHandlers,
    /** Long-running processes call this once: the first purge at the next UTC midnight. */
    startSchedule: () => schedule(Math.floor(clock.now().getTime() / DAY) + 1),
  };
}
