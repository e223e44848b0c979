import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { z } from 'zod';

// Every setting the service reads comes through here, parsed once at start. A bad value stops the
// process with the variable's name, so a typo in production never turns into a silent default.

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

  BODY_LIMIT_BYTES: int(1024, 10 * 1024 * 1024).default(64 * 1024),
  MEDIA_MAX_BYTES: int(1024, 50 * 1024 * 1024).default(5 * 1024 * 1024),
  MEDIA_UPLOADS_PER_HOUR: int(1, 10_000).default(60),
  LOW_STOCK_THRESHOLD: int(0, 1000).default(5),
  PUBLIC_READS_PER_MINUTE: int(1, 1_000_000).default(600),
  CART_MAX_QUANTITY: int(1, 1000).default(20),
  LOYALTY_POINT_VALUE: int(1, 1_000_000).default(100),
  LOYALTY_MAX_SHARE_BP: int(0, 10_000).default(2000),
  LOYALTY_EARN_PER_POINT: int(1, 1_000_000_000).default(100_000),
  CHECKOUT_TTL_MINUTES: int(1, 24 * 60).default(30),
  DISPUTE_WINDOW_HOURS: int(1, 24 * 30).default(48),
  DELIVERY_FEE: int(0, 100_000_000).default(300_000),
  DELIVERY_CODE_DIGITS: int(4, 6).default(4),
  DELIVERY_CODE_MAX_ATTEMPTS: int(1, 20).default(5),
  EMBEDDED_WORKER: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  WORKER_INTERVAL_MS: int(100, 60_000).default(1000),
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

  SMS_PROVIDER: z.enum(['console', 'africastalking']).default('console'),
  AT_BASE_URL: z.url().default('https://api.africastalking.com'),
  AT_USERNAME: z.string().min(1).optional(),
  AT_API_KEY: z.string().min(1).optional(),
  AT_SENDER_ID: z.string().min(1).max(11).optional(),
  AT_TIMEOUT_MS: int(100, 60_000).default(10_000),
});

export type Config = Omit<z.output<typeof envSchema>, 'OTP_HASH_SECRET' | 'TRUST_PROXY'> & {
  OTP_HASH_SECRET: string;
  TRUST_PROXY: false | number | string[];
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
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    ...c,
    TRUST_PROXY: parseTrustProxy(c.TRUST_PROXY),
    // A per-process secret is fine on a laptop: restarting only invalidates codes in flight.
    OTP_HASH_SECRET: c.OTP_HASH_SECRET ?? randomBytes(32).toString('hex'),
    otpSecretGenerated: !c.OTP_HASH_SECRET,
  };
}

/** Entry points call this first: a `.env` in the working directory fills in what the environment does not set. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
