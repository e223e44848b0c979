// The referrals module wired: who a person is across identity (phone, saved places) and orders
// (paying phones, delivery places, checkouts), all read in the caller's transaction. Orders calls
// the module back through its completion hook (`onCompleted`), so orders never imports referrals.
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { AuditService } from '../modules/audit/index.js';
import { contactsOf, devicesOf, savedPlacesOf } from '../modules/identity/index.js';
import type { LedgerService } from '../modules/ledger/index.js';
import { buyerFootprint } from '../modules/orders/index.js';
import { createReferralsModule, type PeoplePort, type RewardedEvent } from '../modules/referrals/index.js';
import type { Clock } from '../shared/clock.js';
import type { IdGenerator } from '../shared/ids.js';

/**
 * Identity and orders as the referral fraud rules see a person. The fingerprints are the hashed
 * install ids the app sends at sign-in (X-Kkoo-Device, stored on the session by identity).
 */
export const referralPeople: PeoplePort = {
  phoneOf: async (tx, userId) => (await contactsOf(tx, [userId]))[0]?.phone ?? null,
  savedPlaces: (tx, userId) => savedPlacesOf(tx, userId),
  footprint: (tx, userId) => buyerFootprint(tx, userId),
  fingerprints: (tx, userId) => devicesOf(tx, userId),
};

export function wireReferrals(deps: {
  db: Database;
  config: Config;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  ledger: LedgerService;
  /** tells both people when a reward is paid, in the paying transaction */
  notifications: { service: { notify: (tx: Database, event: RewardedEvent) => Promise<unknown> } };
}) {
  const { config, notifications, ...rest } = deps;
  const base = config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`;
  const module = createReferralsModule({
    ...rest,
    notify: (tx, event) => notifications.service.notify(tx, event),
    people: referralPeople,
    settings: {
      linkBaseUrl: config.REFERRAL_LINK_BASE_URL ?? `${base.replace(/\/+$/, '')}/r`,
      currency: 'TZS',
    },
    attributionsPerHour: config.REFERRAL_ATTRIBUTIONS_PER_HOUR,
  });
  // The reconciliation (src/reconcile.ts) reads the campaign's burn against the ledger.
  return { ...module, checkCounters: module.service.checkCounters };
}
