// HTTP for referrals: a user's code, link and referrals, attribution; the admin's campaign, held
// queue, clawback and report. Thin: parse, authorise, call the use case, shape the reply.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuth, requireAuthOnEveryRoute } from '../../shared/auth.js';
import { problems } from '../../shared/errors.js';
import { MONEY_UNIT, WHOLE_SHILLINGS } from '../../shared/money.js';
import { decodeCursor, idParam, pageQuerySchema, pageSchema } from '../../shared/pagination.js';
import { toDarTime, toDarTimeOrNull } from '../../shared/time.js';
import type { Referral } from './attribution.js';
import type { Campaign } from './campaign.js';
import { CODE_LENGTH, HOLD_SIGNALS, REFERRAL_STATES } from './model.js';
import type { ReferralsService } from './service.js';

const money = (min: number) =>
  z
    .number()
    .int()
    .min(min)
    .max(1_000_000_000_000)
    .multipleOf(MONEY_UNIT, WHOLE_SHILLINGS)
    .describe('Minor units; whole shillings');
const reasonField = z.string().trim().min(1).max(500).describe('Why: kept in the audit trail');

const referralSchema = z
  .object({
    id: z.uuid(),
    state: z.enum(REFERRAL_STATES),
    attributed_at: z.string(),
    qualified_at: z.string().nullable(),
    rewarded_at: z.string().nullable(),
    clawed_back_at: z.string().nullable(),
    reward: z.number().int().describe('What this referral earns (or earned) the caller, minor units'),
    currency: z.string(),
  })
  .meta({ id: 'Referral' });

const adminReferralSchema = z
  .object({
    id: z.uuid(),
    state: z.enum(REFERRAL_STATES),
    referrer_id: z.uuid(),
    referee_id: z.uuid(),
    order_id: z.uuid().nullable(),
    order_amount: z.number().int().nullable(),
    signals: z.array(z.string()).describe(`What held it: ${HOLD_SIGNALS.join(', ')}`),
    reason: z.string().nullable(),
    referrer_reward: z.number().int(),
    referee_reward: z.number().int(),
    currency: z.string(),
    attributed_at: z.string(),
    qualified_at: z.string().nullable(),
    rewarded_at: z.string().nullable(),
    clawed_back_at: z.string().nullable(),
  })
  .meta({ id: 'AdminReferral' });

const toMine = (r: Referral, as: 'referrer' | 'referee') => ({
  id: r.id,
  state: r.state,
  attributed_at: toDarTime(r.attributedAt),
  qualified_at: toDarTimeOrNull(r.qualifiedAt),
  rewarded_at: toDarTimeOrNull(r.rewardedAt),
  clawed_back_at: toDarTimeOrNull(r.clawedBackAt),
  reward: as === 'referrer' ? r.referrerReward : r.refereeReward,
  currency: r.currency,
});

const toAdmin = (r: Referral) => ({
  id: r.id,
  state: r.state,
  referrer_id: r.referrerId,
  referee_id: r.refereeId,
  order_id: r.orderId,
  order_amount: r.orderAmount,
  signals: r.signals,
  reason: r.reason,
  referrer_reward: r.referrerReward,
  referee_reward: r.refereeReward,
  currency: r.currency,
  attributed_at: toDarTime(r.attributedAt),
  qualified_at: toDarTimeOrNull(r.qualifiedAt),
  rewarded_at: toDarTimeOrNull(r.rewardedAt),
  clawed_back_at: toDarTimeOrNull(r.clawedBackAt),
});

const campaignFields = {
  active: z.boolean(),
  referrer_reward: money(0),
  referee_reward: money(0),
  min_order_amount: money(0),
  budget_amount: money(0),
  per_referrer_daily_cap: z.number().int().min(1).max(10_000).nullable(),
  per_referrer_total_cap: z.number().int().min(1).max(1_000_000).nullable(),
  nearby_radius_meters: z.number().int().min(0).max(5_000),
};
/** The campaign's settings as the admin API holds them (shared with the console's form). */
export const referralCampaignInput = z.strictObject(campaignFields);
const campaignBody = z.strictObject({ ...campaignFields, reason: reasonField });
const campaignSchema = z
  .object({ ...campaignFields, spent_amount: z.number().int(), currency: z.string(), updated_at: z.string() })
  .meta({ id: 'ReferralCampaign' });
const toCampaign = (c: Campaign) => ({
  active: c.active,
  referrer_reward: c.referrerReward,
  referee_reward: c.refereeReward,
  min_order_amount: c.minOrderAmount,
  budget_amount: c.budgetAmount,
  per_referrer_daily_cap: c.perReferrerDailyCap,
  per_referrer_total_cap: c.perReferrerTotalCap,
  nearby_radius_meters: c.nearbyRadiusMeters,
  spent_amount: c.spentAmount,
  currency: c.currency,
  updated_at: toDarTime(c.updatedAt),
});

const reportSchema = z
  .object({
    invites: z.number().int().describe('Users holding a referral code'),
    attributions: z.number().int(),
    qualified: z.number().int().describe('Referrals whose referee completed a first order'),
    rewarded: z.number().int().describe('Acquired buyers: referrals paid (and not clawed back)'),
    held: z.number().int(),
    rejected: z.number().int(),
    clawed_back: z.number().int(),
    cost: z.number().int().describe('Net referral expense in the ledger, minor units'),
    cost_per_acquired_buyer: z.number().int().nullable(),
    budget: z.number().int(),
    spent: z.number().int(),
    currency: z.string(),
  })
  .meta({ id: 'ReferralReport' });

