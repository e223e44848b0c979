// The hook orders calls in the transaction that completes an order. If the buyer was referred and
// this is their first completed order, the referral is decided here, in that same transaction:
// rejected (disputed, under the minimum, campaign off), held (a fraud signal, a cap, no budget)
// or rewarded (both ledger transfers). Nothing here can be done twice: the referral row is locked
// and every change is conditional on the state it leaves.
import { and, count, eq, gte, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { DAY } from '../../shared/time.js';
import type { CampaignUseCases } from './campaign.js';
import type { HoldSignal } from './model.js';
import type { Pay } from './payout.js';
import type { ReferralsDeps } from './ports.js';
import {
  capSignals,
  decideCompletion,
  type OrderFacts,
  type ReferrerFacts,
  relationSignals,
} from './rules.js';
import { referrals } from './schema.js';

/** What orders tells us (structurally the orders module's `CompletedOrder`). */
export interface CompletedOrderFacts {
  orderId: string;
  buyerId: string;
  sellerId: string;
  riderId: string | null;
  finalAmount: number;
  currency: string;
  payerPhone: string;
  address: OrderFacts['address'];
  viaDispute: boolean;
  completedAt: Date;
}

/** East Africa Time is UTC+3 all year: a referrer's "day" is the calendar day in Dar es Salaam. */
const EAT_OFFSET_MS = 3 * 3600_000;
export const darDayStart = (now: Date) =>
  new Date(Math.floor((now.getTime() + EAT_OFFSET_MS) / DAY) * DAY - EAT_OFFSET_MS);

export function createOnOrderCompleted(
  deps: ReferralsDeps,
  campaign: Pick<CampaignUseCases, 'loadCampaign'>,
  pay: Pay,
) {
  const { people, audit } = deps;

  async function referrerFacts(tx: Database, referrerId: string): Promise<ReferrerFacts> {
    const [phone, footprint, saved, fingerprints] = [
      await people.phoneOf(tx, referrerId),
      await people.footprint(tx, referrerId),
      await people.savedPlaces(tx, referrerId),
      people.fingerprints ? await people.fingerprints(tx, referrerId) : [],
    ];
    return {
      userId: referrerId,
      phones: [...(phone ? [phone] : []), ...footprint.payerPhones],
      places: [...saved, ...footprint.addresses],
      fingerprints,
    };
  }

  /** How many rewards this referrer has earned today (Dar time) and ever, counted under their lock. */
  async function rewardedCounts(tx: Database, referrerId: string, now: Date) {
    const paid = and(
      eq(referrals.referrerId, referrerId),
      inArray(referrals.state, ['rewarded', 'clawed_back']),
    );
    const [total] = await tx.select({ n: count() }).from(referrals).where(paid);
    const [today] = await tx
      .select({ n: count() })
      .from(referrals)
      .where(and(paid, gte(referrals.rewardedAt, darDayStart(now))));
    return { rewardedToday: Number(today?.n ?? 0), rewardedTotal: Number(total?.n ?? 0) };
  }

  return async function onOrderCompleted(tx: Database, o: CompletedOrderFacts): Promise<void> {
    const [r] = await tx
      .select()
      .from(referrals)
      .where(and(eq(referrals.refereeId, o.buyerId), eq(referrals.state, 'attributed')))
      .for('update');
    // Not referred, or already decided by an earlier (or concurrent, now committed) completion.
    if (!r) return;
    const c = await campaign.loadCampaign(tx);
    const now = o.completedAt;
    // One referrer's rewards are decided one at a time, so two referees completing at once cannot
    // both slip under a cap.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`referrer:${r.referrerId}`}, 0))`);
    const order: OrderFacts = {
      payerPhone: o.payerPhone,
      address: o.address,
      sellerId: o.sellerId,
      riderId: o.riderId,
      fingerprints: people.fingerprints ? await people.fingerprints(tx, o.buyerId) : [],
    };
    const signals: HoldSignal[] = [
      ...relationSignals(await referrerFacts(tx, r.referrerId), order, c.nearbyRadiusMeters),
      ...capSignals({
        ...(await rewardedCounts(tx, r.referrerId, now)),
        dailyCap: c.perReferrerDailyCap,
        totalCap: c.perReferrerTotalCap,
      }),
    ];
    const decision = decideCompletion({
      campaignActive: c.active,
      viaDispute: o.viaDispute,
      orderAmount: o.finalAmount,
      minOrderAmount: c.minOrderAmount,
      signals,
    });
    // Qualified: the order that decides it and the rewards it would earn, frozen now.
    const [q] = await tx
      .update(referrals)
      .set({
        state: 'qualified',
        orderId: o.orderId,
        orderAmount: o.finalAmount,
        qualifiedAt: now,
        referrerReward: c.referrerReward,
        refereeReward: c.refereeReward,
        currency: c.currency,
        updatedAt: now,
      })
      .where(and(eq(referrals.id, r.id), eq(referrals.state, 'attributed')))
      .returning();
    let outcome: string = decision.kind;
    let held = decision.kind === 'hold' ? decision.signals : [];
    if (decision.kind === 'reject') {
      await tx
        .update(referrals)
        .set({
          state: 'rejected',
          reason: decision.reason,
          referrerReward: 0,
          refereeReward: 0,
          updatedAt: now,
        })
        .where(and(eq(referrals.id, r.id), eq(referrals.state, 'qualified')));
    } else if (decision.kind === 'pay' && !(await pay(tx, q!, 'qualified'))) {
      held = ['BUDGET_EXHAUSTED'];
      outcome = 'hold';
    }
    if (outcome === 'hold')
      await tx
        .update(referrals)
        .set({ state: 'held', signals: held, updatedAt: now })
        .where(and(eq(referrals.id, r.id), eq(referrals.state, 'qualified')));
    await audit.record(tx, {
      actorUserId: null,
      action: `referral.${outcome === 'pay' ? 'rewarded' : outcome === 'hold' ? 'held' : 'rejected'}`,
      targetType: 'referral',
      targetId: r.id,
      reason: decision.kind === 'reject' ? decision.reason : held.join(',') || null,
      data: { orderId: o.orderId, signals: held },
    });
  };
}
