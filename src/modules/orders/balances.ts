// Money as the orders see it: a seller's balance, and every order's escrow against its status.
import { and, eq, inArray, sql } from 'drizzle-orm';
import { account } from '../ledger/index.js';
import type { OrderStatus } from './model.js';
import type { OrdersDeps } from './ports.js';
import { disputes, orders } from './schema.js';

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

export function createBalances(deps: Pick<OrdersDeps, 'db' | 'ledger'>) {
  const { db, ledger } = deps;

  return {
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
     * The orders' part of the whole-ledger reconciliation (`src/reconcile.ts`): every settled
     * order's escrow is zero, every open order's escrow holds exactly its base total plus
     * delivery fee, and a rider's compensation after a full refund is paid once where it is owed.
     */
    async escrowProblems(): Promise<string[]> {
      const problems: string[] = [];
      const all = await db.select().from(orders);
      const compensations = await ledger.totalsByOrder('RIDER_COMPENSATION');
      const resolved = new Map(
        (
          await db
            .select({ orderId: disputes.orderId, resolution: disputes.resolution, fault: disputes.fault })
            .from(disputes)
            .where(eq(disputes.status, 'resolved'))
        ).map((d) => [d.orderId, d]),
      );
      for (const o of all) {
        // The rider's share of a full refund not the rider's fault is paid once, from the dispute
        // budget, for exactly that share; nothing else is ever paid from it.
        const d = resolved.get(o.id);
        const owed =
          o.status === 'refunded' && d?.resolution === 'full_refund' && d.fault && d.fault !== 'rider'
            ? ledger.riderShareOf(o)
            : 0;
        const paid = compensations.get(o.id) ?? { n: 0, amount: 0 };
        if (owed > 0 ? paid.n !== 1 || paid.amount !== owed : paid.n !== 0)
          problems.push(
            `order ${o.id} (${o.status}): rider compensation paid ${paid.n} time(s), ${paid.amount} in all, expected ${owed > 0 ? `once, ${owed}` : 'none'}`,
          );
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
  };
}
