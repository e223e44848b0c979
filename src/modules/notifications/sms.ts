/** The SMS port: what identity (and later notifications) need from any SMS provider. */
export interface SmsSender {
  readonly name: string;
  send(to: string, message: string): Promise<SmsReceipt>;
}

export interface SmsReceipt {
  messageId: string | null;
  status: string;
}

/** A provider failed to take the message. `retryable` says whether the same send may succeed later. */
export class SmsError extends Error {
  constructor(
    readonly reason: 'TIMEOUT' | 'NETWORK' | 'HTTP_ERROR' | 'REJECTED' | 'BAD_REPLY',
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'SmsError';
  }
}
