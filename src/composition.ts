// The composition root: every module built once, and the ports between them handed over. No HTTP
// here: the server and the tests (app.ts registers the routes over these services), the worker
// (registers the job handlers) and the CLI all compose the same way.
import { resolve } from 'node:path';
import { type AnalyticsServices, wireAnalytics } from './composition/analytics.js';
import { disabledAccountsPort } from './composition/disabled-accounts.js';
import type { FourEyesGate } from './composition/four-eyes.js';
import { registerJobHandlers } from './composition/jobs.js';
import { latePort } from './composition/late.js';
import type { AppLogger } from './composition/logger.js';
import { wireNotifications } from './composition/notifications.js';
import { type Recommendations, recSignals, wireRecommendations } from './composition/recommendations.js';
import { wireReferrals } from './composition/referrals.js';
import * as settingsOf from './composition/settings.js';
import { wireUssd } from './composition/ussd.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { createAuditService } from './modules/audit/index.js';
import { type CartModule, createCartModule } from './modules/cart/index.js';
import { type CatalogModule, catalogJobs, createCatalogModule } from './modules/catalog/index.js';
import {
  createIdentityModule,
  type IdentityModule,
  identityJobs,
  identitySchedules,
  requireMobile,
  type SignInReferrals,
} from './modules/identity/index.js';
import { createJobService, type JobService } from './modules/jobs/index.js';
import { createLedgerService, type LedgerService } from './modules/ledger/index.js';
import {
  createMediaService,
  type MediaService,
  type MediaStorage,
  storageFromConfig,
} from './modules/media/index.js';
import {
  type NotificationsModule,
  type SmsSender,
  smsFromEnv,
  type WhatsAppSender,
} from './modules/notifications/index.js';
import {
  createOrdersModule,
  type OrdersModule,
  orderJobs,
  riderOrdersAdapter,
} from './modules/orders/index.js';
import {
  createPaymentsModule,
  type PaymentProvider,
  type PaymentsModule,
  type ProviderCallRecorder,
  paymentJobs,
  providerFromEnv,
} from './modules/payments/index.js';
import { createPromotionsModule, type PromotionsModule } from './modules/promotions/index.js';
import { createRidersModule, type RidersModule, riderJobs } from './modules/riders/index.js';
import type { UssdModule } from './modules/ussd/index.js';
import {
  createZonesModule,
  pickupPointLocator,
  type ZonesModule,
  zoneDeliveryQuoter,
} from './modules/zones/index.js';
import { reconcileLedger } from './reconcile.js';
import type { Clock } from './shared/clock.js';
import type { IdGenerator } from './shared/ids.js';

export interface ComposeDeps {
  db: Database;
  config: Config;
  clock: Clock;
  ids: IdGenerator;
  log: AppLogger;
  /** Provider adapters; chosen from config when not given. */
  sms?: SmsSender | undefined;
  /** WhatsApp adapter for notifications; chosen from config when not given (null: off). */
  whatsapp?: WhatsAppSender | null | undefined;
  storage?: MediaStorage | undefined;
  /** The real payment adapter (tests point one at a local fake); built from config when not given. */
  paymentProvider?: ((record: ProviderCallRecorder) => PaymentProvider) | undefined;
  /** How the payment simulator posts to our own webhook (tests inject into the app). */
  postToSelf?: ((url: string, body: unknown) => Promise<void>) | undefined;
}

export interface Services extends AnalyticsServices {
  identity: IdentityModule;
  catalog: CatalogModule;
  promotions: PromotionsModule;
  cart: CartModule;
  jobs: JobService;
  ledger: LedgerService;
  orders: OrdersModule;
  payments: PaymentsModule;
  zones: ZonesModule;
  riders: RidersModule;
  /** Long-running processes call this once: payment sweeps and payouts, rider housekeeping, the purges. */
  startSchedules: () => Promise<void>;
  media: MediaService;
  sms: SmsSender;
  ussd: UssdModule;
  notifications: NotificationsModule;
  referrals: ReturnType<typeof wireReferrals>;
  recommendations: Recommendations;
  fourEyes: { bind(gate: FourEyesGate): void }; // the admin APIs' money gate; the console binds it
}

