// Clawing back a reward found abusive: a negative adjustment in the ledger for each side, the
// amount returned to the budget, the referral marked — exactly once. Asking again returns the
// referral as it is, with no second adjustment (the transfer keys would refuse one anyway).
import { and, eq } from 'drizzle-orm';
import { conflict } from '../../shared/errors.js';
import type { Referral } from './attribution.js';
import type { CampaignUseCases } from './campaign.js';
import type { ReferralsDeps } from './ports.js';
import { lockReferral } from './review.js';
import { referrals } from './schema.js';

export function createClawback(deps: ReferralsDeps, campaign: Pick<CampaignUseCases, 'giveBack'>) {
  const { db, clock, audit, ledger } = deps;
  return {
    async clawBack(
      adminId: string,
      id: string,
      reason: string,
    ): Promise<{ referral: Referral; changed: boolean }> {
      return db.transaction(async (tx) => {
        const r = await lockReferral(tx, id);
        if (r.state === 'clawed_back') return { referral: r, changed: false };
        if (r.state !== 'rewarded')
          throw conflict(
            'REFERRAL_NOT_REWARDED',
            `This referral is ${r.state}; only a paid reward can be clawed back.`,
          );
        for (const [side, userId, amount] of [
          ['referrer', r.referrerId, r.referrerReward],
          ['referee', r.refereeId, r.refereeReward],
        ] as const) {
          if (amount > 0)
            await ledger.clawBackReferralReward(tx, {
              key: `${r.id}:${side}`,
              userId,
              amount,
              currency: r.currency,
              orderId: r.orderId,
            });
        }
        await campaign.giveBack(tx, r.referrerReward + r.refereeReward);
        const now = clock.now();
        const [row] = await tx
          .update(referrals)
          .set({ state: 'clawed_back', clawedBackAt: now, reason, decidedBy: adminId, updatedAt: now })
          .where(and(eq(referrals.id, id), eq(referrals.state, 'rewarded')))
          .returning();
        await audit.record(tx, {
          actorUserId: adminId,
          action: 'referral.clawed_back',
          targetType: 'referral',
          targetId: id,
          reason,
          data: { amount: r.referrerReward + r.refereeReward },
        });
        return { referral: row!, changed: true };
      });
    },
  };
}
