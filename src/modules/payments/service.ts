import { and, asc, desc, eq, gte, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { isUniqueViolation } from '../../db/columns.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, conflict, notFound, unprocessable } from '../../shared/errors.js';
import type { IdGenerator } from '../../shared/ids.js';
import { constantTimeEqual } from '../../shared/secrets.js';
import { HOUR, MINUTE } from '../../shared/time.js';
import type { AuditService } from '../audit/index.js';
import type { JobService } from '../jobs/index.js';
import { account, type LedgerService } from '../ledger/index.js';
import {
  type CallbackVerdict,
  type CollectionStatus,
  callbackUrlFor,
  FINAL_COLLECTION,
  referenceOf,
} from './model.js';
import {
  type CallbackKind,
  type ParsedCallback,
  type PaymentProvider,
  ProviderError,
  type ProviderResult,
  type SimulatedOutcome,
} from './port.js';
import {
  paymentCallbacks,
  paymentCollections,
  paymentDisbursements,
  paymentProviderCalls,
} from './schema.js';

export type Collection = typeof paymentCollections.$inferSelect;
export type Disbursement = typeof paymentDisbursements.$inferSelect;

/** What payments needs from checkout, without importing the orders module (which calls us by events). */
export interface CheckoutPort {
  /** The checkout as the payer sees it, or null. */
  find(
    tx: Database,
    checkoutId: string,
  ): Promise<{
    id: string;
    buyerId: string;
    status: string;
    totalAmount: number;
    currency: string;
    payerPhone: string;
    expiresAt: Date;
  } | null>;
  /** Pay the checkout in the caller's transaction; says why not when it cannot take the money. */
  markPaid(
    tx: Database,
    checkoutId: string,
    reference: string,
    startedAt?: Date,
  ): Promise<{ result: 'paid' | 'same_payment' | 'already_paid' | 'not_payable' }>;
}

export type PayoutDestinationPort = (
  partyId: string,
  tx: Database,
) => Promise<{ phone: string; changedAt: Date | null }>;

/** Who is paid out: sellers (their sales) and riders (their share of delivery fees). */
export type PayoutParty = 'seller' | 'rider';

export interface PaymentSettings {
  /** secret in the webhook path */
  callbackToken: string;
  /** public base URL the provider reaches us at (…/api/v1/payments/callbacks/…) */
  callbackBaseUrl: string;
  /** optional second check; never the only one */
  allowedIps: string[] | null;
  /** decide from a status query, not from the (unsigned) callback, before funding escrow */
  verifyByQuery: boolean;
  /** first status query for a collection or send that has not answered */
  firstQueryAfterSeconds: number;
  /** a collection still undecided this long after it started is given up as unconfirmed */
  giveUpAfterMinutes: number;
  refundMaxAttempts: number;
  payoutMinimum: number;
  payoutHoldHoursAfterPhoneChange: number;
  pushesPerCheckout: number;
}

const PENDING_STATES: CollectionStatus[] = ['initiated', 'pending'];
const GIVEN_UP = 'UNCONFIRMED';
/** A collection we closed ourselves for lack of an answer; the provider never said it failed. */
const isGivenUp = (c: Collection) => c.status === 'timeout' && c.resultCode === GIVEN_UP;
/** Provider answers meaning "no such transaction" (Vodacom INS-23, the simulator's NOT_FOUND). */
const NOT_FOUND_CODES = new Set(['INS-23', 'NOT_FOUND']);
/** "No such transaction" this many times in a row, over the backoff, means the send never left. */
const NOT_FOUND_STREAK = 5;
const SWEEP_STEP = 1000;
const MAX_STORED_CALLBACK = 16 * 1024;

/**
 * What of a callback body is kept: nothing from a caller without the token (a stranger's bytes),
 * at most 16 kB otherwise, and never a lone UTF-16 surrogate (PostgreSQL's jsonb refuses one,
 * which would turn a junk callback into a 500).
 */
function storableBody(body: unknown, verdict: CallbackVerdict): unknown {
  if (body === undefined || verdict === 'bad_token' || verdict === 'ip_not_allowed') return null;
  let json: string;
  try {
    json = JSON.stringify(body);
  } catch {
    return { unstorable: true }; // nested too deep to serialise
  }
  json = json.replace(/\\u[dD][89a-fA-F][0-9a-fA-F]{2}/g, '\\ufffd');
  if (json.length > MAX_STORED_CALLBACK) return { truncated: true, bytes: json.length };
  return JSON.parse(json);
}
/** A push the provider never acknowledged is given up after this, so the buyer can push again. */
const UNASKABLE_AFTER_MINUTES = 5;

/** A result the provider did not give: our own verdict, with no provider ids or amounts. */
const verdict = (outcome: ProviderResult['outcome'], code: string, message: string): ProviderResult => ({
  outcome,
  providerRef: null,
  receipt: null,
  amount: null,
  msisdn: null,
  code,
  message,
});

/** A status query whose failure (network, refusal) counts as "still unknown", never as an answer. */
async function queryOrPending(q: () => Promise<ProviderResult>): Promise<ProviderResult> {
  try {
    return await q();
  } catch (err) {
    return verdict(
      'pending',
      err instanceof ProviderError ? err.code : 'QUERY_FAILED',
      (err as Error).message,
    );
  }
}

/**
 * A call that moves money (push, send). Refused before it reached the money (a non-retryable
 * ProviderError): a failure. Any other error may have reached the provider: null, "unknown", and
 * the scheduled status query decides — the call is never simply made again.
 */
async function moveMoney(call: () => Promise<ProviderResult>): Promise<ProviderResult | null> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ProviderError && !err.retryable) return verdict('failed', err.code, err.message);
    return null;
  }
}

