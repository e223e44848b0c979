import { and, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import type { IdGenerator } from '../../shared/ids.js';
import { MONEY_UNIT } from '../../shared/money.js';
import { checkInvariants } from './invariants.js';
import { account, type TransferKind } from './model.js';
import { createLedgerQueries } from './queries.js';
import { ledgerTransfers } from './schema.js';

export type Transfer = typeof ledgerTransfers.$inferSelect;

/** What the ledger needs to know about an order to hold, release, refund or split its escrow. */
export interface EscrowOrder {
  id: string;
  checkoutId: string;
  buyerId: string;
  sellerId: string;
  currency: string;
  /** full base price of the goods: what the seller is credited */
  baseAmount: number;
  /** what the buyer paid for the goods, after every discount */
  finalAmount: number;
  deliveryFee: number;
  /** the rider who carried it, if a rider did: earns their share of the delivery fee */
  riderId?: string | null;
}

interface TransferInput {
  key: string;
  kind: TransferKind;
  debit: string;
  credit: string;
  amount: number;
  currency: string;
  orderId?: string | null;
  checkoutId?: string | null;
  paymentId?: string | null;
}

export function createLedgerService(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  /** the rider's share of a delivery fee, in basis points */
  riderFeeShareBp?: number;
}) {
  const { db, clock, ids } = deps;
  const riderShareBp = deps.riderFeeShareBp ?? 0;

  /**
   * The delivery fee leaves escrow when the order settles: the rider's share (whole shillings,
   * rounded down) to the rider's payable balance, the rest to the platform.
   */
  /** The rider's share of an order's delivery fee (0 without a rider): whole shillings, rounded down. */
  function riderShareOf(o: Pick<EscrowOrder, 'deliveryFee' | 'riderId'>): number {
    if (!o.riderId || o.deliveryFee <= 0) return 0;
    return Math.floor((o.deliveryFee * riderShareBp) / 10_000 / MONEY_UNIT) * MONEY_UNIT;
  }

  async function settleDeliveryFee(tx: Database, o: EscrowOrder) {
    if (o.deliveryFee <= 0) return;
    const escrow = account.escrow(o.id);
    const riderShare = riderShareOf(o);
    if (riderShare > 0)
      await write(tx, {
        key: `rider-earning:${o.id}`,
        kind: 'RIDER_EARNING',
        debit: escrow,
        credit: account.riderPayable(o.riderId!),
        amount: riderShare,
        currency: o.currency,
        orderId: o.id,
        checkoutId: o.checkoutId,
      });
    if (o.deliveryFee - riderShare > 0)
      await write(tx, {
        key: `delivery-fee:${o.id}`,
        kind: 'DELIVERY_FEE',
        debit: escrow,
        credit: account.deliveryFees,
        amount: o.deliveryFee - riderShare,
        currency: o.currency,
        orderId: o.id,
        checkoutId: o.checkoutId,
      });
  }

  /**
   * Write one transfer, idempotent on its key: a retry returns the transfer already written (and
   * refuses, loudly, a different transfer under the same key).
   */
  async function write(
    tx: Database,
    t: TransferInput,
    phase: Transfer['phase'] = 'single',
    pendingId: string | null = null,
  ): Promise<Transfer> {
    if (!Number.isSafeInteger(t.amount) || t.amount <= 0)
      throw new Error(`ledger: amount must be a positive integer (${t.key}: ${t.amount})`);
    const [row] = await tx
      .insert(ledgerTransfers)
      .values({
        id: ids.newId(),
        key: t.key,
        kind: t.kind,
        phase,
        pendingId,
        debitAccount: t.debit,
        creditAccount: t.credit,
        amount: t.amount,
        currency: t.currency,
        orderId: t.orderId ?? null,
        checkoutId: t.checkoutId ?? null,
        paymentId: t.paymentId ?? null,
        createdAt: clock.now(),
      })
      .onConflictDoNothing({ target: ledgerTransfers.key })
      .returning();
    if (row) return row;
    const [existing] = await tx.select().from(ledgerTransfers).where(eq(ledgerTransfers.key, t.key));
    if (
      !existing ||
      existing.amount !== t.amount ||
      existing.debitAccount !== t.debit ||
      existing.creditAccount !== t.credit ||
      existing.phase !== phase
    ) {
      throw new Error(`ledger: key ${t.key} already names a different transfer`);
    }
    return existing;
  }

  /** Settle a pending transfer exactly once, by posting or voiding it. */
  async function settle(tx: Database, pendingKey: string, how: 'post' | 'void'): Promise<Transfer | null> {
    const [pending] = await tx
      .select()
      .from(ledgerTransfers)
      .where(and(eq(ledgerTransfers.key, pendingKey), eq(ledgerTransfers.phase, 'pending')));
    if (!pending) return null;
    const [settled] = await tx
      .select()
      .from(ledgerTransfers)
      .where(
        and(eq(ledgerTransfers.pendingId, pending.id), inArray(ledgerTransfers.phase, ['post', 'void'])),
      );
    if (settled) {
      if (settled.phase !== how)
        throw new AppError(
          'ESCROW_ALREADY_SETTLED',
          409,
          `This escrow was already ${settled.phase === 'post' ? 'released' : 'refunded'}.`,
        );
      return settled;
    }
    return write(
      tx,
      {
        key: `${pendingKey}:${how}`,
        kind: pending.kind,
        debit: pending.debitAccount,
        credit: pending.creditAccount,
        amount: pending.amount,
        currency: pending.currency,
        orderId: pending.orderId,
        checkoutId: pending.checkoutId,
        paymentId: pending.paymentId,
      },
      how,
      pending.id,
    );
  }

  const holdKey = (orderId: string) => `escrow-hold:${orderId}`;
  const fundKey = (orderId: string) => `incentive-funding:${orderId}`;

  async function settleBoth(tx: Database, o: EscrowOrder, how: 'post' | 'void') {
    const hold = await settle(tx, holdKey(o.id), how);
    if (!hold) throw new AppError('ESCROW_NOT_HELD', 409, 'No escrow is held for this order.');
    if (o.baseAmount > o.finalAmount) await settle(tx, fundKey(o.id), how);
  }

  const queries = createLedgerQueries(db);

  return {
    ...queries,

    /**
     * Payment confirmed: a pending hold equal to the order's full base total plus delivery fee,
     * funded by the buyer's payment and, for the discount, by the platform's incentive budget.
     */
    async holdEscrow(tx: Database, o: EscrowOrder, paymentId: string | null = null) {
      const escrow = account.escrow(o.id);
      await write(
        tx,
        {
          key: holdKey(o.id),
          kind: 'ESCROW_HOLD',
          debit: account.providerClearing,
          credit: escrow,
          amount: o.finalAmount + o.deliveryFee,
          currency: o.currency,
          orderId: o.id,
          checkoutId: o.checkoutId,
          paymentId,
        },
        'pending',
      );
      const discount = o.baseAmount - o.finalAmount;
      if (discount > 0) {
        await write(
          tx,
          {
            key: fundKey(o.id),
            kind: 'INCENTIVE_FUNDING',
            debit: account.incentiveExpense,
            credit: escrow,
            amount: discount,
            currency: o.currency,
            orderId: o.id,
            checkoutId: o.checkoutId,
            paymentId,
          },
          'pending',
        );
      }
    },

    /** Completion: the seller is credited exactly the base price; the delivery fee goes to the platform. */
    async releaseEscrow(tx: Database, o: EscrowOrder) {
      await settleBoth(tx, o, 'post');
      const escrow = account.escrow(o.id);
      await write(tx, {
        key: `escrow-release:${o.id}`,
        kind: 'ESCROW_RELEASE',
        debit: escrow,
        credit: account.sellerPayable(o.sellerId),
        amount: o.baseAmount,
        currency: o.currency,
        orderId: o.id,
        checkoutId: o.checkoutId,
      });
      await settleDeliveryFee(tx, o);
    },

    /** Refund or cancellation after payment: the hold is voided (the platform's funding returns) and what the buyer paid is owed back to them. */
    async refundEscrow(tx: Database, o: EscrowOrder): Promise<number> {
      await settleBoth(tx, o, 'void');
      // A delivery fee already given back for lateness is not given back twice: that part of the
      // buyer's money returns to the guarantee budget that paid the compensation.
      const [comp] = await tx
        .select({ amount: ledgerTransfers.amount })
        .from(ledgerTransfers)
        .where(eq(ledgerTransfers.key, `late-compensation:${o.id}`));
      const compensated = Math.min(comp?.amount ?? 0, o.deliveryFee);
      if (compensated > 0)
        await write(tx, {
          key: `late-compensation-recovered:${o.id}`,
          kind: 'COMPENSATION',
          debit: account.providerClearing,
          credit: account.guaranteeExpense,
          amount: compensated,
          currency: o.currency,
          orderId: o.id,
          checkoutId: o.checkoutId,
        });
      const owed = o.finalAmount + o.deliveryFee - compensated;
      if (owed > 0)
        await write(tx, {
          key: `refund:${o.id}`,
          kind: 'REFUND',
          debit: account.providerClearing,
          credit: account.refundsPayable(o.buyerId),
          amount: owed,
          currency: o.currency,
          orderId: o.id,
          checkoutId: o.checkoutId,
        });
      return owed;
    },

    /**
     * A partial refund after a dispute: the escrow is posted, the buyer is owed `refund` (at most
     * what they paid for the goods), the platform keeps the delivery fee, the seller gets the rest
     * of the base price.
     */
    async splitEscrow(tx: Database, o: EscrowOrder, refund: number) {
      if (!Number.isSafeInteger(refund) || refund <= 0 || refund > o.finalAmount) {
        throw new AppError(
          'INVALID_REFUND_AMOUNT',
          422,
          `A partial refund is between 1 and ${o.finalAmount} (what the buyer paid for the goods).`,
          { field: 'amount' },
        );
      }
      await settleBoth(tx, o, 'post');
      const escrow = account.escrow(o.id);
      await write(tx, {
        key: `refund:${o.id}`,
        kind: 'REFUND',
        debit: escrow,
        credit: account.refundsPayable(o.buyerId),
        amount: refund,
        currency: o.currency,
        orderId: o.id,
        checkoutId: o.checkoutId,
      });
      if (o.baseAmount - refund > 0) {
        await write(tx, {
          key: `escrow-release:${o.id}`,
          kind: 'ESCROW_RELEASE',
          debit: escrow,
          credit: account.sellerPayable(o.sellerId),
          amount: o.baseAmount - refund,
          currency: o.currency,
          orderId: o.id,
          checkoutId: o.checkoutId,
        });
      }
      await settleDeliveryFee(tx, o);
    },

    riderShareOf,

    /**
     * A delivered order refunded in full after a dispute that was not the rider's fault: the
     * escrow (delivery fee included) went back to the buyer, so the rider's share comes from the
     * platform's dispute budget instead (once per order, by its key). Null when no rider carried
     * it or the share is zero.
     */
    async compensateRider(tx: Database, o: EscrowOrder): Promise<Transfer | null> {
      const share = riderShareOf(o);
      if (share <= 0) return null;
      return write(tx, {
        key: `rider-compensation:${o.id}`,
        kind: 'RIDER_COMPENSATION',
        debit: account.disputeExpense,
        credit: account.riderPayable(o.riderId!),
        amount: share,
        currency: o.currency,
        orderId: o.id,
        checkoutId: o.checkoutId,
      });
    },

    /** A late delivery: the platform owes the buyer the delivery fee back from its own guarantee budget. */
    async compensateLateDelivery(
      tx: Database,
      c: { orderId: string; checkoutId: string; buyerId: string; amount: number; currency: string },
    ) {
      if (c.amount <= 0) return null;
      return write(tx, {
        key: `late-compensation:${c.orderId}`,
        kind: 'COMPENSATION',
        debit: account.guaranteeExpense,
        credit: account.refundsPayable(c.buyerId),
        amount: c.amount,
        currency: c.currency,
        orderId: c.orderId,
        checkoutId: c.checkoutId,
      });
    },

    /**
     * A referral reward: platform-funded credit for one user, from the referral expense account.
     * The key names the referral and the side, so a retry finds the transfer already made.
     */
    async payReferralReward(
      tx: Database,
      r: { key: string; userId: string; amount: number; currency: string; orderId: string | null },
    ) {
      return write(tx, {
        key: `referral-reward:${r.key}`,
        kind: 'REFERRAL_REWARD',
        debit: account.referralExpense,
        credit: account.referralCredit(r.userId),
        amount: r.amount,
        currency: r.currency,
        orderId: r.orderId,
      });
    },

    /** Takes an abusive reward back: the visible negative adjustment, once per key. */
    async clawBackReferralReward(
      tx: Database,
      r: { key: string; userId: string; amount: number; currency: string; orderId: string | null },
    ) {
      return write(tx, {
        key: `referral-clawback:${r.key}`,
        kind: 'REFERRAL_CLAWBACK',
        debit: account.referralCredit(r.userId),
        credit: account.referralExpense,
        amount: r.amount,
        currency: r.currency,
        orderId: r.orderId,
      });
    },

    /** Money arrived at the provider for a checkout: it waits in clearing until an escrow hold or a refund takes it. */
    async recordCollection(
      tx: Database,
      c: { key: string; collectionId: string | null; checkoutId: string; amount: number; currency: string },
    ) {
      return write(tx, {
        key: `collection:${c.key}`,
        kind: 'COLLECTION',
        debit: account.providerFloat,
        credit: account.providerClearing,
        amount: c.amount,
        currency: c.currency,
        checkoutId: c.checkoutId,
        paymentId: c.collectionId,
      });
    },

    /** Money that funds no order (late, or a second payment): owed back to the buyer at once. */
    async refundUnapplied(
      tx: Database,
      c: { collectionId: string; checkoutId: string; buyerId: string; amount: number; currency: string },
    ) {
      return write(tx, {
        key: `refund-unapplied:${c.collectionId}`,
        kind: 'REFUND',
        debit: account.providerClearing,
        credit: account.refundsPayable(c.buyerId),
        amount: c.amount,
        currency: c.currency,
        checkoutId: c.checkoutId,
        paymentId: c.collectionId,
      });
    },

    /** A refund reached the buyer's phone: what we owed them leaves our float. */
    async recordRefundSent(
      tx: Database,
      r: {
        disbursementId: string;
        buyerId: string;
        amount: number;
        currency: string;
        orderId: string | null;
      },
    ) {
      return write(tx, {
        key: `refund-sent:${r.disbursementId}`,
        kind: 'REFUND_SENT',
        debit: account.refundsPayable(r.buyerId),
        credit: account.providerFloat,
        amount: r.amount,
        currency: r.currency,
        orderId: r.orderId,
        paymentId: r.disbursementId,
      });
    },

    /**
     * A payout is asked for: the amount is reserved (pending) so it cannot be paid twice; it is
     * posted when the provider confirms the send and voided (back to available) when it fails.
     */
    async reservePayout(
      tx: Database,
      p: { disbursementId: string; account: string; amount: number; currency: string },
    ) {
      return write(
        tx,
        {
          key: `payout:${p.disbursementId}`,
          kind: 'PAYOUT',
          debit: p.account,
          credit: account.providerFloat,
          amount: p.amount,
          currency: p.currency,
          paymentId: p.disbursementId,
        },
        'pending',
      );
    },

    async settlePayout(tx: Database, disbursementId: string, how: 'post' | 'void') {
      const settled = await settle(tx, `payout:${disbursementId}`, how);
      if (!settled) throw new Error(`ledger: payout ${disbursementId} was never reserved`);
      return settled;
    },

    /** Invariants over the whole ledger (invariants.ts); the orders module adds the order-level checks. */
    checkInvariants: (tx: Database = db) => checkInvariants(tx),
  };
}

export type LedgerService = ReturnType<typeof createLedgerService>;
