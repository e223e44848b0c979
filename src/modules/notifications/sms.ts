/** The SMS port: what identity and notifications need from any SMS provider. */
export interface SmsSender {
  readonly name: string;
  send(to: string, message: string): Promise<SmsReceipt>;
}

export interface SmsReceipt {
  messageId: string | null;
  status: string;
  /** what the provider says the message cost, in minor units (Africa's Talking's `cost` field) */
  cost?: { minor: number; currency: string } | null;
  /** true when the adapter knows the message arrived (the console adapter: it is the destination) */
  delivered?: boolean;
}

/**
 * A provider failed to take the message. `retryable` says whether the same send may succeed later;
 * `providerCode` is the provider's own code (AT statusCode, WhatsApp error code), kept for the record.
 */
export class SmsError extends Error {
  constructor(
    readonly reason: 'TIMEOUT' | 'NETWORK' | 'HTTP_ERROR' | 'REJECTED' | 'BAD_REPLY',
    message: string,
    readonly retryable: boolean,
    readonly providerCode: number | null = null,
  ) {
    super(message);
    this.name = 'SmsError';
  }
}

/** The same failure shape for every channel's adapter. */
export { SmsError as ChannelError };
