import { createHash } from 'node:crypto';
import { and, asc, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import { rawQuery, writeBatch } from '../../db/batch.js';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, conflict, forbidden, notFound, unprocessable } from '../../shared/errors.js';
import type { IdGenerator } from '../../shared/ids.js';
import { type Cursor, pageOf } from '../../shared/pagination.js';
import { constantTimeEqual, randomDigits } from '../../shared/secrets.js';
import { HOUR, MINUTE } from '../../shared/time.js';
import type { AuditService } from '../audit/index.js';
import type { CartService } from '../cart/index.js';
import type { StockService } from '../catalog/index.js';
import type { JobService } from '../jobs/index.js';
import { account, type EscrowOrder, type LedgerService } from '../ledger/index.js';
import type { MediaService } from '../media/index.js';
import { NoFreeBudgetSlice, type PromotionsService } from '../promotions/index.js';
import { decide, type OrderEvent } from './machine.js';
import type { ActorRole, OrderStatus } from './model.js';
import {
  checkouts,
  disputeEvidence,
  disputes,
  idempotencyKeys,
  orderEvents,
  orderLines,
  orders,
} from './schema.js';
import { type DeliveryAddress, type DeliveryQuote, draftOrders, flatDelivery } from './snapshot.js';

export type Order = typeof orders.$inferSelect;

/** How long an expiring checkout waits for a payment prompt that is still on the payer's phone. */
const EXPIRY_GRACE_MS = 15 * 60_000;
export type Checkout = typeof checkouts.$inferSelect;

/** Claim an Idempotency-Key for this buyer; no row back means the key is taken (or being used). */
const CLAIM_IDEMPOTENCY_KEY = {
  name: 'checkout-claim-key',
  text: `insert into idempotency_keys (user_id, key, request_hash, response_status, response_body, created_at)
         values ($1, $2, $3, 201, $4::jsonb, $5)
         on conflict do nothing
         returning true as claimed`,
};
export type Dispute = typeof disputes.$inferSelect;

export interface Actor {
  userId: string | null;
  role: ActorRole;
}

export interface OrderSettings {
  /** a paid order not accepted this long after payment is cancelled, refunded, and counts against the seller */
  sellerAcceptMinutes: number;
  /** an accepted order not ready for pickup this long after acceptance: the same */
  sellerReadyMinutes: number;
  /** points the buyer gets when a delivery is late, on top of the delivery fee back */
  lateDeliveryPoints: number;
  /** after a failed attempt, how long a re-attempt may take before the buyer is refunded */
  redeliveryWindowHours: number;
  /** riders are offered ready orders (logistics); otherwise the seller delivers */
  ridersDeliver: boolean;
  checkoutTtlMinutes: number;
  disputeWindowHours: number;
  deliveryFee: number;
  deliveryCodeDigits: number;
  deliveryCodeMaxAttempts: number;
}

export type DeliveryProof =
  | { code: string; location: { lat: number; lng: number } }
  | { photo_media_id: string; location: { lat: number; lng: number }; note: string };

/** Orders whose escrow is held (money in, not yet settled). */
const HELD: readonly OrderStatus[] = [
  'paid',
  'accepted',
  'ready_for_pickup',
  'out_for_delivery',
  'delivered',
  'delivery_failed',
  'disputed',
];

const escrowOf = (o: Order): EscrowOrder => ({
  id: o.id,
  checkoutId: o.checkoutId,
  buyerId: o.buyerId,
  sellerId: o.sellerId,
  currency: o.currency,
  baseAmount: o.originalAmount,
  finalAmount: o.finalAmount,
  deliveryFee: o.deliveryFee,
  riderId: o.riderId,
});

