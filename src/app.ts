import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CALLBACK_TOKEN_MAX_LENGTH, type Config } from './config.js';
import type { Database } from './db/client.js';
import { createAuditService } from './modules/audit/index.js';
import { type CartModule, createCartModule } from './modules/cart/index.js';
import { type CatalogModule, createCatalogModule } from './modules/catalog/index.js';
import {
  activeAdminIds,
  contactsOf,
  createIdentityModule,
  type IdentityModule,
  identitySchedules,
  requireMobile,
  userIdByPhone,
} from './modules/identity/index.js';
import { createJobService, type JobService } from './modules/jobs/index.js';
import { createLedgerService, type LedgerService } from './modules/ledger/index.js';
import {
  createMediaService,
  type MediaService,
  type MediaStorage,
  mediaRoutes,
  storageFromConfig,
} from './modules/media/index.js';
import {
  createAfricasTalkingSms,
  createConsoleSms,
  createConsoleWhatsApp,
  createNotificationsModule,
  createWhatsAppCloud,
  type NotificationsModule,
  parseQuietHours,
  type SmsSender,
  type WhatsAppSender,
} from './modules/notifications/index.js';
import { buyerOrderSummaries, createOrdersModule, type OrdersModule } from './modules/orders/index.js';
import {
  callbackUrlFor,
  createDarajaProvider,
  createPaymentsModule,
  createVodacomProvider,
  type PaymentProvider,
  type PaymentsModule,
  type ProviderCallRecorder,
  publicBaseUrl,
} from './modules/payments/index.js';
import { createPromotionsModule, type PromotionsModule } from './modules/promotions/index.js';
import {
  createRidersModule,
  haversineMeters,
  type RidersModule,
  riderSchedules,
} from './modules/riders/index.js';
import { createUssdModule, type UssdModule, type UssdOrdersPort, UssdRefused } from './modules/ussd/index.js';
import {
  createZonesModule,
  publicZonesRoutes,
  type ZonesModule,
  zoneDeliveryQuoter,
} from './modules/zones/index.js';
import { reconcileLedger } from './reconcile.js';
import { authBeforeInput } from './shared/auth.js';
import { type Clock, systemClock } from './shared/clock.js';
import {
  AppError,
  conflict,
  forbidden,
  frameworkErrors,
  frameworkProblemStatuses,
  notFound,
  problems,
  registerErrorHandling,
} from './shared/errors.js';
import { type IdGenerator, randomIds } from './shared/ids.js';
import { MAX_JSON_DEPTH, registerInputScreening } from './shared/input-screen.js';
import { rateLimitStoreFromConfig } from './shared/rate-limit-store.js';
import { toDarTime } from './shared/time.js';

export interface AppDeps {
  db: Database;
  config: Config;
  clock?: Clock;
  ids?: IdGenerator;
  /** Provider adapters; chosen from config when not given. */
  sms?: SmsSender;
  /** WhatsApp adapter for notifications; chosen from config when not given (null: off). */
  whatsapp?: WhatsAppSender | null;
  storage?: MediaStorage;
  /** The real payment adapter (tests point one at a local fake); built from config when not given. */
  paymentProvider?: (record: ProviderCallRecorder) => PaymentProvider;
  /** How the payment simulator posts to our own webhook (tests inject into the app). */
  postToSelf?: (url: string, body: unknown) => Promise<void>;
  logger?: FastifyServerOptions['logger'];
}

