// Money as the orders see it: a seller's balance, and every order's escrow against its status.
import { and, eq, inArray, sql } from 'drizzle-orm';
import { account } from '../ledger/index.js';
import type { OrderStatus } from './model.js';
import type { OrdersDeps } from './ports.js';
import { orders } from './schema.js';

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
     * order's escrow is zero, and every open order's escrow holds exactly its base total plus
     * delivery fee.
     */
    async escrowProblems(): Promise<string[]> {
      const problems: string[] = [];
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
  };
}
