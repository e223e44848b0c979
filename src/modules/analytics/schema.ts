import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { tz } from '../../db/columns.js';

// Analytics' own tables: one row of facts per paid order, kept current from a log of the orders
// whose facts may have changed. The log is written by database triggers in the very transaction
// that changes an order, a dispute, a refund send or a message (migration 00xx_analytics_facts), so
// no write path can forget it and a rolled-back change leaves no mark; the analytics service folds
// the log into the facts before every read (queries.ts `refreshFacts`). See docs/analytics.md.

/** The facts the pure rules need about one paid order (see model.ts `OrderFact`). */
export const analyticsOrderFacts = pgTable(
  'analytics_order_facts',
  {
    orderId: uuid('order_id').primaryKey(),
    checkoutId: uuid('checkout_id').notNull(),
    buyerId: uuid('buyer_id').notNull(),
    sellerId: uuid('seller_id').notNull(),
    currency: text('currency').notNull(),
    status: text('status').notNull(),
    paidAt: tz('paid_at').notNull(),
    buyerFirstPaidAt: tz('buyer_first_paid_at').notNull(),
    zone: text('zone'),
    /** the product of the order's largest line: its category is read at query time (it can move) */
    mainProductId: uuid('main_product_id'),
    /** promotions named on the snapshot's lines (the promotion filter) */
    promotionIds: text('promotion_ids').array().notNull(),
    originalAmount: bigint('original_amount', { mode: 'number' }).notNull(),
    finalAmount: bigint('final_amount', { mode: 'number' }).notNull(),
    deliveryFee: bigint('delivery_fee', { mode: 'number' }).notNull(),
    buyerFee: bigint('buyer_fee', { mode: 'number' }).notNull(),
    promotionDiscount: bigint('promotion_discount', { mode: 'number' }).notNull(),
    codeDiscount: bigint('code_discount', { mode: 'number' }).notNull(),
    loyaltyDiscount: bigint('loyalty_discount', { mode: 'number' }).notNull(),
    riderId: uuid('rider_id'),
    promisedBy: tz('promised_by'),
    deliveredAt: tz('delivered_at'),
    disputed: boolean('disputed').notNull(),
    resolution: text('resolution'),
    disputeRefund: bigint('dispute_refund', { mode: 'number' }),
    fault: text('fault'),
    accepted: boolean('accepted').notNull(),
    refused: boolean('refused').notNull(),
    checkoutOrderTotals: jsonb('checkout_order_totals').notNull(),
    checkoutIndex: integer('checkout_index').notNull(),
    refundSends: jsonb('refund_sends').notNull(),
    messageCostRecorded: bigint('message_cost_recorded', { mode: 'number' }).notNull(),
    smsUncosted: integer('sms_uncosted').notNull(),
    whatsappUncosted: integer('whatsapp_uncosted').notNull(),
    // The order's economics and flags, computed at fold time by the pure rules (economics.ts
    // `storedEconomicsOf`) so the page sums them with GROUP BY; null until folded with settings.
    /** a digest of the settings the economics were computed with: other settings refold the order */
    economicsKey: text('economics_key'),
    eGmv: bigint('e_gmv', { mode: 'number' }),
    eTake: bigint('e_take', { mode: 'number' }),
    ePromotion: bigint('e_promotion', { mode: 'number' }),
    eCode: bigint('e_code', { mode: 'number' }),
    eLoyalty: bigint('e_loyalty', { mode: 'number' }),
    eReferral: bigint('e_referral', { mode: 'number' }),
    eIncentives: bigint('e_incentives', { mode: 'number' }),
    eLateCompensation: bigint('e_late_compensation', { mode: 'number' }),
    eAbsorbedRefunds: bigint('e_absorbed_refunds', { mode: 'number' }),
    eRefunds: bigint('e_refunds', { mode: 'number' }),
    ePaymentFees: bigint('e_payment_fees', { mode: 'number' }),
    eMessageCosts: bigint('e_message_costs', { mode: 'number' }),
    eContribution: bigint('e_contribution', { mode: 'number' }),
    /** refunded in full or in part (the refund rate) */
    refundedAny: boolean('refunded_any'),
    /** delivered, with a promised time (the on-time rate's whole) */
    promisedDelivered: boolean('promised_delivered'),
    /** delivered by the promised time */
    onTime: boolean('on_time'),
  },
  (t) => [
    index('analytics_order_facts_paid_idx').on(t.paidAt),
    index('analytics_order_facts_buyer_idx').on(t.buyerId),
    index('analytics_order_facts_checkout_idx').on(t.checkoutId),
    index('analytics_order_facts_economics_key_idx').on(t.economicsKey),
  ],
);

/**
 * One row: how many times the facts changed (bumped by every fold that changed a row). The page
 * cache is keyed by it, so a cached page is never older than the facts.
 */
export const analyticsFactsState = pgTable('analytics_facts_state', {
  id: integer('id').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull(),
});

/**
 * Orders whose facts may be stale: appended (never updated, so a writer never waits on another)
 * by the triggers, consumed by `refreshFacts`. An order may appear many times.
 */
export const analyticsDirtyOrders = pgTable('analytics_dirty_orders', {
  seq: bigserial('seq', { mode: 'number' }).primaryKey(),
  orderId: uuid('order_id').notNull(),
});
