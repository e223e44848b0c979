import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { money, tz } from '../../db/columns.js';
import {
  CALLBACK_VERDICTS,
  COLLECTION_STATUSES,
  COLLECTION_USES,
  DISBURSEMENT_KINDS,
  DISBURSEMENT_STATUSES,
  PROVIDER_NAMES,
} from './model.js';

/** One push to the payer's phone for a checkout. A checkout may have several (retries after a failure). */
export const paymentCollections = pgTable(
  'payment_collections',
  {
    id: uuid('id').primaryKey(),
    reference: text('reference').notNull(),
    checkoutId: uuid('checkout_id').notNull(),
    buyerId: uuid('buyer_id').notNull(),
    provider: text('provider', { enum: PROVIDER_NAMES }).notNull(),
    msisdn: text('msisdn').notNull(),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    status: text('status', { enum: COLLECTION_STATUSES }).notNull(),
    usedFor: text('used_for', { enum: COLLECTION_USES }),
    providerRef: text('provider_ref'),
    receipt: text('receipt'),
    resultCode: text('result_code'),
    resultMessage: text('result_message'),
    createdAt: tz('created_at').notNull(),
    updatedAt: tz('updated_at').notNull(),
    decidedAt: tz('decided_at'),
  },
  (t) => [
    uniqueIndex('payment_collections_reference_idx').on(t.reference),
    uniqueIndex('payment_collections_provider_ref_idx').on(t.provider, t.providerRef),
    // A receipt is money that moved once: it can fund at most one collection.
    uniqueIndex('payment_collections_receipt_idx').on(t.provider, t.receipt),
    index('payment_collections_checkout_idx').on(t.checkoutId),
    index('payment_collections_open_idx').on(t.createdAt).where(sql`${t.status} in ('initiated', 'pending')`),
    // At most one push in flight per checkout: a second would prompt the payer twice.
    uniqueIndex('payment_collections_one_open_idx')
      .on(t.checkoutId)
      .where(sql`${t.status} in ('initiated', 'pending')`),
    check('payment_collections_amount_positive', sql`${t.amount} > 0`),
  ],
);

/** Money we send to a phone: a refund to a buyer or a payout to a seller. */
export const paymentDisbursements = pgTable(
  'payment_disbursements',
  {
    id: uuid('id').primaryKey(),
    /** what this send is for, unique: `refund:order:<id>`, `refund:collection:<id>`, `payout:<id>` */
    purposeKey: text('purpose_key').notNull(),
    kind: text('kind', { enum: DISBURSEMENT_KINDS }).notNull(),
    /** the buyer (refund) or seller (payout) the money belongs to */
    partyId: uuid('party_id').notNull(),
    orderId: uuid('order_id'),
    checkoutId: uuid('checkout_id'),
    collectionId: uuid('collection_id'),
    provider: text('provider', { enum: PROVIDER_NAMES }).notNull(),
    msisdn: text('msisdn').notNull(),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    reason: text('reason').notNull(),
    status: text('status', { enum: DISBURSEMENT_STATUSES }).notNull(),
    /** the current attempt's reference: a new attempt after a definite failure gets a new one */
    reference: text('reference').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: tz('next_attempt_at'),
    providerRef: text('provider_ref'),
    receipt: text('receipt'),
    resultCode: text('result_code'),
    resultMessage: text('result_message'),
    requestedBy: uuid('requested_by'),
    createdAt: tz('created_at').notNull(),
    updatedAt: tz('updated_at').notNull(),
    decidedAt: tz('decided_at'),
  },
  (t) => [
    uniqueIndex('payment_disbursements_purpose_idx').on(t.purposeKey),
    uniqueIndex('payment_disbursements_reference_idx').on(t.reference),
    index('payment_disbursements_party_idx').on(t.partyId, t.createdAt),
    // Refunds of an order (the order view, analytics' payment fees).
    index('payment_disbursements_order_idx').on(t.orderId),
    // The console home page's money queues (payments/attention.ts): failed refunds, payouts failed or
    // stuck. Only unsettled and failed sends are indexed; the succeeded history stays out.
    index('payment_disbursements_attention_idx')
      .on(t.kind, t.status, t.updatedAt)
      .where(sql`${t.status} in ('queued', 'sending', 'failed')`),
    index('payment_disbursements_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} in ('queued', 'sending')`),
    // One payout in flight per seller: the balance it reserved is not paid twice.
    uniqueIndex('payment_disbursements_one_payout_idx')
      .on(t.partyId)
      .where(sql`${t.kind} = 'payout' and ${t.status} in ('queued', 'sending')`),
    check('payment_disbursements_amount_positive', sql`${t.amount} > 0`),
  ],
);

/** Every provider call, secrets masked: what support reads when a buyer says "I paid". */
export const paymentProviderCalls = pgTable(
  'payment_provider_calls',
  {
    id: uuid('id').primaryKey(),
    provider: text('provider', { enum: PROVIDER_NAMES }).notNull(),
    operation: text('operation').notNull(),
    method: text('method').notNull(),
    url: text('url').notNull(),
    reference: text('reference'),
    requestBody: jsonb('request_body'),
    responseStatus: integer('response_status'),
    responseBody: jsonb('response_body'),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
    createdAt: tz('created_at').notNull(),
  },
  (t) => [
    index('payment_provider_calls_reference_idx').on(t.reference, t.createdAt),
    // operations' failure-rate watch counts one provider's calls over a recent window
    index('payment_provider_calls_provider_created_idx').on(t.provider, t.createdAt),
  ],
);

/** Every callback that reached our webhook, trusted or not, with what we decided about it. */
export const paymentCallbacks = pgTable(
  'payment_callbacks',
  {
    id: uuid('id').primaryKey(),
    provider: text('provider').notNull(),
    kind: text('kind').notNull(),
    remoteIp: text('remote_ip'),
    body: jsonb('body'),
    verdict: text('verdict', { enum: CALLBACK_VERDICTS }).notNull(),
    detail: text('detail'),
    collectionId: uuid('collection_id'),
    disbursementId: uuid('disbursement_id'),
    createdAt: tz('created_at').notNull(),
  },
  (t) => [index('payment_callbacks_created_idx').on(t.createdAt)],
);

/**
 * The development simulator's own memory, so the API process and the worker see the same
 * simulated transactions. Never used by a real provider.
 */
export const paymentSimulatorTxns = pgTable('payment_simulator_txns', {
  reference: text('reference').primaryKey(),
  kind: text('kind').notNull(),
  msisdn: text('msisdn').notNull(),
  amount: money('amount').notNull(),
  outcome: text('outcome').notNull(),
  receipt: text('receipt'),
  decidesAt: tz('decides_at').notNull(),
  createdAt: tz('created_at').notNull(),
});

/** Rows of a provider statement imported for reconciliation, one per provider receipt. */
export const paymentStatementLines = pgTable(
  'payment_statement_lines',
  {
    id: uuid('id').primaryKey(),
    provider: text('provider').notNull(),
    receipt: text('receipt').notNull(),
    completedAt: tz('completed_at').notNull(),
    /** positive for money in (paid in), negative for money out (withdrawn) */
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    details: text('details'),
    otherParty: text('other_party'),
    status: text('status').notNull(),
    importId: uuid('import_id').notNull(),
    importedAt: tz('imported_at').notNull(),
  },
  (t) => [uniqueIndex('payment_statement_lines_receipt_idx').on(t.provider, t.receipt)],
);
