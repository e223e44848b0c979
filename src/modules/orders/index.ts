// The orders module's public face: checkout, the state machine, delivery proof, disputes.

import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { AuditService } from '../audit/index.js';
import type { CartService } from '../cart/index.js';
import type { StockService } from '../catalog/index.js';
import type { JobHandlers } from '../jobs/index.js';
import type { LedgerService } from '../ledger/index.js';
import type { MediaService } from '../media/index.js';
import type { PromotionsService } from '../promotions/index.js';
import type { OrdersFourEyes } from './dto.js';
import type { OrderJobQueue, OrderJobs } from './jobs.js';
import type { OrderCompletionHook } from './ports.js';
import { adminOrderRoutes, orderRoutes, type RiderView } from './routes.js';
import { createOrdersService, type OrderSettings } from './service.js';
import { type DeliveryAddress, type DeliveryQuote, flatDelivery } from './snapshot.js';

export { searchOrders } from './admin-search.js';
export { ordersAttention } from './attention.js';
export { type BuyerOrderSummary, buyerOrderSummaries } from './buyer-summaries.js';
export { type CompletedPurchase, completedPurchasesSince } from './completed-purchases.js';
export type { OrdersFourEyes } from './dto.js';
export { type BuyerFootprint, buyerFootprint } from './footprint.js';
export { type OrderJobs, orderJobs } from './jobs.js';
export { decide, ORDER_MACHINE, type OrderEvent, renderMermaid } from './machine.js';
export { DISPUTE_FAULTS, DISPUTE_RESOLUTIONS, ORDER_STATUSES } from './model.js';
export type { CompletedOrder, OrderCompletionHook } from './ports.js';
export { type RiderOrdersAdapterDeps, riderOrdersAdapter } from './rider-adapter.js';
export type { Order, OrderSettings, OrdersService } from './service.js';
export { type DeliveryAddress, type DeliveryQuote, flatDelivery, type OrderSnapshot } from './snapshot.js';

export function createOrdersModule(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  jobs: OrderJobQueue;
  ledger: LedgerService;
  cart: CartService;
  stock: StockService;
  promotions: PromotionsService;
  media: MediaService;
  settings: OrderSettings;
  paymentInFlight?: (tx: Database, checkoutId: string) => Promise<boolean>;
  reconcileLedger: () => Promise<string[]>;
  onCompleted?: OrderCompletionHook;
  riderAssigned?: (tx: Database, orderId: string) => Promise<boolean>;
  openDeadline?: (start: Date, minutes: number) => Promise<Date>;
  addressOf: (userId: string, addressId: string) => Promise<DeliveryAddress>;
  requireMobile: (input: string, field: string) => string;
  /** four eyes on the admin's refunding commands (the console's approvals, bound late) */
  fourEyes: OrdersFourEyes;
  /** each seller's delivery for this address (zones); absent: the flat DELIVERY_FEE */
  riderView?: (riderId: string, dropoff: { lat: number; lng: number } | null) => Promise<RiderView | null>;
  quoteDelivery?: (q: {
    sellerIds: string[];
    address: DeliveryAddress;
    now: Date;
  }) => Promise<Map<string, DeliveryQuote>>;
}) {
  const service = createOrdersService(deps);
  // Timers written by checkout and delivery; idempotent, safe in several workers at once.
  const jobHandlers: JobHandlers<OrderJobs> = {
    'orders.expire_checkout': (p) => service.expireCheckout(p.checkoutId),
    'orders.enforce_redelivery_deadline': (p) => service.redeliveryDeadline(p.orderId, new Date(p.failedAt)),
    'orders.enforce_seller_deadline': (p) =>
      service.sellerDeadline(
        p.orderId,
        p.expect,
        p.startedAt !== undefined && p.minutes !== undefined
          ? { startedAt: new Date(p.startedAt), minutes: p.minutes }
          : undefined,
      ),
    'orders.auto_complete': (p) => service.autoComplete(p.orderId),
    'orders.remind_seller': (p) => service.remindSeller(p.orderId, new Date(p.startedAt), p.minutes),
  };
  const routeDeps = {
    fourEyes: deps.fourEyes,
    orders: service,
    quoteDelivery: deps.quoteDelivery,
    riderView: (riderId: string, dropoff: { lat: number; lng: number } | null) =>
      deps.riderView ? deps.riderView(riderId, dropoff) : Promise.resolve(null),
    cartSellers: (buyerId: string) => deps.cart.sellersOf(buyerId),
    clock: deps.clock,
    ledger: deps.ledger,
    addressOf: deps.addressOf,
    requireMobile: deps.requireMobile,
  };
  /**
   * Each seller order's delivery to one of the buyer's addresses, exactly as checkout will charge
   * it: the zone quote (the same `quoteDelivery` checkout calls) or the flat fee with no promise.
   * Another buyer's address is a 404; the quote's refusals are checkout's. For the cart preview.
   */
  async function previewDelivery(q: {
    buyerId: string;
    addressId: string;
    sellerIds: readonly string[];
  }): Promise<{ quotes: 'zones' | 'flat'; bySeller: Map<string, DeliveryQuote> }> {
    const address = await deps.addressOf(q.buyerId, q.addressId);
    if (!deps.quoteDelivery)
      return {
        quotes: 'flat',
        bySeller: new Map(q.sellerIds.map((id) => [id, flatDelivery(deps.settings.deliveryFee)])),
      };
    return {
      quotes: 'zones',
      bySeller: await deps.quoteDelivery({
        sellerIds: [...q.sellerIds],
        address,
        now: deps.clock.now(),
      }),
    };
  }
  return {
    service,
    previewDelivery,
    /** what payments needs of a checkout (its CheckoutPort, checked structurally where it is wired:
     * naming the type here would make orders import payments, which imports orders' job types) */
    forPayments: { find: service.findCheckout, markPaid: service.markPaid },
    /** the handlers of the orders module's own timers (its messages are handled by their receivers) */
    jobHandlers,
    routes: orderRoutes(routeDeps),
    adminRoutes: adminOrderRoutes(routeDeps),
  };
}

export type OrdersModule = ReturnType<typeof createOrdersModule>;