/** Builds every module and wires their ports; registers every job handler on `jobs`. */
export function compose(deps: ComposeDeps): Services {
  const { db, config, clock, ids, log } = deps;
  const zonesQuote = config.DELIVERY_QUOTES === 'zones';
  const sms = deps.sms ?? smsFromEnv(config, log);
  const storage = deps.storage ?? storageFromConfig(config, resolve(config.DATA_DIR, 'media'));
  const audit = createAuditService({ db, clock, ids });
  const jobs = createJobService({ db, clock, ids, log });
  const media = createMediaService({ db, clock, ids, storage, maxBytes: config.MEDIA_MAX_BYTES });
  const disabledAccounts = disabledAccountsPort(); // bans reach riders and orders, built below
  const fourEyes = latePort<FourEyesGate>('four eyes (bound by the console)');
  const referralsAtSignIn = latePort<SignInReferrals>('referrals (for sign-in)'); // bound below
  const signals = recSignals({ db, clock }); // the cart records adds through it; sign-in merges views
  const identity = createIdentityModule({
    onAccountDisabled: disabledAccounts.onAccountDisabled,
    referrals: referralsAtSignIn.port,
    onSignedIn: signals.onSignedIn,
    db,
    clock,
    ids,
    sms,
    audit,
    media,
    log,
    jobs: jobs.queue(identityJobs),
    settings: settingsOf.identity(config),
  });
  const catalog = createCatalogModule({
    db,
    clock,
    ids,
    audit,
    media,
    jobs: jobs.queue(catalogJobs),
    assertActiveVerifiedSeller: identity.assertActiveVerifiedSeller,
    lowStockThreshold: config.LOW_STOCK_THRESHOLD,
    publicReadsPerMinute: config.PUBLIC_READS_PER_MINUTE,
    cacheMaxAgeSeconds: config.CATALOG_CACHE_MAX_AGE_SECONDS,
  });
  const promotions = createPromotionsModule({
    db,
    clock,
    ids,
    audit,
    requireUser: identity.profiles.loadUser,
    scopeExists: catalog.scopeExists,
    loyalty: settingsOf.loyalty(config),
  });
  // Producers call notifications.service.notify(tx, event); the worker runs its jobs.
  const notifications = wireNotifications({ ...deps, jobs, sms, whatsapp: deps.whatsapp }); // + db, config, clock, ids, log
  const ledger = createLedgerService({ db, clock, ids, riderFeeShareBp: config.RIDER_FEE_SHARE_BP });
  const zones = createZonesModule({ db, clock, ids, audit });
  const referrals = wireReferrals({ db, config, clock, ids, audit, ledger, notifications }); // orders calls it
  referralsAtSignIn.bind(referrals.service);
  // GET /cart?address_id= previews delivery as checkout charges it: asks orders, built after the cart.
  const ordersForCart = latePort<Pick<OrdersModule, 'previewDelivery'>>('orders (for the cart)');
  const cart = createCartModule({
    db,
    clock,
    promotions: promotions.service,
    sellableSkus: catalog.sellableSkus,
    maxQuantity: config.CART_MAX_QUANTITY,
    lowStockThreshold: config.LOW_STOCK_THRESHOLD,
    previewDelivery: (q) => ordersForCart.port.previewDelivery(q),
    itemAdded: signals.recordCartAdd,
  });

  // Orders is built before the two modules it also asks something of: payments (is a prompt still
  // on the phone?) and riders (who holds the order, how the buyer sees them). Both are declared
  // here and bound once they exist, below.
  const paymentsForOrders =
    latePort<Pick<PaymentsModule['service'], 'pushInFlight'>>('payments (for orders)');
  const ridersForOrders = latePort<{
    awaitingPickup: RidersModule['service']['awaitingPickup'];
    viewForBuyer: RidersModule['forOthers']['viewForBuyer'];
  }>('riders (for orders)');
  const orders: OrdersModule = createOrdersModule({
    // The whole-ledger check spans ledger, promotions, orders and referrals, so it is composed here.
    reconcileLedger: () =>
      reconcileLedger({ ledger, promotions: promotions.service, orders: orders.service, referrals }),
    onCompleted: referrals.service.onOrderCompleted,
    paymentInFlight: (tx, checkoutId) => paymentsForOrders.port.pushInFlight(tx, checkoutId),
    openDeadline: zonesQuote ? (start, minutes) => zones.service.openDeadline(start, minutes) : undefined,
    riderAssigned: (tx, orderId) => ridersForOrders.port.awaitingPickup(orderId, tx),
    db,
    clock,
    ids,
    audit,
    jobs: jobs.queue(orderJobs),
    ledger,
    cart: cart.service,
    stock: catalog.stock,
    promotions: promotions.service,
    media,
    settings: settingsOf.order(config),
    addressOf: identity.deliveryAddressOf,
    requireMobile,
    fourEyes: fourEyes.port,
    riderView: (riderId, dropoff) => ridersForOrders.port.viewForBuyer(riderId, dropoff),
    // The one zone quoter: checkout freezes its answer, the cart preview shows it (previewDelivery).
    quoteDelivery: zonesQuote
      ? zoneDeliveryQuoter({ zones: zones.service, sellerPickup: identity.profiles.sellerPickupPoint })
      : undefined,
  });
  ordersForCart.bind({ previewDelivery: orders.previewDelivery });
  const riders = createRidersModule({
    db,
    clock,
    ids,
    audit,
    jobs: jobs.queue(riderJobs),
    zones: zones.service,
    settings: settingsOf.rider(config),
    grantRiderRole: (userId, tx) => identity.grantRole(userId, 'rider', tx),
    loadUser: identity.profiles.loadUser,
    orders: (aboutRiders) =>
      riderOrdersAdapter(orders.service, {
        pickupPointOf: pickupPointLocator({
          zones: zones.service,
          sellerPickup: identity.profiles.sellerPickupPoint,
        }),
        riderPosition: aboutRiders.position,
        lastRiderPosition: aboutRiders.lastPosition,
      }),
  });
  ridersForOrders.bind({
    awaitingPickup: riders.service.awaitingPickup,
    viewForBuyer: riders.forOthers.viewForBuyer,
  });

  const payments = createPaymentsModule({
    db,
    clock,
    ids,
    audit,
    jobs: jobs.queue(paymentJobs),
    ledger,
    settings: settingsOf.payments(config),
    checkouts: orders.forPayments,
    payoutDestination: identity.payoutDestination,
    riderPayoutDestination: riders.forOthers.payoutDestination,
    requireMobile,
    fourEyes: fourEyes.port,
    log,
    realProvider: deps.paymentProvider ?? ((record) => providerFromEnv(config, clock, record)),
    postToSelf: deps.postToSelf,
    onProviderCall: (call) => notifications.paymentProviderWatch.callRecorded(call), // operations' alert
  });
  paymentsForOrders.bind({ pushInFlight: payments.service.pushInFlight });

  disabledAccounts.bind(riders.service, orders.service);
  const identityJobQueue = jobs.queue(identityJobs);
  const identityHousekeeping = identitySchedules({ jobs: identityJobQueue, db, clock }, identity.auth);
  const ussd = wireUssd({ db, config, clock, log, orders, identity, notifications, jobs });
  const recDeps = { db, config, clock, jobs, catalog, cart, identity, zones, notifications, signals };
  const recommendations = wireRecommendations(recDeps);
  // One handler map per module (src/composition/jobs.ts checks them against every declaration).
  const maps = [orders, payments, riders, notifications, identityHousekeeping, recommendations, ussd].map(
    (m) => m.jobHandlers,
  );
  registerJobHandlers(jobs, maps);
  return {
    identity,
    media,
    sms,
    catalog,
    promotions,
    cart,
    jobs,
    ledger,
    orders,
    payments,
    zones,
    riders,
    ussd,
    notifications,
    ...wireAnalytics({ db, config, clock }),
    referrals,
    recommendations,
    fourEyes,
    startSchedules: async () => {
      await payments.startSchedules();
      await riders.startSchedules();
      await identityHousekeeping.start();
      await ussd.startSchedule();
      await recommendations.startSchedule();
    },
  };
}
