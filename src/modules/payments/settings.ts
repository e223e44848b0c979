// The payments module's settings: the slice of the app's configuration it reads, under its own
// names, so the module never sees (or depends on) the whole app-wide Config. The caller maps them.
import type { ProviderName } from './port.js';

/** What the service's use cases read. */
export interface PaymentsServiceSettings {
  /** secret in the webhook path */
  callbackToken: string;
  /** public base URL the provider reaches us at (…/api/v1/payments/callbacks/…) */
  callbackBaseUrl: string;
  /** optional second check; never the only one */
  allowedIps: string[] | null;
  /** decide from a status query, not from the (unsigned) callback, before funding escrow */
  verifyByQuery: boolean;
  /** first status query for a collection or send that has not answered */
  firstQueryAfterSeconds: number;
  /** a collection still undecided this long after it started is given up as unconfirmed */
  giveUpAfterMinutes: number;
  refundMaxAttempts: number;
  payoutMinimum: number;
  payoutHoldHoursAfterPhoneChange: number;
  /** a payout not sent this long after it was requested is stuck: operations are told, once */
  payoutStuckMinutes: number;
  pushesPerCheckout: number;
}

/** Everything the payments module reads: the service's settings plus how the module is wired. */
export interface PaymentsSettings extends PaymentsServiceSettings {
  /** which adapter moves the money; the simulator is built here, a real one by the caller */
  provider: ProviderName;
  /** how long the simulator waits before it posts its callback */
  simulatorDelayMs: number;
  /** how often the scheduled payout run happens */
  payoutIntervalHours: number;
  /** payment prompts one client address may start per hour (each one rings someone's phone) */
  pushesPerHour: number;
}
