// The recommendations module's public face: signals, the refresh job, the read, the routes.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { MINUTE } from '../../shared/time.js';
import type { JobHandlers } from '../jobs/index.js';
import { RECOMMENDATIONS_REFRESH, type RecommendationJobQueue, type RecommendationJobs } from './jobs.js';
import type {
  RecCartPort,
  RecCatalogPort,
  RecDeliveryPort,
  RecLanguagePort,
  RecOrdersPort,
} from './ports.js';
import { createReader } from './read.js';
import { createRefresh } from './refresh.js';
import { recommendationsRoutes } from './routes.js';
import { createSignals, type Signals } from './signals.js';

export type { BlockKind, RecContext } from './context.js';
/** The one job kind: fold the orders completed since the last run into the tables reads use. */
export { RECOMMENDATIONS_REFRESH, type RecommendationJobs, recommendationJobs } from './jobs.js';
export type {
  BuyerPlace,
  RecCartPort,
  RecCatalogPort,
  RecDeliveryPort,
  RecLanguagePort,
  RecOrdersPort,
} from './ports.js';
export type { RecLanguage } from './reasons.js';
export { SESSION_HEADER } from './routes.js';
// The scoring rules, for the offline evaluation (scripts/eval-recs.ts): the same functions the read uses.
export {
  decayWeight,
  interleave,
  type PairCounts,
  REC_SETTINGS,
  type Scored,
  scoreBoughtTogether,
  scoreBuyAgain,
  scorePopular,
} from './scoring.js';
export { createSignals as createRecommendationSignals, type Signals as RecommendationSignals };
/** How often the refresh runs (each run reads only what changed since the watermark). */
export const REFRESH_EVERY_MS = 10 * MINUTE;

export function createRecommendationsModule(deps: {
  db: Database;
  clock: Clock;
  signals: Signals;
  catalog: RecCatalogPort;
  cart: RecCartPort;
  orders: RecOrdersPort;
  delivery: RecDeliveryPort;
  language: RecLanguagePort;
  settings: { readsPerMinute: number; viewsPerMinute: number };
}) {
  const reader = createReader(deps);
  const refresh = createRefresh(deps);
  return {
    reader,
    refresh,
    signals: deps.signals,
    routes: recommendationsRoutes({
      reader,
      signals: deps.signals,
      ...deps.settings,
    }),
    /**
     * The job's handler and its schedule: each run refreshes, then enqueues the next one under a
     * deduplicated key per time slot, so any number of processes starting it write one job.
     */
    schedule(jobs: RecommendationJobQueue) {
      const next = (slot: number) =>
        jobs.enqueue(deps.db, {
          kind: 'recommendations.refresh',
          payload: { slot },
          runAt: new Date(slot * REFRESH_EVERY_MS),
          dedupeKey: `${RECOMMENDATIONS_REFRESH}:${slot}`,
        });
      return {
        jobHandlers: {
          [RECOMMENDATIONS_REFRESH]: async ({ slot }: { slot: number }) => {
            // The next slot first: a failing refresh retries, and the schedule lives on regardless.
            await next(slot + 1);
            await refresh.refresh();
          },
        } satisfies JobHandlers<RecommendationJobs>,
        start: () => next(Math.floor(deps.clock.now().getTime() / REFRESH_EVERY_MS) + 1),
      };
    },
  };
}

export type RecommendationsModule = ReturnType<typeof createRecommendationsModule>;
