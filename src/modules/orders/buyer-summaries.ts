// A buyer's orders in the few words a channel without a screen (USSD, SMS) can show. Built on
// the service's own `list`, so it sees exactly what the buyer sees in the app.
import type { OrderStatus } from './model.js';
import type { OrdersService } from './service.js';

export interface BuyerOrderSummary {
  id: string;
  status: OrderStatus;
  /** goods plus delivery, what the buyer paid, minor units */
  total: number;
  currency: string;
  /** the first line's product title */
  title: string;
  /** lines beyond the first */
  moreLines: number;
  promisedBy: Date | null;
  disputeWindowEndsAt: Date | null;
}

export function buyerOrderSummaries(orders: Pick<OrdersService, 'list'>) {
  const summaries = async (buyerId: string, limit: number, status?: OrderStatus) =>
    (await orders.list({ userId: buyerId, as: 'buyer' }, { limit, status })).items.map(
      (o): BuyerOrderSummary => ({
        id: o.id,
        status: o.status,
        total: o.finalAmount + o.deliveryFee,
        currency: o.currency,
        title: o.snapshot.lines[0]?.title ?? '',
        moreLines: Math.max(0, o.snapshot.lines.length - 1),
        promisedBy: o.promisedBy,
        disputeWindowEndsAt: o.disputeWindowEndsAt,
      }),
    );
  return {
    /** the buyer's latest orders, newest first */
    recentOfBuyer: (buyerId: string, limit: number) => summaries(buyerId, limit),
    /** the buyer's orders waiting in `delivered` (to confirm or dispute), newest first */
    deliveredOfBuyer: (buyerId: string, limit: number) => summaries(buyerId, limit, 'delivered'),
  };
}
