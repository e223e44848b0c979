import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { z } from 'zod';

// Every setting the service reads comes through here, parsed once at start. A bad value stops the
// process with the variable's name, so a typo in production never turns into a silent default.

/** The longest PAYMENT_CALLBACK_TOKEN accepted; the router's path-parameter limit follows it (app.ts). */
export const CALLBACK_TOKEN_MAX_LENGTH = 128;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: int(0, 65535).default(8000),
  PUBLIC_BASE_URL: z.url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_MAX: int(1, 200).default(10),
  DATA_DIR: z.string().min(1).default('./data'),
  /** Shared store for the per-address rate limits, so several API processes count together; memory when unset */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  /** Prefix of the rate-limit keys in Redis (one Redis may serve several deployments) */
  RATE_LIMIT_REDIS_PREFIX: z.string().min(1).max(64).default('kkoo-rl:'),

  /** local: files under DATA_DIR/media; s3: an S3-compatible bucket (AWS S3, MinIO, R2), shared by every process */
  MEDIA_STORAGE: z.enum(['local', 's3']).default('local'),
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z.string().min(1).optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  S3_PREFIX: z.string().max(200).optional(),
  BODY_LIMIT_BYTES: int(1024, 10 * 1024 * 1024).default(64 * 1024),
  MEDIA_MAX_BYTES: int(1024, 50 * 1024 * 1024).default(5 * 1024 * 1024),
  MEDIA_UPLOADS_PER_HOUR: int(1, 10_000).default(60),
  LOW_STOCK_THRESHOLD: int(0, 1000).default(5),
  PUBLIC_READS_PER_MINUTE: int(1, 1_000_000).default(600),
  /** How long a browser or CDN may reuse a public catalog reply before revalidating it (ETag, 304). */
  CATALOG_CACHE_MAX_AGE_SECONDS: int(0, 3600).default(15),
  CART_MAX_QUANTITY: int(1, 1000).default(20),
  LOYALTY_POINT_VALUE: int(100, 1_000_000)
    .multipleOf(100, 'must be whole shillings (a multiple of 100)')
    .default(100),
  LOYALTY_MAX_SHARE_BP: int(0, 10_000).default(2000),
  LOYALTY_EARN_PER_POINT: int(1, 1_000_000_000).default(100_000),
  CHECKOUT_TTL_MINUTES: int(1, 24 * 60).default(30),
  DISPUTE_WINDOW_HOURS: int(1, 24 * 30).default(48),
  /** flat: every order pays DELIVERY_FEE and gets no promised time; zones: priced and promised by the zone table */
  DELIVERY_QUOTES: z.enum(['flat', 'zones']).default('flat'),
  SELLER_ACCEPT_MINUTES: int(1, 7 * 24 * 60).default(30),
  /** The seller is reminded this long before the accept-by instant; none when not shorter than SELLER_ACCEPT_MINUTES */
  SELLER_REMINDER_MINUTES: int(1, 7 * 24 * 60).default(10),
  SELLER_READY_MINUTES: int(1, 7 * 24 * 60).default(180),
  LATE_DELIVERY_POINTS: int(0, 1_000_000).default(50),
  REDELIVERY_WINDOW_HOURS: int(1, 24 * 14).default(24),
  RIDER_OFFER_SECONDS: int(10, 3600).default(60),
  RIDER_MAX_OFFERS: int(1, 20).default(3),
  RIDER_STALE_SECONDS: int(30, 3600).default(120),
  RIDER_PICKUP_MINUTES: int(5, 24 * 60).default(30),
  /** An order waiting in the dispatch queue this long alerts operations (once per stay in the queue) */
  DISPATCH_ALERT_MINUTES: int(1, 24 * 60).default(15),
  /** the rider's share of a delivery fee, in basis points (8000 = 80%) */
  RIDER_FEE_SHARE_BP: int(0, 10_000).default(8000),
  /**
   * Analytics' estimate of what the mobile-money provider charges when its replies do not say
   * (none of ours do): JSON bands `[{"up_to": minor|null, "fixed": minor, "bp": 0..10000}]`, the
   * first band covering the amount applies. Defaults are placeholders (1% to collect; TZS 300 /
   * 600 / 1,000 to send up to TZS 10,000 / 100,000 / above): set them from the provider contract.
   */
  PAYMENT_FEE_TARIFF_COLLECTION: z.string().default('[{"up_to":null,"fixed":0,"bp":100}]'),
  PAYMENT_FEE_TARIFF_DISBURSEMENT: z
    .string()
    .default(
      '[{"up_to":1000000,"fixed":30000,"bp":0},{"up_to":10000000,"fixed":60000,"bp":0},{"up_to":null,"fixed":100000,"bp":0}]',
    ),
  /** analytics' cost of one SMS / WhatsApp message when the provider recorded none (minor units; TZS 25 / 40) */
  SMS_COST_MINOR: int(0, 10_000_000).default(2_500),
  WHATSAPP_COST_MINOR: int(0, 10_000_000).default(4_000),
  DELIVERY_FEE: int(0, 100_000_000)
    .multipleOf(100, 'must be whole shillings (a multiple of 100)')
    .default(300_000),
  DELIVERY_CODE_DIGITS: int(4, 6).default(4),
  DELIVERY_CODE_MAX_ATTEMPTS: int(1, 20).default(5),
  EMBEDDED_WORKER: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  WORKER_INTERVAL_MS: int(100, 60_000).default(1000),
  // Claim loops per worker process and jobs per claim: a loop claims again at once while its batch
  // comes back full and sleeps WORKER_INTERVAL_MS only when idle (src/modules/jobs/service.ts).
  WORKER_CONCURRENCY: int(1, 32).default(4),
  WORKER_BATCH_SIZE: int(1, 500).default(20),
  // How to find the client address behind proxies: a hop count (1 = one load balancer) or a
  // comma-separated list of proxy addresses/CIDRs. "Trust everything" is refused on purpose: it lets
  // a client pick its own address through X-Forwarded-For and walk around per-address limits.
  TRUST_PROXY: z
    .string()
    .regex(
      /^(false|0|[1-9]\d?|[0-9a-fA-F.:/]+(,[0-9a-fA-F.:/]+)*)$/,
      'must be false, a hop count (e.g. 1) or a list of proxy CIDRs',
    )
    .optional(),

  OTP_HASH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  OTP_TTL_SECONDS: int(60, 3600).default(300),
  OTP_MAX_ATTEMPTS: int(1, 20).default(5),
  OTP_RESEND_COOLDOWN_SECONDS: int(0, 3600).default(60),
  OTP_MAX_PER_HOUR: int(1, 100).default(5),
  OTP_IP_MAX_PER_HOUR: int(1, 100_000).default(30),
  SESSION_TTL_DAYS: int(1, 365).default(30),
  /** Admin console (/admin) sessions: ended after this long without a request, and this long after sign-in whatever happens. */
  CONSOLE_IDLE_MINUTES: int(1, 24 * 60).default(30),
  CONSOLE_ABSOLUTE_HOURS: int(1, 7 * 24).default(12),
  /** Four eyes: a console refund or payout above this amount (minor units) waits for a second admin's approval. */
  FOUR_EYES_ABOVE_MINOR: int(0, 1_000_000_000_000).default(500_000),

  /** Base of referral share links (the code is appended as the last path segment); default PUBLIC_BASE_URL + /r */
  REFERRAL_LINK_BASE_URL: z.url().optional(),
  /** Referral code attempts per address per hour (a new user guessing codes) */
  REFERRAL_ATTRIBUTIONS_PER_HOUR: int(1, 100_000).default(10),

  SMS_PROVIDER: z.enum(['console', 'africastalking']).default('console'),
  AT_BASE_URL: z.url().default('https://api.africastalking.com'),
  AT_USERNAME: z.string().min(1).optional(),
  AT_API_KEY: z.string().min(1).optional(),
  AT_SENDER_ID: z.string().min(1).max(11).optional(),
  AT_TIMEOUT_MS: int(100, 60_000).default(10_000),

  // Notifications to people (notifications module). SMS goes through SMS_PROVIDER above.
  /** off: everyone gets SMS; console: logged (development); whatsapp_cloud: Meta's Cloud API */
  WHATSAPP_PROVIDER: z.enum(['off', 'console', 'whatsapp_cloud']).default('off'),
  WHATSAPP_BASE_URL: z.url().default('https://graph.facebook.com'),
  WHATSAPP_API_VERSION: z
    .string()
    .regex(/^v\d{2}\.0$/, 'must look like v21.0')
    .default('v21.0'),
  WHATSAPP_PHONE_NUMBER_ID: z
    .string()
    .regex(/^\d{5,20}$/)
    .optional(),
  WHATSAPP_ACCESS_TOKEN: z.string().min(1).optional(),
  /** signs the webhooks (X-Hub-Signature-256) */
  WHATSAPP_APP_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** answered back to Meta's GET verification (hub.verify_token) */
  WHATSAPP_VERIFY_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  WHATSAPP_TIMEOUT_MS: int(100, 60_000).default(10_000),
  WHATSAPP_TEMPLATE_LANG_EN: z.string().min(2).max(10).default('en_US'),
  WHATSAPP_TEMPLATE_LANG_SW: z.string().min(2).max(10).default('sw'),
  /** a critical WhatsApp message not delivered within this many seconds also goes by SMS */
  NOTIFY_FAILOVER_SECONDS: int(10, 24 * 3600).default(300),
  /** Dar es Salaam hours (start-end) in which non-critical messages wait, or "off" */
  NOTIFY_QUIET_HOURS: z
    .string()
    .regex(/^(off|([01]?\d|2[0-3])-([01]?\d|2[0-3]))$/, 'must be "HH-HH" (e.g. 21-7) or "off"')
    .refine((v) => v === 'off' || v.split('-')[0] !== v.split('-')[1], 'start and end must differ')
    .default('21-7'),
  NOTIFY_MAX_ATTEMPTS: int(1, 20).default(5),
  /** operations are alerted when this share (%) of a messaging provider's outcomes in the window failed */
  NOTIFY_PROVIDER_ALERT_PERCENT: int(1, 100).default(20),
  /** operations are alerted when this share (%) of a mobile-money provider's recorded calls in the window failed (no answer or 5xx) */
  PAYMENT_PROVIDER_ALERT_PERCENT: int(1, 100).default(20),
  /** … counted over the calls of the last this many minutes (and alerted at most once per such span) */
  PAYMENT_PROVIDER_ALERT_WINDOW_MINUTES: int(1, 24 * 60).default(15),
  /** … once the window holds at least this many calls */
  PAYMENT_PROVIDER_ALERT_MIN_CALLS: int(1, 1_000_000).default(20),
  /** … counted over the messages caused in the last this many minutes (and alerted at most once per such span) */
  NOTIFY_PROVIDER_ALERT_WINDOW_MINUTES: int(1, 24 * 60).default(15),
  /** … once the window holds at least this many outcomes (a few failures of a handful mean little) */
  NOTIFY_PROVIDER_ALERT_MIN_MESSAGES: int(1, 1_000_000).default(20),
  /**
   * secret path segment of the SMS delivery-report URL; generated per process when unset, which
   * means no report is accepted across restarts: set it wherever delivery reports matter
   */
  NOTIFY_CALLBACK_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9]{32,128}$/, 'must be 32-128 letters and digits (it goes in a URL path)')
    .optional(),
  /** comma-separated addresses allowed to post delivery reports; a second check, never the only one */
  NOTIFY_CALLBACK_ALLOWED_IPS: z.string().optional(),
  NOTIFY_CALLBACKS_PER_MINUTE: int(1, 1_000_000).default(600),

  // Payments. The simulator is the default so `npm start` walks a whole order; production refuses it.
  PAYMENT_PROVIDER: z.enum(['simulator', 'vodacom_tz', 'daraja']).default('simulator'),
  /** secret path segment of the callback URLs; generated per process in development */
  PAYMENT_CALLBACK_TOKEN: z
    .string()
    .regex(
      new RegExp(`^[A-Za-z0-9]{32,${CALLBACK_TOKEN_MAX_LENGTH}}$`),
      `must be 32-${CALLBACK_TOKEN_MAX_LENGTH} letters and digits (it goes in a URL path)`,
    )
    .optional(),
  /** comma-separated addresses allowed to post callbacks; a second check, never the only one */
  PAYMENT_CALLBACK_ALLOWED_IPS: z.string().optional(),
  /** secret path segment of the USSD callback (Africa's Talking); generated per process when unset, which leaves USSD unreachable */
  USSD_CALLBACK_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9]{32,128}$/, 'must be 32-128 letters and digits (it goes in a URL path)')
    .optional(),
  /** comma-separated addresses allowed to post USSD callbacks; a second check, never the only one */
  USSD_ALLOWED_IPS: z.string().optional(),
  /** USSD requests one phone may make a minute (a session is a handful) */
  USSD_REQUESTS_PER_MINUTE: int(1, 1000).default(30),
  /** days a USSD session and its answered actions are kept before the daily purge deletes them */
  USSD_RETENTION_DAYS: int(1, 3650).default(30),
  PAYMENT_VERIFY_BY_QUERY: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  PAYMENT_TIMEOUT_MS: int(100, 120_000).default(15_000),
  PAYMENT_RETRIES: int(0, 5).default(2),
  PAYMENT_BACKOFF_MS: int(0, 60_000).default(500),
  PAYMENT_FIRST_QUERY_SECONDS: int(1, 3600).default(60),
  PAYMENT_GIVE_UP_MINUTES: int(5, 7 * 24 * 60).default(24 * 60),
  REFUND_MAX_ATTEMPTS: int(1, 20).default(5),
  /** How long a buyer is told a refund takes at most, in the cancellation message ("refunded … by …") */
  REFUND_PROMISE_HOURS: int(1, 24 * 14).default(24),
  PAYOUT_MINIMUM: int(1, 1_000_000_000).default(1_000_000),
  PAYOUT_HOLD_HOURS_AFTER_PHONE_CHANGE: int(0, 24 * 30).default(48),
  PAYOUT_INTERVAL_HOURS: int(1, 24 * 30).default(24),
  /** a payout still on its way (or failed with its money held for review) this long after it was
   * requested is stuck: every admin is told, once per payout */
  PAYOUT_STUCK_MINUTES: int(1, 7 * 24 * 60).default(120),
  /** payment prompts one client address may start per hour (each one rings someone's phone) */
  PAYMENT_PUSHES_PER_HOUR: int(1, 100_000).default(30),
  /** payment prompts per checkout, ever: a checkout is not a way to ring a phone forever */
  PAYMENT_PUSHES_PER_CHECKOUT: int(1, 100).default(5),
  SIMULATOR_DELAY_MS: int(0, 600_000).default(5000),
  VODACOM_BASE_URL: z.url().default('https://openapi.m-pesa.com'),
  VODACOM_PATH_PREFIX: z
    .string()
    .regex(/^\/[A-Za-z0-9/_-]+$/)
    .default('/openapi/ipg/v2/vodacomTZN'),
  VODACOM_API_KEY: z.string().min(1).optional(),
  VODACOM_PUBLIC_KEY: z.string().min(1).optional(),
  VODACOM_SERVICE_PROVIDER_CODE: z
    .string()
    .regex(/^[0-9A-Za-z]{4,12}$/)
    .optional(),
  VODACOM_ORIGIN: z.string().min(1).default('*'),
  VODACOM_C2B_TIMEOUT_MS: int(1000, 300_000).default(120_000),
  VODACOM_SESSION_TTL_SECONDS: int(60, 24 * 3600).default(3000),
  DARAJA_BASE_URL: z.url().default('https://api.safaricom.co.ke'),
  DARAJA_CONSUMER_KEY: z.string().min(1).optional(),
  DARAJA_CONSUMER_SECRET: z.string().min(1).optional(),
  DARAJA_SHORTCODE: z
    .string()
    .regex(/^\d{5,7}$/)
    .optional(),
  DARAJA_PASSKEY: z.string().min(1).optional(),
  DARAJA_TRANSACTION_TYPE: z
    .enum(['CustomerPayBillOnline', 'CustomerBuyGoodsOnline'])
    .default('CustomerPayBillOnline'),
  DARAJA_PARTY_B: z
    .string()
    .regex(/^\d{5,7}$/)
    .optional(),
  DARAJA_INITIATOR_NAME: z.string().min(1).optional(),
  DARAJA_INITIATOR_PASSWORD: z.string().min(1).optional(),
  /** path to the Safaricom certificate (PEM) that encrypts the initiator password */
  DARAJA_CERT_PATH: z.string().min(1).optional(),
  DARAJA_B2C_SHORTCODE: z
    .string()
    .regex(/^\d{5,7}$/)
    .optional(),
});

