import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuth, requireAuthOnEveryRoute } from '../../shared/auth.js';
import { problems } from '../../shared/errors.js';
import { MONEY_UNIT, WHOLE_SHILLINGS } from '../../shared/money.js';
import { idParam } from '../../shared/pagination.js';
import { isPlausibleInstant, toDarTime } from '../../shared/time.js';
import type { DiscountCode, Promotion, PromotionsService } from './service.js';

const money = z
  .number()
  .int()
  .min(1)
  .max(1_000_000_000_000)
  .multipleOf(MONEY_UNIT, WHOLE_SHILLINGS)
  .describe('Minor units; integer; whole shillings');
const isoTime = z.iso
  .datetime({ offset: true })
  .refine(isPlausibleInstant, 'must be between the years 2000 and 2200');

const valueSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('percentage'),
    percent_bp: z.number().int().min(1).max(10000).describe('Basis points: 1500 = 15%'),
    cap_amount: money.nullable().optional(),
  }),
  z.strictObject({
    type: z.literal('fixed'),
    amount: money.describe('Promotions: off each unit. Codes: off the cart.'),
  }),
]);
const scopeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('all') }),
  z.strictObject({ type: z.enum(['category', 'brand', 'product', 'sku']), id: z.uuid() }),
]);

const promotionFields = {
  name: z.string().trim().min(1).max(120),
  value: valueSchema,
  scope: scopeSchema,
  starts_at: isoTime,
  ends_at: isoTime,
  priority: z.number().int().min(0).max(1000),
  budget_amount: money,
  per_buyer_limit: z.number().int().min(1).max(1000).nullable().optional(),
  active: z.boolean(),
};
const promotionBody = z.strictObject(promotionFields);
const promotionPatch = z
  .strictObject(
    Object.fromEntries(Object.entries(promotionFields).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof typeof promotionFields]: z.ZodOptional<(typeof promotionFields)[K]>;
    },
  )
  .extend({ reason: z.string().trim().min(1).max(500).describe('Why: kept in the audit trail') })
  .refine((v) => Object.keys(v).length > 1, 'send at least one field besides the reason');

const codeFields = {
  code: z
    .string()
    .transform((s) => s.replace(/\s+/g, '').toUpperCase())
    .pipe(z.string().regex(/^[A-Z0-9_-]{3,32}$/, '3 to 32 letters, digits, _ or -')),
  value: valueSchema,
  min_order_amount: z.number().int().min(0).max(1_000_000_000_000).multipleOf(MONEY_UNIT, WHOLE_SHILLINGS),
  starts_at: isoTime,
  ends_at: isoTime,
  max_uses: z.number().int().min(1).max(10_000_000).nullable().optional(),
  per_buyer_limit: z.number().int().min(1).max(1000).nullable().optional(),
  budget_amount: money.nullable().optional(),
  active: z.boolean(),
};
const codeBody = z.strictObject(codeFields);
const { code: _code, ...codePatchFields } = codeFields;
const codePatch = z
  .strictObject(
    Object.fromEntries(Object.entries(codePatchFields).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof typeof codePatchFields]: z.ZodOptional<(typeof codePatchFields)[K]>;
    },
  )
  .extend({ reason: z.string().trim().min(1).max(500).describe('Why: kept in the audit trail') })
  .refine((v) => Object.keys(v).length > 1, 'send at least one field besides the reason');

/** The admin input rules, shared with the console so a form is held to exactly what the API holds a body to. */
export const promotionInputSchemas = { promotionBody, promotionPatch, codeBody, codePatch };

const valueOut = z.union([
  z.object({
    type: z.literal('percentage'),
    percent_bp: z.number().int(),
    cap_amount: z.number().int().nullable(),
  }),
  z.object({ type: z.literal('fixed'), amount: z.number().int() }),
]);
const toValue = (r: Promotion | DiscountCode) =>
  r.valueKind === 'percentage'
    ? { type: 'percentage' as const, percent_bp: r.percentBp!, cap_amount: r.capAmount }
    : { type: 'fixed' as const, amount: r.fixedAmount! };

const reportSchema = z.object({
  uses: z.number().int(),
  unique_buyers: z.number().int(),
  burned_amount: z.number().int(),
  budget_left: z.number().int().nullable(),
});

const promotionSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    value: valueOut,
    scope: z.object({ type: z.string(), id: z.uuid().nullable() }),
    starts_at: z.string(),
    ends_at: z.string(),
    priority: z.number().int(),
    budget_amount: z.number().int(),
    per_buyer_limit: z.number().int().nullable(),
    active: z.boolean(),
    report: reportSchema.optional(),
  })
  .meta({ id: 'Promotion' });
const toPromotion = (p: Promotion, report?: z.infer<typeof reportSchema>) => ({
  id: p.id,
  name: p.name,
  value: toValue(p),
  scope: { type: p.scopeType, id: p.scopeId },
  starts_at: toDarTime(p.startsAt),
  ends_at: toDarTime(p.endsAt),
  priority: p.priority,
  budget_amount: p.budgetAmount,
  per_buyer_limit: p.perBuyerLimit,
  active: p.active,
  ...(report ? { report } : {}),
});

const codeSchema = z
  .object({
    id: z.uuid(),
    code: z.string(),
    value: valueOut,
    min_order_amount: z.number().int(),
    starts_at: z.string(),
    ends_at: z.string(),
    max_uses: z.number().int().nullable(),
    per_buyer_limit: z.number().int().nullable(),
    budget_amount: z.number().int().nullable(),
    active: z.boolean(),
    report: reportSchema.optional(),
  })
  .meta({ id: 'DiscountCode' });
