import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { wireConsole } from './composition/console.js';
import { type ComposeDeps, compose, type Services } from './composition.js';
import { CALLBACK_TOKEN_MAX_LENGTH, type Config } from './config.js';
import { mediaRoutes } from './modules/media/index.js';
import { publicZonesRoutes } from './modules/zones/index.js';
import { authBeforeInput } from './shared/auth.js';
import { systemClock } from './shared/clock.js';
import {
  AppError,
  frameworkErrors,
  frameworkProblemStatuses,
  problems,
  registerErrorHandling,
} from './shared/errors.js';
import { randomIds } from './shared/ids.js';
import { MAX_JSON_DEPTH, registerInputScreening } from './shared/input-screen.js';
import { listNullInNullableEnums } from './shared/openapi-nullable.js';
import { rateLimited, rateLimitStoreFromConfig } from './shared/rate-limit-store.js';
import { replySerializerCompiler } from './shared/reply-serializer.js';

export interface AppDeps extends Omit<ComposeDeps, 'clock' | 'ids' | 'log'> {
  clock?: ComposeDeps['clock'];
  ids?: ComposeDeps['ids'];
  logger?: FastifyServerOptions['logger'];
}

export type { Services } from './composition.js';

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

/**
 * `/api/v1/payments/callbacks/<provider>/<kind>/<token>` (and the notifications delivery-report URL
 * of the same shape, and `/api/v1/ussd/callback/<token>`) with the token replaced; likewise WhatsApp's `hub.verify_token` query value.
 */
