import type { Language } from './schema.js';
import { SmsError, type SmsReceipt } from './sms.js';

/** What a WhatsApp channel needs to send one message: the text, and the approved template to use instead. */
export interface WhatsAppMessage {
  /** E.164 with `+` */
  to: string;
  language: Language;
  text: string;
  template: { name: string; params: string[] };
  /** true inside the 24-hour customer window: free text is allowed */
  windowOpen: boolean;
}

export interface WhatsAppSender {
  readonly name: string;
  send(msg: WhatsAppMessage): Promise<SmsReceipt>;
}

export interface WhatsAppCloudConfig {
  baseUrl: string;
  apiVersion: string;
  phoneNumberId: string;
  accessToken: string;
  timeoutMs: number;
  /** Meta's language code of each of our languages' templates (e.g. en → en_US) */
  templateLanguage: Record<Language, string>;
}

/** Free text outside the 24-hour window. */
export const RE_ENGAGEMENT_REQUIRED = 131047;
// Throttling and temporary failures (rate limits, "service unavailable", Meta's own 1/2): later may work.
const RETRYABLE_CODES = new Set([1, 2, 4, 80007, 130429, 131000, 131016, 131048, 131056]);

interface GraphError {
  error?: { message?: string; code?: number; type?: string };
  messages?: Array<{ id?: string }>;
}

/**
 * WhatsApp Business Cloud API (PROTOCOLS.md §4.1): `POST /v{NN}.0/{PHONE_NUMBER_ID}/messages` with a
 * bearer token. Free text only inside the customer window; a 131047 reply turns it into the template.
 */
export function createWhatsAppCloud(
  cfg: WhatsAppCloudConfig,
  fetchImpl: typeof fetch = fetch,
): WhatsAppSender {
  const url = new URL(`/${cfg.apiVersion}/${cfg.phoneNumberId}/messages`, cfg.baseUrl).toString();

  async function post(body: object): Promise<{ status: number; json: GraphError }> {
    let res: Response;
    try {
      res = await fetchImpl(url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${cfg.accessToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(cfg.timeoutMs),
      });
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError')
        throw new SmsError('TIMEOUT', `WhatsApp did not answer within ${cfg.timeoutMs} ms`, true);
      throw new SmsError('NETWORK', `WhatsApp unreachable: ${(err as Error).message}`, true);
    }
    const text = await res.text().catch(() => '');
    try {
      return { status: res.status, json: JSON.parse(text) as GraphError };
    } catch {
      if (res.status >= 500)
        throw new SmsError('HTTP_ERROR', `WhatsApp answered HTTP ${res.status}`, true, res.status);
      throw new SmsError(
        'BAD_REPLY',
        `WhatsApp answered HTTP ${res.status} with a body that is not JSON`,
        false,
      );
    }
  }

  const digits = (e164: string) => e164.replace(/^\+/, '');

  return {
    name: 'whatsapp_cloud',
    async send(msg) {
      const base = { messaging_product: 'whatsapp', recipient_type: 'individual', to: digits(msg.to) };
      const asTemplate = {
        ...base,
        type: 'template',
        template: {
          name: msg.template.name,
          language: { code: cfg.templateLanguage[msg.language] },
          components: msg.template.params.length
            ? [{ type: 'body', parameters: msg.template.params.map((p) => ({ type: 'text', text: p })) }]
            : [],
        },
      };
      let reply = msg.windowOpen
        ? await post({ ...base, type: 'text', text: { preview_url: false, body: msg.text } })
        : await post(asTemplate);
      // Our idea of the window was wrong (the user's last message is older than we knew): the template.
      if (msg.windowOpen && reply.json.error?.code === RE_ENGAGEMENT_REQUIRED) reply = await post(asTemplate);
      const wamid = reply.json.messages?.[0]?.id;
      if (reply.status === 200 && wamid) return { messageId: wamid, status: 'accepted', cost: null };
      const code = reply.json.error?.code ?? null;
      const retryable =
        reply.status >= 500 || reply.status === 429 || (code !== null && RETRYABLE_CODES.has(code));
      throw new SmsError(
        reply.status === 200 ? 'BAD_REPLY' : 'REJECTED',
        `WhatsApp refused the message: HTTP ${reply.status} code ${code ?? 'none'} ${reply.json.error?.message ?? ''}`.trim(),
        retryable,
        code,
      );
    },
  };
}

interface Logger {
  info(obj: object, msg: string): void;
}

/** Development adapter: logs what would go over WhatsApp; the log is the recipient, so it counts as delivered. */
export function createConsoleWhatsApp(log: Logger): WhatsAppSender & { sent: WhatsAppMessage[] } {
  const sent: WhatsAppMessage[] = [];
  return {
    name: 'console',
    sent,
    async send(msg) {
      sent.push(msg);
      if (sent.length > 100) sent.shift();
      log.info(
        { whatsapp: { to: msg.to, text: msg.text, template: msg.template.name } },
        'console WhatsApp (development only)',
      );
      return { messageId: null, status: 'logged', delivered: true };
    },
  };
}
