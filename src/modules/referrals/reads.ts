// Reads: a referrer's referrals, the admin's held queue, the report, and the reconciliation of
// the campaign's burn against the ledger.
import { and, count, desc, eq, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import { type Cursor, pageOf } from '../../shared/pagination.js';
import { account } from '../ledger/index.js';
import type { Referral } from './attribution.js';
import type { CampaignUseCases } from './campaign.js';
import type { ReferralState } from './model.js';
import type { ReferralsDeps } from './ports.js';
import { costPerAcquired } from './rules.js';
import { referralCodes, referrals } from './schema.js';

const before = (c: Cursor | undefined): SQL[] =>
  c
    ? [or(lt(referrals.attributedAt, c.at), and(eq(referrals.attributedAt, c.at), lt(referrals.id, c.id)))!]
    : [];
const key = (r: Referral): Cursor => ({ at: r.attributedAt, id: r.id });

export function createReads(deps: ReferralsDeps, campaign: Pick<CampaignUseCases, 'loadCampaign'>) {
  const { db, ledger } = deps;

  /** What the referral programme has cost, net of clawbacks, as the ledger says. */
  const ledgerCost = async () => -(await ledger.balance(account.referralExpense)).posted;

  return {
    async listMine(referrerId: string, q: { limit: number; cursor?: Cursor | undefined }) {
      const rows = await db
        .select()
        .from(referrals)
        .where(and(eq(referrals.referrerId, referrerId), ...before(q.cursor)))
        .orderBy(desc(referrals.attributedAt), desc(referrals.id))
        .limit(q.limit + 1);
      return pageOf(rows, q.limit, key);
    },

    async listByState(state: ReferralState, q: { limit: number; cursor?: Cursor | undefined }) {
      const rows = await db
        .select()
        .from(referrals)
        .where(and(eq(referrals.state, state), ...before(q.cursor)))
        .orderBy(desc(referrals.attributedAt), desc(referrals.id))
        .limit(q.limit + 1);
      return pageOf(rows, q.limit, key);
    },

    async report() {
      const c = await campaign.loadCampaign(db);
      const [codes] = await db.select({ n: count() }).from(referralCodes);
      const byState = await db
        .select({
          state: referrals.state,
          n: count(),
          qualified: sql<number>`count(${referrals.qualifiedAt})::int`,
        })
        .from(referrals)
        .groupBy(referrals.state);
      const n = (s: ReferralState) => Number(byState.find((r) => r.state === s)?.n ?? 0);
      const cost = await ledgerCost();
      const acquired = n('rewarded');
      return {
        invites: Number(codes?.n ?? 0),
        attributions: byState.reduce((a, r) => a + Number(r.n), 0),
        qualified: byState.reduce((a, r) => a + Number(r.qualified), 0),
        rewarded: acquired,
        held: n('held'),
        rejected: n('rejected'),
        clawed_back: n('clawed_back'),
        cost,
        cost_per_acquired_buyer: costPerAcquired(cost, acquired),
        budget: c.budgetAmount,
        spent: c.spentAmount,
        currency: c.currency,
      };
    },

    /** The campaign's burn equals the ledger's net referral cost and the rewards of paid referrals. */
    async checkCounters(): Promise<string[]> {
      const problems: string[] = [];
      const c = await campaign.loadCampaign(db);
      const cost = await ledgerCost();
      if (c.spentAmount !== cost)
        problems.push(`referral campaign spent ${c.spentAmount} but the ledger's referral cost is ${cost}`);
      const [paid] = await db
        .select({
          sum: sql<number>`coalesce(sum(${referrals.referrerReward} + ${referrals.refereeReward}), 0)::bigint`,
        })
        .from(referrals)
        .where(inArray(referrals.state, ['rewarded']));
      if (Number(paid?.sum ?? 0) !== c.spentAmount)
        problems.push(
          `referral campaign spent ${c.spentAmount} but rewarded referrals add up to ${paid?.sum}`,
        );
      return problems;
    },
  };
}