/** Backoff between status queries: 1×, 2×, 4× … the first delay, capped at 30 minutes. */
const queryDelayMs = (firstSeconds: number, n: number) => Math.min(30 * MINUTE, firstSeconds * 1000 * 2 ** n);

export function createPaymentsService(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  jobs: JobService;
  ledger: LedgerService;
  provider: PaymentProvider;
  checkouts: CheckoutPort;
  payoutDestination: PayoutDestinationPort;
  /** where a rider's earnings go (a verified, active rider's own phone) */
  riderPayoutDestination?: PayoutDestinationPort;
  settings: PaymentSettings;
  log: {
    info(o: object, m: string): void;
    warn(o: object, m: string): void;
    error(o: object, m: string): void;
  };
}) {
  const { db, clock, ids, audit, jobs, ledger, provider, settings: s, log } = deps;
  const callbackUrl = (kind: CallbackKind) =>
    callbackUrlFor(s.callbackBaseUrl, provider.name, kind, s.callbackToken);

  /**
   * The next status query for a push or a send. Keyed by the attempt's reference, so a refund's
   * second attempt gets its own chain of checks. `notFound` counts consecutive "no such
   * transaction" answers.
   */
  async function scheduleCheck(
    tx: Database,
    what: 'collection' | 'disbursement',
    id: string,
    reference: string,
    n: number,
    notFound = 0,
  ) {
    await jobs.enqueue(tx, {
      kind: `payments.check_${what}`,
      payload: { id, n, notFound },
      runAt: new Date(clock.now().getTime() + queryDelayMs(s.firstQueryAfterSeconds, n)),
      dedupeKey: `payments.check:${reference}:${n}`,
    });
  }

  // ---- collections -------------------------------------------------------------------------

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
        const paid = await deps.checkouts.markPaid(tx, c.checkoutId, c.reference, c.createdAt);
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
        kind: 'notify.payment_status',
        payload: { checkoutId: c.checkoutId, buyerId: c.buyerId, status: r.outcome, usedFor },
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

  // ---- disbursements (refunds and payouts) -----------------------------------------------------

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
          kind: 'notify.disbursement_status',
          payload: { id: d.id, kind: d.kind, partyId: d.partyId, status: 'succeeded' },
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
        kind: 'notify.disbursement_status',
        payload: { id: d.id, kind: d.kind, partyId: d.partyId, status: 'failed' },
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

  // ---- callbacks -----------------------------------------------------------------------------

  async function logCallback(
    kind: string,
    body: unknown,
    ip: string | null,
    verdict: CallbackVerdict,
    detail: string | null,
    links: { collectionId?: string; disbursementId?: string } = {},
  ) {
    await db.insert(paymentCallbacks).values({
      id: ids.newId(),
      provider: provider.name,
      kind,
      remoteIp: ip,
      body: storableBody(body, verdict),
      verdict,
      detail,
      collectionId: links.collectionId ?? null,
      disbursementId: links.disbursementId ?? null,
      createdAt: clock.now(),
    });
    if (verdict !== 'accepted' && verdict !== 'duplicate')
      log.warn({ provider: provider.name, kind, ip, verdict, detail }, 'payment callback refused');
  }

  /** The movement a callback names, by our reference or the provider's id (one table or the other). */
  async function findByReference<T extends typeof paymentCollections | typeof paymentDisbursements>(
    table: T,
    p: ParsedCallback,
  ): Promise<T['$inferSelect'] | null> {
    const conds = [];
    if (p.reference) conds.push(eq(table.reference, p.reference));
    if (p.providerRef)
      conds.push(and(eq(table.provider, provider.name), eq(table.providerRef, p.providerRef)));
    if (!conds.length) return null;
    const [row] = await db
      .select()
      // The two tables share these columns; the cast only gives Drizzle one table type.
      .from(table as typeof paymentCollections)
      .where(or(...conds))
      .limit(1);
    return (row as T['$inferSelect'] | undefined) ?? null;
  }
  const findCollection = (p: ParsedCallback) => findByReference(paymentCollections, p);
  const findDisbursement = (p: ParsedCallback) => findByReference(paymentDisbursements, p);

  /**
   * A push whose reply we never got has no provider id, and Daraja's callback does not echo ours.
   * Such a callback is matched by provider, phone and amount to the one unacknowledged push of the
   * last two days that fits; the provider id is adopted, and the status query (with that id)
   * decides as usual. Two candidates: no match (a person sorts it out from the statement).
   */
  async function adoptUnacknowledgedPush(p: ParsedCallback) {
    if (!p.providerRef || !p.msisdn || p.amount === null) return null;
    const since = new Date(clock.now().getTime() - 48 * HOUR);
    const candidates = await db
      .select()
      .from(paymentCollections)
      .where(
        and(
          eq(paymentCollections.provider, provider.name),
          isNull(paymentCollections.providerRef),
          eq(paymentCollections.msisdn, p.msisdn),
          eq(paymentCollections.amount, p.amount),
          gte(paymentCollections.createdAt, since),
          or(
            inArray(paymentCollections.status, PENDING_STATES),
            and(eq(paymentCollections.status, 'timeout'), eq(paymentCollections.resultCode, GIVEN_UP)),
          ),
        ),
      )
      .limit(2);
    if (candidates.length !== 1) return null;
    const [adopted] = await db
      .update(paymentCollections)
      .set({ providerRef: p.providerRef, updatedAt: clock.now() })
      .where(and(eq(paymentCollections.id, candidates[0]!.id), isNull(paymentCollections.providerRef)))
      .returning();
    return adopted ?? null;
  }

  return {
    provider,
    callbackUrl,

    /** Push a payment prompt to the payer's phone for a checkout. One push in flight per checkout. */
    async startCollection(
      buyerId: string,
      checkoutId: string,
      opts: { msisdn?: string | undefined; simulate?: SimulatedOutcome | undefined } = {},
    ) {
      const id = ids.newId();
      const created = await db.transaction(async (tx) => {
        const c = await deps.checkouts.find(tx, checkoutId);
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

    /**
     * Pay a seller's available balance to their payout number: only active, KYC-verified sellers,
     * above the minimum, not soon after the payout number changed, one payout in flight at a time.
     */
    async requestPayout(
      sellerId: string,
      by: { userId: string | null; reason: string },
      party: PayoutParty = 'seller',
    ) {
      return db.transaction(async (tx) => {
        // One payout decision per party at a time: two requests racing see each other's payout.
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`payout:${sellerId}`}))`);
        const destinationOf = party === 'seller' ? deps.payoutDestination : deps.riderPayoutDestination;
        if (!destinationOf) throw notFound('Rider');
        const dest = await destinationOf(sellerId, tx);
        const payable = party === 'seller' ? account.sellerPayable(sellerId) : account.riderPayable(sellerId);
        if (
          dest.changedAt &&
          clock.now().getTime() < dest.changedAt.getTime() + s.payoutHoldHoursAfterPhoneChange * HOUR
        ) {
          throw conflict(
            'PAYOUT_ON_HOLD',
            `The payout number changed recently; payouts resume ${s.payoutHoldHoursAfterPhoneChange} h after the change.`,
          );
        }
        const [inFlight] = await tx
          .select({ id: paymentDisbursements.id })
          .from(paymentDisbursements)
          .where(
            and(
              eq(paymentDisbursements.kind, 'payout'),
              eq(paymentDisbursements.partyId, sellerId),
              inArray(paymentDisbursements.status, ['queued', 'sending']),
            ),
          );
        if (inFlight) throw conflict('PAYOUT_IN_FLIGHT', 'A payout to this seller is already on its way.');
        const bal = await ledger.balance(payable, tx);
        const available = bal.posted + bal.pending;
        if (available < s.payoutMinimum)
          throw unprocessable(
            'BELOW_PAYOUT_MINIMUM',
            'amount',
            `Available ${available} is below the payout minimum of ${s.payoutMinimum}.`,
          );
        const id = ids.newId();
        let row: Disbursement;
        try {
          [row] = (await tx
            .insert(paymentDisbursements)
            .values({
              id,
              purposeKey: `payout:${id}`,
              kind: 'payout',
              partyId: sellerId,
              provider: provider.name,
              msisdn: dest.phone,
              amount: available,
              currency: provider.currency,
              reason: by.reason.slice(0, 200),
              status: 'queued',
              reference: referenceOf(id),
              nextAttemptAt: clock.now(),
              requestedBy: by.userId,
              createdAt: clock.now(),
              updatedAt: clock.now(),
            })
            .returning()) as [Disbursement];
        } catch (err) {
          if (isUniqueViolation(err))
            throw conflict('PAYOUT_IN_FLIGHT', 'A payout to this seller is already on its way.');
          throw err;
        }
        await ledger.reservePayout(tx, {
          disbursementId: id,
          account: payable,
          amount: available,
          currency: provider.currency,
        });
        await audit.record(tx, {
          actorUserId: by.userId,
          action: 'payout.requested',
          targetType: 'user',
          targetId: sellerId,
          reason: by.reason,
          data: { disbursement_id: id, amount: available, party },
        });
        await enqueueSend(tx, row);
        return row;
      });
    },

    /** The scheduled payout run: every seller above the minimum who can be paid is paid; the rest are skipped, with the reason logged. */
    async runPayouts() {
      let started = 0;
      for (const party of ['seller', 'rider'] as const) {
        for (const partyId of await ledger.payablesWithAvailable(party, s.payoutMinimum)) {
          try {
            await this.requestPayout(partyId, { userId: null, reason: 'scheduled payout' }, party);
            started++;
          } catch (err) {
            log.info({ partyId, party, reason: (err as Error).message }, 'scheduled payout skipped');
          }
        }
      }
      return started;
    },

    /**
     * A provider posted to our webhook. Layered checks, cheapest first: the path token (constant
     * time), the optional IP allow-list, the body's shape, correlation to a request we made, the
     * amount and phone, one use per receipt. Anything that fails changes nothing and is logged.
     * What passes is decided by a status query (when configured) in a job, not by the callback.
     */
    async receiveCallback(q: {
      provider: string;
      kind: CallbackKind;
      token: string;
      body: unknown;
      ip: string | null;
    }): Promise<{ status: number; body: unknown; verdict: CallbackVerdict }> {
      const ack = (verdict: CallbackVerdict, parsed: ParsedCallback | null) => ({
        ...provider.callbackReply(q.kind, parsed),
        verdict,
      });
      if (q.provider !== provider.name || !constantTimeEqual(q.token, s.callbackToken)) {
        await logCallback(q.kind, q.body, q.ip, 'bad_token', `provider ${q.provider}`);
        throw notFound('Callback');
      }
      if (s.allowedIps && (!q.ip || !s.allowedIps.includes(q.ip))) {
        await logCallback(q.kind, q.body, q.ip, 'ip_not_allowed', null);
        throw new AppError('CALLBACK_FORBIDDEN', 403, 'This address may not post payment callbacks.');
      }
      const parsed = provider.parseCallback(q.kind, q.body);
      if (!parsed) {
        await logCallback(q.kind, q.body, q.ip, 'malformed', null);
        throw new AppError('CALLBACK_MALFORMED', 400, 'This is not a callback we understand.');
      }
      if (q.kind === 'collection') {
        const c = (await findCollection(parsed)) ?? (await adoptUnacknowledgedPush(parsed));
        if (!c) {
          await logCallback(
            q.kind,
            q.body,
            q.ip,
            'unknown_reference',
            parsed.reference ?? parsed.providerRef,
          );
          return ack('unknown_reference', parsed);
        }
        const links = { collectionId: c.id };
        if (FINAL_COLLECTION.includes(c.status) && !(isGivenUp(c) && parsed.outcome === 'succeeded')) {
          await logCallback(q.kind, q.body, q.ip, 'duplicate', c.status, links);
          return ack('duplicate', parsed);
        }
        if (parsed.amount !== null && parsed.amount !== c.amount) {
          await logCallback(
            q.kind,
            q.body,
            q.ip,
            'amount_mismatch',
            `expected ${c.amount}, got ${parsed.amount}`,
            links,
          );
          return ack('amount_mismatch', parsed);
        }
        if (parsed.msisdn !== null && parsed.msisdn !== c.msisdn) {
          await logCallback(q.kind, q.body, q.ip, 'phone_mismatch', null, links);
          return ack('phone_mismatch', parsed);
        }
        if (parsed.receipt) {
          const [used] = await db
            .select({ id: paymentCollections.id })
            .from(paymentCollections)
            .where(
              and(
                eq(paymentCollections.provider, provider.name),
                eq(paymentCollections.receipt, parsed.receipt),
              ),
            );
          if (used && used.id !== c.id) {
            await logCallback(q.kind, q.body, q.ip, 'receipt_reused', parsed.receipt, links);
            return ack('receipt_reused', parsed);
          }
        }
        await logCallback(q.kind, q.body, q.ip, 'accepted', parsed.outcome, links);
        if (s.verifyByQuery) {
          await jobs.enqueue(db, {
            kind: 'payments.verify_collection',
            payload: { id: c.id, receipt: parsed.receipt, providerRef: parsed.providerRef },
          });
        } else {
          await settleCollection(c.id, parsed, 'callback');
        }
        return ack('accepted', parsed);
      }
      const d = await findDisbursement(parsed);
      if (!d) {
        await logCallback(q.kind, q.body, q.ip, 'unknown_reference', parsed.reference ?? parsed.providerRef);
        return ack('unknown_reference', parsed);
      }
      const links = { disbursementId: d.id };
      if (d.status !== 'sending') {
        await logCallback(q.kind, q.body, q.ip, 'duplicate', d.status, links);
        return ack('duplicate', parsed);
      }
      if (parsed.amount !== null && parsed.amount !== d.amount) {
        await logCallback(
          q.kind,
          q.body,
          q.ip,
          'amount_mismatch',
          `expected ${d.amount}, got ${parsed.amount}`,
          links,
        );
        return ack('amount_mismatch', parsed);
      }
      await logCallback(q.kind, q.body, q.ip, 'accepted', parsed.outcome, links);
      await jobs.enqueue(db, {
        kind: 'payments.verify_disbursement',
        payload: { id: d.id, callback: { ...parsed } },
      });
      return ack('accepted', parsed);
    },

    /** The job behind an accepted collection callback: ask the provider, then settle. */
    async verifyCollection(id: string, hint: { receipt: string | null }) {
      const [c] = await db.select().from(paymentCollections).where(eq(paymentCollections.id, id));
      if (!c || (FINAL_COLLECTION.includes(c.status) && !isGivenUp(c))) return;
      const r = await provider.queryCollection({ reference: c.reference, providerRef: c.providerRef });
      // Daraja's query has no receipt; the callback's is used once the query confirms success.
      await settleCollection(c.id, { ...r, receipt: r.receipt ?? hint.receipt }, 'callback+query');
    },

    /**
     * The job behind an accepted disbursement callback. A provider whose status answer is itself
     * asynchronous (Daraja) leaves the query pending; then the callback, which passed the path
     * token, correlation and amount checks, is taken as the answer.
     */
    async verifyDisbursement(id: string, callback: ProviderResult) {
      const [d] = await db.select().from(paymentDisbursements).where(eq(paymentDisbursements.id, id));
      if (d?.status !== 'sending') return;
      const q = await queryOrPending(() =>
        provider.querySend({
          reference: d.reference,
          providerRef: d.providerRef ?? callback.providerRef,
          receipt: callback.receipt,
        }),
      );
      if (q.outcome !== 'pending') {
        await settleDisbursement(d.id, { ...q, receipt: q.receipt ?? callback.receipt }, 'callback+query');
        return;
      }
      // The provider's status answer is itself asynchronous (Daraja) or inconclusive: take the
      // callback, which passed the path token, correlation and amount checks, but mark it as such.
      await settleDisbursement(d.id, callback, 'callback');
    },

    /**
     * A payout whose failure only a callback reported keeps its reserve. An admin who checked the
     * provider's statement settles it: not sent (the reserve returns to available) or sent.
     */
    async resolvePayout(
      id: string,
      adminId: string,
      input: { sent: boolean; reason: string; receipt?: string | undefined },
    ) {
      return db.transaction(async (tx) => {
        const [d] = await tx
          .select()
          .from(paymentDisbursements)
          .where(eq(paymentDisbursements.id, id))
          .for('update');
        if (d?.kind !== 'payout') throw notFound('Payout');
        const reserved = await ledger.payoutReserved(d.id, tx);
        if (d.status !== 'failed' || !reserved)
          throw conflict('INVALID_TRANSITION', `This payout is ${d.status} and holds no reserve to settle.`);
        await ledger.settlePayout(tx, d.id, input.sent ? 'post' : 'void');
        const [u] = await tx
          .update(paymentDisbursements)
          .set({
            status: input.sent ? 'succeeded' : 'failed',
            receipt: input.receipt ?? d.receipt,
            decidedAt: clock.now(),
            updatedAt: clock.now(),
          })
          .where(eq(paymentDisbursements.id, id))
          .returning();
        await audit.record(tx, {
          actorUserId: adminId,
          action: input.sent ? 'payout.confirmed_sent' : 'payout.released',
          targetType: 'user',
          targetId: d.partyId,
          reason: input.reason,
          data: { disbursement_id: d.id, receipt: input.receipt ?? null },
        });
        return u!;
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

    /** A push for this checkout still awaits its answer (checkout expiry waits for it). */
    async pushInFlight(tx: Database, checkoutId: string) {
      const [c] = await tx
        .select({ id: paymentCollections.id })
        .from(paymentCollections)
        .where(
          and(
            eq(paymentCollections.checkoutId, checkoutId),
            inArray(paymentCollections.status, PENDING_STATES),
          ),
        )
        .limit(1);
      return Boolean(c);
    },

    async collectionsOfCheckout(checkoutId: string) {
      return db
        .select()
        .from(paymentCollections)
        .where(eq(paymentCollections.checkoutId, checkoutId))
        .orderBy(asc(paymentCollections.createdAt), asc(paymentCollections.id));
    },

    async collection(id: string) {
      const [c] = await db.select().from(paymentCollections).where(eq(paymentCollections.id, id));
      return c ?? null;
    },

    async disbursement(id: string) {
      const [d] = await db.select().from(paymentDisbursements).where(eq(paymentDisbursements.id, id));
      return d ?? null;
    },

    async disbursementsOf(q: {
      partyId?: string | undefined;
      kind?: Disbursement['kind'] | undefined;
      status?: Disbursement['status'] | undefined;
      orderId?: string | undefined;
    }) {
      return db
        .select()
        .from(paymentDisbursements)
        .where(
          and(
            q.partyId ? eq(paymentDisbursements.partyId, q.partyId) : undefined,
            q.kind ? eq(paymentDisbursements.kind, q.kind) : undefined,
            q.status ? eq(paymentDisbursements.status, q.status) : undefined,
            q.orderId ? eq(paymentDisbursements.orderId, q.orderId) : undefined,
          ),
        )
        .orderBy(desc(paymentDisbursements.createdAt), desc(paymentDisbursements.id))
        .limit(200);
    },

    async collectionsList(q: { status?: CollectionStatus | undefined }) {
      return db
        .select()
        .from(paymentCollections)
        .where(q.status ? eq(paymentCollections.status, q.status) : undefined)
        .orderBy(desc(paymentCollections.createdAt), desc(paymentCollections.id))
        .limit(200);
    },

    async callbacksList(q: { verdict?: CallbackVerdict | undefined }) {
      return db
        .select()
        .from(paymentCallbacks)
        .where(q.verdict ? eq(paymentCallbacks.verdict, q.verdict) : undefined)
        .orderBy(desc(paymentCallbacks.createdAt), desc(paymentCallbacks.id))
        .limit(200);
    },

    async providerCalls(reference: string) {
      return db
        .select()
        .from(paymentProviderCalls)
        .where(eq(paymentProviderCalls.reference, reference))
        .orderBy(asc(paymentProviderCalls.createdAt))
        .limit(200);
    },

    /**
     * The safety net behind the per-row checks (a chain broken by a crash, a given-up push whose
     * money may still turn up, a send stuck unknown): query each again. Runs on a schedule.
     */
    async sweep() {
      const now = clock.now().getTime();
      const recentGiveUps = await db
        .select({ id: paymentCollections.id })
        .from(paymentCollections)
        .where(
          and(
            eq(paymentCollections.status, 'timeout'),
            eq(paymentCollections.resultCode, GIVEN_UP),
            gte(paymentCollections.createdAt, new Date(now - 7 * 24 * HOUR)),
          ),
        )
        .limit(500);
      const open = await db
        .select({ id: paymentCollections.id })
        .from(paymentCollections)
        .where(
          and(
            inArray(paymentCollections.status, PENDING_STATES),
            lte(paymentCollections.updatedAt, new Date(now - 30 * MINUTE)),
          ),
        )
        .limit(500);
      const sending = await db
        .select({ id: paymentDisbursements.id })
        .from(paymentDisbursements)
        .where(
          and(
            eq(paymentDisbursements.status, 'sending'),
            lte(paymentDisbursements.updatedAt, new Date(now - 30 * MINUTE)),
          ),
        )
        .limit(500);
      // A high step number: a fresh chain at the longest backoff, deduplicated per attempt.
      for (const c of [...recentGiveUps, ...open]) await checkCollection(c.id, SWEEP_STEP);
      for (const d of sending) await checkDisbursement(d.id, SWEEP_STEP, 0);
      return { collections: recentGiveUps.length + open.length, sends: sending.length };
    },
  };
}

export type PaymentsService = ReturnType<typeof createPaymentsService>;
