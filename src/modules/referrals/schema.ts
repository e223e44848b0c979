import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { money, tz } from '../../db/columns.js';
import { REFERRAL_STATES } from './model.js';

/** One code per user, made the first time they ask for it (or are asked about). */
export const referralCodes = pgTable(
  'referral_codes',
  {
    userId: uuid('user_id').primaryKey(),
    code: text('code').notNull(),
    createdAt: tz('created_at').notNull(),
  },
  (t) => [uniqueIndex('referral_codes_code_idx').on(t.code)],
);

/**
 * One row per referee (the unique index makes "attributed once" a database fact). The state
 * moves forward only, each change under `WHERE state = <from>`, so two completions or two admins
 * cannot both act on one referral.
 */
export const referrals = pgTable(
  'referrals',
  {
    id: uuid('id').primaryKey(),
    referrerId: uuid('referrer_id').notNull(),
    refereeId: uuid('referee_id').notNull(),
    code: text('code').notNull(),
    state: text('state', { enum: REFERRAL_STATES }).notNull(),
    attributedAt: tz('attributed_at').notNull(),
    /** the referee's first completed order: the one that decided this referral */
    orderId: uuid('order_id'),
    orderAmount: money('order_amount'),
    qualifiedAt: tz('qualified_at'),
    /** what held it (HoldSignal[]), kept after an admin's decision */
    signals: jsonb('signals').$type<string[]>().notNull().default([]),
    /** why it ended without a reward, or why an admin decided as they did */
    reason: text('reason'),
    referrerReward: money('referrer_reward').notNull().default(0),
    refereeReward: money('referee_reward').notNull().default(0),
    currency: text('currency').notNull().default('TZS'),
    rewardedAt: tz('rewarded_at'),
    decidedBy: uuid('decided_by'),
    clawedBackAt: tz('clawed_back_at'),
    updatedAt: tz('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('referrals_referee_idx').on(t.refereeId),
    index('referrals_referrer_idx').on(t.referrerId, t.attributedAt),
    index('referrals_state_idx').on(t.state, t.updatedAt),
    check('referrals_not_self', sql`${t.referrerId} <> ${t.refereeId}`),
    check('referrals_rewards_nonnegative', sql`${t.referrerReward} >= 0 and ${t.refereeReward} >= 0`),
  ],
);

/**
 * The campaign's settings and its burn. `spent` moves only by a conditional UPDATE
 * (`WHERE spent + x <= budget`), in the transaction that writes the ledger transfers, and back by
 * a clawback; reconcile checks it against the ledger.
 */
export const referralCampaigns = pgTable(
  'referral_campaigns',
  {
    id: text('id').primaryKey(),
    active: boolean('active').notNull(),
    currency: text('currency').notNull(),
    referrerReward: money('referrer_reward').notNull(),
    refereeReward: money('referee_reward').notNull(),
    minOrderAmount: money('min_order_amount').notNull(),
    budgetAmount: money('budget_amount').notNull(),
    spentAmount: money('spent_amount').notNull().default(0),
    perReferrerDailyCap: integer('per_referrer_daily_cap'),
    perReferrerTotalCap: integer('per_referrer_total_cap'),
    nearbyRadiusMeters: integer('nearby_radius_meters').notNull(),
    updatedAt: tz('updated_at').notNull(),
    updatedBy: uuid('updated_by'),
  },
  (t) => [
    check(
      'referral_campaigns_spent_within_budget',
      sql`${t.spentAmount} >= 0 and ${t.spentAmount} <= ${t.budgetAmount}`,
    ),
    check('referral_campaigns_rewards', sql`${t.referrerReward} >= 0 and ${t.refereeReward} >= 0`),
  ],
);
