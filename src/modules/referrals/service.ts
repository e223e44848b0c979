// The referrals service: every use case, built once over the same dependencies. Each use case
// lives in its own file; this only assembles them.
import { createAttribution } from './attribution.js';
import { createCampaign } from './campaign.js';
import { createClawback } from './clawback.js';
import { createMyCode } from './my-code.js';
import { createOnOrderCompleted } from './on-order-completed.js';
import { createPayout } from './payout.js';
import type { ReferralsDeps } from './ports.js';
import { createReads } from './reads.js';
import { createReview } from './review.js';

export function createReferralsService(deps: ReferralsDeps) {
  const campaign = createCampaign(deps);
  const pay = createPayout(deps, campaign);
  return {
    ...createMyCode(deps),
    ...createAttribution(deps),
    getCampaign: campaign.getCampaign,
    updateCampaign: campaign.updateCampaign,
    ...createReview(deps, pay),
    ...createClawback(deps, campaign),
    ...createReads(deps, campaign),
    /** The orders completion hook: decides a referral in the transaction that completes its first order. */
    onOrderCompleted: createOnOrderCompleted(deps, campaign, pay),
  };
}

export type ReferralsService = ReturnType<typeof createReferralsService>;