export interface Services {
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
  startSchedules: () => Promise<void>;
  media: MediaService;
  sms: SmsSender;
  ussd: UssdModule;
  notifications: NotificationsModule;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

function smsFromConfig(config: Config, log: FastifyInstance['log']): SmsSender {
  if (config.SMS_PROVIDER === 'africastalking') {
    return createAfricasTalkingSms({
      baseUrl: config.AT_BASE_URL,
      username: config.AT_USERNAME!,
      apiKey: config.AT_API_KEY!,
      senderId: config.AT_SENDER_ID,
      timeoutMs: config.AT_TIMEOUT_MS,
    });
  }
  return createConsoleSms(log);
}

function whatsappFromConfig(config: Config, log: FastifyInstance['log']): WhatsAppSender | null {
  if (config.WHATSAPP_PROVIDER === 'console') return createConsoleWhatsApp(log);
  if (config.WHATSAPP_PROVIDER !== 'whatsapp_cloud') return null;
  return createWhatsAppCloud({
    baseUrl: config.WHATSAPP_BASE_URL,
    apiVersion: config.WHATSAPP_API_VERSION,
    phoneNumberId: config.WHATSAPP_PHONE_NUMBER_ID!,
    accessToken: config.WHATSAPP_ACCESS_TOKEN!,
    timeoutMs: config.WHATSAPP_TIMEOUT_MS,
    templateLanguage: { en: config.WHATSAPP_TEMPLATE_LANG_EN, sw: config.WHATSAPP_TEMPLATE_LANG_SW },
  });
}

function paymentProviderFromConfig(
  config: Config,
  clock: Clock,
  record: ProviderCallRecorder,
): PaymentProvider {
  const common = {
    timeoutMs: config.PAYMENT_TIMEOUT_MS,
    retries: config.PAYMENT_RETRIES,
    backoffMs: config.PAYMENT_BACKOFF_MS,
  };
  if (config.PAYMENT_PROVIDER === 'vodacom_tz') {
    return createVodacomProvider(
      {
        ...common,
        baseUrl: config.VODACOM_BASE_URL,
        pathPrefix: config.VODACOM_PATH_PREFIX,
        apiKey: config.VODACOM_API_KEY!,
        publicKey: config.VODACOM_PUBLIC_KEY!,
        serviceProviderCode: config.VODACOM_SERVICE_PROVIDER_CODE!,
        origin: config.VODACOM_ORIGIN,
        country: 'TZN',
        currency: 'TZS',
        c2bTimeoutMs: config.VODACOM_C2B_TIMEOUT_MS,
        sessionTtlSeconds: config.VODACOM_SESSION_TTL_SECONDS,
      },
      { clock, record },
    );
  }
  // Daraja's status answers arrive like a send's result.
  const callbacks = callbackUrlFor(
    publicBaseUrl(config),
    'daraja',
    'disbursement',
    config.PAYMENT_CALLBACK_TOKEN,
  );
  return createDarajaProvider(
    {
      ...common,
      baseUrl: config.DARAJA_BASE_URL,
      consumerKey: config.DARAJA_CONSUMER_KEY!,
      consumerSecret: config.DARAJA_CONSUMER_SECRET!,
      shortcode: config.DARAJA_SHORTCODE!,
      passkey: config.DARAJA_PASSKEY!,
      transactionType: config.DARAJA_TRANSACTION_TYPE,
      partyB: config.DARAJA_PARTY_B ?? config.DARAJA_SHORTCODE!,
      initiatorName: config.DARAJA_INITIATOR_NAME!,
      initiatorPassword: config.DARAJA_INITIATOR_PASSWORD!,
      certificatePem: readFileSync(config.DARAJA_CERT_PATH!, 'utf8'),
      b2cShortcode: config.DARAJA_B2C_SHORTCODE ?? config.DARAJA_SHORTCODE!,
      currency: 'KES',
      statusResultUrl: callbacks,
      statusTimeoutUrl: callbacks,
    },
    { clock, record },
  );
}

/**
 * `/api/v1/payments/callbacks/<provider>/<kind>/<token>` (and the notifications delivery-report URL
 * of the same shape, and `/api/v1/ussd/callback/<token>`) with the token replaced; likewise WhatsApp's `hub.verify_token` query value.
 */
export function maskCallbackToken(url: string): string {
  return url
    .replace(/(\/(?:payments|notifications)\/callbacks\/[^/]+\/[^/]+\/)[^/?#]+/, '$1***')
    .replace(/(\/ussd\/callback\/)[^/?#]+/, '$1***')
    .replace(/([?&]hub\.verify_token=)[^&#]*/, '$1***');
}

/** The production logger: secrets in headers redacted, callback tokens masked in URLs. */
export function loggerOptions(config: Pick<Config, 'LOG_LEVEL'>) {
  return {
    level: config.LOG_LEVEL,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers.apikey'],
      censor: '[redacted]',
    },
    // Payment callback URLs carry a secret path token: it never reaches a log line.
    serializers: {
      req: (req: { method: string; url: string; ip?: string; id: string }) => ({
        method: req.method,
        url: maskCallbackToken(req.url),
        ip: req.ip,
        id: req.id,
      }),
    },
  };
}

/** Builds the whole HTTP app from its modules. It never listens: server.ts does, tests use inject(). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { db, config } = deps;
  const clock = deps.clock ?? systemClock;
  const ids = deps.ids ?? randomIds;

  const app = Fastify({
    logger: deps.logger ?? loggerOptions(config),
    bodyLimit: config.BODY_LIMIT_BYTES,
    // A hop count trusts that many proxies nearest to us, so the address is the one the outermost
    // of our own proxies saw, whatever a client writes into X-Forwarded-For.
    trustProxy:
      typeof config.TRUST_PROXY === 'number'
        ? (_addr: string, hop: number) => hop < (config.TRUST_PROXY as number)
        : config.TRUST_PROXY,
    requestIdHeader: false,
    // A client-supplied id is kept when it looks like one, so a support ticket can be traced end to end.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : ids.newId();
    },
    // The longest path parameter is the payment callback token (config allows up to 128 characters).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: CALLBACK_TOKEN_MAX_LENGTH },
    frameworkErrors,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('auth', null);
  registerErrorHandling(app);
  // Before any route is registered: auth guards run ahead of parsing and validation (shared/auth.ts).
  app.addHook('onRoute', authBeforeInput);
  registerInputScreening(app);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: "K'KOO API",
        version: '0.1.0',
        description:
          'Trust-driven commerce for East Africa. Errors are application/problem+json with a stable `code`. Times are ISO 8601 in Africa/Dar_es_Salaam (+03:00). Protected operations list the roles they accept in `x-roles`; sign-in and role are checked before the input. ' +
          `JSON bodies nest at most ${MAX_JSON_DEPTH} levels (400 JSON_TOO_DEEP); strings must be well-formed Unicode without NUL (400 INVALID_CHARACTER).`,
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
    transformObject: jsonSchemaTransformObject,
    transform: (input) => {
      const transformed = jsonSchemaTransform(input);
      const config = input.route.config as
        | { multipartFile?: string; authRoles?: readonly string[] }
        | undefined;
      // Who may call the route (shared/auth.ts); [] is any signed-in user.
      const out = config?.authRoles
        ? { ...transformed, schema: { ...transformed.schema, 'x-roles': [...config.authRoles] } }
        : transformed;
      // A 204 carries no body: document it without content (its Zod z.null() would read as a JSON null).
      const responses = out.schema.response as Record<string, unknown> | undefined;
      if (responses?.['204']) responses['204'] = { type: 'null', description: 'No Content' };
      if (responses) {
        for (const status of frameworkProblemStatuses(input.route)) {
          responses[String(status)] ??= {
            description: 'Problem details (RFC 9457)',
            content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
          };
        }
      }
      const field = config?.multipartFile;
      if (!field) return out;
      // Multipart bodies are parsed by @fastify/multipart, not by a Zod schema; describe them for the document only.
      return {
        ...out,
        schema: {
          ...out.schema,
          body: {
            type: 'object',
            required: [field],
            properties: { [field]: { type: 'string', format: 'binary' } },
          },
        },
      };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  // Per-process memory unless REDIS_URL is set; then every API process counts in one shared store.
  const rateLimitStore = rateLimitStoreFromConfig(config, app.log);
  app.addHook('onReady', () => rateLimitStore.ready(2000));
  app.addHook('onClose', () => rateLimitStore.close());
  await app.register(rateLimit, {
    global: false,
    ...rateLimitStore.options,
    errorResponseBuilder: (_req, ctx) =>
      new AppError(
        'RATE_LIMITED',
        429,
        `Too many requests from this address; try again in $Math.ceil(ctx.ttl / 1000)s.`,
        {
          headers: { 'retry-after': String(Math.ceil(ctx.ttl / 1000)) },
        },
      ),
  });
  await app.register(multipart, {
    limits: { fileSize: config.MEDIA_MAX_BYTES, files: 1, fields: 5, parts: 6, headerPairs: 100 },
  });

  const sms = deps.sms ?? smsFromConfig(config, app.log);
  const storage = deps.storage ?? storageFromConfig(config, resolve(config.DATA_DIR, 'media'));
  const audit = createAuditService({ db, clock, ids });
  const media = createMediaService({ db, clock, ids, storage, maxBytes: config.MEDIA_MAX_BYTES });
  const identity = createIdentityModule({
    db,
    clock,
    ids,
    sms,
    audit,
    media,
    log: app.log,
    settings: {
      otpSecret: config.OTP_HASH_SECRET,
      otpTtlSeconds: config.OTP_TTL_SECONDS,
      otpMaxAttempts: config.OTP_MAX_ATTEMPTS,
      resendCooldownSeconds: config.OTP_RESEND_COOLDOWN_SECONDS,
      maxPerHour: config.OTP_MAX_PER_HOUR,
      sessionTtlDays: config.SESSION_TTL_DAYS,
      otpIpMaxPerHour: config.OTP_IP_MAX_PER_HOUR,
    },
  });
  const catalog = createCatalogModule({
    db,
    clock,
    ids,
    audit,
    media,
    assertActiveVerifiedSeller: identity.assertActiveVerifiedSeller,
    lowStockThreshold: config.LOW_STOCK_THRESHOLD,
    publicReadsPerMinute: config.PUBLIC_READS_PER_MINUTE,
  });
  app.decorate('authenticator', identity.auth.authenticate);
  const promotions = createPromotionsModule({
    db,
    clock,
    ids,
    audit,
    requireUser: identity.profiles.loadUser,
    scopeExists: catalog.scopeExists,
    loyalty: {
      pointValue: config.LOYALTY_POINT_VALUE,
      maxShareBp: config.LOYALTY_MAX_SHARE_BP,
      earnPerPoint: config.LOYALTY_EARN_PER_POINT,
      currency: 'TZS',
    },
  });
  const cart = createCartModule({
    db,
    clock,
    promotions: promotions.service,
    sellableSkus: catalog.sellableSkus,
    maxQuantity: config.CART_MAX_QUANTITY,
    lowStockThreshold: config.LOW_STOCK_THRESHOLD,
    // GET /cart?address_id=: each seller order's delivery, as checkout will charge it (orders is built below).
    previewDelivery: (q) => orders.previewDelivery(q),
  });
  const jobs = createJobService({ db, clock, ids, log: app.log });
  // Notifications: producers call notifications.service.notify(tx, event); the worker runs its jobs.
  const whatsapp = deps.whatsapp !== undefined ? deps.whatsapp : whatsappFromConfig(config, app.log);
  const notifications = createNotificationsModule({
    people: { contactsOf, activeAdminIds, userIdByPhone },
    db,
    clock,
    ids,
    jobs,
    sms,
    whatsapp,
    log: app.log,
    settings: {
      whatsappOn: whatsapp !== null,
      failoverSeconds: config.NOTIFY_FAILOVER_SECONDS,
      quietHours: parseQuietHours(config.NOTIFY_QUIET_HOURS),
      maxAttempts: config.NOTIFY_MAX_ATTEMPTS,
    },
    callbacks: {
      smsToken: config.NOTIFY_CALLBACK_TOKEN,
      allowedIps: config.NOTIFY_CALLBACK_ALLOWED_IPS,
      perMinute: config.NOTIFY_CALLBACKS_PER_MINUTE,
      whatsappAppSecret: config.WHATSAPP_APP_SECRET ?? null,
      whatsappVerifyToken: config.WHATSAPP_VERIFY_TOKEN ?? null,
    },
  });
  for (const [kind, handler] of Object.entries(notifications.jobHandlers)) jobs.handle(kind, handler);
  const ledger = createLedgerService({ db, clock, ids, riderFeeShareBp: config.RIDER_FEE_SHARE_BP });
  const zones = createZonesModule({ db, clock, ids, audit });
  // Checkout expiry asks payments whether a prompt is still on the phone; payments is built after
  // orders (it pays checkouts through orders), so the question is bound once both exist.
  let paymentInFlight: (tx: Database, checkoutId: string) => Promise<boolean> = async () => false;
  // Likewise a rider's payout number comes from logistics, built after payments.
  let riderPayoutDestination: (
    riderId: string,
    tx: Database,
  ) => Promise<{ phone: string; changedAt: Date | null }> = async () => {
    throw new Error('riders not wired yet');
  };
  const orders = createOrdersModule({
    // The whole-ledger check spans ledger, promotions and orders, so it is composed here.
    reconcileLedger: () =>
      reconcileLedger({ ledger, promotions: promotions.service, orders: orders.service }),
    paymentInFlight: (tx, checkoutId) => paymentInFlight(tx, checkoutId),
    openDeadline:
      config.DELIVERY_QUOTES === 'zones'
        ? (start, minutes) => zones.service.openDeadline(start, minutes)
        : undefined,
    riderAssigned: async (tx, orderId) =>
      (await riders.service.assignmentOf(orderId, tx))?.status === 'assigned',
    db,
    clock,
    ids,
    audit,
    jobs,
    ledger,
    cart: cart.service,
    stock: catalog.stock,
    promotions: promotions.service,
    media,
    settings: {
      checkoutTtlMinutes: config.CHECKOUT_TTL_MINUTES,
      disputeWindowHours: config.DISPUTE_WINDOW_HOURS,
      deliveryFee: config.DELIVERY_FEE,
      sellerAcceptMinutes: config.SELLER_ACCEPT_MINUTES,
      sellerReadyMinutes: config.SELLER_READY_MINUTES,
      lateDeliveryPoints: config.LATE_DELIVERY_POINTS,
      redeliveryWindowHours: config.REDELIVERY_WINDOW_HOURS,
      ridersDeliver: config.DELIVERY_QUOTES === 'zones',
      deliveryCodeDigits: config.DELIVERY_CODE_DIGITS,
      deliveryCodeMaxAttempts: config.DELIVERY_CODE_MAX_ATTEMPTS,
    },
    addressOf: async (userId, addressId) => {
      const a = await identity.profiles.getAddress(userId, addressId);
      return {
        label: a.label,
        district: a.district,
        ward: a.ward,
        street: a.street,
        landmark: a.landmark,
        location: a.latitude !== null && a.longitude !== null ? { lat: a.latitude, lng: a.longitude } : null,
        contact_phone: a.contactPhone,
      };
    },
    requireMobile,
    // The rider as the buyer sees them: first name, vehicle, phone, and an arrival estimate from the
    // rider's last position at a typical city speed for the vehicle.
    riderView: async (riderId, dropoff) => {
      const profile = await riders.service.profileOf(riderId);
      if (!profile) return null;
      const user = await identity.profiles.loadUser(riderId);
      const kmh = { boda_boda: 22, bajaji: 18, bicycle: 12, car: 16 }[profile.vehicle] ?? 15;
      const eta =
        dropoff && profile.lastLat !== null && profile.lastLng !== null
          ? new Date(
              clock.now().getTime() +
                Math.ceil(
                  (haversineMeters({ lat: profile.lastLat, lng: profile.lastLng }, dropoff) / 1000 / kmh) *
                    60,
                ) *
                  60_000,
            )
          : null;
      return {
        first_name: user.displayName ? user.displayName.trim().split(/\s+/)[0]! : null,
        vehicle: profile.vehicle,
        phone: user.phone,
        eta: eta ? toDarTime(eta) : null,
      };
    },
    // The one zone quoter: checkout freezes its answer, the cart preview shows it (previewDelivery).
    quoteDelivery:
      config.DELIVERY_QUOTES === 'zones'
        ? zoneDeliveryQuoter({
            zones: zones.service,
            sellerPickup: async (sellerId) => {
              const p = await identity.profiles.getSellerProfile(sellerId);
              return p?.latitude == null || p.longitude == null
                ? null
                : { lat: p.latitude, lng: p.longitude };
            },
          })
        : undefined,
  });
  const payments = createPaymentsModule({
    db,
    clock,
    ids,
    audit,
    jobs,
    ledger,
    settings: {
      provider: config.PAYMENT_PROVIDER,
      simulatorDelayMs: config.SIMULATOR_DELAY_MS,
      payoutIntervalHours: config.PAYOUT_INTERVAL_HOURS,
      pushesPerHour: config.PAYMENT_PUSHES_PER_HOUR,
      callbackToken: config.PAYMENT_CALLBACK_TOKEN,
      callbackBaseUrl: publicBaseUrl(config),
      allowedIps: config.PAYMENT_CALLBACK_ALLOWED_IPS,
      verifyByQuery: config.PAYMENT_VERIFY_BY_QUERY,
      firstQueryAfterSeconds: config.PAYMENT_FIRST_QUERY_SECONDS,
      giveUpAfterMinutes: config.PAYMENT_GIVE_UP_MINUTES,
      refundMaxAttempts: config.REFUND_MAX_ATTEMPTS,
      payoutMinimum: config.PAYOUT_MINIMUM,
      payoutHoldHoursAfterPhoneChange: config.PAYOUT_HOLD_HOURS_AFTER_PHONE_CHANGE,
      pushesPerCheckout: config.PAYMENT_PUSHES_PER_CHECKOUT,
    },
    checkouts: { find: orders.service.findCheckout, markPaid: orders.service.markPaid },
    payoutDestination: identity.payoutDestination,
    riderPayoutDestination: (riderId, tx) => riderPayoutDestination(riderId, tx),
    requireMobile,
    log: app.log,
    realProvider: deps.paymentProvider ?? ((record) => paymentProviderFromConfig(config, clock, record)),
    postToSelf: deps.postToSelf,
  });
  paymentInFlight = payments.service.pushInFlight;
  // Riders reach orders through a port: the rider's hold on the order is checked by logistics,
  // the order's own rules (state machine, proof, handover code) by orders.
  const riderActor = (userId: string) => ({ userId, role: 'rider' as const });
  /** The rider's last reported position; 409 NO_RIDER_LOCATION without one. */
  const riderPosition = async (riderId: string, tx: Database = db) => {
    const me = await riders.service.profileOf(riderId, tx);
    if (me?.lastLat == null || me.lastLng == null)
      throw conflict('NO_RIDER_LOCATION', 'Send a location ping before delivering.');
    return { lat: me.lastLat, lng: me.lastLng };
  };
  const riders: RidersModule = createRidersModule({
    db,
    clock,
    ids,
    audit,
    jobs,
    zones: zones.service,
    settings: {
      offerTtlSeconds: config.RIDER_OFFER_SECONDS,
      maxOfferAttempts: config.RIDER_MAX_OFFERS,
      staleAfterSeconds: config.RIDER_STALE_SECONDS,
      pickupMinutes: config.RIDER_PICKUP_MINUTES,
    },
    grantRiderRole: async (userId, tx) => {
      await identity.grantRole(userId, 'rider', tx);
    },
    orders: {
      pickupOf: async (orderId) => {
        const o = (await orders.service.view(orderId, { userId: null, role: 'admin' })).order;
        const p = await identity.profiles.getSellerProfile(o.sellerId);
        if (p?.latitude == null || p.longitude == null)
          throw conflict('SELLER_LOCATION_MISSING', 'The seller has no pickup location.');
        const z = await zones.service.zoneOfPoint({ lat: p.latitude, lng: p.longitude });
        return { lat: p.latitude, lng: p.longitude, zoneId: z?.id ?? null };
      },
      isReadyForPickup: async (orderId) =>
        (await orders.service.view(orderId, { userId: null, role: 'admin' })).order.status ===
        'ready_for_pickup',
      // The code checks run on `db`, before logistics opens its transaction; the transitions run
      // in that transaction and read through `tx` only (a `db` query inside it would wait forever
      // on PGlite's one connection).
      checkHandoverCode: async (orderId, _riderId, code) => {
        await orders.service.checkHandoverCode(orderId, code);
      },
      pickUp: async (tx, orderId, riderId, code) => {
        await orders.service.riderPickUp(orderId, riderId, code, tx);
      },
      checkDeliveryCode: async (orderId, riderId, code) => {
        // No position to record where the code was given: refused before a try is spent.
        await riderPosition(riderId);
        await orders.service.checkDeliveryCode(orderId, riderActor(riderId), code);
      },
      deliver: async (tx, orderId, riderId, proof) => {
        if (proof.kind === 'photo') {
          await orders.service.deliver(
            orderId,
            riderActor(riderId),
            { photo_media_id: proof.photoMediaId, location: proof.location, note: proof.note ?? '' },
            tx,
          );
          return;
        }
        // Where the code was given: the rider's last reported position.
        const location = await riderPosition(riderId, tx);
        await orders.service.deliver(orderId, riderActor(riderId), { code: proof.code, location }, tx);
      },
      failDelivery: async (tx, orderId, riderId, reason, evidence) => {
        await orders.service.riderFailDelivery(orderId, riderId, reason, evidence, tx);
      },
      retryDelivery: async (tx, orderId, riderId) => {
        await orders.service.riderRetryDelivery(tx, orderId, riderId);
      },
      returnToSeller: async (orderId, riderId, reason) => {
        await orders.service.riderReturnToSeller(orderId, riderId, reason);
      },
      recordReturn: async (orderId, riderId, handoverCode) => {
        // Where the parcel was handed back: the rider's last reported position, when there is one.
        const me = await riders.service.profileOf(riderId);
        const at = me?.lastLat != null && me.lastLng != null ? { lat: me.lastLat, lng: me.lastLng } : null;
        await orders.service.riderRecordReturn(orderId, riderId, handoverCode, at);
      },
    },
  });
  for (const [kind, handler] of Object.entries(riders.jobHandlers)) jobs.handle(kind, handler);
  const riderHousekeeping = riderSchedules({ jobs, db, clock }, riders.service);
  const identityHousekeeping = identitySchedules({ jobs, db, clock }, identity.auth);
  // A rider is paid to their own phone, and only while verified and active (not banned or suspended).
  riderPayoutDestination = async (riderId, tx) => {
    const profile = await riders.service.profileOf(riderId, tx);
    if (!profile) throw notFound('Rider');
    if (profile.status !== 'verified')
      throw forbidden(
        'RIDER_NOT_VERIFIED',
        `Rider payouts need a verified rider; this one is $profile.status.`,
      );
    const user = await identity.profiles.loadUser(riderId, tx);
    if (user.status !== 'active')
      throw forbidden('ACCOUNT_NOT_ACTIVE', `This account is ${user.status}; it is not paid out.`);
    return { phone: user.phone, changedAt: null };
  };
  // Outbox messages for people (order status, checkout created) wait for the notifications module's
  // SMS/WhatsApp dispatch. Until it exists they are consumed with a log line, so none pile up unread.
  for (const kind of ['notify.order_status', 'notify.checkout_created']) {
    jobs.handle(kind, async (job) => {
      app.log.debug({ kind, payload: job.payload }, 'notification not sent: no channel configured yet');
    });
  }
  // USSD (feature phones) reaches orders, identity, the language and SMS only through its ports.
  // Receipts: sent straight through the SMS adapter, not awaited: the caller's screen must not wait on it.
  const ussdBuyer = (userId: string) => ({ userId, role: 'buyer' as const });
  /** The order module's refusal, with the order's status now, as the USSD port reports it. */
  const refusedAs = async (err: unknown, orderId: string, userId: string): Promise<never> => {
    if (!(err instanceof AppError) || err.status >= 500) throw err;
    const now = await orders.service.view(orderId, ussdBuyer(userId)).catch(() => null);
    throw new UssdRefused(err.code, now?.order.status);
  };
  const ussdOrders: UssdOrdersPort = {
    ...buyerOrderSummaries(orders.service),
    confirmReceipt: (orderId, actor) =>
      orders.service.act(orderId, 'confirm_receipt', actor).then(
        () => undefined,
        (err) => refusedAs(err, orderId, actor.userId),
      ),
    openDispute: (orderId, actor, input) =>
      orders.service
        .openDispute(orderId, actor.userId, {
          reason: input.reason,
          description: input.statement,
          evidence_media_ids: [],
        })
        .then(
          () => undefined,
          (err) => refusedAs(err, orderId, actor.userId),
        ),
  };
  const ussd = createUssdModule({
    db,
    clock,
    log: app.log,
    orders: ussdOrders,
    users: { findActiveBuyerByPhone: identity.findActiveBuyerByPhone },
    // The language the user chose, shared with every channel: the notifications module keeps it.
    language: {
      getLanguage: (userId) => notifications.service.getLanguage(userId),
      setLanguage: (userId, language) => notifications.service.setLanguage(userId, language),
    },
    receipts: {
      send: (to, message) => {
        sms.send(to, message).catch((err) => app.log.warn({ err }, 'USSD receipt SMS not sent'));
      },
    },
    settings: {
      recentOrders: 4,
      requestsPerMinute: config.USSD_REQUESTS_PER_MINUTE,
      callbackToken: config.USSD_CALLBACK_TOKEN,
      allowedIps: config.USSD_ALLOWED_IPS,
      bodyLimit: 4096,
    },
  });
  app.decorate('services', {
    identity,
    media,
    sms,
    notifications,
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
    /** Long-running processes call this once: payment sweeps and payouts, rider housekeeping, OTP purge. */
    startSchedules: async () => {
      await payments.startSchedules();
      await riderHousekeeping.start();
      await identityHousekeeping.start();
    },
  });

  app.get(
    '/health',
    {
      schema: {
        tags: ['ops'],
        summary: 'Liveness: the process is up',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/ready',
    {
      schema: {
        tags: ['ops'],
        summary: 'Readiness: the database answers',
        response: { 200: z.object({ status: z.literal('ready') }), ...problems(503) },
      },
    },
    async () => {
      try {
        await db.execute(sql`select 1`);
      } catch (err) {
        app.log.error({ err }, 'database not reachable');
        throw new AppError('DATABASE_UNAVAILABLE', 503, 'The database does not answer.');
      }
      return { status: 'ready' as const };
    },
  );

  await app.register(identity.routes, { prefix: '/api/v1' });
  await app.register(mediaRoutes({ media, uploadsPerHour: config.MEDIA_UPLOADS_PER_HOUR }), {
    prefix: '/api/v1',
  });
  await app.register(catalog.routes, { prefix: '/api/v1' });
  await app.register(promotions.routes, { prefix: '/api/v1' });
  await app.register(cart.routes, { prefix: '/api/v1' });
  await app.register(orders.routes, { prefix: '/api/v1' });
  await app.register(payments.routes, { prefix: '/api/v1' });
  await app.register(identity.adminRoutes, { prefix: '/api/v1/admin' });
  await app.register(catalog.adminRoutes, { prefix: '/api/v1/admin' });
  await app.register(promotions.adminRoutes, { prefix: '/api/v1/admin' });
  await app.register(orders.adminRoutes, { prefix: '/api/v1/admin' });
  await app.register(payments.adminRoutes, { prefix: '/api/v1/admin' });
  await app.register(zones.adminRoutes, { prefix: '/api/v1/admin' });
  await app.register(
    publicZonesRoutes({ zones: zones.service, publicReadsPerMinute: config.PUBLIC_READS_PER_MINUTE }),
    { prefix: '/api/v1' },
  );
  await app.register(riders.routes, { prefix: '/api/v1' });
  await app.register(riders.adminRoutes, { prefix: '/api/v1/admin' });
  await app.register(ussd.routes, { prefix: '/api/v1' });
  await app.register(notifications.routes, { prefix: '/api/v1' });
  await app.register(notifications.callbackRoutes, { prefix: '/api/v1' });
  await app.register(notifications.adminRoutes, { prefix: '/api/v1/admin' });

  return app;
}
