// Which real payment adapter the environment asks for, and its settings. Read from the
// environment's own names (a structural slice: the app's Config fits it, this module never
// imports it).
import { readFileSync } from 'node:fs';
import type { Clock } from '../../shared/clock.js';
import { createDarajaProvider } from './daraja.js';
import { callbackUrlFor, publicBaseUrl } from './model.js';
import type { PaymentProvider, ProviderCallRecorder } from './port.js';
import { createVodacomProvider } from './vodacom.js';

type Opt = string | undefined;

export interface ProviderEnv {
  PAYMENT_PROVIDER: 'simulator' | 'vodacom_tz' | 'daraja';
  PAYMENT_TIMEOUT_MS: number;
  PAYMENT_RETRIES: number;
  PAYMENT_BACKOFF_MS: number;
  PAYMENT_CALLBACK_TOKEN: string;
  PUBLIC_BASE_URL?: Opt;
  PORT: number;
  VODACOM_BASE_URL: string;
  VODACOM_PATH_PREFIX: string;
  VODACOM_API_KEY?: Opt;
  VODACOM_PUBLIC_KEY?: Opt;
  VODACOM_SERVICE_PROVIDER_CODE?: Opt;
  VODACOM_ORIGIN: string;
  VODACOM_C2B_TIMEOUT_MS: number;
  VODACOM_SESSION_TTL_SECONDS: number;
  DARAJA_BASE_URL: string;
  DARAJA_CONSUMER_KEY?: Opt;
  DARAJA_CONSUMER_SECRET?: Opt;
  DARAJA_SHORTCODE?: Opt;
  DARAJA_PASSKEY?: Opt;
  DARAJA_TRANSACTION_TYPE: 'CustomerPayBillOnline' | 'CustomerBuyGoodsOnline';
  DARAJA_PARTY_B?: Opt;
  DARAJA_INITIATOR_NAME?: Opt;
  DARAJA_INITIATOR_PASSWORD?: Opt;
  DARAJA_CERT_PATH?: Opt;
  DARAJA_B2C_SHORTCODE?: Opt;
}

/** The real adapter for PAYMENT_PROVIDER (the config has checked the credentials it needs). */
export function providerFromEnv(
  env: ProviderEnv,
  clock: Clock,
  record: ProviderCallRecorder,
): PaymentProvider {
  const common = {
    timeoutMs: env.PAYMENT_TIMEOUT_MS,
    retries: env.PAYMENT_RETRIES,
    backoffMs: env.PAYMENT_BACKOFF_MS,
  };
  if (env.PAYMENT_PROVIDER === 'vodacom_tz') {
    return createVodacomProvider(
      {
        ...common,
        baseUrl: env.VODACOM_BASE_URL,
        pathPrefix: env.VODACOM_PATH_PREFIX,
        apiKey: env.VODACOM_API_KEY!,
        publicKey: env.VODACOM_PUBLIC_KEY!,
        serviceProviderCode: env.VODACOM_SERVICE_PROVIDER_CODE!,
        origin: env.VODACOM_ORIGIN,
        country: 'TZN',
        currency: 'TZS',
        c2bTimeoutMs: env.VODACOM_C2B_TIMEOUT_MS,
        sessionTtlSeconds: env.VODACOM_SESSION_TTL_SECONDS,
      },
      { clock, record },
    );
  }
  // Daraja's status answers arrive like a send's result.
  const callbacks = callbackUrlFor(publicBaseUrl(env), 'daraja', 'disbursement', env.PAYMENT_CALLBACK_TOKEN);
  return createDarajaProvider(
    {
      ...common,
      baseUrl: env.DARAJA_BASE_URL,
      consumerKey: env.DARAJA_CONSUMER_KEY!,
      consumerSecret: env.DARAJA_CONSUMER_SECRET!,
      shortcode: env.DARAJA_SHORTCODE!,
      passkey: env.DARAJA_PASSKEY!,
      transactionType: env.DARAJA_TRANSACTION_TYPE,
      partyB: env.DARAJA_PARTY_B ?? env.DARAJA_SHORTCODE!,
      initiatorName: env.DARAJA_INITIATOR_NAME!,
      initiatorPassword: env.DARAJA_INITIATOR_PASSWORD!,
      certificatePem: readFileSync(env.DARAJA_CERT_PATH!, 'utf8'),
      b2cShortcode: env.DARAJA_B2C_SHORTCODE ?? env.DARAJA_SHORTCODE!,
      currency: 'KES',
      statusResultUrl: callbacks,
      statusTimeoutUrl: callbacks,
    },
    { clock, record },
  );
}
