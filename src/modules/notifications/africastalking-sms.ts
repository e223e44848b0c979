import { parseProviderCost } from './format.js';
import { SmsError, type SmsReceipt, type SmsSender } from './sms.js';

export interface AfricasTalkingConfig {
  baseUrl: string;
  username: string;
  apiKey: string;
  senderId?: string | undefined;
  timeoutMs: number;
}

// Per-recipient codes that mean the message was accepted (Processed, Sent, Queued); anything else
// is a rejection even inside an HTTP 201.
const ACCEPTED = new Set([100, 101, 102]);
// Failures where trying again later can work: risk hold, balance, routing, provider-side errors.
const RETRYABLE = new Set([401, 405, 407, 500, 501, 502]);

interface AtReply {
  SMSMessageData?: {
    Message?: string;
    Recipients?: Array<{
      statusCode?: number;
      number?: string;
      status?: string;
      messageId?: string;
      cost?: string;
    }>;
  };
}

/** Africa's Talking bulk SMS (`POST /version1/messaging`, form-encoded, `apiKey` header, 201 on success). */
export function createAfricasTalkingSms(
  cfg: AfricasTalkingConfig,
  fetchImpl: typeof fetch = fetch,
): SmsSender {
  const url = new URL('/version1/messaging', cfg.baseUrl).toString();
  return {
    name: 'africastalking',
    async send(to, message): Promise<SmsReceipt> {
      const form = new URLSearchParams({ username: cfg.username, to, message });
      if (cfg.senderId) form.set('from', cfg.senderId);
      let res: Response;
      try {
        res = await fetchImpl(url, {
          method: 'POST',
          headers: {
            apiKey: cfg.apiKey,
            Accept: 'application/json',
            'Content-Type': 'application/x-www-form-urlencoded',
          },
          body: form.toString(),
          signal: AbortSignal.timeout(cfg.timeoutMs),
        });
      } catch (err) {
        const name = (err as Error).name;
        if (name === 'TimeoutError' || name === 'AbortError') {
          throw new SmsError('TIMEOUT', `Africa's Talking did not answer within ${cfg.timeoutMs} ms`, true);
        }
        throw new SmsError('NETWORK', `Africa's Talking unreachable: ${(err as Error).message}`, true);
      }
      const text = await res.text().catch(() => '');
      if (res.status !== 201 && res.status !== 200) {
        // 401/403: our credentials are wrong; retrying will not help. 5xx: theirs; it may.
        throw new SmsError(
          'HTTP_ERROR',
          `Africa's Talking answered HTTP ${res.status}: ${text.slice(0, 200)}`,
          res.status >= 500,
          res.status,
        );
      }
      let body: AtReply;
      try {
        body = JSON.parse(text) as AtReply;
      } catch {
        throw new SmsError('BAD_REPLY', `Africa's Talking answered with a body that is not JSON`, false);
      }
      const recipient = body.SMSMessageData?.Recipients?.[0];
      if (!recipient || typeof recipient.statusCode !== 'number') {
        throw new SmsError(
          'REJECTED',
          `Africa's Talking accepted no recipient: ${body.SMSMessageData?.Message ?? 'no message'}`,
          false,
        );
      }
      if (!ACCEPTED.has(recipient.statusCode)) {
        throw new SmsError(
          'REJECTED',
          `Africa's Talking refused the recipient: ${recipient.statusCode} ${recipient.status ?? ''}`.trim(),
          RETRYABLE.has(recipient.statusCode),
          recipient.statusCode,
        );
      }
      return {
        messageId: recipient.messageId ?? null,
        status: recipient.status ?? 'Success',
        cost: parseProviderCost(recipient.cost),
      };
    },
  };
}
