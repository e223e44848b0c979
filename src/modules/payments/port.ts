// The payment port: what the payments service asks of any mobile-money provider. Adapters
// (simulator, Vodacom Tanzania OpenAPI, Safaricom Daraja) translate it to their wire protocol;
// nothing outside an adapter knows a provider's field names or result codes.
//
// Amounts cross this port in minor units (integers). Adapters for providers that take whole
// shillings divide by 100 and refuse anything with a fraction (ProviderError 'AMOUNT_NOT_WHOLE').
// Phones cross it in E.164 with the plus (`+255712345678`); adapters convert to what the wire wants.

export type ProviderName = 'simulator' | 'vodacom_tz' | 'daraja';

/** Where a money movement stands, as far as the provider has told us. */
export type Outcome =
  /** the money moved */
  | 'succeeded'
  /** it did not, and will not: insufficient funds, wrong PIN, limits, rejected request */
  | 'failed'
  /** the customer said no on the handset */
  | 'cancelled'
  /** the customer did not answer in time; nothing moved */
  | 'timeout'
  /** not decided yet, or we cannot tell (our call timed out): ask again later, never resend blindly */
  | 'pending';

/** What one provider answer means, plus the raw code kept for support and statements. */
export interface ProviderResult {
  outcome: Outcome;
  /** the provider's id for this request (CheckoutRequestID, ConversationID, …) when it gave one */
  providerRef: string | null;
  /** the money movement's receipt (M-Pesa receipt / TransactionID) once it succeeded */
  receipt: string | null;
  /** minor units, when the provider reported an amount */
  amount: number | null;
  /** E.164, when the provider reported the counterparty's phone */
  msisdn: string | null;
  /** the provider's raw result code, as text ("0", "1032", "INS-0", "SFC_IC0003") */
  code: string;
  message: string;
}

export interface CollectionRequest {
  /** our id for this attempt: 32 lowercase hex chars (fits every provider's reference field) */
  reference: string;
  msisdn: string;
  amount: number;
  currency: string;
  /** shown to the payer; adapters shorten it to the provider's limit */
  description: string;
  /** our webhook, with its secret path token, for providers that take the URL per request */
  callbackUrl: string;
  /** simulator only: the outcome to play for this request (real adapters ignore it) */
  simulate?: SimulatedOutcome | undefined;
}

/** What the development simulator can be asked to do with a push or a send. */
export const SIMULATED_OUTCOMES = [
  'success',
  'cancelled',
  'timeout',
  'insufficient_funds',
  'wrong_pin',
  'no_callback',
] as const;
export type SimulatedOutcome = (typeof SIMULATED_OUTCOMES)[number];

export interface DisbursementRequest {
  /** our id for this send, used as the provider's idempotency id (OriginatorConversationID, …) */
  reference: string;
  msisdn: string;
  amount: number;
  currency: string;
  /** why we send: "Refund …" / "Payout …"; adapters shorten it to the provider's limit */
  remarks: string;
  /** where an asynchronous result is posted (Daraja ResultURL) */
  resultUrl: string;
  /** where Daraja posts a queue timeout: treated as "outcome unknown", resolved by a status query */
  timeoutUrl: string;
}

export interface ReversalRequest {
  reference: string;
  /** the receipt of the collection being reversed */
  receipt: string;
  amount: number;
  currency: string;
  resultUrl: string;
  timeoutUrl: string;
}

/** What a provider callback said, once parsed. `null` from `parseCallback` means "not a callback we understand". */
export interface ParsedCallback extends ProviderResult {
  /** our reference when the provider echoes it (Vodacom ThirdPartyConversationID, Daraja OriginatorConversationID) */
  reference: string | null;
}

/** The body and status the provider expects back from our webhook. */
export interface CallbackReply {
  status: number;
  body: unknown;
}

export type CallbackKind = 'collection' | 'disbursement';

export interface PaymentProvider {
  readonly name: ProviderName;
  /** ISO 4217 code this account collects and pays in */
  readonly currency: string;
  /**
   * Ask the provider to push a payment prompt to the payer. `succeeded` only when the provider
   * answers synchronously with the final result (Vodacom sync flow); usually `pending`.
   * A timeout is `pending` (the request may have reached the payer) — never `failed`.
   */
  initiateCollection(req: CollectionRequest): Promise<ProviderResult>;
  /** The final state of a collection, from the provider (STK query, queryTransactionStatus). */
  queryCollection(ref: { reference: string; providerRef: string | null }): Promise<ProviderResult>;
  /** Send money to a phone (refunds, payouts). Same reference twice must never pay twice. */
  sendMoney(req: DisbursementRequest): Promise<ProviderResult>;
  /** The final state of a send; `pending` when the provider answers asynchronously. */
  querySend(ref: {
    reference: string;
    providerRef: string | null;
    receipt: string | null;
  }): Promise<ProviderResult>;
  /** Reverse a whole collection (wrong or duplicate payment). */
  reverseCollection(req: ReversalRequest): Promise<ProviderResult>;
  /** Parse a callback body the provider posted to our webhook; `null` if it is not one. */
  parseCallback(kind: CallbackKind, body: unknown): ParsedCallback | null;
  /** What to answer the provider for a callback (always a success reply once we stored it). */
  callbackReply(kind: CallbackKind, parsed: ParsedCallback | null): CallbackReply;
}

/** A provider call that could not be made or was refused before it reached the money. */
export class ProviderError extends Error {
  constructor(
    readonly code:
      | 'AMOUNT_NOT_WHOLE'
      | 'AMOUNT_OUT_OF_RANGE'
      | 'CURRENCY_MISMATCH'
      | 'INVALID_MSISDN'
      | 'AUTH_FAILED'
      | 'BAD_REPLY'
      | 'HTTP_ERROR'
      | 'NETWORK'
      | 'TIMEOUT',
    message: string,
    /** true when trying again later may succeed */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** One provider call as stored for support and audits, secrets already masked. */
export interface ProviderCallRecord {
  provider: ProviderName;
  operation: string;
  method: string;
  url: string;
  requestBody: unknown;
  responseStatus: number | null;
  responseBody: unknown;
  error: string | null;
  durationMs: number;
  reference: string | null;
}

/** Stores a call record; awaited, and must not throw (a failed record never fails a payment). */
export type ProviderCallRecorder = (record: ProviderCallRecord) => void | Promise<void>;