export function referralRoutes(deps: {
  referrals: ReferralsService;
  attributionsPerHour: number;
}): FastifyPluginAsyncZod {
  const { referrals } = deps;
  return async (app) => {
    const s = { tags: ['referrals'], security: bearerSecurity };
    app.get(
      '/me/referral-code',
      {
        preHandler: requireAuth(),
        schema: {
          ...s,
          summary: 'My referral code and share link (made on first request)',
          response: { 200: z.object({ code: z.string(), link: z.string() }), ...problems(401, 403) },
        },
      },
      async (request) => referrals.myCode(caller(request).userId),
    );
    app.get(
      '/me/referrals',
      {
        preHandler: requireAuth(),
        schema: {
          ...s,
          summary: 'The people I referred, newest first, with where each referral stands',
          querystring: pageQuerySchema,
          response: {
            200: pageSchema(referralSchema).extend({ referred_by: referralSchema.nullable() }),
            ...problems(401, 403),
          },
        },
      },
      async (request) => {
        const me = caller(request).userId;
        const page = await referrals.listMine(me, {
          limit: request.query.limit,
          cursor: decodeCursor(request.query.cursor),
        });
        const mine = await referrals.referralOf(me);
        return {
          items: page.items.map((r) => toMine(r, 'referrer')),
          next_cursor: page.next_cursor,
          referred_by: mine ? toMine(mine, 'referee') : null,
        };
      },
    );
    app.post(
      '/me/referral',
      {
        preHandler: requireAuth(),
        config: { rateLimit: { max: deps.attributionsPerHour, timeWindow: '1 hour' } },
        schema: {
          ...s,
          summary: 'Say who referred me (once, before my first checkout, never myself)',
          description:
            'An unknown code is 422 `REFERRAL_CODE_UNKNOWN`, whether or not it was ever issued. 409 `ALREADY_ATTRIBUTED` or `ATTRIBUTION_CLOSED` (after a first checkout); 422 `SELF_REFERRAL`.',
          body: z.strictObject({
            code: z
              .string()
              .min(1)
              .max(CODE_LENGTH + 8)
              .describe(`The ${CODE_LENGTH}-character code`),
          }),
          response: { 201: referralSchema, ...problems(401, 403, 409, 422) },
        },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(toMine(await referrals.attribute(caller(request).userId, request.body.code), 'referee')),
    );
  };
}

export function adminReferralRoutes(deps: { referrals: ReferralsService }): FastifyPluginAsyncZod {
  const { referrals } = deps;
  return async (app) => {
    requireAuthOnEveryRoute(app, 'admin');
    const s = { tags: ['admin'], security: bearerSecurity };
    app.get(
      '/referrals/campaign',
      {
        schema: {
          ...s,
          summary: 'The referral campaign',
          response: { 200: campaignSchema, ...problems(401, 403) },
        },
      },
      async () => toCampaign(await referrals.getCampaign()),
    );
    app.put(
      '/referrals/campaign',
      {
        schema: {
          ...s,
          summary: 'Set the referral campaign (audited)',
          description: 'The budget cannot go below what is already spent (409 `BUDGET_BELOW_SPENT`).',
          body: campaignBody,
          response: { 200: campaignSchema, ...problems(401, 403, 409, 422) },
        },
      },
      async (request) => {
        const { reason, ...b } = request.body;
        return toCampaign(
          await referrals.updateCampaign(
            caller(request).userId,
            {
              active: b.active,
              referrerReward: b.referrer_reward,
              refereeReward: b.referee_reward,
              minOrderAmount: b.min_order_amount,
              budgetAmount: b.budget_amount,
              perReferrerDailyCap: b.per_referrer_daily_cap,
              perReferrerTotalCap: b.per_referrer_total_cap,
              nearbyRadiusMeters: b.nearby_radius_meters,
            },
            reason,
          ),
        );
      },
    );
    app.get(
      '/referrals',
      {
        schema: {
          ...s,
          summary: 'Referrals in one state (default: the held queue), newest first, with what held them',
          querystring: pageQuerySchema.extend({ state: z.enum(REFERRAL_STATES).default('held') }),
          response: { 200: pageSchema(adminReferralSchema), ...problems(401, 403) },
        },
      },
      async (request) => {
        const page = await referrals.listByState(request.query.state, {
          limit: request.query.limit,
          cursor: decodeCursor(request.query.cursor),
        });
        return { items: page.items.map(toAdmin), next_cursor: page.next_cursor };
      },
    );
    const decision = (
      path: string,
      summary: string,
      run: (admin: string, id: string, reason: string) => Promise<Referral>,
    ) =>
      app.post(
        `/referrals/:id/${path}`,
        {
          schema: {
            ...s,
            summary,
            params: idParam,
            body: z.strictObject({ reason: reasonField }),
            response: { 200: adminReferralSchema, ...problems(401, 403, 404, 409, 422) },
          },
        },
        async (request) => toAdmin(await run(caller(request).userId, request.params.id, request.body.reason)),
      );
    decision(
      'approve',
      'Approve a held reward: both rewards are paid (409 `BUDGET_EXHAUSTED` without room)',
      referrals.approve,
    );
    decision('reject', 'Reject a held reward', referrals.reject);
    decision(
      'claw-back',
      'Claw back a paid reward found abusive: a visible negative ledger adjustment, once (asking again changes nothing)',
      async (admin, id, reason) => (await referrals.clawBack(admin, id, reason)).referral,
    );
    app.get(
      '/referrals/report',
      {
        schema: {
          ...s,
          summary: 'Referral programme report',
          response: { 200: reportSchema, ...problems(401, 403) },
        },
      },
      async () => referrals.report(),
    );
  };
}
