// Every job the payments module writes: its own commands and timers (`payments.<imperative>`) and
// what it tells other modules (`payment.…`, past tense). The receiving module decides what to do.
import { z } from 'zod';
import { defineJobs, type JobQueue } from '../jobs/index.js';

const id = z.string().min(1).max(100);
const amount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const attempt = z.number().int().min(0);
const bucket = z.object({ bucket: z.number().int().min(0) });

export const paymentJobs = defineJobs({
  // ---- commands and timers the payments module sets for itself ----
  /** the n-th status query of a push whose outcome is unknown */
  'payments.check_collection': z.object({ id, n: attempt, notFound: attempt.optional() }),
  /** the n-th status query of a send; `notFound` counts consecutive "no such transaction" answers */
  'payments.check_disbursement': z.object({ id, n: attempt, notFound: attempt.optional() }),
  /** ask the provider to send a disbursement, once per reference */
  'payments.send': z.object({ id }),
  /** an accepted collection callback, verified by a status query before it settles */
  'payments.verify_collection': z.object({
    id,
    receipt: z.string().nullable(),
    providerRef: z.string().nullable().optional(),
  }),
  /** an accepted disbursement callback, verified before it settles */
  'payments.verify_disbursement': z.object({ id, callback: z.record(z.string(), z.unknown()) }),
  /** the local simulator's callback, posted to our own webhook at its time */
  'payments.simulator_callback': z.object({
    url: z.string().min(1),
    body: z.record(z.string(), z.unknown()),
  }),
  /** the reconciler of pushes and sends no callback answered (every 10 minutes) */
  'payments.sweep': bucket,
  /** the periodic payout run */
  'payments.payout_run': bucket,
  /** PAYOUT_STUCK_MINUTES after a payout was requested: is it still not sent? */
  'payments.check_payout_stuck': z.object({ id }),

  // ---- what payments tells other modules ----
  /** a buyer's payment was decided: succeeded (and what it paid for) or failed */
  'payment.collection_settled': z.object({
    collectionId: id,
    checkoutId: id,
    buyerId: id,
    outcome: z.enum(['succeeded', 'failed', 'timeout', 'cancelled']),
    usedFor: z.enum(['funded_checkout', 'refunded_duplicate', 'refunded_late']).nullable(),
    amount,
    reason: z.string().max(500),
  }),
  /** money reached a buyer (refund) or a seller or rider (payout) */
  'payment.disbursement_sent': z.object({
    disbursementId: id,
    kind: z.enum(['refund', 'payout']),
    partyId: id,
    orderId: id.nullable(),
    amount,
    phone: z.string().min(1),
  }),
  /** a payout still not sent PAYOUT_STUCK_MINUTES after it was requested (in flight, or failed with its money held) */
  'payment.payout_stuck': z.object({
    disbursementId: id,
    partyId: id,
    amount,
    since: z.iso.datetime({ offset: true }),
  }),
  /** a send failed: `willRetry` when a refund is tried again later, false when it is given up */
  'payment.disbursement_failed': z.object({
    disbursementId: id,
    kind: z.enum(['refund', 'payout']),
    partyId: id,
    orderId: id.nullable(),
    amount,
    reason: z.string().max(500),
    willRetry: z.boolean(),
  }),
});

export type PaymentJobs = typeof paymentJobs;
export type PaymentJobQueue = JobQueue<PaymentJobs>;