export function createOrdersService(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  jobs: JobService;
  ledger: LedgerService;
  cart: CartService;
  stock: StockService;
  promotions: PromotionsService;
  media: MediaService;
  settings: OrderSettings;
  /** true while a rider holds the order (logistics says), read in the caller's transaction */
  riderAssigned?: (tx: Database, orderId: string) => Promise<boolean>;
  /** `minutes` of service time from `start` (zones' service hours); absent: plain elapsed time */
  openDeadline?: (start: Date, minutes: number) => Promise<Date>;
  /** true while a payment prompt for the checkout awaits its answer (the payments module says) */
  paymentInFlight?: (tx: Database, checkoutId: string) => Promise<boolean>;
}) {
  const { db, clock, ids, audit, jobs, ledger, stock, promotions, media, settings: s } = deps;

  async function lockOrder(tx: Database, orderId: string) {
    const [o] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
    if (!o) throw notFound('Order');
    return o;
  }

  const handoverInvalid = () =>
    new AppError('HANDOVER_CODE_INVALID', 422, 'The handover code is not correct.', {
      field: 'handover_code',
    });
  const deliveryCodeInvalid = () =>
    new AppError('DELIVERY_CODE_INVALID', 422, 'The delivery code is not correct.', { field: 'code' });

  // The limited-tries code checks run before the transition's transaction, on `db`: the try is
  // spent in a statement of its own, committed at once, so a wrong guess counts although the
  // transition then fails (a try spent inside the transaction would be rolled back with it).
  // Callers that run the transition in their own transaction (logistics, for a rider's pickup or
  // delivery) call these first, outside it.

  /**
   * Spend one try of an order's limited-tries code (the seller's handover code or the buyer's
   * delivery code) in a statement of its own; the code as it stands, or null when no try is left.
   */
  async function spendCodeTry(orderId: string, which: 'handover' | 'delivery') {
    const attempts = which === 'handover' ? orders.handoverCodeAttempts : orders.deliveryCodeAttempts;
    const [tried] = await db
      .update(orders)
      .set({ [which === 'handover' ? 'handoverCodeAttempts' : 'deliveryCodeAttempts']: sql`${attempts} + 1` })
      .where(and(eq(orders.id, orderId), lt(attempts, s.deliveryCodeMaxAttempts)))
      .returning({ code: which === 'handover' ? orders.handoverCode : orders.deliveryCode });
    return tried ?? null;
  }

  /** See `checkHandoverCode` in the service below. */
  async function checkHandoverCode(orderId: string, handoverCode: string): Promise<void> {
    const tried = await spendCodeTry(orderId, 'handover');
    if (!tried)
      throw new AppError(
        'HANDOVER_CODE_LOCKED',
        429,
        'Too many wrong handover codes for this order; an admin must hand it over.',
        { field: 'handover_code' },
      );
    if (!tried.code || !constantTimeEqual(handoverCode, tried.code)) throw handoverInvalid();
  }

  /** See `checkDeliveryCode` in the service below. */
  async function checkDeliveryCode(orderId: string, actor: Actor, code: string): Promise<void> {
    const [current] = await db.select().from(orders).where(eq(orders.id, orderId));
    if (!current) throw notFound('Order');
    checkOwner(current, actor);
    const d = decide(current.status, 'deliver', actor.role);
    if (!d.ok)
      throw d.code === 'FORBIDDEN_ACTOR'
        ? forbidden('FORBIDDEN_ACTOR', d.detail)
        : conflict('INVALID_TRANSITION', d.detail);
    // Refused before a try is spent: a seller must not use up the buyer's tries on a rider's job.
    refuseSellerOnRiderJob(current, 'deliver', actor);
    // Spend a try first, in its own statement, so wrong guesses count even though the delivery fails.
    const o = await spendCodeTry(orderId, 'delivery');
    if (!o)
      throw new AppError(
        'DELIVERY_CODE_LOCKED',
        429,
        'Too many wrong codes; deliver with a photo, a GPS point and a note.',
        { field: 'code' },
      );
    if (!o.code || !constantTimeEqual(code, o.code)) throw deliveryCodeInvalid();
  }

  /** Buyers and sellers act only on their own orders; a stranger's order id is a 404. */
  function checkOwner(o: Order, actor: Actor) {
    if (actor.role === 'buyer' && o.buyerId !== actor.userId) throw notFound('Order');
    if (actor.role === 'seller' && o.sellerId !== actor.userId) throw notFound('Order');
  }

  async function linesOf(tx: Database, orderId: string) {
    return tx.select().from(orderLines).where(eq(orderLines.orderId, orderId));
  }

  /**
   * The one way an order changes status: ask the pure machine, run the transition's effects on
   * stock, incentives and escrow, record the event, enqueue the outbox message — all in `tx`,
   * under the order's row lock, so of two concurrent transitions exactly one wins.
   */
  /** Once a rider has collected an order, the delivery is theirs: the seller no longer drives it. */
  function refuseSellerOnRiderJob(o: Order, event: OrderEvent, actor: Actor) {
    if (
      actor.role === 'seller' &&
      o.riderId !== null &&
      (event === 'deliver' ||
        event === 'fail_delivery' ||
        event === 'retry_delivery' ||
        event === 'record_return')
    )
      throw conflict(
        'RIDER_DELIVERS',
        event === 'record_return'
          ? 'A rider carries this parcel; they record its return with your handover code (or an admin does).'
          : 'A rider carries this order; the rider (or an admin) records its delivery.',
      );
    // The rider who failed still holds the parcel: only they can go out with it again.
    if (actor.role === 'admin' && o.riderId !== null && event === 'retry_delivery')
      throw conflict('RIDER_DELIVERS', 'A rider holds this parcel; only that rider can re-attempt it.');
    // A rider acts only on the parcel they collected (logistics checks it too, before calling).
    if (actor.role === 'rider' && event !== 'pick_up' && o.riderId !== actor.userId) throw notFound('Order');
  }

  /** A re-attempt must start before the window of the latest failed attempt closes. */
  async function refuseAfterRedeliveryWindow(tx: Database, o: Order, now: Date) {
    const [latest] = await tx
      .select({ at: orderEvents.createdAt })
      .from(orderEvents)
      .where(and(eq(orderEvents.orderId, o.id), eq(orderEvents.event, 'fail_delivery')))
      .orderBy(desc(orderEvents.createdAt))
      .limit(1);
    if (latest && now.getTime() >= latest.at.getTime() + s.redeliveryWindowHours * HOUR)
      throw conflict(
        'REDELIVERY_WINDOW_CLOSED',
        `The ${s.redeliveryWindowHours} h to re-attempt this delivery have passed; the parcel goes back to the seller and the buyer is refunded.`,
      );
  }

  async function apply(
    tx: Database,
    o: Order,
    event: OrderEvent,
    actor: Actor,
    extra: {
      note?: string | null;
      evidence?: Record<string, unknown> | null;
      location?: { lat: number; lng: number } | null;
      refundAmount?: number;
      /**
       * Several orders cancelled in one transaction: their incentives are not given back one by
       * one here but collected, for one `reverseBurns` when all are applied (`cancelUnpaid`).
       */
      deferIncentives?: string[];
    } = {},
  ): Promise<Order> {
    const d = decide(o.status, event, actor.role);
    if (!d.ok)
      throw d.code === 'FORBIDDEN_ACTOR'
        ? forbidden('FORBIDDEN_ACTOR', d.detail)
        : conflict('INVALID_TRANSITION', d.detail);
    refuseSellerOnRiderJob(o, event, actor);
    if (actor.role === 'seller' && event === 'pick_up' && (await deps.riderAssigned?.(tx, o.id)))
      throw conflict(
        'RIDER_DELIVERS',
        'A rider is coming for this order; hand it over with the handover code.',
      );
    const now = clock.now();
    if (event === 'retry_delivery') await refuseAfterRedeliveryWindow(tx, o, now);
    const set: Partial<Order> = { status: d.to, updatedAt: now };
    for (const effect of d.transition.effects) {
      switch (effect) {
        case 'hold_escrow':
          await ledger.holdEscrow(tx, escrowOf(o));
          set.paidAt = now;
          break;
        case 'issue_delivery_code':
          set.deliveryCode = randomDigits(s.deliveryCodeDigits);
          break;
        case 'release_escrow':
          await ledger.releaseEscrow(tx, escrowOf(o));
          set.completedAt = now;
          break;
        case 'refund_escrow':
          {
            const owed = await ledger.refundEscrow(tx, escrowOf(o));
            if (owed > 0) await requestRefund(tx, o, owed, event);
          }
          break;
        case 'split_escrow':
          await ledger.splitEscrow(tx, escrowOf(o), extra.refundAmount ?? 0);
          await requestRefund(tx, o, extra.refundAmount ?? 0, event);
          break;
        case 'restock': {
          const items = (await linesOf(tx, o.id)).map((l) => ({ skuId: l.skuId, quantity: l.quantity }));
          // Lock in id order first, like checkout does, so a restock and a checkout never deadlock.
          await stock.lock(
            tx,
            items.map((i) => i.skuId),
          );
          await stock.restock(tx, items);
          break;
        }
        case 'return_incentives':
          if (extra.deferIncentives) extra.deferIncentives.push(o.id);
          else await promotions.reverseBurns(tx, { checkoutId: o.checkoutId, orderIds: [o.id] });
          break;
        case 'earn_loyalty':
          await promotions.earn(tx, { buyerId: o.buyerId, orderId: o.id, finalAmount: o.finalAmount });
          break;
        case 'schedule_completion': {
          const ends = new Date(now.getTime() + s.disputeWindowHours * HOUR);
          set.deliveredAt = now;
          set.disputeWindowEndsAt = ends;
          await jobs.enqueue(tx, {
            kind: 'order.auto_complete',
            payload: { orderId: o.id },
            runAt: ends,
            dedupeKey: `auto-complete:${o.id}`,
          });
          break;
        }
        case 'request_rider':
          set.handoverCode = randomDigits(s.deliveryCodeDigits);
          if (s.ridersDeliver)
            await jobs.enqueue(tx, {
              kind: 'logistics.assign',
              payload: { order_id: o.id },
              dedupeKey: `logistics.assign:${o.id}`,
            });
          break;
        case 'issue_return_code':
          set.handoverCode = randomDigits(s.deliveryCodeDigits);
          set.handoverCodeAttempts = 0;
          break;
        case 'update_rider_job':
          if (o.riderId)
            await jobs.enqueue(tx, {
              kind: 'logistics.order_moved',
              payload: { order_id: o.id, rider_id: o.riderId, status: d.to },
              dedupeKey: `logistics.order_moved:${o.id}:${d.to}`,
            });
          break;
        case 'schedule_redelivery_deadline':
          await jobs.enqueue(tx, {
            kind: 'order.redelivery_deadline',
            payload: { orderId: o.id, failedAt: now.toISOString() },
            runAt: new Date(now.getTime() + s.redeliveryWindowHours * HOUR),
            dedupeKey: `redelivery-deadline:${o.id}:${now.getTime()}`,
          });
          break;
        case 'schedule_seller_deadline': {
          const ready = o.status === 'paid' && event === 'accept';
          const minutes = ready ? s.sellerReadyMinutes : s.sellerAcceptMinutes;
          await jobs.enqueue(tx, {
            kind: 'order.seller_deadline',
            payload: {
              orderId: o.id,
              expect: ready ? 'ready_for_pickup' : 'accepted',
              startedAt: now.toISOString(),
              minutes,
            },
            runAt: new Date(now.getTime() + minutes * MINUTE),
            dedupeKey: `seller-deadline:${o.id}:${ready ? 'ready' : 'accept'}`,
          });
          break;
        }
        case 'compensate_if_late':
          if (o.promisedBy && now.getTime() > o.promisedBy.getTime()) {
            // The platform keeps its promise with its own money: the delivery fee back, at once,
            // and goodwill points. The seller is judged later; the buyer is not kept waiting.
            await ledger.compensateLateDelivery(tx, {
              orderId: o.id,
              checkoutId: o.checkoutId,
              buyerId: o.buyerId,
              amount: o.deliveryFee,
              currency: o.currency,
            });
            if (o.deliveryFee > 0)
              await requestRefund(tx, o, o.deliveryFee, 'late_delivery', `refund:late:${o.id}`);
            await promotions.compensate(tx, {
              buyerId: o.buyerId,
              orderId: o.id,
              points: s.lateDeliveryPoints,
              reason: 'late delivery',
            });
            set.deliveredLate = true;
            await audit.record(tx, {
              actorUserId: null,
              action: 'order.late_compensated',
              targetType: 'order',
              targetId: o.id,
              data: {
                promised_by: o.promisedBy.toISOString(),
                fee_back: o.deliveryFee,
                points: s.lateDeliveryPoints,
              },
            });
          } else if (o.promisedBy) {
            set.deliveredLate = false;
          }
          break;
        case 'seller_strike':
          await audit.record(tx, {
            actorUserId: actor.userId,
            action: 'seller.strike',
            targetType: 'user',
            targetId: o.sellerId,
            reason: extra.note ?? null,
            data: { order_id: o.id },
          });
          break;
      }
    }
    const [updated] = await tx.update(orders).set(set).where(eq(orders.id, o.id)).returning();
    await tx.insert(orderEvents).values({
      id: ids.newId(),
      orderId: o.id,
      event,
      fromStatus: o.status,
      toStatus: d.to,
      actorUserId: actor.userId,
      actorRole: actor.role,
      note: extra.note ?? null,
      evidence: extra.evidence ?? null,
      latitude: extra.location?.lat ?? null,
      longitude: extra.location?.lng ?? null,
      createdAt: now,
    });
    await audit.record(tx, {
      actorUserId: actor.userId,
      action: `order.${d.to}`,
      targetType: 'order',
      targetId: o.id,
      reason: extra.note ?? null,
      data: { event, from: o.status },
    });
    await jobs.enqueue(tx, {
      kind: 'notify.order_status',
      payload: { orderId: o.id, status: d.to, buyerId: o.buyerId, sellerId: o.sellerId },
    });
    return updated!;
  }

  /**
   * Pay a checkout inside the caller's transaction (the payments module's, which has just recorded
   * the money): every order goes to paid with its escrow held, exactly once. Never throws for a
   * checkout that cannot take the money; says why, so the caller refunds it in the same transaction.
   */
  async function markPaid(
    tx: Database,
    checkoutId: string,
    reference: string,
    /** when the payer was asked: a push started before expiry may be answered a little after it */
    startedAt?: Date,
  ): Promise<{ result: 'paid' | 'same_payment' | 'already_paid' | 'not_payable'; checkout: Checkout }> {
    const [c] = await tx.select().from(checkouts).where(eq(checkouts.id, checkoutId)).for('update');
    if (!c) throw notFound('Checkout');
    if (c.status === 'paid')
      return { result: c.paymentReference === reference ? 'same_payment' : 'already_paid', checkout: c };
    const inTime =
      clock.now().getTime() < c.expiresAt.getTime() ||
      (startedAt !== undefined && startedAt.getTime() < c.expiresAt.getTime());
    if (c.status !== 'pending_payment' || !inTime) return { result: 'not_payable', checkout: c };
    const list = await tx
      .select()
      .from(orders)
      .where(eq(orders.checkoutId, checkoutId))
      .orderBy(asc(orders.id))
      .for('update');
    for (const o of list) await apply(tx, o, 'confirm_payment', { userId: null, role: 'system' });
    const [paid] = await tx
      .update(checkouts)
      .set({ status: 'paid', paidAt: clock.now(), paymentReference: reference })
      .where(eq(checkouts.id, checkoutId))
      .returning();
    await audit.record(tx, {
      actorUserId: null,
      action: 'checkout.paid',
      targetType: 'checkout',
      targetId: checkoutId,
      data: { reference },
    });
    return { result: 'paid', checkout: paid! };
  }

  /** Money owed back to the buyer is sent by the payments module, after this transaction commits. */
  async function requestRefund(
    tx: Database,
    o: Order,
    amount: number,
    reason: string,
    purposeKey = `refund:order:${o.id}`,
  ) {
    const [c] = await tx
      .select({ payerPhone: checkouts.payerPhone })
      .from(checkouts)
      .where(eq(checkouts.id, o.checkoutId));
    await jobs.enqueue(tx, {
      kind: 'payments.refund',
      payload: {
        purposeKey,
        orderId: o.id,
        checkoutId: o.checkoutId,
        buyerId: o.buyerId,
        amount,
        currency: o.currency,
        payerPhone: c?.payerPhone ?? null,
        reason,
      },
      dedupeKey: `payments.${purposeKey}`,
    });
  }

  /**
   * Checkout, in one transaction: claim the idempotency key, lock the cart and its SKUs (in id
   * order), re-price with the same engine as the preview and refuse if the buyer has not seen
   * this price, take the stock, burn the incentives, write one order per seller with its
   * snapshot, schedule expiry, empty the cart. Any failure rolls all of it back.
   */
  interface CheckoutRequest {
    buyerId: string;
    idempotencyKey: string;
    address: DeliveryAddress;
    payerPhone: string;
    previewToken: string;
    requestHash: string;
    /** each seller's delivery, quoted before the transaction; absent: the flat DELIVERY_FEE */
    delivery?: Map<string, DeliveryQuote> | undefined;
  }

  function checkoutOnce(q: CheckoutRequest, opts: { waitForBudget: boolean }) {
    return db.transaction(async (tx) => {
      // The key is claimed with its answer already in it: the transaction is all or nothing, so
      // no one ever reads a claim without its answer, and a failed checkout frees the key.
      const checkoutId = ids.newId();
      const body = { checkout_id: checkoutId };
      const [claimed] = await rawQuery<{ claimed: boolean }>(tx, CLAIM_IDEMPOTENCY_KEY, [
        q.buyerId,
        q.idempotencyKey,
        q.requestHash,
        JSON.stringify(body),
        clock.now(),
      ]);
      if (!claimed) {
        const [prior] = await tx
          .select()
          .from(idempotencyKeys)
          .where(and(eq(idempotencyKeys.userId, q.buyerId), eq(idempotencyKeys.key, q.idempotencyKey)));
        if (prior?.requestHash !== q.requestHash) {
          throw new AppError(
            'IDEMPOTENCY_KEY_REUSED',
            409,
            'This Idempotency-Key was used for a different request.',
            { field: 'Idempotency-Key' },
          );
        }
        return {
          replayed: true,
          status: prior.responseStatus ?? 201,
          body: prior.responseBody as Record<string, unknown>,
        };
      }

      // The cart (locked, with its lines), then its SKUs (locked in id order as they are read),
      // then the one pricing engine: three statements for everything the preview showed.
      const locked = await deps.cart.lockForCheckout(tx, q.buyerId);
      if (!locked.rows.length)
        throw conflict('CART_EMPTY', 'Your cart is empty (an order may already have been placed from it).');
      const view = await deps.cart.viewLocked(tx, q.buyerId, locked);
      if (!view.ready) {
        throw new AppError(
          'CART_NOT_READY',
          409,
          'Some items cannot be bought as they are; see the preview.',
          { extensions: { preview_token: view.previewToken } },
        );
      }
      if (view.previewToken !== q.previewToken) {
        throw new AppError(
          'PREVIEW_CHANGED',
          409,
          'Prices, stock or incentives changed since your preview; review the cart and try again.',
          {
            field: 'preview_token',
            extensions: { preview_token: view.previewToken, totals: view.priced.totals },
          },
        );
      }

      const now = clock.now();
      const titles = new Map(
        view.lines.map((l) => [l.skuId, { title: l.sku!.title, attributes: l.sku!.attributes }]),
      );
      const drafts = draftOrders(view.priced, {
        currency: view.currency,
        titles,
        code: view.code,
        address: q.address,
        delivery: (sellerId) => {
          if (!q.delivery) return flatDelivery(s.deliveryFee);
          const quoted = q.delivery.get(sellerId);
          // The cart changed sellers between the quote and this transaction: show the buyer again.
          if (!quoted)
            throw new AppError('PREVIEW_CHANGED', 409, 'Your cart changed; review it and try again.', {
              field: 'preview_token',
            });
          return quoted;
        },
      });
      const total = drafts.reduce((a, d) => a + d.snapshot.total, 0);
      const expiresAt = new Date(now.getTime() + s.checkoutTtlMinutes * MINUTE);
      const checkoutRow: Checkout = {
        id: checkoutId,
        buyerId: q.buyerId,
        status: 'pending_payment',
        payerPhone: q.payerPhone,
        currency: view.currency,
        totalAmount: total,
        expiresAt,
        paidAt: null,
        paymentReference: null,
        createdAt: now,
      };
      const orderRows: Order[] = drafts.map((d) => ({
        id: ids.newId(),
        checkoutId,
        buyerId: q.buyerId,
        sellerId: d.sellerId,
        status: 'pending_payment',
        currency: view.currency,
        originalAmount: d.snapshot.original,
        discountAmount: d.snapshot.discount_total,
        finalAmount: d.snapshot.final,
        deliveryFee: d.snapshot.delivery_fee,
        snapshot: d.snapshot,
        deliveryCode: null,
        deliveryCodeAttempts: 0,
        handoverCode: null,
        handoverCodeAttempts: 0,
        riderId: null,
        createdAt: now,
        updatedAt: now,
        paidAt: null,
        deliveredAt: null,
        disputeWindowEndsAt: null,
        completedAt: null,
        promisedBy: d.snapshot.delivery?.promised_by ? new Date(d.snapshot.delivery.promised_by) : null,
        deliveredLate: null,
      }));
      const burn = {
        buyerId: q.buyerId,
        checkoutId,
        priced: view.priced,
        orderIdBySeller: new Map(orderRows.map((o) => [o.sellerId, o.id])),
      };
      // Every write of the checkout in one statement (one round trip): the stock taken (its SKUs
      // are locked since the preview's read), the checkout, its orders with their snapshots,
      // lines, timeline, expiry and notice jobs, audit, burn rows, and the emptied cart.
      await writeBatch(tx, [
        stock.takeDraft(view.lines.map((l) => ({ skuId: l.skuId, quantity: l.quantity }))),
        { insert: checkouts, rows: [checkoutRow] },
        { insert: orders, rows: orderRows },
        {
          insert: orderLines,
          rows: orderRows.flatMap((o) =>
            o.snapshot.lines.map((l) => ({
              orderId: o.id,
              skuId: l.sku_id,
              quantity: l.quantity,
              unitPrice: l.unit_price,
              finalAmount: l.final,
            })),
          ),
        },
        {
          insert: orderEvents,
          rows: orderRows.map((o) => ({
            id: ids.newId(),
            orderId: o.id,
            event: 'checkout',
            fromStatus: null,
            toStatus: 'pending_payment',
            actorUserId: q.buyerId,
            actorRole: 'buyer',
            createdAt: now,
          })),
        },
        jobs.draft(
          {
            kind: 'checkout.expire',
            payload: { checkoutId },
            runAt: expiresAt,
            dedupeKey: `checkout-expire:${checkoutId}`,
          },
          { kind: 'notify.checkout_created', payload: { checkoutId, buyerId: q.buyerId } },
        ),
        audit.draft({
          actorUserId: q.buyerId,
          action: 'checkout.created',
          targetType: 'checkout',
          targetId: checkoutId,
          data: { orders: orderRows.map((o) => o.id), total },
        }),
        promotions.burnDraft(burn),
        ...deps.cart.clearDraft(q.buyerId),
      ]);

      // Last: budgets are the hottest locks (every checkout that uses a code waits for its row; a
      // promotion's slices are shared out), so they are spent when nothing else is left to do.
      await promotions.spend(tx, burn, { wait: opts.waitForBudget });
      return {
        replayed: false,
        status: 201,
        body,
        fresh: { checkout: checkoutRow, orders: orderRows },
      };
    });
  }

  /**
   * Cancel several unpaid orders of one checkout in `tx` (expiry, or a buyer cancelling one of
   * them): every order's SKUs are locked first, in id order, then each order moves, then their
   * incentives come back in one call. A checkout holds its SKUs while it spends budgets, and
   * budgets are given back in the order checkout spends them; order by order, a give-back could
   * hold a budget's row while the next order waited for SKUs, or give back a code before a
   * promotion (architecture note 22).
   */
  async function cancelUnpaid(
    tx: Database,
    list: Order[],
    event: 'expire' | 'cancel_unpaid',
    actor: Actor,
    extra: { note?: string | null } = {},
  ): Promise<Order[]> {
    if (!list.length) return [];
    const lines = await tx
      .select({ skuId: orderLines.skuId })
      .from(orderLines)
      .where(
        inArray(
          orderLines.orderId,
          list.map((o) => o.id),
        ),
      );
    await stock.lock(
      tx,
      lines.map((l) => l.skuId),
    );
    const giveBack: string[] = [];
    const moved: Order[] = [];
    for (const o of list)
      moved.push(await apply(tx, o, event, actor, { ...extra, deferIncentives: giveBack }));
    if (giveBack.length)
      await promotions.reverseBurns(tx, { checkoutId: list[0]!.checkoutId, orderIds: giveBack });
    return moved;
  }

  async function detail(tx: Database, orderId: string) {
    const [o] = await tx.select().from(orders).where(eq(orders.id, orderId));
    if (!o) throw notFound('Order');
    const timeline = await tx
      .select()
      .from(orderEvents)
      .where(eq(orderEvents.orderId, orderId))
      .orderBy(asc(orderEvents.createdAt), asc(orderEvents.id));
    const [dispute] = await tx.select().from(disputes).where(eq(disputes.orderId, orderId));
    return { order: o, timeline, dispute: dispute ?? null };
  }

  return {
    settings: s,

    /** Checkout in one transaction (`checkoutOnce`), run a second time only as below. */
    async checkout(q: CheckoutRequest) {
      try {
        return await checkoutOnce(q, { waitForBudget: false });
      } catch (err) {
        // No free slice of a promotion's budget: run the whole checkout again in a fresh
        // transaction that waits for the slices in order (architecture note 22). Nothing of the
        // first try was committed.
        if (err instanceof NoFreeBudgetSlice) return checkoutOnce(q, { waitForBudget: true });
        throw err;
      }
    },

    /** The checkout row alone, read in the caller's transaction (the payments module's view). */
    async findCheckout(tx: Database, checkoutId: string) {
      const [c] = await tx.select().from(checkouts).where(eq(checkouts.id, checkoutId));
      return c ?? null;
    },

    async getCheckout(checkoutId: string) {
      const [c] = await db.select().from(checkouts).where(eq(checkouts.id, checkoutId));
      if (!c) throw notFound('Checkout');
      const list = await db
        .select()
        .from(orders)
        .where(eq(orders.checkoutId, checkoutId))
        .orderBy(asc(orders.sellerId));
      return { checkout: c, orders: list };
    },

    /**
     * The buyer's payment for a checkout is confirmed (the payments module calls this; tests too):
     * every order goes to paid with its escrow held, exactly once however often it is called.
     */
    markPaid,

    /**
     * A payment confirmed outside the payments module (tests, the benchmark): records the money
     * as collected and pays the checkout, or refuses with the reason the money must go back.
     */
    async confirmPayment(checkoutId: string, reference: string) {
      return db.transaction(async (tx) => {
        const r = await markPaid(tx, checkoutId, reference);
        if (r.result === 'already_paid')
          throw conflict(
            'CHECKOUT_ALREADY_PAID',
            'This checkout was already paid by another payment; this one must be refunded.',
          );
        if (r.result === 'not_payable')
          throw conflict(
            'CHECKOUT_NOT_PAYABLE',
            `This checkout is ${r.checkout.status === 'pending_payment' ? 'expired' : r.checkout.status}; the payment must be refunded.`,
          );
        if (r.result === 'paid')
          await ledger.recordCollection(tx, {
            key: `direct:${checkoutId}`,
            collectionId: null,
            checkoutId,
            amount: r.checkout.totalAmount,
            currency: r.checkout.currency,
          });
        return r.checkout;
      });
    },

    /** Expiry job: an unpaid checkout past its time cancels, giving back stock, budgets and points, exactly once. */
    async expireCheckout(checkoutId: string) {
      return db.transaction(async (tx) => {
        const [c] = await tx.select().from(checkouts).where(eq(checkouts.id, checkoutId)).for('update');
        if (c?.status !== 'pending_payment' || clock.now().getTime() < c.expiresAt.getTime()) return false;
        // A payment prompt still on the payer's phone: wait for its answer (a while) rather than
        // cancel now and refund the money a minute later.
        const waitUntil = c.expiresAt.getTime() + EXPIRY_GRACE_MS;
        if (clock.now().getTime() < waitUntil && (await (deps.paymentInFlight?.(tx, checkoutId) ?? false))) {
          await jobs.enqueue(tx, {
            kind: 'checkout.expire',
            payload: { checkoutId },
            runAt: new Date(Math.min(clock.now().getTime() + MINUTE, waitUntil)),
            dedupeKey: `checkout-expire:${checkoutId}:${clock.now().getTime()}`,
          });
          return false;
        }
        const list = await tx
          .select()
          .from(orders)
          .where(eq(orders.checkoutId, checkoutId))
          .orderBy(asc(orders.id))
          .for('update');
        await cancelUnpaid(
          tx,
          list.filter((o) => o.status === 'pending_payment'),
          'expire',
          { userId: null, role: 'system' },
        );
        await tx.update(checkouts).set({ status: 'expired' }).where(eq(checkouts.id, checkoutId));
        return true;
      });
    },

    /**
     * Spends one of the order's limited tries at the seller's handover code, then checks it
     * (constant time): 429 HANDOVER_CODE_LOCKED once the tries are used up, 422
     * HANDOVER_CODE_INVALID. The try is its own statement, committed at once, so a wrong guess
     * counts even though the pickup then fails: never call it inside a transaction (the pickup's
     * own transaction comes after it; `riderPickUp` with `tx` expects it to have run).
     */
    checkHandoverCode,

    /**
     * A rider takes the parcel: the seller's handover code (constant time) proves it is the right
     * parcel for the right rider. The logistics module has already checked the rider holds the order.
     * Without `tx`: a try is spent (`checkHandoverCode`), then the pickup runs in its own
     * transaction. With `tx` (logistics moves the rider's job in the same one): the caller has
     * spent the try with `checkHandoverCode` before opening `tx`; the code is compared again here,
     * under the order's lock, and nothing in here touches `db`.
     */
    async riderPickUp(orderId: string, riderUserId: string, handoverCode: string, tx?: Database) {
      const run = async (tx: Database) => {
        const o = await lockOrder(tx, orderId);
        if (!o.handoverCode || !constantTimeEqual(handoverCode, o.handoverCode)) throw handoverInvalid();
        const picked = await apply(tx, o, 'pick_up', { userId: riderUserId, role: 'rider' });
        const [withRider] = await tx
          .update(orders)
          .set({ riderId: riderUserId })
          .where(eq(orders.id, orderId))
          .returning();
        return withRider ?? picked;
      };
      if (tx) return run(tx);
      await checkHandoverCode(orderId, handoverCode);
      return db.transaction(run);
    },

    /**
     * The rider's failed attempt (out_for_delivery → delivery_failed). Its evidence goes on the
     * order's timeline, where the buyer and admins see it: the reason as the note, the photo (an
     * upload of the rider's, purpose delivery_proof) and the GPS point. With `tx`, runs in the
     * caller's transaction (logistics gives the rider's capacity back in the same one).
     */
    async riderFailDelivery(
      orderId: string,
      riderUserId: string,
      reason: string,
      evidence: { photoMediaId: string; location: { lat: number; lng: number } },
      tx?: Database,
    ) {
      const run = async (tx: Database) => {
        const o = await lockOrder(tx, orderId);
        if (o.riderId !== riderUserId) throw notFound('Order');
        await media.requireOwned(
          tx,
          riderUserId,
          [evidence.photoMediaId],
          'delivery_proof',
          'photo_media_id',
        );
        return apply(
          tx,
          o,
          'fail_delivery',
          { userId: riderUserId, role: 'rider' },
          {
            note: reason,
            evidence: { method: 'photo', photo_media_id: evidence.photoMediaId },
            location: evidence.location,
          },
        );
      };
      return tx ? run(tx) : db.transaction(run);
    },

    /**
     * The rider who failed goes out again with the parcel (delivery_failed → out_for_delivery), in
     * the caller's transaction (logistics takes the rider's capacity in the same one). Refused once
     * the re-attempt window has closed (409 REDELIVERY_WINDOW_CLOSED).
     */
    async riderRetryDelivery(tx: Database, orderId: string, riderUserId: string) {
      const o = await lockOrder(tx, orderId);
      return apply(tx, o, 'retry_delivery', { userId: riderUserId, role: 'rider' });
    },

    /**
     * The rider gives up after a failed attempt: the buyer is refunded in full at once and the
     * parcel goes back to the seller (delivery_failed → returning); the stock waits for the parcel.
     */
    async riderReturnToSeller(orderId: string, riderUserId: string, reason: string) {
      return db.transaction(async (tx) => {
        const o = await lockOrder(tx, orderId);
        return apply(tx, o, 'refund_undeliverable', { userId: riderUserId, role: 'rider' }, { note: reason });
      });
    },

    /**
     * The parcel is back at the seller (returning → returned, restocked): the seller's return
     * handover code proves it, compared in constant time; wrong tries count and lock like at pickup.
     */
    async riderRecordReturn(
      orderId: string,
      riderUserId: string,
      handoverCode: string,
      location: { lat: number; lng: number } | null = null,
    ) {
      const [current] = await db.select().from(orders).where(eq(orders.id, orderId));
      if (!current || current.riderId !== riderUserId) throw notFound('Order');
      // A return already recorded (or not begun) is refused before a try is spent.
      const d = decide(current.status, 'record_return', 'rider');
      if (!d.ok) throw conflict('INVALID_TRANSITION', d.detail);
      // Spend a try first, in its own statement, so wrong guesses count even though the return fails.
      if (!(await spendCodeTry(orderId, 'handover')))
        throw new AppError(
          'HANDOVER_CODE_LOCKED',
          429,
          'Too many wrong handover codes for this order; an admin must record the return.',
          { field: 'handover_code' },
        );
      return db.transaction(async (tx) => {
        const o = await lockOrder(tx, orderId);
        if (!o.handoverCode || !constantTimeEqual(handoverCode, o.handoverCode)) throw handoverInvalid();
        return apply(
          tx,
          o,
          'record_return',
          { userId: riderUserId, role: 'rider' },
          { evidence: { method: 'handover_code' }, location },
        );
      });
    },

    /**
     * Re-delivery deadline job: an order still undelivered after its failed attempt's window is
     * refunded in full by the platform (the goods go back to the seller), without waiting for anyone.
     */
    async redeliveryDeadline(orderId: string, failedAt: Date) {
      return db.transaction(async (tx) => {
        const o = await lockOrder(tx, orderId);
        if (o.status !== 'delivery_failed') return false;
        // Only the window of the latest failed attempt counts: an earlier one's job does nothing.
        const [latest] = await tx
          .select({ at: orderEvents.createdAt })
          .from(orderEvents)
          .where(and(eq(orderEvents.orderId, orderId), eq(orderEvents.event, 'fail_delivery')))
          .orderBy(desc(orderEvents.createdAt))
          .limit(1);
        if (latest && latest.at.getTime() > failedAt.getTime()) return false;
        await apply(
          tx,
          o,
          'refund_undeliverable',
          { userId: null, role: 'system' },
          {
            note: 'not delivered within the re-attempt window',
          },
        );
        return true;
      });
    },

    /** Seller deadline job: a paid order still not accepted, or an accepted one still not ready, is cancelled and refunded. */
    async sellerDeadline(
      orderId: string,
      expect: 'accepted' | 'ready_for_pickup',
      clockStart?: { startedAt: Date; minutes: number },
    ) {
      // The seller's clock runs in service hours only: a deadline that falls at night moves on.
      if (clockStart && deps.openDeadline) {
        const due = await deps.openDeadline(clockStart.startedAt, clockStart.minutes);
        if (clock.now().getTime() < due.getTime()) {
          await jobs.enqueue(db, {
            kind: 'order.seller_deadline',
            payload: {
              orderId,
              expect,
              startedAt: clockStart.startedAt.toISOString(),
              minutes: clockStart.minutes,
            },
            runAt: due,
            dedupeKey: `seller-deadline:${orderId}:${expect}:${due.getTime()}`,
          });
          return false;
        }
      }
      return db.transaction(async (tx) => {
        const o = await lockOrder(tx, orderId);
        const late = expect === 'accepted' ? o.status === 'paid' : o.status === 'accepted';
        if (!late) return false;
        await apply(
          tx,
          o,
          'seller_no_show',
          { userId: null, role: 'system' },
          {
            note: expect === 'accepted' ? 'not accepted in time' : 'not ready for pickup in time',
          },
        );
        return true;
      });
    },

    /** Completion job: a delivered order whose dispute window passed without a dispute completes. */
    async autoComplete(orderId: string) {
      return db.transaction(async (tx) => {
        const o = await lockOrder(tx, orderId);
        if (
          o.status !== 'delivered' ||
          !o.disputeWindowEndsAt ||
          clock.now().getTime() < o.disputeWindowEndsAt.getTime()
        )
          return false;
        await apply(tx, o, 'auto_complete', { userId: null, role: 'system' });
        return true;
      });
    },

    /** Any simple transition (accept, reject, mark_ready, pick_up, cancel, confirm_receipt, …) by a person. */
    async act(orderId: string, event: OrderEvent, actor: Actor, note?: string) {
      return db.transaction(async (tx) => {
        // Lock order: checkout first, then its orders, as payment confirmation and expiry do.
        const [peek] = await tx
          .select({ checkoutId: orders.checkoutId, status: orders.status })
          .from(orders)
          .where(eq(orders.id, orderId));
        if (!peek) throw notFound('Order');
        const [checkout] = await tx
          .select()
          .from(checkouts)
          .where(eq(checkouts.id, peek.checkoutId))
          .for('update');
        const o = await lockOrder(tx, orderId);
        checkOwner(o, actor);
        if (
          (event === 'reject' ||
            event === 'fail_delivery' ||
            event === 'refund_undeliverable' ||
            (event === 'record_return' && actor.role === 'admin')) &&
          !note
        ) {
          throw unprocessable('REASON_REQUIRED', 'reason', 'Say why.');
        }
        // A rider's return is proven by the seller's handover code (riderRecordReturn), never bare.
        if (event === 'record_return' && actor.role === 'rider')
          throw forbidden('FORBIDDEN_ACTOR', "A rider records a return with the seller's handover code.");
        if (event === 'cancel' && o.status === 'pending_payment') {
          // Nothing is paid yet, and one payment covers every order of the checkout: cancelling
          // one unpaid order cancels the checkout, so the buyer is never asked to pay for less
          // than the amount due, nor for an order that no longer exists.
          const siblings = await tx
            .select()
            .from(orders)
            .where(eq(orders.checkoutId, o.checkoutId))
            .orderBy(asc(orders.id))
            .for('update');
          const moved = await cancelUnpaid(
            tx,
            siblings.filter((sib) => sib.status === 'pending_payment'),
            'cancel_unpaid',
            actor,
            { note: note ?? null },
          );
          const mine = moved.find((m) => m.id === o.id) ?? o;
          if (checkout?.status === 'pending_payment')
            await tx.update(checkouts).set({ status: 'cancelled' }).where(eq(checkouts.id, o.checkoutId));
          return mine;
        }
        return apply(tx, o, event, actor, { note: note ?? null });
      });
    },

    /**
     * Spends one of the order's limited tries at the buyer's delivery code, then checks it
     * (constant time): refused before a try is spent when `actor` may not deliver this order now;
     * 429 DELIVERY_CODE_LOCKED once the tries are used up, 422 DELIVERY_CODE_INVALID. Committed at
     * once, on its own, so a wrong guess counts even though the delivery then fails: never call it
     * inside a transaction (`deliver` with `tx` expects it to have run before `tx` was opened).
     */
    checkDeliveryCode,

    /**
     * Delivered needs proof: the buyer's code (constant-time, limited tries) or a photo, a GPS
     * point and a note. Records who, when and where. Without `tx`: a code proof spends a try first
     * (`checkDeliveryCode`), then the delivery runs in its own transaction. With `tx` (logistics
     * finishes the rider's job in the same one): the caller has spent the try with
     * `checkDeliveryCode` before opening `tx`; the code is compared again here, under the order's
     * lock, and nothing in here touches `db`.
     */
    async deliver(orderId: string, actor: Actor, proof: DeliveryProof, tx?: Database) {
      const run = async (tx: Database) => {
        const o = await lockOrder(tx, orderId);
        checkOwner(o, actor);
        if ('code' in proof) {
          if (!o.deliveryCode || !constantTimeEqual(proof.code, o.deliveryCode)) throw deliveryCodeInvalid();
          return apply(tx, o, 'deliver', actor, { evidence: { method: 'code' }, location: proof.location });
        }
        await media.requireOwned(
          tx,
          actor.userId ?? '',
          [proof.photo_media_id],
          'delivery_proof',
          'photo_media_id',
        );
        return apply(tx, o, 'deliver', actor, {
          note: proof.note,
          evidence: { method: 'photo', photo_media_id: proof.photo_media_id },
          location: proof.location,
        });
      };
      if (tx) return run(tx);
      if ('code' in proof) await checkDeliveryCode(orderId, actor, proof.code);
      return db.transaction(run);
    },

    async openDispute(
      orderId: string,
      buyerId: string,
      input: { reason: Dispute['reason']; description: string; evidence_media_ids: string[] },
    ) {
      return db.transaction(async (tx) => {
        const o = await lockOrder(tx, orderId);
        checkOwner(o, { userId: buyerId, role: 'buyer' });
        if (
          o.status === 'delivered' &&
          o.disputeWindowEndsAt &&
          clock.now().getTime() >= o.disputeWindowEndsAt.getTime()
        ) {
          throw conflict('DISPUTE_WINDOW_CLOSED', 'The time to open a dispute on this order has passed.');
        }
        await media.requireOwned(
          tx,
          buyerId,
          input.evidence_media_ids,
          'dispute_evidence',
          'evidence_media_ids',
        );
        await apply(
          tx,
          o,
          'open_dispute',
          { userId: buyerId, role: 'buyer' },
          { note: input.description, evidence: { reason: input.reason, media: input.evidence_media_ids } },
        );
        const [d] = await tx
          .insert(disputes)
          .values({
            id: ids.newId(),
            orderId,
            buyerId,
            reason: input.reason,
            description: input.description,
            status: 'open',
            openedAt: clock.now(),
          })
          .returning();
        // USSD opens a dispute with its written statement (the description) and no upload; the
        // app's route still requires at least one photo.
        if (input.evidence_media_ids.length > 0)
          await tx.insert(disputeEvidence).values(
            input.evidence_media_ids.map((m) => ({
              disputeId: d!.id,
              mediaId: m,
              addedBy: buyerId,
              createdAt: clock.now(),
            })),
          );
        return d!;
      });
    },

    async addDisputeEvidence(
      disputeId: string,
      actor: Actor,
      input: { media_ids: string[]; note?: string | undefined },
    ) {
      return db.transaction(async (tx) => {
        const [d] = await tx.select().from(disputes).where(eq(disputes.id, disputeId)).for('update');
        if (!d) throw notFound('Dispute');
        const [o] = await tx.select().from(orders).where(eq(orders.id, d.orderId));
        checkOwner(o!, actor);
        if (actor.role === 'rider' || actor.role === 'system')
          throw forbidden('FORBIDDEN_ACTOR', 'Only the buyer, the seller or an admin add evidence.');
        if (d.status !== 'open') throw conflict('DISPUTE_CLOSED', 'This dispute is already resolved.');
        await media.requireOwned(tx, actor.userId ?? '', input.media_ids, 'dispute_evidence', 'media_ids');
        await tx
          .insert(disputeEvidence)
          .values(
            input.media_ids.map((m) => ({
              disputeId,
              mediaId: m,
              addedBy: actor.userId!,
              note: input.note ?? null,
              createdAt: clock.now(),
            })),
          )
          .onConflictDoNothing();
        return d;
      });
    },

    async resolveDispute(
      disputeId: string,
      adminId: string,
      input: { resolution: NonNullable<Dispute['resolution']>; amount?: number | undefined; note: string },
    ) {
      return db.transaction(async (tx) => {
        const [d] = await tx.select().from(disputes).where(eq(disputes.id, disputeId)).for('update');
        if (!d) throw notFound('Dispute');
        if (d.status !== 'open') throw conflict('DISPUTE_CLOSED', 'This dispute is already resolved.');
        const o = await lockOrder(tx, d.orderId);
        const event: OrderEvent =
          input.resolution === 'full_refund'
            ? 'resolve_full_refund'
            : input.resolution === 'partial_refund'
              ? 'resolve_partial_refund'
              : 'resolve_release';
        if (input.resolution === 'partial_refund' && input.amount === undefined)
          throw unprocessable('AMOUNT_REQUIRED', 'amount', 'A partial refund needs an amount.');
        await apply(
          tx,
          o,
          event,
          { userId: adminId, role: 'admin' },
          { note: input.note, refundAmount: input.amount },
        );
        const refund =
          input.resolution === 'full_refund'
            ? o.finalAmount + o.deliveryFee
            : input.resolution === 'partial_refund'
              ? input.amount!
              : 0;
        const [updated] = await tx
          .update(disputes)
          .set({
            status: 'resolved',
            resolution: input.resolution,
            refundAmount: refund,
            resolutionNote: input.note,
            resolvedBy: adminId,
            resolvedAt: clock.now(),
          })
          .where(eq(disputes.id, disputeId))
          .returning();
        return updated!;
      });
    },

    async disputeOf(disputeId: string) {
      const [d] = await db.select().from(disputes).where(eq(disputes.id, disputeId));
      if (!d) throw notFound('Dispute');
      const evidence = await db
        .select()
        .from(disputeEvidence)
        .where(eq(disputeEvidence.disputeId, disputeId))
        .orderBy(asc(disputeEvidence.createdAt));
      return { dispute: d, evidence };
    },

    async listDisputes(status: 'open' | 'resolved') {
      return db
        .select()
        .from(disputes)
        .where(eq(disputes.status, status))
        .orderBy(asc(disputes.openedAt))
        .limit(200);
    },

    /** An order as the viewer may see it: buyers and sellers their own, admins any. */
    async view(orderId: string, viewer: Actor) {
      const d = await detail(db, orderId);
      checkOwner(d.order, viewer);
      return d;
    },

    async list(
      viewer: { userId: string; as: 'buyer' | 'seller' },
      q: { limit: number; cursor?: Cursor | undefined; status?: OrderStatus | undefined },
    ) {
      const owner =
        viewer.as === 'buyer' ? eq(orders.buyerId, viewer.userId) : eq(orders.sellerId, viewer.userId);
      const rows = await db
        .select()
        .from(orders)
        .where(
          and(
            owner,
            q.status ? eq(orders.status, q.status) : undefined,
            q.cursor
              ? or(
                  lt(orders.createdAt, q.cursor.at),
                  and(eq(orders.createdAt, q.cursor.at), lt(orders.id, q.cursor.id)),
                )
              : undefined,
          ),
        )
        .orderBy(desc(orders.createdAt), desc(orders.id))
        .limit(q.limit + 1);
      return pageOf(rows, q.limit, (r) => ({ at: r.createdAt, id: r.id }));
    },

    /**
     * On-time rate of promised deliveries, grouped by seller, destination zone or Dar es Salaam day
     * (the analytics dashboard reads this). Only orders delivered with a promise count.
     */
    async onTimeRate(q: { by: 'seller' | 'rider' | 'zone' | 'day'; from: Date; to: Date }) {
      const key =
        q.by === 'seller'
          ? sql<string>`${orders.sellerId}::text`
          : q.by === 'rider'
            ? sql<string>`coalesce(${orders.riderId}::text, 'no rider')`
            : q.by === 'zone'
              ? sql<string>`coalesce(${orders.snapshot}->'delivery'->>'to_zone', 'unknown')`
              : sql<string>`to_char(${orders.deliveredAt} at time zone 'Africa/Dar_es_Salaam', 'YYYY-MM-DD')`;
      const rows = await db
        .select({
          key,
          delivered: sql<number>`count(*)::int`,
          late: sql<number>`count(*) filter (where ${orders.deliveredLate})::int`,
        })
        .from(orders)
        .where(
          and(
            sql`${orders.deliveredLate} is not null`,
            sql`${orders.deliveredAt} >= ${q.from.toISOString()}::timestamptz`,
            sql`${orders.deliveredAt} < ${q.to.toISOString()}::timestamptz`,
          ),
        )
        .groupBy(key)
        .orderBy(key);
      return rows.map((r) => ({
        key: r.key,
        delivered: r.delivered,
        late: r.late,
        onTimeRate: r.delivered ? (r.delivered - r.late) / r.delivered : null,
      }));
    },

    /** A seller's money: held in escrow for open orders, available to pay out, paid out. */
    async sellerBalance(sellerId: string) {
      const [held] = await db
        .select({ amount: sql<number>`coalesce(sum(${orders.originalAmount}), 0)::bigint` })
        .from(orders)
        .where(and(eq(orders.sellerId, sellerId), inArray(orders.status, [...HELD])));
      const payable = await ledger.payableSummary(account.sellerPayable(sellerId), 'ESCROW_RELEASE');
      return {
        held: Number(held?.amount ?? 0),
        available: payable.available,
        inPayout: payable.inPayout,
        paidOut: payable.paidOut,
      };
    },

    /**
     * The whole-ledger reconciliation: the ledger's own invariants, plus: every settled order's
     * escrow is zero, and every open order's escrow holds exactly its base total plus delivery fee.
     */
    async reconcile(): Promise<string[]> {
      const problems = [...(await ledger.checkInvariants()), ...(await promotions.checkCounters())];
      const all = await db.select().from(orders);
      for (const o of all) {
        const b = await ledger.balance(account.escrow(o.id));
        const held = b.posted + b.pending;
        if (HELD.includes(o.status)) {
          if (held !== o.originalAmount + o.deliveryFee)
            problems.push(
              `order ${o.id} (${o.status}) holds ${held}, expected ${o.originalAmount + o.deliveryFee}`,
            );
        } else if (held !== 0) {
          problems.push(`order ${o.id} (${o.status}) still holds ${held} in escrow`);
        }
      }
      return problems;
    },

    requestHash: (body: unknown) => createHash('sha256').update(JSON.stringify(body)).digest('hex'),
  };
}

export type OrdersService = ReturnType<typeof createOrdersService>;
