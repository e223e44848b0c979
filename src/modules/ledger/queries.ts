// The ledger's reads: balances, payable summaries, the transfers of an order, an account or a
// payment. Each takes the caller's transaction where one fits; none writes.
import { and, asc, eq, gt, inArray, like, lt, lte, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { type Cursor, pageOf } from '../../shared/pagination.js';
import type { TransferKind } from './model.js';
import { ledgerTransfers } from './schema.js';

type Transfer = typeof ledgerTransfers.$inferSelect;

/** Balance of an account: credits minus debits, split into settled and still-pending parts. */
export async function balanceOf(tx: Database, acct: string) {
  const [r] = await tx
    .select({
      posted: sql<number>`coalesce(sum(case when ${ledgerTransfers.phase} in ('single', 'post') then case when ${ledgerTransfers.creditAccount} = ${acct} then ${ledgerTransfers.amount} else -${ledgerTransfers.amount} end else 0 end), 0)::bigint`,
      pending: sql<number>`coalesce(sum(case when ${ledgerTransfers.phase} = 'pending' and not exists (select 1 from ledger_transfers settled where settled.pending_id = ledger_transfers.id) then case when ${ledgerTransfers.creditAccount} = ${acct} then ${ledgerTransfers.amount} else -${ledgerTransfers.amount} end else 0 end), 0)::bigint`,
    })
    .from(ledgerTransfers)
    .where(or(eq(ledgerTransfers.debitAccount, acct), eq(ledgerTransfers.creditAccount, acct)));
  return { posted: Number(r?.posted ?? 0), pending: Number(r?.pending ?? 0) };
}

/** The ledger's reads over `db` (or the transaction a caller passes). */
export function createLedgerQueries(db: Database) {
  const api = {
    balance: (acct: string, tx: Database = db) => balanceOf(tx, acct),

    /** The transfers of payment records (collections, refunds, payouts): what statement reconciliation compares. */
    async movementsOf(paymentIds: string[], tx: Database = db) {
      const out: Array<{ paymentId: string; kind: TransferKind; phase: Transfer['phase']; amount: number }> =
        [];
      for (let i = 0; i < paymentIds.length; i += 1000) {
        const rows = await tx
          .select({
            paymentId: ledgerTransfers.paymentId,
            kind: ledgerTransfers.kind,
            phase: ledgerTransfers.phase,
            amount: ledgerTransfers.amount,
          })
          .from(ledgerTransfers)
          .where(inArray(ledgerTransfers.paymentId, paymentIds.slice(i, i + 1000)));
        for (const r of rows) if (r.paymentId) out.push({ ...r, paymentId: r.paymentId });
      }
      return out;
    },

    /** Sellers (or riders) whose available balance (posted, less payouts in flight) is at least `min`. */
    async payablesWithAvailable(party: 'seller' | 'rider', min: number, tx: Database = db) {
      const accts = await tx
        .selectDistinct({ acct: ledgerTransfers.creditAccount })
        .from(ledgerTransfers)
        .where(like(ledgerTransfers.creditAccount, `${party}:%:payable`));
      const out: string[] = [];
      for (const { acct } of accts) {
        const b = await balanceOf(tx, acct);
        if (b.posted + b.pending >= min) out.push(acct.slice(`${party}:`.length, -':payable'.length));
      }
      return out;
    },

    /** Is this payout's amount still reserved (pending, neither posted nor voided)? */
    async payoutReserved(disbursementId: string, tx: Database = db) {
      const [pending] = await tx
        .select({ id: ledgerTransfers.id })
        .from(ledgerTransfers)
        .where(
          and(eq(ledgerTransfers.key, `payout:${disbursementId}`), eq(ledgerTransfers.phase, 'pending')),
        );
      if (!pending) return false;
      const [settled] = await tx
        .select({ id: ledgerTransfers.id })
        .from(ledgerTransfers)
        .where(eq(ledgerTransfers.pendingId, pending.id));
      return !settled;
    },

    /**
     * A payable account (a seller's or a rider's) as its owner sees it: available to pay out (a
     * payout in flight is reserved, so no longer available), on its way, paid out, and how many
     * credits of `creditKind` it received.
     */
    async payableSummary(acct: string, creditKind: TransferKind | readonly TransferKind[]) {
      const b = await balanceOf(db, acct);
      const payouts = await api.payoutTotals(acct);
      const kinds = typeof creditKind === 'string' ? [creditKind] : [...creditKind];
      const [credits] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(ledgerTransfers)
        .where(and(eq(ledgerTransfers.creditAccount, acct), inArray(ledgerTransfers.kind, kinds)));
      return {
        available: b.posted + b.pending,
        inPayout: payouts.inFlight,
        paidOut: payouts.paidOut,
        credits: credits?.n ?? 0,
      };
    },

    /** An account's payouts (a seller's or a rider's payable): posted (paid out) and still reserved by a send in flight. */
    async payoutTotals(acct: string, tx: Database = db) {
      const [r] = await tx
        .select({
          paidOut: sql<number>`coalesce(sum(case when ${ledgerTransfers.phase} = 'post' then ${ledgerTransfers.amount} else 0 end), 0)::bigint`,
          inFlight: sql<number>`coalesce(sum(case when ${ledgerTransfers.phase} = 'pending' and not exists (select 1 from ledger_transfers settled where settled.pending_id = ledger_transfers.id) then ${ledgerTransfers.amount} else 0 end), 0)::bigint`,
        })
        .from(ledgerTransfers)
        .where(and(eq(ledgerTransfers.kind, 'PAYOUT'), eq(ledgerTransfers.debitAccount, acct)));
      return { paidOut: Number(r?.paidOut ?? 0), inFlight: Number(r?.inFlight ?? 0) };
    },

    /** Per order, how many transfers of `kind` there are and their total: for reconciliations. */
    async totalsByOrder(kind: TransferKind, tx: Database = db) {
      const rows = await tx
        .select({
          orderId: ledgerTransfers.orderId,
          n: sql<number>`count(*)::int`,
          amount: sql<number>`coalesce(sum(${ledgerTransfers.amount}), 0)::bigint`,
        })
        .from(ledgerTransfers)
        .where(eq(ledgerTransfers.kind, kind))
        .groupBy(ledgerTransfers.orderId);
      return new Map(rows.map((r) => [r.orderId ?? '', { n: Number(r.n), amount: Number(r.amount) }]));
    },

    async transfersOf(q: { orderId?: string | undefined; account?: string | undefined }) {
      const where = [];
      if (q.orderId) where.push(eq(ledgerTransfers.orderId, q.orderId));
      if (q.account)
        where.push(
          or(eq(ledgerTransfers.debitAccount, q.account), eq(ledgerTransfers.creditAccount, q.account))!,
        );
      return db
        .select()
        .from(ledgerTransfers)
        .where(and(...where))
        .orderBy(ledgerTransfers.createdAt, ledgerTransfers.id)
        .limit(500);
    },

    /**
     * One account's transfers, oldest first, a keyset page at a time, with its posted balance just
     * before the page (`opening`): a reader adds each posted row's signed amount to show a running
     * balance that is right on every page, not only the first.
     */
    async accountTransfers(q: { account: string; cursor?: Cursor | undefined; limit: number }) {
      const acct = q.account;
      const mine = or(eq(ledgerTransfers.debitAccount, acct), eq(ledgerTransfers.creditAccount, acct));
      const c = q.cursor;
      const rows = await db
        .select()
        .from(ledgerTransfers)
        .where(
          and(
            mine,
            c
              ? or(
                  gt(ledgerTransfers.createdAt, c.at),
                  and(eq(ledgerTransfers.createdAt, c.at), gt(ledgerTransfers.id, c.id)),
                )
              : undefined,
          ),
        )
        .orderBy(asc(ledgerTransfers.createdAt), asc(ledgerTransfers.id))
        .limit(q.limit + 1);
      let opening = 0;
      if (c) {
        const [r] = await db
          .select({
            posted: sql<number>`coalesce(sum(case when ${ledgerTransfers.phase} in ('single', 'post') then case when ${ledgerTransfers.creditAccount} = ${acct} then ${ledgerTransfers.amount} else -${ledgerTransfers.amount} end else 0 end), 0)::bigint`,
          })
          .from(ledgerTransfers)
          .where(
            and(
              mine,
              or(
                lt(ledgerTransfers.createdAt, c.at),
                and(eq(ledgerTransfers.createdAt, c.at), lte(ledgerTransfers.id, c.id)),
              ),
            ),
          );
        opening = Number(r?.posted ?? 0);
      }
      return { ...pageOf(rows, q.limit, (t) => ({ at: t.createdAt, id: t.id })), opening };
    },
  };
  return api;
}
