// A seller banned or suspended: the platform takes the buyer's side at once (docs/order-states.md,
// "A seller stopped"). Called by identity's governance, through a port wired in the composition,
// inside the ban's or suspension's transaction, so the account and its orders change together.
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { lockOrder } from './guards.js';
import type { OrderStatus } from './model.js';
import { orders } from './schema.js';
import type { Transitions } from './transitions.js';

/** Still at the seller: cancelled and refunded in full. A parcel with a rider goes on to delivery. */
const AT_THE_SELLER: readonly OrderStatus[] = ['paid', 'accepted', 'ready_for_pickup'];

export function createSellerDisabled({ apply }: Pick<Transitions, 'apply'>) {
  return {
    /**
     * Every order of the seller still at the seller is cancelled and refunded in full (as a no-show
     * is, without the strike), in `tx`; returns their ids. Orders are locked one by one in id order,
     * each checked again under its lock (a rider's pickup may have won the race: it then goes on).
     */
    async sellerDisabled(tx: Database, sellerId: string, why: 'banned' | 'suspended'): Promise<string[]> {
      const open = await tx
        .select({ id: orders.id })
        .from(orders)
        .where(and(eq(orders.sellerId, sellerId), inArray(orders.status, [...AT_THE_SELLER])))
        .orderBy(asc(orders.id));
      const cancelled: string[] = [];
      for (const { id } of open) {
        const o = await lockOrder(tx, id);
        if (!AT_THE_SELLER.includes(o.status)) continue;
        await apply(tx, o, 'seller_disabled', { userId: null, role: 'system' }, { note: `seller ${why}` });
        cancelled.push(id);
      }
      return cancelled;
    },
  };
}
