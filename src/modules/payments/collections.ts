// Collections: a push to the payer's phone for a checkout, decided exactly once under its row
// lock (by our own request's answer, a status query, or a verified callback), and the status
// queries that never wait on a callback. Money that buys nothing is refunded at once.
import { eq, sql } from 'drizzle-orm';
import { isUniqueViolation } from '../../db/columns.js';
import { AppError, conflict, notFound } from '../../shared/errors.js';
import { MINUTE } from '../../shared/time.js';
import { type Collection, moveMoney, type PaymentsContext, queryOrPending } from './context.js';
import type { Disbursements } from './disbursements.js';
import { FINAL_COLLECTION, GIVEN_UP, isGivenUp, referenceOf } from './model.js';
import type { ProviderResult, SimulatedOutcome } from './port.js';
import { paymentCollections } from './schema.js';

/** A push the provider never acknowledged is given up after this, so the buyer can push again. */
const UNASKABLE_AFTER_MINUTES = 5;

export function createCollections(ctx: PaymentsContext, refunds: Pick<Disbursements, 'createRefund'>) {
  const { db, clock, ids, audit, jobs, ledger, provider, s, log, callbackUrl, scheduleCheck } = ctx;
  const { createRefund } = refunds;

  /**
   * Decide a collection exactly once, under its row lock. Success records the money, then either
   * pays the checkout (escrow held) or — when the checkout expired or was paid by another
   * collection — owes the money back to the buyer and queues the refund, all in one transaction.
   */
  async function settleCollection(collectionId: string, r: ProviderResult, source: string) {
    return db.transaction(async (tx) => {
      const [c] = await tx
        .select()
        .from(paymentCollections)
        .where(eq(paymentCollections.id, collectionId))
        .for('update');
      if (!c) throw notFound('Collection');
      // Our own give-up is not the provider's answer: money proven to have moved later still counts.
      const reopenable = isGivenUp(c) && r.outcome === 'succeeded';
      if (FINAL_COLLECTION.includes(c.status) && !reopenable) return c;
      const now = clock.now();
      if (r.outcome === 'pending') {
        const [u] = await tx
          .update(paymentCollections)
          .set({ status: 'pending', providerRef: c.providerRef ?? r.providerRef, updatedAt: now })
          .where(eq(paymentCollections.id, c.id))
          .returning();
        return u!;
      }
      if (r.outcome === 'succeeded' && r.amount !== null && r.amount !== c.amount) {
        // The provider says a different amount moved: never fund escrow with it; support decides.
        log.error(
          { collection: c.id, expected: c.amount, reported: r.amount, source },
          'collection amount mismatch',
        );
        return c;
      }
      const [u] = await tx
        .update(paymentCollections)
        .set({
          status: r.outcome,
          providerRef: c.providerRef ?? r.providerRef,
          receipt: r.outcome === 'succeeded' ? (r.receipt ?? c.receipt) : c.receipt,
          resultCode: r.code,
          resultMessage: r.message.slice(0, 500),
          decidedAt: now,
          updatedAt: now,
        })
        .where(eq(paymentCollections.id, c.id))
        .returning();
      let usedFor: Collection['usedFor'] = null;
      if (r.outcome === 'succeeded') {
        await ledger.recordCollection(tx, {
          key: c.id,
          collectionId: c.id,
          checkoutId: c.checkoutId,
          amount: c.amount,
          currency: c.currency,
        });
        const paid = await ctx.checkouts.markPaid(tx, c.checkoutId, c.reference, c.createdAt);
        if (paid.result === 'paid' || paid.result === 'same_payment') usedFor = 'funded_checkout';
        else {
          // The platform takes responsibility: money that buys nothing goes straight back.
          usedFor = paid.result === 'already_paid' ? 'refunded_duplicate' : 'refunded_late';
          await ledger.refundUnapplied(tx, {
            collectionId: c.id,
            checkoutId: c.checkoutId,
            buyerId: c.buyerId,
            amount: c.amount,
            currency: c.currency,
          });
          await createRefund(tx, {
            purposeKey: `refund:collection:${c.id}`,
            buyerId: c.buyerId,
            orderId: null,
            checkoutId: c.checkoutId,
            collectionId: c.id,
            amount: c.amount,
            currency: c.currency,
            msisdn: c.msisdn,
            reason:
              usedFor === 'refunded_late'
                ? 'payment arrived after the checkout closed'
                : 'checkout already paid',
          });
        }
        await tx.update(paymentCollections).set({ usedFor }).where(eq(paymentCollections.id, c.id));
      }
      await audit.record(tx, {
        actorUserId: null,
        action: `payment.${r.outcome}`,
        targetType: 'checkout',
        targetId: c.checkoutId,
        reason: usedFor && usedFor !== 'funded_checkout' ? usedFor : null,
        data: { collection_id: c.id, code: r.code, receipt: r.receipt, source },
      });
      await jobs.enqueue(tx, {
        kind: 'payment.collection_settled',
        payload: {
          collectionId: c.id,
          checkoutId: c.checkoutId,
          buyerId: c.buyerId,
          outcome: r.outcome,
          usedFor,
          amount: c.amount,
          reason: r.message.slice(0, 500),
        },
        dedupeKey: `payment.collection_settled:${c.id}:${r.outcome}`,
      });
      return { ...u!, usedFor };
    });
  }

  async function checkCollection(collectionId: string, n: number) {
    const [c] = await db.select().from(paymentCollections).where(eq(paymentCollections.id, collectionId));
    if (!c) return;
    if (FINAL_COLLECTION.includes(c.status)) {
      // Our own give-up is re-asked by the sweeper: money proven later is refunded, never kept.
      if (!isGivenUp(c)) return;
      const late = await queryOrPending(() =>
        provider.queryCollection({ reference: c.reference, providerRef: c.providerRef }),
      );
      if (late.outcome === 'succeeded') await settleCollection(c.id, late, 'sweeper');
      return;
    }
    const r = await queryOrPending(() =>
      provider.queryCollection({ reference: c.reference, providerRef: c.providerRef }),
    );
    if (r.outcome === 'pending') {
      const age = clock.now().getTime() - c.createdAt.getTime();
      // A push whose reply never came cannot be asked about (no provider id): after a few minutes
      // the buyer may push again; a late callback for it is still matched by phone and amount.
      const unaskable = c.providerRef === null && age >= UNASKABLE_AFTER_MINUTES * MINUTE;
      if (unaskable || age >= s.giveUpAfterMinutes * MINUTE) {
        // Nobody ever told us; stop asking. Money that turns up later is late money: refunded.
        await settleCollection(
          c.id,
          {
            ...r,
            outcome: 'timeout',
            code: GIVEN_UP,
            message: unaskable
              ? 'the provider never acknowledged the push'
              : `no final answer after ${s.giveUpAfterMinutes} min`,
          },
          'reconciler',
        );
        return;
      }
      await settleCollection(c.id, r, 'reconciler');
      await db.transaction((tx) => scheduleCheck(tx, 'collection', c.id, c.reference, n + 1));
      return;
    }
    await settleCollection(c.id, r, 'query');
  }

  return {
    /** Push a payment prompt to the payer's phone for a checkout. One push in flight per checkout. */
    async startCollection(
      buyerId: string,
      checkoutId: string,
      opts: { msisdn?: string | undefined; simulate?: SimulatedOutcome | undefined } = {},
    ) {
      const id = ids.newId();
      const created = await db.transaction(async (tx) => {
        const c = await ctx.checkouts.find(tx, checkoutId);
        if (!c || c.buyerId !== buyerId) throw notFound('Checkout');
        if (c.status === 'paid') throw conflict('CHECKOUT_ALREADY_PAID', 'This checkout is already paid.');
        if (c.status !== 'pending_payment' || clock.now().getTime() >= c.expiresAt.getTime())
          throw conflict(
            'CHECKOUT_NOT_PAYABLE',
            'This checkout is closed; add the items to your cart again.',
          );
        if (c.currency !== provider.currency)
          throw conflict(
            'CURRENCY_NOT_SUPPORTED',
            `Payments here are in ${provider.currency}; this checkout is in ${c.currency}.`,
          );
        const [made] = await tx
          .select({ n: sql<number>`count(*)::int` })
          .from(paymentCollections)
          .where(eq(paymentCollections.checkoutId, checkoutId));
        if ((made?.n ?? 0) >= s.pushesPerCheckout)
          throw new AppError(
            'TOO_MANY_PUSHES',
            429,
            `This checkout already sent ${s.pushesPerCheckout} payment prompts; check out again to retry.`,
          );
        try {
          const [row] = await tx
            .insert(paymentCollections)
            .values({
              id,
              reference: referenceOf(id),
              checkoutId,
              buyerId,
              provider: provider.name,
              msisdn: opts.msisdn ?? c.payerPhone,
              amount: c.totalAmount,
              currency: c.currency,
              status: 'initiated',
              createdAt: clock.now(),
              updatedAt: clock.now(),
            })
            .returning();
          // Written with the row: the reconciler never depends on a callback arriving.
          await scheduleCheck(tx, 'collection', id, referenceOf(id), 0);
          return row!;
        } catch (err) {
          if (isUniqueViolation(err))
            throw conflict(
              'COLLECTION_IN_PROGRESS',
              'A payment request is already waiting on the phone; answer it or wait for it to end.',
            );
          throw err;
        }
      });
      const r = await moveMoney(() =>
        provider.initiateCollection({
          reference: created.reference,
          msisdn: created.msisdn,
          amount: created.amount,
          currency: created.currency,
          description: `KKOO order ${checkoutId.slice(0, 8)}`,
          callbackUrl: callbackUrl('collection'),
          simulate: opts.simulate,
        }),
      );
      if (!r) {
        log.warn({ collection: created.id }, 'push outcome unknown; will query');
        return created;
      }
      // A synchronous answer comes from our own request to the provider, not from an unsigned callback.
      return settleCollection(created.id, r, 'initiate');
    },

    settleCollection,
    checkCollection,
  };
}

export type Collections = ReturnType<typeof createCollections>;
