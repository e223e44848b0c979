// What the orders use cases share: their dependencies (narrow ports of other modules) and the
// types of this module's rows and actors. No behaviour lives here.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { AuditService } from '../audit/index.js';
import type { CartService } from '../cart/index.js';
import type { StockService } from '../catalog/index.js';
import type { LedgerService } from '../ledger/index.js';
import type { MediaService } from '../media/index.js';
import type { PromotionsService } from '../promotions/index.js';
import type { OrderJobQueue } from './jobs.js';
import type { ActorRole } from './model.js';
import type { checkouts, disputes, orders } from './schema.js';

export type Order = typeof orders.$inferSelect;
export type Checkout = typeof checkouts.$inferSelect;
export type Dispute = typeof disputes.$inferSelect;

export interface Actor {
  userId: string | null;
  role: ActorRole;
}

export interface OrderSettings {
  /** a paid order not accepted this long after payment is cancelled, refunded, and counts against the seller */
  sellerAcceptMinutes: number;
  /** the seller is reminded this long before the accept-by instant (none when not shorter than sellerAcceptMinutes) */
  sellerReminderMinutes: number;
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

/**
 * An order just completed (escrow released), told inside the completing transaction to whoever
 * must act in it (referral rewards). `viaDispute`: completed by an admin resolving a dispute.
 */
export interface CompletedOrder {
  orderId: string;
  checkoutId: string;
  buyerId: string;
  sellerId: string;
  riderId: string | null;
  /** what the buyer paid for the goods, after discounts (minor units) */
  finalAmount: number;
  currency: string;
  /** the MSISDN that paid the checkout */
  payerPhone: string;
  address: DeliveryAddressFacts;
  viaDispute: boolean;
  completedAt: Date;
}

export interface DeliveryAddressFacts {
  ward: string;
  landmark: string;
  location: { lat: number; lng: number } | null;
}

export type OrderCompletionHook = (tx: Database, order: CompletedOrder) => Promise<void>;

/** What `createOrdersService` is built from; each use case takes the part it needs. */
export interface OrdersDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  /** the orders module's own job kinds only (jobs.ts) */
  jobs: OrderJobQueue;
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
  /** the whole-ledger reconciliation (`src/reconcile.ts`), composed by the app over several modules */
  reconcileLedger: () => Promise<string[]>;
  /** told in the completing transaction when an order completes (referrals); may throw to roll it back */
  onCompleted?: OrderCompletionHook;
}
