import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A local Africa's Talking SMS endpoint that speaks the real wire format (PROTOCOLS.md §3.1):
// form-encoded POST /version1/messaging with an `apiKey` header; 201 with SMSMessageData on success,
// per-recipient status codes for rejections. Scripted outcomes are chosen by the recipient number.

export interface FakeAtRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  form: Record<string, string>;
  /** when the request arrived (the benchmark measures latency up to here) */
  at: Date;
}

export interface FakeAfricasTalking {
  baseUrl: string;
  requests: FakeAtRequest[];
  /** Per-recipient scripted outcome. */
  script: Map<
    string,
    | { kind: 'reject'; statusCode: number; status: string }
    | { kind: 'http'; status: number; body: string }
    | { kind: 'hang' }
  >;
  /** where delivery reports go (the app's secret-path callback URL); set by the test */
  reportUrl: string | null;
  /** the recipient each accepted message id was sent to */
  sentTo: Map<string, string>;
  /**
   * Post a delivery report as AT does (PROTOCOLS.md §3.2): a form with id, status, phoneNumber,
   * networkCode, failureReason (Rejected/Failed only) and retryCount. Returns the HTTP status.
   */
  report(messageId: string, status: string, opts?: { failureReason?: string; url?: string }): Promise<number>;
  close(): Promise<void>;
}

export async function startFakeAfricasTalking(opts: {
  username: string;
  apiKey: string;
}): Promise<FakeAfricasTalking> {
  const requests: FakeAtRequest[] = [];
  const script: FakeAfricasTalking['script'] = new Map();
  const sentTo = new Map<string, string>();
  let seq = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const form = Object.fromEntries(new URLSearchParams(raw));
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        form,
        at: new Date(),
      });
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/version1/messaging')
        return json(404, { message: 'not found' });
      if (req.headers.apikey !== opts.apiKey) {
        res.writeHead(401, { 'content-type': 'text/plain' });
        return res.end('The supplied authentication is invalid');
      }
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
        return json(415, { message: 'form-encoded body expected' });
      }
      if (form.username !== opts.username) {
        res.writeHead(401, { 'content-type': 'text/plain' });
        return res.end('The supplied authentication is invalid');
      }
      if (!form.to || !form.message) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        return res.end('Missing to or message');
      }
      const outcome = script.get(form.to);
      if (outcome?.kind === 'hang') return; // never answers: the client's timeout must fire
      if (outcome?.kind === 'http') {
        res.writeHead(outcome.status, { 'content-type': 'text/plain' });
        return res.end(outcome.body);
      }
      const recipient =
        outcome?.kind === 'reject'
          ? {
              statusCode: outcome.statusCode,
              number: form.to,
              status: outcome.status,
              cost: '0',
              messageId: 'None',
            }
          : {
              statusCode: 101,
              number: form.to,
              status: 'Success',
              cost: 'TZS 25.0000',
              messageId: `ATXid_${++seq}`,
            };
      if (recipient.messageId !== 'None') sentTo.set(recipient.messageId, form.to);
      json(201, {
        SMSMessageData: {
          Message: `Sent to ${outcome ? 0 : 1}/1 Total Cost: TZS ${outcome ? 0 : 25}`,
          Recipients: [recipient],
        },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const fake: FakeAfricasTalking = {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    script,
    reportUrl: null,
    sentTo,
    async report(messageId, status, opts = {}) {
      const url = opts.url ?? fake.reportUrl;
      if (!url) throw new Error('no reportUrl set on the fake');
      const form = new URLSearchParams({
        id: messageId,
        status,
        phoneNumber: sentTo.get(messageId) ?? '+255700000000',
        networkCode: '64002',
        retryCount: '0',
        ...(opts.failureReason ? { failureReason: opts.failureReason } : {}),
      });
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
      await res.text();
      return res.status;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
