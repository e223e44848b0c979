// The referrals module's public face: codes and attribution, rewards paid from the ledger when a
// referee's first order completes, fraud holds and the admin's queue (docs/referrals.md).
import type { ReferralsDeps } from './ports.js';
import { adminReferralRoutes, referralRoutes } from './routes.js';
import { createReferralsService } from './service.js';

export {
  CODE_ALPHABET,
  CODE_LENGTH,
  HOLD_SIGNALS,
  type HoldSignal,
  REFERRAL_STATES,
  type ReferralState,
} from './model.js';
export type { CompletedOrderFacts } from './on-order-completed.js';
export type { PeoplePort, ReferralSettings, RewardedEvent } from './ports.js';
export { referralCampaignInput } from './routes.js';
export type { ReferralsService } from './service.js';

export function createReferralsModule(deps: ReferralsDeps & { attributionsPerHour: number }) {
  const service = createReferralsService(deps);
  return {
    service,
    routes: referralRoutes({ referrals: service, attributionsPerHour: deps.attributionsPerHour }),
    adminRoutes: adminReferralRoutes({ referrals: service }),
  };
}

export type ReferralsModule = ReturnType<typeof createReferralsModule>;
