// The USSD module's public face: the feature-phone channel (track, confirm, dispute) over
// Africa's Talking. It reaches the rest of the product only through the ports in ports.ts.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { type UssdHousekeepingSettings, ussdHousekeeping } from './housekeeping.js';
import type { UssdJobQueue } from './jobs.js';
import type { UssdLanguagePort, UssdOrdersPort, UssdReceiptsPort, UssdUsersPort } from './ports.js';
import { ussdRoutes } from './routes.js';
import { createUssdService, type UssdSettings } from './service.js';

export { gsm7Length, isGsm7 } from './gsm7.js';
export type { UssdHousekeepingSettings } from './housekeeping.js';
export { type UssdJobs, ussdJobs } from './jobs.js';
export { MAX_SCREEN } from './menu.js';
export {
  type UssdActor,
  type UssdDisputeReason,
  type UssdLanguage,
  type UssdLanguagePort,
  type UssdOrder,
  type UssdOrdersPort,
  type UssdReceiptsPort,
  UssdRefused,
  type UssdUsersPort,
} from './ports.js';
export type { UssdReply, UssdService } from './service.js';

export function createUssdModule(deps: {
  db: Database;
  clock: Clock;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  orders: UssdOrdersPort;
  users: UssdUsersPort;
  language: UssdLanguagePort;
  receipts: UssdReceiptsPort;
  /** the module's own queue, for its daily purge */
  jobs: UssdJobQueue;
  settings: UssdSettings &
    UssdHousekeepingSettings & {
      callbackToken: string;
      allowedIps: string[] | null;
      bodyLimit: number;
    };
}) {
  const service = createUssdService(deps);
  const housekeeping = ussdHousekeeping(deps);
  return {
    service,
    purgeOld: housekeeping.purgeOld,
    jobHandlers: housekeeping.jobHandlers,
    startSchedule: housekeeping.startSchedule,
    routes: ussdRoutes({
      ussd: service,
      callbackToken: deps.settings.callbackToken,
      allowedIps: deps.settings.allowedIps,
      bodyLimit: deps.settings.bodyLimit,
    }),
  };
}

export type UssdModule = ReturnType<typeof createUssdModule>;