export function maskCallbackToken(url: string): string {
  return url
    .replace(/(\/(?:payments|notifications)\/callbacks\/[^/]+\/[^/]+\/)[^/?#]+/, '$1***')
    .replace(/(\/ussd\/callback\/)[^/?#]+/, '$1***')
    .replace(/([?&]hub\.verify_token=)[^&#]*/, '$1***');
}

/** The production logger: secrets in headers redacted, callback tokens masked in URLs. */
export function loggerOptions(config: Pick<Config, 'LOG_LEVEL'>) {
  return {
    level: config.LOG_LEVEL,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers.apikey'],
      censor: '[redacted]',
    },
    // Payment callback URLs carry a secret path token: it never reaches a log line.
    serializers: {
      req: (req: { method: string; url: string; ip?: string; id: string }) => ({
        method: req.method,
        url: maskCallbackToken(req.url),
        ip: req.ip,
        id: req.id,
      }),
    },
  };
}

/** Builds the whole HTTP app from its modules. It never listens: server.ts does, tests use inject(). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { db, config } = deps;
  const clock = deps.clock ?? systemClock;
  const ids = deps.ids ?? randomIds;

  const app = Fastify({
    logger: deps.logger ?? loggerOptions(config),
    bodyLimit: config.BODY_LIMIT_BYTES,
    // A hop count trusts that many proxies nearest to us, so the address is the one the outermost
    // of our own proxies saw, whatever a client writes into X-Forwarded-For.
    trustProxy:
      typeof config.TRUST_PROXY === 'number'
        ? (_addr: string, hop: number) => hop < (config.TRUST_PROXY as number)
        : config.TRUST_PROXY,
    requestIdHeader: false,
    // A client-supplied id is kept when it looks like one, so a support ticket can be traced end to end.
    // Otherwise a random UUID: a request id is never stored as a key, so it needs no time order, and
    // randomUUID draws from a cached entropy pool where a UUIDv7 costs a clock read and more per request.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // The longest path parameter is the payment callback token (config allows up to 128 characters).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: CALLBACK_TOKEN_MAX_LENGTH },
    frameworkErrors,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // Production writes replies through serializers compiled from the response schemas; elsewhere Zod
  // still validates every reply and the compiled output must match it byte for byte (shared/reply-serializer.ts).
  app.setSerializerCompiler(replySerializerCompiler(config.NODE_ENV === 'production' ? 'fast' : 'checked'));
  app.decorateRequest('auth', null);
  registerErrorHandling(app);
  // Before any route is registered: auth guards run ahead of parsing and validation (shared/auth.ts).
  app.addHook('onRoute', authBeforeInput);
  registerInputScreening(app);
  // Set as the request arrives, in a callback hook (no promise per request); a problem reply sets it
  // again (shared/errors.ts), including those Fastify answers before any hook runs.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: "K'KOO API",
        version: '0.1.0',
        description:
          'Trust-driven commerce for East Africa. Errors are application/problem+json with a stable `code`. Times are ISO 8601 in Africa/Dar_es_Salaam (+03:00). Protected operations list the roles they accept in `x-roles`; sign-in and role are checked before the input. ' +
          `JSON bodies nest at most ${MAX_JSON_DEPTH} levels (400 JSON_TOO_DEEP); strings must be well-formed Unicode without NUL (400 INVALID_CHARACTER). ` +
          `A method a path does not offer is 405 METHOD_NOT_ALLOWED with an Allow header; a path segment over ${CALLBACK_TOKEN_MAX_LENGTH} characters is 414 URI_TOO_LONG.`,
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
    // Nullable enums list null among their values (shared/openapi-nullable.ts).
    transformObject: (input) => listNullInNullableEnums(jsonSchemaTransformObject(input)),
    transform: (input) => {
      const transformed = jsonSchemaTransform(input);
      const config = input.route.config as
        | { multipartFile?: string; authRoles?: readonly string[] }
        | undefined;
      // Who may call the route (shared/auth.ts); [] is any signed-in user.
      const out = config?.authRoles
        ? { ...transformed, schema: { ...transformed.schema, 'x-roles': [...config.authRoles] } }
        : transformed;
      // A 204 carries no body: document it without content (its Zod z.null() would read as a JSON null).
      const responses = out.schema.response as Record<string, unknown> | undefined;
      if (responses?.['204']) responses['204'] = { type: 'null', description: 'No Content' };
      if (responses) {
        for (const status of frameworkProblemStatuses(input.route)) {
          responses[String(status)] ??= {
            description: 'Problem details (RFC 9457)',
            content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
          };
        }
      }
      const field = config?.multipartFile;
      if (!field) return out;
      // Multipart bodies are parsed by @fastify/multipart, not by a Zod schema; describe them for the document only.
      return {
        ...out,
        schema: {
          ...out.schema,
          body: {
            type: 'object',
            required: [field],
            properties: { [field]: { type: 'string', format: 'binary' } },
          },
        },
      };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  // Per-process memory unless REDIS_URL is set; then every API process counts in one shared store.
  const rateLimitStore = rateLimitStoreFromConfig(config, app.log);
  app.addHook('onReady', () => rateLimitStore.ready(2000));
  app.addHook('onClose', () => rateLimitStore.close());
  await app.register(rateLimit, {
    global: false,
    ...rateLimitStore.options,
    errorResponseBuilder: (_req, ctx) => rateLimited(ctx.ttl),
  });
  await app.register(multipart, {
    limits: { fileSize: config.MEDIA_MAX_BYTES, files: 1, fields: 5, parts: 6, headerPairs: 100 },
  });

  const services = compose({ ...deps, clock, ids, log: app.log });
  app.decorate('authenticator', services.identity.auth.authenticate);
  app.decorate('services', services);
  const { identity, media, catalog, promotions, cart, orders, payments, zones, riders } = services;

  app.get(
    '/health',
    {
      schema: {
        tags: ['ops'],
        summary: 'Liveness: the process is up',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/ready',
    {
      schema: {
        tags: ['ops'],
        summary: 'Readiness: the database answers',
        response: { 200: z.object({ status: z.literal('ready') }), ...problems(503) },
      },
    },
    async () => {
      try {
        await db.execute(sql`select 1`);
      } catch (err) {
        app.log.error({ err }, 'database not reachable');
        throw new AppError('DATABASE_UNAVAILABLE', 503, 'The database does not answer.');
      }
      return { status: 'ready' as const };
    },
  );

  await app.register(identity.routes, { prefix: '/api/v1' });
  await app.register(mediaRoutes({ media, uploadsPerHour: config.MEDIA_UPLOADS_PER_HOUR }), {
    prefix: '/api/v1',
  });
  await app.register(
    publicZonesRoutes({ zones: zones.service, publicReadsPerMinute: config.PUBLIC_READS_PER_MINUTE }),
    { prefix: '/api/v1' },
  );
  await app.register(services.notifications.callbackRoutes, { prefix: '/api/v1' });
  const adminConsole = wireConsole({ db, config, clock, ids, services });
  await app.register(adminConsole.pages, { prefix: '/admin' });
  await app.register(adminConsole.adminApi, { prefix: '/api/v1/admin' });
  const { ussd, notifications, analytics, referrals, recommendations: recs } = services;
  // Each module's API under /api/v1 and its admin API under /api/v1/admin (whose routes ask for the role).
  for (const m of [catalog, promotions, cart, orders, payments, riders, ussd, notifications, referrals, recs])
    await app.register(m.routes, { prefix: '/api/v1' });
  for (const m of [identity, catalog, promotions, orders, payments, zones, riders, notifications, analytics])
    await app.register(m.adminRoutes, { prefix: '/api/v1/admin' });
  await app.register(referrals.adminRoutes, { prefix: '/api/v1/admin' });

  return app;
}