const toCode = (c: DiscountCode, report?: z.infer<typeof reportSchema>) => ({
  id: c.id,
  code: c.code,
  value: toValue(c),
  min_order_amount: c.minOrderAmount,
  starts_at: toDarTime(c.startsAt),
  ends_at: toDarTime(c.endsAt),
  max_uses: c.maxUses,
  per_buyer_limit: c.perBuyerLimit,
  budget_amount: c.budgetAmount,
  active: c.active,
  ...(report ? { report } : {}),
});

const loyaltySchema = z.object({
  balance: z.number().int(),
  point_value: z.number().int().describe('Minor units one point is worth'),
  max_share_bp: z.number().int(),
  entries: z.array(
    z.object({
      kind: z.string(),
      points: z.number().int(),
      reason: z.string().nullable(),
      created_at: z.string(),
    }),
  ),
});

export function promotionRoutes(deps: { promotions: PromotionsService }): FastifyPluginAsyncZod {
  const { promotions } = deps;
  return async (app) => {
    app.get(
      '/me/loyalty',
      {
        preHandler: requireAuth(),
        schema: {
          tags: ['me'],
          summary: 'My loyalty points',
          security: bearerSecurity,
          response: { 200: loyaltySchema, ...problems(401, 403) },
        },
      },
      async (request) => {
        const me = caller(request).userId;
        const [balance, entries] = await Promise.all([promotions.balance(me), promotions.entries(me)]);
        return {
          balance,
          point_value: promotions.loyaltyRules.pointValue,
          max_share_bp: promotions.loyaltyRules.maxShareBp,
          entries: entries.map((e) => ({
            kind: e.kind,
            points: e.points,
            reason: e.reason,
            created_at: toDarTime(e.createdAt),
          })),
        };
      },
    );
  };
}

/** Admin-only: promotions, discount codes (with their burn reports) and loyalty corrections. */
export function adminPromotionRoutes(deps: { promotions: PromotionsService }): FastifyPluginAsyncZod {
  const { promotions } = deps;
  return async (app) => {
    requireAuthOnEveryRoute(app, 'admin');
    const s = { tags: ['admin'], security: bearerSecurity };

    app.post(
      '/promotions',
      {
        schema: {
          ...s,
          summary: 'Create a promotion',
          body: promotionBody,
          response: { 201: promotionSchema, ...problems(400, 401, 403, 422) },
        },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(toPromotion(await promotions.createPromotion(caller(request).userId, request.body))),
    );
    app.get(
      '/promotions',
      {
        schema: {
          ...s,
          summary: 'All promotions',
          response: { 200: z.object({ items: z.array(promotionSchema) }), ...problems(401, 403) },
        },
      },
      async () => ({
        items: (await promotions.listPromotions()).map((p) => toPromotion(p)),
      }),
    );
    app.get(
      '/promotions/:id',
      {
        schema: {
          ...s,
          summary: 'A promotion with its report: uses, unique buyers, money burned, budget left',
          params: idParam,
          response: { 200: promotionSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const r = await promotions.getPromotion(request.params.id);
        return toPromotion(r.promotion, r.report);
      },
    );
    app.patch(
      '/promotions/:id',
      {
        schema: {
          ...s,
          summary: 'Change a promotion (audited)',
          description:
            'A new `budget_amount` cannot be below what the promotion has already spent (422 `BUDGET_BELOW_SPENT`). Switching a promotion off applies to every checkout that spends it after the change.',
          params: idParam,
          body: promotionPatch,
          response: { 200: promotionSchema, ...problems(400, 401, 403, 404, 422) },
        },
      },
      async (request) =>
        toPromotion(
          await promotions.updatePromotion(caller(request).userId, request.params.id, request.body),
        ),
    );

    app.post(
      '/discount-codes',
      {
        schema: {
          ...s,
          summary: 'Create a discount code',
          body: codeBody,
          response: { 201: codeSchema, ...problems(400, 401, 403, 409, 422) },
        },
      },
      async (request, reply) =>
        reply.code(201).send(toCode(await promotions.createCode(caller(request).userId, request.body))),
    );
    app.get(
      '/discount-codes',
      {
        schema: {
          ...s,
          summary: 'All discount codes',
          response: { 200: z.object({ items: z.array(codeSchema) }), ...problems(401, 403) },
        },
      },
      async () => ({
        items: (await promotions.listCodes()).map((c) => toCode(c)),
      }),
    );
    app.get(
      '/discount-codes/:id',
      {
        schema: {
          ...s,
          summary: 'A code with its report',
          params: idParam,
          response: { 200: codeSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const r = await promotions.getCode(request.params.id);
        return toCode(r.code, r.report);
      },
    );
    app.patch(
      '/discount-codes/:id',
      {
        schema: {
          ...s,
          summary: 'Change a discount code (audited)',
          params: idParam,
          body: codePatch,
          response: { 200: codeSchema, ...problems(400, 401, 403, 404, 422) },
        },
      },
      async (request) =>
        toCode(await promotions.updateCode(caller(request).userId, request.params.id, request.body)),
    );

    app.post(
      '/loyalty/:id/adjust',
      {
        schema: {
          ...s,
          summary: "Add or remove points on a buyer's balance (reason required)",
          params: idParam,
          body: z.strictObject({
            points: z
              .number()
              .int()
              .min(-1_000_000)
              .max(1_000_000)
              .refine((p) => p !== 0, 'must not be zero'),
            reason: z.string().trim().min(1).max(500),
          }),
          response: { 200: z.object({ balance: z.number().int() }), ...problems(400, 401, 403, 404, 422) },
        },
      },
      async (request) => ({
        balance: await promotions.adjust(
          caller(request).userId,
          request.params.id,
          request.body.points,
          request.body.reason,
        ),
      }),
    );
  };
}
