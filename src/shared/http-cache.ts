import { hash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

// Catalog reads that anyone may make are revalidated, not trusted for long: the tag is a digest of
// the exact bytes served, so anything that changes what a buyer sees (a product edit, a stock state,
// a seller's ban hiding a product, a displayed price) changes it on the very next request, with no
// invalidation to forget. A browser or CDN keeps the reply for `max-age` seconds, then asks again
// with If-None-Match and gets an empty 304 when nothing changed.

/**
 * A strong entity tag for these bytes (RFC 9110 §8.8.3). One-shot `crypto.hash`: the same digest
 * as createHash().update().digest() without a Hash object per reply (every catalog read pays it).
 */
export function entityTag(body: string | Buffer): string {
  return `"${hash('sha256', body, 'base64url').slice(0, 32)}"`;
}

/**
 * Whether an If-None-Match header holds for `tag` (RFC 9110 §13.1.2): `*`, or any listed tag
 * equal under weak comparison (a W/ prefix is ignored on either side).
 */
export function ifNoneMatchHolds(header: string | undefined, tag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  const wanted = bare(tag);
  return header.split(',').some((t) => bare(t) === wanted);
}

/** Documented on every revalidated route, so the OpenAPI contract knows the empty 304. */
export const notModifiedResponse = {
  304: z.null().describe('Not modified: the If-None-Match tag still holds'),
};

/** An onSend hook for a public read: ETag + Cache-Control on a 200, and 304 when the client's tag holds. */
export function revalidatedRead(maxAgeSeconds: number) {
  return async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (reply.statusCode !== 200 || (typeof payload !== 'string' && !Buffer.isBuffer(payload)))
      return payload;
    const tag = entityTag(payload);
    reply.header('etag', tag);
    // Signed-in callers see the same bytes, but a shared cache must not keep what they were sent.
    reply.header(
      'cache-control',
      request.headers.authorization ? 'private, no-cache' : `public, max-age=${maxAgeSeconds}`,
    );
    if (!ifNoneMatchHolds(request.headers['if-none-match'], tag)) return payload;
    reply.code(304);
    reply.removeHeader('content-type');
    reply.removeHeader('content-length');
    return '';
  };
}
