import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, requireAuth } from '../../shared/auth.js';
import { AppError, problems } from '../../shared/errors.js';
import { BLOCK_KINDS, parseContext } from './context.js';
import type { Reader } from './read.js';
import type { RecLanguage } from './reasons.js';
import type { Signals, ViewerKey } from './signals.js';

// Thin routes: parse, find out who asks (signed in or an anonymous session), call the use case.
// Signing in is optional on both: a bad or expired token is still a 401, never silently anonymous.

export const SESSION_HEADER = 'x-kkoo-session';
const sessionId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{16,64}$/, 'an opaque id of 16 to 64 letters, digits, "_" or "-"')
  .describe(
    'Anonymous session id chosen by the client (16–64 of A-Z a-z 0-9 _ -), kept for the app install; ' +
      'it keys the views of a buyer who has not signed in',
  );
const headers = z.object({ [SESSION_HEADER]: sessionId.optional() });

const item = z
  .object({
    product_id: z.uuid(),
    title: z.string(),
    min_price: z.number().int().nullable().describe('lowest active variant price, minor units'),
    currency: z.string().nullable(),
    reason: z.string().describe('why it is shown, in the buyer’s language'),
  })
  .meta({ id: 'RecommendedItem' });

async function whoAsks(request: FastifyRequest, reply: FastifyReply) {
  if (request.headers.authorization) await requireAuth()(request, reply);
  const session = (request.headers as Record<string, string | undefined>)[SESSION_HEADER];
  const userId = request.auth?.userId ?? null;
  const viewer: ViewerKey | null = userId ? `u:${userId}` : session ? `s:${session}` : null;
  return { userId, viewer };
}

function acceptsSwahili(request: FastifyRequest) {
  return /^\s*sw\b/i.test(String(request.headers['accept-language'] ?? ''));
}

export function recommendationsRoutes(deps: {
  reader: Reader;
  signals: Signals;
  readsPerMinute: number;
  viewsPerMinute: number;
}): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/recommendations',
      {
        config: { rateLimit: { max: deps.readsPerMinute, timeWindow: '1 minute' } },
        schema: {
          tags: ['recommendations'],
          summary: 'Recommendation blocks for a screen; every item can be bought and delivered now',
          description:
            'Sign-in optional (Bearer). Blocks: buy_again, bought_together, popular_near_you, recently_viewed, and ' +
            'category_fallback when nothing learned applies (cold start). Empty blocks are left out. Language: ' +
            '`lang`, else the signed-in buyer’s language, else Accept-Language (sw), else English.',
          security: [...bearerSecurity, {}],
          headers,
          querystring: z.strictObject({
            context: z.string().max(60).describe('home | cart | product:{product id}'),
            lang: z.enum(['sw', 'en']).optional(),
          }),
          response: {
            200: z.object({
              context: z.string(),
              language: z.enum(['sw', 'en']),
              blocks: z.array(z.object({ kind: z.enum(BLOCK_KINDS), items: z.array(item) })),
            }),
            ...problems(400, 401, 404, 429),
          },
        },
      },
      async (request, reply) => {
        const context = parseContext(request.query.context);
        if (!context)
          throw new AppError('INVALID_CONTEXT', 400, 'context must be home, cart or product:{product id}.', {
            field: 'context',
          });
        const { userId, viewer } = await whoAsks(request, reply);
        // A signed-in buyer's own language is read in the blocks' statement (null here asks for it).
        const language: RecLanguage | null =
          request.query.lang ?? (userId ? null : acceptsSwahili(request) ? 'sw' : 'en');
        const read = await deps.reader.recommend({ context, buyerId: userId, viewer, language });
        return { context: request.query.context, language: read.language, blocks: read.blocks };
      },
    );

    app.post(
      '/recommendations/views',
      {
        config: { rateLimit: { max: deps.viewsPerMinute, timeWindow: '1 minute' } },
        schema: {
          tags: ['recommendations'],
          summary: 'Record that a product was viewed (signed in, or with an anonymous session header)',
          security: [...bearerSecurity, {}],
          headers,
          body: z.strictObject({ product_id: z.uuid() }),
          response: { 204: z.null(), ...problems(400, 401, 429) },
        },
      },
      async (request, reply) => {
        const { viewer } = await whoAsks(request, reply);
        if (!viewer)
          throw new AppError('SESSION_REQUIRED', 400, `Sign in or send an ${SESSION_HEADER} header.`, {
            field: SESSION_HEADER,
          });
        await deps.signals.recordView(viewer, request.body.product_id.toLowerCase());
        return reply.status(204).send(null);
      },
    );
  };
}
