// Paying a referral's two rewards: the budget burned and both ledger transfers written in the
// caller's transaction, or nothing at all (false: the budget has no room).
import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Referral } from './attribution.js';
import type { CampaignUseCases } from './campaign.js';
import type { ReferralsDeps } from './ports.js';
import { referrals } from './schema.js';

export function createPayout(deps: ReferralsDeps, campaign: Pick<CampaignUseCases, 'spend'>) {
  const { ledger, clock } = deps;
  /**
   * Pays `r` (which the caller holds locked in state `from`) and moves it to `rewarded`.
   * Transfer keys name the referral and the side, so neither can ever be paid twice.
   */
  return async function pay(
    tx: Database,
    r: Referral,
    from: Referral['state'],
    extra: { decidedBy?: string | null; reason?: string | null } = {},
  ): Promise<boolean> {
    if (!(await campaign.spend(tx, r.referrerReward + r.refereeReward))) return false;
    for (const [side, userId, amount] of [
      ['referrer', r.referrerId, r.referrerReward],
      ['referee', r.refereeId, r.refereeReward],
    ] as const) {
      if (amount > 0)
        await ledger.payReferralReward(tx, {
          key: `${r.id}:${side}`,
          userId,
          amount,
          currency: r.currency,
          orderId: r.orderId,
        });
    }
    const now = clock.now();
    const [moved] = await tx
      .update(referrals)
      .set({ state: 'rewarded', rewardedAt: now, updatedAt: now, ...extra })
      .where(and(eq(referrals.id, r.id), eq(referrals.state, from)))
      .returning({ id: referrals.id });
    if (!moved) throw new Error(`referrals: ${r.id} left ${from} while locked`);
    await deps.notify?.(tx, {
      type: 'referral.rewarded',
      id: r.id,
      referrer_id: r.referrerId,
      referee_id: r.refereeId,
      referrer_amount: r.referrerReward,
      referee_amount: r.refereeReward,
    });
    return true;
  };
}

export type Pay = ReturnType<typeof createPayout>;
