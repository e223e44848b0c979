// The load's way in: a round-robin client over the API processes (what a load balancer does: a
// backend that refuses the connection is skipped, since nothing was sent), a small HTTP balancer
// with the same rule for the simulator's callbacks, and the tally of every reply by status and time.
import { createServer, type Server } from 'node:http';

export interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON reply of whichever route answered; the load reads a field or two
  body: any;
  /** the backend that answered (index into the API list) */
  via: number;
}

export interface Sample {
  at: number;
  status: number;
}

export class Tally {
  readonly samples: Sample[] = [];
  readonly byStatus = new Map<number, number>();
  add(status: number) {
    this.samples.push({ at: Date.now(), status });
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }
  get total() {
    return this.samples.length;
  }
}

const isConnectRefused = (err: unknown) => {
  const c = (err as { cause?: { code?: string } }).cause?.code;
  return c === 'ECONNREFUSED';
};

export class Balancer {
  private next = 0;
  readonly tally = new Tally();
  constructor(readonly ports: () => number[]) {}

  /**
   * One request. `via` pins a backend (two processes answering the same key at once); otherwise
   * round robin, skipping a backend that refuses the connection. Status 0 = no reply (reset, timeout).
   */
  async request(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string>; via?: number } = {},
  ): Promise<Reply> {
    const ports = this.ports();
    const first = opts.via ?? this.next++ % ports.length;
    const tries = opts.via === undefined ? ports.length : 1;
    let last: Reply = { status: 0, body: null, via: first };
    for (let i = 0; i < tries; i++) {
      const via = (first + i) % ports.length;
      try {
        const res = await fetch(`http://127.0.0.1:${ports[via]}/api/v1${path}`, {
          method,
          headers: {
            ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
            ...opts.headers,
          },
          body: opts.body !== undefined ? JSON.stringify(opts.body) : null,
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {
          // not JSON
        }
        last = { status: res.status, body, via };
        break;
      } catch (err) {
        last = { status: 0, body: String((err as Error).message), via };
        if (!isConnectRefused(err)) break;
      }
    }
    this.tally.add(last.status);
    return last;
  }
}

/** A plain HTTP balancer on 127.0.0.1 (PUBLIC_BASE_URL): the simulator posts its callbacks here. */
export async function startProxy(ports: () => number[], port: number): Promise<Server> {
  let next = 0;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const list = ports();
    const first = next++ % list.length;
    for (let i = 0; i < list.length; i++) {
      try {
        const r = await fetch(`http://127.0.0.1:${list[(first + i) % list.length]}${req.url}`, {
          method: req.method ?? 'GET',
          headers: Object.fromEntries(
            Object.entries(req.headers).filter(
              ([k, v]) => typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k),
            ),
          ) as Record<string, string>,
          body: req.method === 'GET' || req.method === 'HEAD' ? null : body,
          signal: AbortSignal.timeout(30_000),
        });
        const out = Buffer.from(await r.arrayBuffer());
        res.writeHead(r.status, {
          'content-type': r.headers.get('content-type') ?? 'application/octet-stream',
        });
        res.end(out);
        return;
      } catch (err) {
        if (!isConnectRefused(err)) break;
      }
    }
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('no backend answered');
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return server;
}
