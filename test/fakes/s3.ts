import { createServer, type IncomingMessage, type Server } from 'node:http';

// A small S3-compatible server for tests: path-style PutObject, GetObject, DeleteObject on one
// bucket, objects kept in memory. It does not verify signatures, but refuses a request whose
// Authorization header is not shaped like AWS SigV4 for the expected access key and region, or that
// lacks x-amz-date / x-amz-content-sha256, so an unsigned or mis-configured client fails here too.

export interface FakeS3 {
  url: string;
  objects: Map<string, { body: Buffer; contentType: string | undefined }>;
  requests: Array<{ method: string; path: string; authorization: string | undefined }>;
  close(): Promise<void>;
}

const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=[0-9a-f]{64}$/;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => ok(Buffer.concat(parts)));
    req.on('error', fail);
  });
}

const xmlError = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;

export async function startFakeS3(opts: {
  bucket: string;
  accessKeyId: string;
  region: string;
}): Promise<FakeS3> {
  const objects: FakeS3['objects'] = new Map();
  const requests: FakeS3['requests'] = [];
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const authorization = req.headers.authorization;
    requests.push({ method: req.method ?? '', path, authorization });
    const body = await readBody(req);
    const fail = (status: number, code: string, message: string) => {
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(xmlError(code, message));
    };
    const m = authorization?.match(SIGV4);
    if (!m || m[1] !== opts.accessKeyId || m[3] !== opts.region)
      return fail(403, 'AccessDenied', 'Authorization is not SigV4 for the expected key and region');
    const signed = m[4]!.split(';');
    if (!req.headers['x-amz-date'] || !req.headers['x-amz-content-sha256'] || !signed.includes('host'))
      return fail(403, 'AccessDenied', 'x-amz-date, x-amz-content-sha256 and a signed host are required');
    const prefix = `/${opts.bucket}/`;
    if (!path.startsWith(prefix)) return fail(404, 'NoSuchBucket', 'The specified bucket does not exist');
    const key = path.slice(prefix.length);
    if (req.method === 'PUT') {
      objects.set(key, { body, contentType: req.headers['content-type'] });
      res.writeHead(200, { etag: '"fake"' });
      return res.end();
    }
    if (req.method === 'GET') {
      const o = objects.get(key);
      if (!o) return fail(404, 'NoSuchKey', 'The specified key does not exist.');
      res.writeHead(200, {
        'content-type': o.contentType ?? 'application/octet-stream',
        'content-length': o.body.length,
      });
      return res.end(o.body);
    }
    if (req.method === 'DELETE') {
      objects.delete(key);
      res.writeHead(204);
      return res.end();
    }
    return fail(405, 'MethodNotAllowed', 'The specified method is not allowed');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    requests,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
