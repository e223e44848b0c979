import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A local WhatsApp Business Cloud API (PROTOCOLS.md §4, §6): POST /v{NN}.0/{PHONE_NUMBER_ID}/messages
// with a bearer token; a `wamid` per accepted message; free text refused with 131047 unless the
// recipient wrote to us within 24 hours (by the fake's clock). Status webhooks are signed with the
// app secret over the exact bytes sent, and the test decides whether they are dropped, delayed,
// reordered or duplicated.

export interface FakeWaSend {
  to: string;
  type: 'text' | 'template';
  text?: string;
  template?: { name: string; language: string; params: string[] };
  wamid: string;
  /** when the request arrived (the benchmark measures latency up to here) */
  at: Date;
}

export interface FakeWaStatus {
  wamid: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  /** unix seconds; defaults to the fake's clock */
  timestamp?: number;
  errorCode?: number;
}

export interface FakeWhatsApp {
  baseUrl: string;
  sends: FakeWaSend[];
  requests: Array<{ path: string; headers: IncomingMessage['headers']; body: string }>;
  /** per recipient (digits): answer with this Graph error instead of accepting */
  failFor: Map<string, { status: number; code: number; message: string }>;
  /** the app's webhook URL; set by the test */
  webhookUrl: string | null;
  /** the recipient wrote to us at this time: free text allowed for 24 hours */
  inbound(fromDigits: string, at?: Date): void;
  /**
   * Post status webhooks. Each is signed with the app secret (or `signWith`). `reorder` sends them
   * last-first, `duplicate` sends each twice, `drop` leaves out the listed indexes, `delayMs` waits
   * before each. Returns the HTTP statuses the app answered.
   */
  deliver(
    statuses: FakeWaStatus[],
    opts?: { reorder?: boolean; duplicate?: boolean; drop?: number[]; delayMs?: number; signWith?: string },
  ): Promise<number[]>;
  /** Sign and post an arbitrary body (forgeries, inbound messages). */
  post(body: string, signature: string | null): Promise<number>;
  sign(body: string, secret?: string): string;
  close(): Promise<void>;
}

export async function startFakeWhatsApp(opts: {
  accessToken: string;
  appSecret: string;
  phoneNumberId: string;
  now?: () => Date;
}): Promise<FakeWhatsApp> {
  const now = opts.now ?? (() => new Date());
  const sends: FakeWaSend[] = [];
  const requests: FakeWhatsApp['requests'] = [];
  const failFor: FakeWhatsApp['failFor'] = new Map();
  const lastInbound = new Map<string, Date>();
  let seq = 0;
  const graphError = (code: number, message: string) => ({
    error: { message, type: 'OAuthException', code, error_data: { details: message }, fbtrace_id: 'AbCdEf' },
  });

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      requests.push({ path: req.url ?? '', headers: req.headers, body: raw });
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const path = /^\/v\d{2}\.0\/(\d+)\/messages$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !path) return json(404, graphError(100, 'Unknown path'));
      if (req.headers.authorization !== `Bearer ${opts.accessToken}`)
        return json(401, graphError(190, 'Invalid OAuth access token'));
      if (path[1] !== opts.phoneNumberId) return json(400, graphError(100, 'Unknown phone number id'));
      let body: {
        messaging_product?: string;
        to?: string;
        type?: string;
        text?: { body?: string };
        template?: {
          name?: string;
          language?: { code?: string };
          components?: Array<{ parameters?: Array<{ text?: string }> }>;
        };
      };
      try {
        body = JSON.parse(raw);
      } catch {
        return json(400, graphError(100, 'Invalid JSON'));
      }
      if (body.messaging_product !== 'whatsapp' || !body.to || !/^\d{8,15}$/.test(body.to))
        return json(400, graphError(100, 'Invalid parameter'));
      const fail = failFor.get(body.to);
      if (fail) return json(fail.status, graphError(fail.code, fail.message));
      const wamid = `wamid.FAKE${String(++seq).padStart(6, '0')}`;
      if (body.type === 'text') {
        const last = lastInbound.get(body.to);
        if (!last || now().getTime() - last.getTime() >= 24 * 3600_000)
          return json(400, graphError(131047, 'Re-engagement message'));
        sends.push({ to: body.to, type: 'text', text: body.text?.body ?? '', wamid, at: new Date() });
      } else if (body.type === 'template' && body.template?.name && body.template.language?.code) {
        sends.push({
          to: body.to,
          type: 'template',
          template: {
            name: body.template.name,
            language: body.template.language.code,
            params: (body.template.components?.[0]?.parameters ?? []).map((p) => p.text ?? ''),
          },
          wamid,
          at: new Date(),
        });
      } else return json(400, graphError(100, 'Unsupported message type'));
      json(200, {
        messaging_product: 'whatsapp',
        contacts: [{ input: body.to, wa_id: body.to }],
        messages: [{ id: wamid }],
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const sign = (body: string, secret = opts.appSecret) =>
    `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  const envelope = (value: object) =>
    JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'WABA_ID',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '255700000000', phone_number_id: opts.phoneNumberId },
                ...value,
              },
            },
          ],
        },
      ],
    });

  const fake: FakeWhatsApp = {
    baseUrl: `http://127.0.0.1:${port}`,
    sends,
    requests,
    failFor,
    webhookUrl: null,
    inbound(fromDigits, at = now()) {
      lastInbound.set(fromDigits, at);
    },
    sign,
    async post(body, signature) {
      if (!fake.webhookUrl) throw new Error('no webhookUrl set on the fake');
      const res = await fetch(fake.webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(signature ? { 'x-hub-signature-256': signature } : {}),
        },
        body,
      });
      await res.text();
      return res.status;
    },
    async deliver(statuses, o = {}) {
      let list = statuses.filter((_, i) => !o.drop?.includes(i));
      if (o.reorder) list = [...list].reverse();
      if (o.duplicate) list = list.flatMap((s) => [s, s]);
      const answers: number[] = [];
      for (const s of list) {
        if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
        const recipient = sends.find((x) => x.wamid === s.wamid)?.to ?? '255700000000';
        const body = envelope({
          statuses: [
            {
              id: s.wamid,
              status: s.status,
              timestamp: String(s.timestamp ?? Math.floor(now().getTime() / 1000)),
              recipient_id: recipient,
              ...(s.status === 'failed'
                ? {
                    errors: [
                      {
                        code: s.errorCode ?? 131026,
                        title: 'Message undeliverable',
                        message: 'Message undeliverable',
                        error_data: { details: 'Message Undeliverable.' },
                      },
                    ],
                  }
                : {}),
            },
          ],
        });
        answers.push(await fake.post(body, sign(body, o.signWith)));
      }
      return answers;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
