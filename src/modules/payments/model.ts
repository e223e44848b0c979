export const PROVIDER_NAMES = ['simulator', 'vodacom_tz', 'daraja'] as const;

/**
 * A collection (one push to the payer's phone) moves `initiated → pending → one final state`.
 * Only `succeeded` moved money; the other final states are retried by a new collection.
 */
export const COLLECTION_STATUSES = [
  'initiated',
  'pending',
  'succeeded',
  'failed',
  'cancelled',
  'timeout',
] as const;
export type CollectionStatus = (typeof COLLECTION_STATUSES)[number];
export const FINAL_COLLECTION: readonly CollectionStatus[] = ['succeeded', 'failed', 'cancelled', 'timeout'];
/** The result code of a collection we closed ourselves for lack of an answer. */
export const GIVEN_UP = 'UNCONFIRMED';
/** A collection we closed ourselves for lack of an answer; the provider never said it failed. */
export const isGivenUp = (c: { status: CollectionStatus; resultCode: string | null }) =>
  c.status === 'timeout' && c.resultCode === GIVEN_UP;

/** What a succeeded collection paid for: the checkout, or nothing (late or second money, refunded). */
export const COLLECTION_USES = ['funded_checkout', 'refunded_late', 'refunded_duplicate'] as const;

export const DISBURSEMENT_KINDS = ['refund', 'payout'] as const;
export type DisbursementKind = (typeof DISBURSEMENT_KINDS)[number];
/**
 * A send of money to a phone: `queued` (not yet asked), `sending` (asked; outcome unknown until the
 * provider or a status query says), then `succeeded`, or `failed` (a refund is retried with a new
 * attempt; a payout's amount returns to the seller's available balance).
 */
export const DISBURSEMENT_STATUSES = ['queued', 'sending', 'succeeded', 'failed'] as const;
export type DisbursementStatus = (typeof DISBURSEMENT_STATUSES)[number];

export const CALLBACK_VERDICTS = [
  'accepted',
  'duplicate',
  'bad_token',
  'ip_not_allowed',
  'malformed',
  'unknown_reference',
  'amount_mismatch',
  'phone_mismatch',
  'receipt_reused',
] as const;
export type CallbackVerdict = (typeof CALLBACK_VERDICTS)[number];

/** Where a provider posts its results: our public base, then a secret token as the last path segment. */
export const callbackUrlFor = (
  base: string,
  provider: string,
  kind: 'collection' | 'disbursement',
  token: string,
) => `${base.replace(/\/$/, '')}/api/v1/payments/callbacks/${provider}/${kind}/${token}`;

/** Where the service is reached from outside (providers' callbacks, the simulator). */
export const publicBaseUrl = (config: { PUBLIC_BASE_URL?: string | undefined; PORT: number }) =>
  config.PUBLIC_BASE_URL ?? `http://127.0.0.1:${config.PORT}`;

/** Our reference for a provider request: the row's uuid without hyphens (32 hex fits every provider). */
export const referenceOf = (id: string) => id.replaceAll('-', '');
