// The identity module's public face: other modules import only from here.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { AuditService } from '../audit/index.js';
import type { MediaService } from '../media/index.js';
import type { SmsSender } from '../notifications/index.js';
import { adminIdentityRoutes } from './admin-routes.js';
import { type AuthSettings, createAuthService, type SignInHook } from './auth-service.js';
import { type AccountDisabledPort, createGovernanceService } from './governance-service.js';
import { createKycService } from './kyc-service.js';
import { createPhoneLookup } from './phone-lookup.js';
import { createProfileService } from './profile-service.js';
import { identityRoutes, type SignInReferrals } from './routes.js';

export { kycAttention } from './attention.js';
export type { AuthService, SignInHook } from './auth-service.js';
export { requireMobile } from './auth-service.js';
export {
  activeAdminIds,
  type Contact,
  contactsOf,
  devicesOf,
  firstNameOf,
  savedPlacesOf,
  userIdByPhone,
} from './contacts.js';
export type { AccountDisabledPort } from './governance-service.js';
export { identitySchedules } from './housekeeping.js';
export { type IdentityJobs, identityJobs } from './jobs.js';
export type { Role } from './model.js';
export type { SignInReferrals } from './routes.js';

import type { IdentityJobQueue } from './jobs.js';
import type { Role } from './model.js';

export { ROLES } from './model.js';
export { effectiveStatus } from './rules.js';
export { activeVerifiedSellerCondition } from './seller-filter.js';

export function createIdentityModule(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  sms: SmsSender;
  audit: AuditService;
  media: MediaService;
  /** identity's own job kinds only (jobs.ts) */
  jobs: IdentityJobQueue;
  settings: AuthSettings & { otpIpMaxPerHour: number };
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Run inside a ban's or suspension's transaction (riders' jobs, a seller's open orders). */
  onAccountDisabled?: AccountDisabledPort;
  /** `referral_code` on otp/verify (the referrals module, bound late) */
  referrals?: SignInReferrals;
  /** run in the sign-in's transaction (recommendations take over the anonymous session's views) */
  onSignedIn?: SignInHook;
}) {
  const auth = createAuthService({ ...deps, settings: deps.settings });
  const profiles = createProfileService(deps);
  const kyc = createKycService(deps);
  const governance = createGovernanceService({ ...deps, auth });
  return {
    auth,
    profiles,
    kyc,
    governance,
    /** For channels with no sign-in (USSD): the active buyer behind a phone number, or null. */
    findActiveBuyerByPhone: createPhoneLookup(deps).findActiveBuyerByPhone,
    /** For modules that let sellers publish or get paid: throws 403 unless active, seller, KYC verified. */
    assertActiveVerifiedSeller: kyc.assertActiveVerifiedSeller,
    payoutDestination: (userId: string, tx?: Database) => kyc.payoutDestination(userId, tx),
    /** One of the buyer's addresses as an order freezes it (404 for another buyer's address). */
    deliveryAddressOf: async (userId: string, addressId: string) => {
      const a = await profiles.getAddress(userId, addressId);
      return {
        label: a.label,
        district: a.district,
        ward: a.ward,
        street: a.street,
        landmark: a.landmark,
        location: a.latitude !== null && a.longitude !== null ? { lat: a.latitude, lng: a.longitude } : null,
        contact_phone: a.contactPhone,
      };
    },
    /** Adds a role (e.g. 'rider' when an application is made) in the caller's transaction. */
    grantRole: (userId: string, role: Role, tx: Database) => governance.grantRole(userId, role, tx),
    routes: identityRoutes({
      referrals: deps.referrals,
      auth,
      profiles,
      kyc,
      clock: deps.clock,
      otpIpMaxPerHour: deps.settings.otpIpMaxPerHour,
    }),
    adminRoutes: adminIdentityRoutes({ kyc, governance, audit: deps.audit, clock: deps.clock }),
  };
}

export type IdentityModule = ReturnType<typeof createIdentityModule>;
