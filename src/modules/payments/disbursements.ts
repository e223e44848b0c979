// Sending money to a phone (refunds and payouts share the machinery): queue a send, ask the
// provider once per reference, decide it under its row lock, and keep asking while it is unknown.
// Refunds live here too: the platform's debt to a buyer, retried under a new reference.
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { AppError, conflict, notFound } from '../../shared/errors.js';
import {
  type Disbursement,
  moveMoney,
  NOT_FOUND_CODES,
  NOT_FOUND_STREAK,
  type PaymentsContext,
  queryDelayMs,
  queryOrPending,
} from './context.js';
import { referenceOf } from './model.js';
import type { ProviderResult } from './port.js';
import { paymentCollections, paymentDisbursements } from './schema.js';

/** What a failed send tells others (`payment.disbursement_failed`), less whether it is retried. */
const failed = (d: Disbursement, reason: string) => ({
  disbursementId: d.id,
  kind: d.kind,
  partyId: d.partyId,
  orderId: d.orderId,
  amount: d.amount,
  reason: reason.slice(0, 500),
});

export function createDisbursements(ctx: PaymentsContext) {
  const { db, clock, ids, audit, jobs, ledger, provider, s, log, callbackUrl, scheduleCheck } = ctx;

  async function createRefund(
    tx: Database,
    r: {
      purposeKey: string;
      buyerId: string;
      orderId: string | null;
      checkoutId: string | null;
      collectionId: string | null;
      amount: number;
      currency: string;
      msisdn: string;
      reason: string;
    },
  ) {
    const id = ids.newId();
    const [row] = await tx
      .insert(paymentDisbursements)
      .values({
        id,
        purposeKey: r.purposeKey,
        kind: 'refund',
        partyId: r.buyerId,
        orderId: r.orderId,
        checkoutId: r.checkoutId,
        collectionId: r.collectionId,
        provider: provider.name,
        msisdn: r.msisdn,
        amount: r.amount,
        currency: r.currency,
        reason: r.reason.slice(0, 200),
        status: 'queued',
        reference: referenceOf(id),
        nextAttemptAt: clock.now(),
        createdAt: clock.now(),
        updatedAt: clock.now(),
      })
      .onConflictDoNothing({ target: paymentDisbursements.purposeKey })
      .returning();
    if (row) await enqueueSend(tx, row);
    return row ?? null;
  }

  async function enqueueSend(tx: Database, d: Disbursement) {
    await jobs.enqueue(tx, {
      kind: 'payments.send',
      payload: { id: d.id },
      runAt: d.nextAttemptAt ?? clock.now(),
      dedupeKey: `payments.send:${d.reference}`,
    });
  }

  /** Ask the provider to send, once per reference. An unknown outcome is settled by a status query, never by sending again. */
  async function send(disbursementId: string) {
    const claimed = await db.transaction(async (tx) => {
      const [d] = await tx
        .select()
        .from(paymentDisbursements)
        .where(eq(paymentDisbursements.id, disbursementId))
        .for('update');
      if (d?.status !== 'queued') return null;
      const [u] = await tx
        .update(paymentDisbursements)
        .set({ status: 'sending', attempts: d.attempts + 1, updatedAt: clock.now() })
        .where(eq(paymentDisbursements.id, d.id))
        .returning();
      // Written before the call: if this process dies mid-call, the query still happens.
      await scheduleCheck(tx, 'disbursement', d.id, d.reference, 0);
      return u!;
    });
    if (!claimed) return;
    const r = await moveMoney(() =>
      provider.sendMoney({
        reference: claimed.reference,
        msisdn: claimed.msisdn,
        amount: claimed.amount,
        currency: claimed.currency,
        remarks: `${claimed.kind === 'refund' ? 'Refund' : 'Payout'} KKOO ${claimed.reference.slice(0, 8)}`,
        resultUrl: callbackUrl('disbursement'),
        timeoutUrl: callbackUrl('disbursement'),
      }),
    );
    if (!r) {
      log.warn({ disbursement: claimed.id }, 'send outcome unknown; will query');
      return;
    }
    await settleDisbursement(claimed.id, r, 'send');
  }

  /**
   * Decide a send under its row lock. `source` 'callback' means only the (unsigned) callback said
   * so and no status query could confirm: then a failure is recorded for an admin and never
   * retried automatically, and a payout's reserve is kept — a callback alone never moves money again.
   */
  async function settleDisbursement(id: string, r: ProviderResult, source: string) {
    return db.transaction(async (tx) => {
      const [d] = await tx
        .select()
        .from(paymentDisbursements)
        .where(eq(paymentDisbursements.id, id))
        .for('update');
      if (!d) throw notFound('Disbursement');
      if (d.status !== 'sending') return d;
      const now = clock.now();
      if (r.outcome === 'pending') {
        if (r.providerRef && !d.providerRef)
          await tx
            .update(paymentDisbursements)
            .set({ providerRef: r.providerRef, updatedAt: now })
            .where(eq(paymentDisbursements.id, id));
        return d;
      }
      if (r.outcome === 'succeeded') {
        if (r.amount !== null && r.amount !== d.amount) {
          log.error(
            { disbursement: d.id, expected: d.amount, reported: r.amount, source },
            'send amount mismatch',
          );
          return d;
        }
        const [u] = await tx
          .update(paymentDisbursements)
          .set({
            status: 'succeeded',
            receipt: r.receipt,
            providerRef: d.providerRef ?? r.providerRef,
            resultCode: r.code,
            resultMessage: r.message.slice(0, 500),
            decidedAt: now,
            updatedAt: now,
          })
          .where(eq(paymentDisbursements.id, id))
          .returning();
        if (d.kind === 'refund')
          await ledger.recordRefundSent(tx, {
            disbursementId: d.id,
            buyerId: d.partyId,
            amount: d.amount,
            currency: d.currency,
            orderId: d.orderId,
          });
        else await ledger.settlePayout(tx, d.id, 'post');
        await audit.record(tx, {
          actorUserId: null,
          action: `${d.kind}.sent`,
          targetType: 'user',
          targetId: d.partyId,
          data: { disbursement_id: d.id, receipt: r.receipt, amount: d.amount },
        });
        await jobs.enqueue(tx, {
          kind: 'payment.disbursement_sent',
          payload: {
            disbursementId: d.id,
            kind: d.kind,
            partyId: d.partyId,
            orderId: d.orderId,
            amount: d.amount,
            phone: d.msisdn,
          },
          dedupeKey: `payment.disbursement_sent:${d.id}`,
        });
        return u!;
      }
      // A definite failure. A refund is the platform's debt: try again with a new reference,
      // later, up to the limit; then it waits for an admin. A payout's reserve returns to the seller.
      const base = { resultCode: r.code, resultMessage: r.message.slice(0, 500), updatedAt: now };
      const unconfirmed = source === 'callback';
      if (d.kind === 'refund' && d.attempts < s.refundMaxAttempts && !unconfirmed) {
        const [u] = await tx
          .update(paymentDisbursements)
          .set({
            ...base,
            status: 'queued',
            reference: referenceOf(ids.newId()),
            providerRef: null,
            nextAttemptAt: new Date(now.getTime() + queryDelayMs(s.firstQueryAfterSeconds, d.attempts + 2)),
          })
          .where(eq(paymentDisbursements.id, id))
          .returning();
        await enqueueSend(tx, u!);
        await jobs.enqueue(tx, {
          kind: 'payment.disbursement_failed',
          payload: { ...failed(d, r.message), willRetry: true },
          dedupeKey: `payment.disbursement_failed:${d.reference}`,
        });
        return u!;
      }
      const [u] = await tx
        .update(paymentDisbursements)
        .set({ ...base, status: 'failed', decidedAt: now })
        .where(eq(paymentDisbursements.id, id))
        .returning();
      // An unconfirmed failure keeps the payout's reserve until an admin releases it after checking
      // the provider's statement; otherwise the next run could pay money that already left.
      if (d.kind === 'payout' && !unconfirmed) await ledger.settlePayout(tx, d.id, 'void');
      await audit.record(tx, {
        actorUserId: null,
        action: `${d.kind}.failed`,
        targetType: 'user',
        targetId: d.partyId,
        reason: r.message.slice(0, 200),
        data: { disbursement_id: d.id, code: r.code, source, needs_review: unconfirmed },
      });
      await jobs.enqueue(tx, {
        kind: 'payment.disbursement_failed',
        payload: { ...failed(d, r.message), willRetry: false },
        dedupeKey: `payment.disbursement_failed:${d.reference}`,
      });
      return u!;
    });
  }

  async function checkDisbursement(id: string, n: number, notFound: number) {
    const [d] = await db.select().from(paymentDisbursements).where(eq(paymentDisbursements.id, id));
    if (d?.status !== 'sending') return;
    const r = await queryOrPending(() =>
      provider.querySend({ reference: d.reference, providerRef: d.providerRef, receipt: d.receipt }),
    );
    if (r.outcome !== 'pending') {
      await settleDisbursement(d.id, r, 'query');
      return;
    }
    const streak = NOT_FOUND_CODES.has(r.code) ? notFound + 1 : 0;
    if (streak >= NOT_FOUND_STREAK) {
      // "No such send", five times in a row over the backoff: it never left. That is an answer,
      // not a guess, so a refund may now be tried again under a new reference.
      await settleDisbursement(
        d.id,
        { ...r, outcome: 'failed', message: 'the provider has no record of this send' },
        'query',
      );
      return;
    }
    // Still unknown. Keep asking with backoff; never send again on a guess.
    await db.transaction((tx) => scheduleCheck(tx, 'disbursement', d.id, d.reference, n + 1, streak));
  }

  return {
    createRefund,
    enqueueSend,
    send,
    settleDisbursement,
    checkDisbursement,

    /** A refund the orders module owes (cancellation, rejection, dispute): queued to the phone that paid. */
    async requestOrderRefund(p: {
      purposeKey: string;
      orderId: string;
      checkoutId: string;
      buyerId: string;
      amount: number;
      currency: string;
      payerPhone: string | null;
      reason: string;
    }) {
      return db.transaction(async (tx) => {
        if (!Number.isSafeInteger(p.amount) || p.amount <= 0)
          throw new Error(`refund amount must be positive: ${p.amount}`);
        // The collection that paid is locked first: refunds of one checkout happen one at a time,
        // so two racing for the same money see each other.
        const funding = await tx
          .select()
          .from(paymentCollections)
          .where(
            and(
              eq(paymentCollections.checkoutId, p.checkoutId),
              eq(paymentCollections.usedFor, 'funded_checkout'),
            ),
          )
          .for('update');
        const [existing] = await tx
          .select()
          .from(paymentDisbursements)
          .where(eq(paymentDisbursements.purposeKey, p.purposeKey));
        if (existing) return existing;
        const paidIn = funding.reduce((a, c) => a + c.amount, 0);
        const [already] = await tx
          .select({ total: sql<number>`coalesce(sum(${paymentDisbursements.amount}), 0)::bigint` })
          .from(paymentDisbursements)
          .where(
            and(
              eq(paymentDisbursements.kind, 'refund'),
              eq(paymentDisbursements.checkoutId, p.checkoutId),
              sql`${paymentDisbursements.purposeKey} like 'refund:order:%'`,
            ),
          );
        // Without a collection (paid outside this module), the ledger's own checks bound the refund.
        // Compensation the platform pays on top (a late delivery's fee back) is its own money, not a
        // return of the buyer's, so only order refunds are capped by what was paid.
        const capped = p.purposeKey.startsWith('refund:order:');
        if (capped && funding.length && Number(already?.total ?? 0) + p.amount > paidIn) {
          throw new AppError(
            'REFUND_EXCEEDS_PAYMENT',
            409,
            `Refunds for this checkout would exceed the ${paidIn} paid.`,
          );
        }
        const msisdn = funding[0]?.msisdn ?? p.payerPhone;
        if (!msisdn) throw new Error(`no phone to refund checkout ${p.checkoutId}`);
        return createRefund(tx, { ...p, collectionId: null, msisdn });
      });
    },

    /** An admin re-queues a refund that ran out of attempts (e.g. after the buyer fixed their number). */
    async retryRefund(id: string, adminId: string, reason: string) {
      return db.transaction(async (tx) => {
        const [d] = await tx
          .select()
          .from(paymentDisbursements)
          .where(eq(paymentDisbursements.id, id))
          .for('update');
        if (d?.kind !== 'refund') throw notFound('Refund');
        if (d.status !== 'failed')
          throw conflict(
            'INVALID_TRANSITION',
            `This refund is ${d.status}; only a failed refund is retried.`,
          );
        const [u] = await tx
          .update(paymentDisbursements)
          .set({
            status: 'queued',
            reference: referenceOf(ids.newId()),
            providerRef: null,
            nextAttemptAt: clock.now(),
            updatedAt: clock.now(),
            decidedAt: null,
          })
          .where(eq(paymentDisbursements.id, id))
          .returning();
        await audit.record(tx, {
          actorUserId: adminId,
          action: 'refund.retried',
          targetType: 'user',
          targetId: d.partyId,
          reason,
          data: { disbursement_id: d.id },
        });
        await enqueueSend(tx, u!);
        return u!;
      });
    },
  };
}

export type Disbursements = ReturnType<typeof createDisbursements>;
