import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { money, tz } from '../../db/columns.js';
import { BURN_KINDS, LOYALTY_KINDS, SCOPE_TYPES, VALUE_KINDS } from './model.js';

export const promotions = pgTable(
  'promotions',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    valueKind: text('value_kind', { enum: VALUE_KINDS }).notNull(),
    percentBp: integer('percent_bp'),
    capAmount: money('cap_amount'),
    fixedAmount: money('fixed_amount'),
    scopeType: text('scope_type', { enum: SCOPE_TYPES }).notNull(),
    scopeId: uuid('scope_id'),
    startsAt: tz('starts_at').notNull(),
    endsAt: tz('ends_at').notNull(),
    priority: integer('priority').notNull(),
    /** the whole budget; it is spent through the promotion's budget slices, whose budgets add up to it */
    budgetAmount: money('budget_amount').notNull(),
    /** amounts (fixed value, cap, budget) are in this currency; the promotion only touches carts in it */
    currency: text('currency').notNull().default('TZS'),
    perBuyerLimit: integer('per_buyer_limit'),
    active: boolean('active').notNull(),
    createdBy: uuid('created_by').notNull(),
    createdAt: tz('created_at').notNull(),
    updatedAt: tz('updated_at').notNull(),
  },
  (t) => [
    index('promotions_scope_idx').on(t.scopeType, t.scopeId),
    check('promotions_window', sql`${t.endsAt} > ${t.startsAt}`),
    check('promotions_budget', sql`${t.budgetAmount} > 0`),
  ],
);

export const discountCodes = pgTable(
  'discount_codes',
  {
    id: uuid('id').primaryKey(),
    /** stored upper-case without spaces; matched the same way */
    code: text('code').notNull(),
    valueKind: text('value_kind', { enum: VALUE_KINDS }).notNull(),
    percentBp: integer('percent_bp'),
    capAmount: money('cap_amount'),
    fixedAmount: money('fixed_amount'),
    minOrderAmount: money('min_order_amount').notNull(),
    startsAt: tz('starts_at').notNull(),
    endsAt: tz('ends_at').notNull(),
    maxUses: integer('max_uses'),
    perBuyerLimit: integer('per_buyer_limit'),
    budgetAmount: money('budget_amount'),
    burnedAmount: money('burned_amount').notNull().default(0),
    uses: integer('uses').notNull().default(0),
    currency: text('currency').notNull().default('TZS'),
    active: boolean('active').notNull(),
    createdBy: uuid('created_by').notNull(),
    createdAt: tz('created_at').notNull(),
    updatedAt: tz('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('discount_codes_code_idx').on(t.code),
    check('discount_codes_window', sql`${t.endsAt} > ${t.startsAt}`),
  ],
);

/**
 * A promotion's budget, split over a fixed number of slices so checkouts spending the same popular
 * promotion lock different rows instead of queueing on one (architecture note 22). Each slice keeps
 * the running totals of the live burn rows it paid for, written by the same transactions that write
 * those rows; the slices' budgets always add up to the promotion's budget, and no slice spends
 * beyond its own, so the promotion never spends beyond its budget.
 */
export const promotionBudgetSlices = pgTable(
  'promotion_budget_slices',
  {
    promotionId: uuid('promotion_id')
      .notNull()
      .references(() => promotions.id, { onDelete: 'cascade' }),
    slice: integer('slice').notNull(),
    budgetAmount: money('budget_amount').notNull(),
    burnedAmount: money('burned_amount').notNull().default(0),
    uses: integer('uses').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.promotionId, t.slice] }),
    check(
      'promotion_budget_slices_within',
      sql`${t.burnedAmount} >= 0 and ${t.burnedAmount} <= ${t.budgetAmount} and ${t.uses} >= 0`,
    ),
  ],
);

/** Every application of a promotion or a code, with its amount: budgets and limits are enforced from these rows. */
export const incentiveBurns = pgTable(
  'incentive_burns',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind', { enum: BURN_KINDS }).notNull(),
    promotionId: uuid('promotion_id'),
    codeId: uuid('code_id'),
    buyerId: uuid('buyer_id').notNull(),
    checkoutId: uuid('checkout_id').notNull(),
    orderId: uuid('order_id'),
    skuId: uuid('sku_id'),
    amount: money('amount').notNull(),
    createdAt: tz('created_at').notNull(),
    /** set when the checkout is cancelled and the budget comes back */
    reversedAt: tz('reversed_at'),
  },
  (t) => [
    index('incentive_burns_promotion_idx').on(t.promotionId, t.buyerId),
    index('incentive_burns_code_idx').on(t.codeId, t.buyerId),
    index('incentive_burns_checkout_idx').on(t.checkoutId),
    // A checkout burns each incentive for each line or order once: a retried burn cannot double-charge a budget.
    unique('incentive_burns_once')
      .on(t.checkoutId, t.kind, t.promotionId, t.codeId, t.skuId, t.orderId)
      .nullsNotDistinct(),
    check('incentive_burns_amount', sql`${t.amount} > 0`),
  ],
);

/** Append-only points ledger; the balance is the sum. */
export const loyaltyEntries = pgTable(
  'loyalty_entries',
  {
    id: uuid('id').primaryKey(),
    buyerId: uuid('buyer_id').notNull(),
    kind: text('kind', { enum: LOYALTY_KINDS }).notNull(),
    points: integer('points').notNull(),
    checkoutId: uuid('checkout_id'),
    orderId: uuid('order_id'),
    reason: text('reason'),
    createdBy: uuid('created_by'),
    /** for a refund: the redeem entry it gives back (each one at most once) */
    reversesId: uuid('reverses_id'),
    createdAt: tz('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('loyalty_entries_reverses_once_idx').on(t.reversesId),
    index('loyalty_entries_buyer_idx').on(t.buyerId, t.createdAt),
    check('loyalty_entries_nonzero', sql`${t.points} <> 0`),
  ],
);