export type Config = Omit<
  z.output<typeof envSchema>,
  | 'OTP_HASH_SECRET'
  | 'TRUST_PROXY'
  | 'PAYMENT_CALLBACK_TOKEN'
  | 'PAYMENT_CALLBACK_ALLOWED_IPS'
  | 'USSD_CALLBACK_TOKEN'
  | 'USSD_ALLOWED_IPS'
  | 'NOTIFY_CALLBACK_TOKEN'
  | 'NOTIFY_CALLBACK_ALLOWED_IPS'
> & {
  NOTIFY_CALLBACK_TOKEN: string;
  NOTIFY_CALLBACK_ALLOWED_IPS: string[] | null;
  OTP_HASH_SECRET: string;
  TRUST_PROXY: false | number | string[];
  PAYMENT_CALLBACK_TOKEN: string;
  PAYMENT_CALLBACK_ALLOWED_IPS: string[] | null;
  USSD_CALLBACK_TOKEN: string;
  USSD_ALLOWED_IPS: string[] | null;
  /** True when OTP_HASH_SECRET was generated for this process (development only). */
  otpSecretGenerated: boolean;
};

function parseTrustProxy(v: string | undefined): false | number | string[] {
  if (!v || v === 'false' || v === '0') return false;
  return /^\d+$/.test(v) ? Number(v) : v.split(',');
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings in .env files mean "not set", not "set to empty".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const c = parsed.data;
  const problems: string[] = [];
  const production = c.NODE_ENV === 'production';
  if (production && !c.OTP_HASH_SECRET) problems.push('OTP_HASH_SECRET: required when NODE_ENV=production');
  if (production && c.SMS_PROVIDER === 'console') {
    problems.push('SMS_PROVIDER: the console adapter logs OTP codes and is refused when NODE_ENV=production');
  }
  if (c.SMS_PROVIDER === 'africastalking') {
    if (!c.AT_USERNAME) problems.push('AT_USERNAME: required when SMS_PROVIDER=africastalking');
    if (!c.AT_API_KEY) problems.push('AT_API_KEY: required when SMS_PROVIDER=africastalking');
  }
  if (production && c.WHATSAPP_PROVIDER === 'console')
    problems.push(
      'WHATSAPP_PROVIDER: the console adapter logs messages and is refused when NODE_ENV=production',
    );
  if (c.WHATSAPP_PROVIDER === 'whatsapp_cloud') {
    for (const n of [
      'WHATSAPP_PHONE_NUMBER_ID',
      'WHATSAPP_ACCESS_TOKEN',
      'WHATSAPP_APP_SECRET',
      'WHATSAPP_VERIFY_TOKEN',
    ] as const)
      if (!c[n]) problems.push(`${n}: required when WHATSAPP_PROVIDER=whatsapp_cloud`);
  }
  if (production && c.PAYMENT_PROVIDER === 'simulator')
    problems.push('PAYMENT_PROVIDER: the simulator moves no money and is refused when NODE_ENV=production');
  if (production && !c.PAYMENT_CALLBACK_TOKEN)
    problems.push('PAYMENT_CALLBACK_TOKEN: required when NODE_ENV=production');
  if (production && !c.PUBLIC_BASE_URL)
    problems.push('PUBLIC_BASE_URL: required when NODE_ENV=production (providers post callbacks to it)');
  if (!c.PAYMENT_VERIFY_BY_QUERY && c.PAYMENT_PROVIDER !== 'simulator')
    problems.push(
      "PAYMENT_VERIFY_BY_QUERY: may be false only with the simulator; a real provider's callbacks are unsigned",
    );
  if (!c.EMBEDDED_WORKER && !c.PAYMENT_CALLBACK_TOKEN)
    problems.push(
      'PAYMENT_CALLBACK_TOKEN: required when EMBEDDED_WORKER=false (the API and the workers must share it)',
    );
  if (c.MEDIA_STORAGE === 's3')
    for (const n of ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const)
      if (!c[n]) problems.push(`${n}: required when MEDIA_STORAGE=s3`);
  const need = (provider: string, names: Array<keyof typeof c>) => {
    if (c.PAYMENT_PROVIDER !== provider) return;
    for (const n of names) if (!c[n]) problems.push(`${n}: required when PAYMENT_PROVIDER=${provider}`);
  };
  need('vodacom_tz', ['VODACOM_API_KEY', 'VODACOM_PUBLIC_KEY', 'VODACOM_SERVICE_PROVIDER_CODE']);
  need('daraja', [
    'DARAJA_CONSUMER_KEY',
    'DARAJA_CONSUMER_SECRET',
    'DARAJA_SHORTCODE',
    'DARAJA_PASSKEY',
    'DARAJA_INITIATOR_NAME',
    'DARAJA_INITIATOR_PASSWORD',
    'DARAJA_CERT_PATH',
  ]);
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    ...c,
    TRUST_PROXY: parseTrustProxy(c.TRUST_PROXY),
    PAYMENT_CALLBACK_TOKEN: c.PAYMENT_CALLBACK_TOKEN ?? randomBytes(24).toString('hex'),
    PAYMENT_CALLBACK_ALLOWED_IPS: c.PAYMENT_CALLBACK_ALLOWED_IPS
      ? c.PAYMENT_CALLBACK_ALLOWED_IPS.split(',').map((ip) => ip.trim())
      : null,
    USSD_CALLBACK_TOKEN: c.USSD_CALLBACK_TOKEN ?? randomBytes(24).toString('hex'),
    USSD_ALLOWED_IPS: c.USSD_ALLOWED_IPS ? c.USSD_ALLOWED_IPS.split(',').map((ip) => ip.trim()) : null,
    NOTIFY_CALLBACK_TOKEN: c.NOTIFY_CALLBACK_TOKEN ?? randomBytes(24).toString('hex'),
    NOTIFY_CALLBACK_ALLOWED_IPS: c.NOTIFY_CALLBACK_ALLOWED_IPS
      ? c.NOTIFY_CALLBACK_ALLOWED_IPS.split(',').map((ip) => ip.trim())
      : null,
    // A per-process secret is fine on a laptop: restarting only invalidates codes in flight.
    OTP_HASH_SECRET: c.OTP_HASH_SECRET ?? randomBytes(32).toString('hex'),
    otpSecretGenerated: !c.OTP_HASH_SECRET,
  };
}

/** Entry points call this first: a `.env` in the working directory fills in what the environment does not set. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
