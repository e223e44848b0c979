// What the referrals use cases are built from: narrow ports of other modules, all read or written
// in the caller's transaction. No behaviour here.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { AuditService } from '../audit/index.js';
import type { LedgerService } from '../ledger/index.js';
import type { Place } from './rules.js';

export interface ReferralSettings {
  /** the share link's base, e.g. https://kkoo.co.tz/r */
  linkBaseUrl: string;
  currency: string;
}

/** What is known about a person across modules, in the caller's transaction. */
export interface PeoplePort {
  /** the phone the user signs in with (null: no such user) */
  phoneOf(tx: Database, userId: string): Promise<string | null>;
  /** saved delivery places (identity) */
  savedPlaces(tx: Database, userId: string): Promise<Place[]>;
  /** their own checkouts: how many, the phones that paid them, the places delivered to (orders) */
  footprint(
    tx: Database,
    userId: string,
  ): Promise<{ checkouts: number; payerPhones: string[]; addresses: Place[] }>;
  /** device fingerprints: the hashed install ids the person signed in on (identity) */
  fingerprints?(tx: Database, userId: string): Promise<string[]>;
}

/** The message both sides receive when paid (the notifications module's `referral.rewarded`). */
export interface RewardedEvent {
  type: 'referral.rewarded';
  id: string;
  referrer_id: string;
  referee_id: string;
  referrer_amount: number;
  referee_amount: number;
}

export interface ReferralsDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  ledger: Pick<LedgerService, 'payReferralReward' | 'clawBackReferralReward' | 'balance'>;
  people: PeoplePort;
  settings: ReferralSettings;
  /** tells both people, in the paying transaction (absent: nobody is told) */
  notify?: (tx: Database, event: RewardedEvent) => Promise<unknown>;
}
