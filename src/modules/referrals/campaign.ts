// The campaign: its settings (admin) and its budget, burned exactly like a promotion's: one
// conditional UPDATE that refuses to pass the budget, in the transaction that pays, so concurrent
// completions can never overspend; a clawback gives its amount back.
import { and, eq, gte, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { conflict } from '../../shared/errors.js';
import { CAMPAIGN_ID } from './model.js';
import type { ReferralsDeps } from './ports.js';
import { referralCampaigns } from './schema.js';

export type Campaign = typeof referralCampaigns.$inferSelect;

export interface CampaignSettings {
  active: boolean;
  referrerReward: number;
  refereeReward: number;
  minOrderAmount: number;
  budgetAmount: number;
  perReferrerDailyCap: number | null;
  perReferrerTotalCap: number | null;
  nearbyRadiusMeters: number;
}

/** Until an admin sets it up the campaign pays nothing: inactive, no budget. */
const DEFAULTS: CampaignSettings = {
  active: false,
  referrerReward: 2_000_00,
  refereeReward: 2_000_00,
  minOrderAmount: 10_000_00,
  budgetAmount: 0,
  perReferrerDailyCap: 5,
  perReferrerTotalCap: 50,
  nearbyRadiusMeters: 50,
};

export function createCampaign(deps: ReferralsDeps) {
  const { db, clock, audit } = deps;
  const one = eq(referralCampaigns.id, CAMPAIGN_ID);

  /** The campaign row, made with the defaults the first time anyone asks. */
  async function load(tx: Database, lock = false): Promise<Campaign> {
    const q = tx.select().from(referralCampaigns).where(one);
    const [row] = lock ? await q.for('update') : await q;
    if (row) return row;
    await tx
      .insert(referralCampaigns)
      .values({ id: CAMPAIGN_ID, currency: deps.settings.currency, updatedAt: clock.now(), ...DEFAULTS })
      .onConflictDoNothing();
    const q2 = tx.select().from(referralCampaigns).where(one);
    const [made] = lock ? await q2.for('update') : await q2;
    return made!;
  }

  return {
    loadCampaign: load,
    getCampaign: () => load(db),

    async updateCampaign(adminId: string, s: CampaignSettings, reason: string): Promise<Campaign> {
      return db.transaction(async (tx) => {
        const before = await load(tx, true);
        if (s.budgetAmount < before.spentAmount)
          throw conflict(
            'BUDGET_BELOW_SPENT',
            `The budget cannot be set below what is already spent (${before.spentAmount}).`,
          );
        const [after] = await tx
          .update(referralCampaigns)
          .set({ ...s, updatedAt: clock.now(), updatedBy: adminId })
          .where(one)
          .returning();
        await audit.record(tx, {
          actorUserId: adminId,
          action: 'referral_campaign.updated',
          targetType: 'referral_campaign',
          targetId: CAMPAIGN_ID,
          reason,
          data: { before: settingsOf(before), after: settingsOf(after!) },
        });
        return after!;
      });
    },

    /** Burn `amount` from the budget, or false when it would pass the budget. Never waits on a read. */
    async spend(tx: Database, amount: number): Promise<boolean> {
      if (amount === 0) return true;
      const [r] = await tx
        .update(referralCampaigns)
        .set({ spentAmount: sql`${referralCampaigns.spentAmount} + ${amount}` })
        .where(
          and(one, sql`${referralCampaigns.spentAmount} + ${amount} <= ${referralCampaigns.budgetAmount}`),
        )
        .returning({ spent: referralCampaigns.spentAmount });
      return Boolean(r);
    },

    /** A clawed-back reward returns to the budget (what reconcile compares is the net cost). */
    async giveBack(tx: Database, amount: number) {
      if (amount === 0) return;
      const [r] = await tx
        .update(referralCampaigns)
        .set({ spentAmount: sql`${referralCampaigns.spentAmount} - ${amount}` })
        .where(and(one, gte(referralCampaigns.spentAmount, amount)))
        .returning({ spent: referralCampaigns.spentAmount });
      if (!r) throw new Error('referrals: a clawback larger than the campaign has spent');
    },
  };
}

const settingsOf = (c: Campaign): CampaignSettings => ({
  active: c.active,
  referrerReward: c.referrerReward,
  refereeReward: c.refereeReward,
  minOrderAmount: c.minOrderAmount,
  budgetAmount: c.budgetAmount,
  perReferrerDailyCap: c.perReferrerDailyCap,
  perReferrerTotalCap: c.perReferrerTotalCap,
  nearbyRadiusMeters: c.nearbyRadiusMeters,
});

export type CampaignUseCases = ReturnType<typeof createCampaign>;
