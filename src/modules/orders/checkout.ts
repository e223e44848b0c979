// Checkout in one transaction: the idempotency key, the cart and its stock, the one pricing
// engine, one order per seller with its snapshot, expiry, budgets last.
import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { rawQuery, writeBatch } from '../../db/batch.js';
import { AppError, conflict } from '../../shared/errors.js';
import { MINUTE } from '../../shared/time.js';
import { NoFreeBudgetSlice } from '../promotions/index.js';
import type { Checkout, Order, OrdersDeps } from './ports.js';
import { checkouts, idempotencyKeys, orderEvents, orderLines, orders } from './schema.js';
import { type DeliveryAddress, type DeliveryQuote, draftOrders, flatDelivery } from './snapshot.js';

/** Claim an Idempotency-Key for this buyer; no row back means the key is taken (or being used). */
const CLAIM_IDEMPOTENCY_KEY = {
  name: 'checkout-claim-key',
  text: `insert into idempotency_keys (user_id, key, request_hash, response_status, response_body, created_at)
         values ($1, $2, $3, 201, $4::jsonb, $5)
         on conflict do nothing
         returning true as claimed`,
};

/**
 * Checkout, in one transaction: claim the idempotency key, lock the cart and its SKUs (in id
 * order), re-price with the same engine as the preview and refuse if the buyer has not seen
 * this price, take the stock, burn the incentives, write one order per seller with its
 * snapshot, schedule expiry, empty the cart. Any failure rolls all of it back.
 */
export interface CheckoutRequest {
  buyerId: string;
  idempotencyKey: string;
  address: DeliveryAddress;
  payerPhone: string;
  previewToken: string;
  requestHash: string;
  /** each seller's delivery, quoted before the transaction; absent: the flat DELIVERY_FEE */
  delivery?: Map<string, DeliveryQuote> | undefined;
}

export function createCheckout(deps: OrdersDeps) {
  const { db, clock, ids, audit, jobs, stock, promotions, settings: s } = deps;

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
        acceptBy: null,
        readyBy: null,
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
            kind: 'orders.expire_checkout',
            payload: { checkoutId },
            runAt: expiresAt,
            dedupeKey: `checkout-expire:${checkoutId}`,
          },
          {
            kind: 'checkout.created',
            payload: {
              checkoutId,
              buyerId: q.buyerId,
              amount: total,
              payNumber: q.payerPhone,
              expiresAt: expiresAt.toISOString(),
            },
            dedupeKey: `checkout.created:${checkoutId}`,
          },
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

  return {
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

    requestHash: (body: unknown) => createHash('sha256').update(JSON.stringify(body)).digest('hex'),
  };
}
