import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createRouteTable } from './allowed-methods.js';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from './db-unavailable.js';

/** One offending field in a problem reply: a JSON-pointer-like dotted path, a stable code, a message. */
export interface FieldProblem {
  field: string;
  code: string;
  message: string;
}

/**
 * The only error a service throws on purpose. `code` is stable and documented; `detail` is for
 * people; `field` names the offending input where there is one.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly detail: string,
    readonly extra: {
      field?: string;
      errors?: FieldProblem[];
      headers?: Record<string, string>;
      /** more members for the problem body (RFC 9457 extensions), e.g. the new preview of a changed cart */
      extensions?: Record<string, unknown>;
    } = {},
  ) {
    super(detail);
    this.name = 'AppError';
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', 404, `${what} was not found.`);
export const forbidden = (code: string, detail: string) => new AppError(code, 403, detail);
export const conflict = (code: string, detail: string) => new AppError(code, 409, detail);
export const unprocessable = (code: string, field: string, detail: string) =>
  new AppError(code, 422, detail, { field, errors: [{ field, code, message: detail }] });

/** RFC 9457 problem details, with our stable `code` and the request id. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().describe('Stable machine-readable error code, e.g. INVALID_PHONE'),
    detail: z.string(),
    instance: z.string().optional(),
    request_id: z.string(),
    field: z.string().optional().describe('The offending input field, when there is one'),
    errors: z.array(z.object({ field: z.string(), code: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof problemSchema>;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  status: number,
  code: string,
  detail: string,
  extra: {
    field?: string;
    errors?: FieldProblem[];
    headers?: Record<string, string>;
    extensions?: Record<string, unknown>;
  } = {},
) {
  const body: Problem & Record<string, unknown> = {
    ...(extra.extensions ?? {}),
    type: `https://kkoo.africa/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    instance: request.url.split('?')[0],
    request_id: String(request.id),
    ...(extra.field ? { field: extra.field } : {}),
    ...(extra.errors ? { errors: extra.errors } : {}),
  };
  if (extra.headers) reply.headers(extra.headers);
  // The body is already final JSON: bypass the route's response schema, which describes success.
  return reply.status(status).type('application/problem+json').serializer(JSON.stringify).send(body);
}

// Fastify's own error codes for bad requests, mapped to stable codes of ours.
const FASTIFY_CODES: Record<string, { status: number; code: string; detail: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_JSON', detail: 'The body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'INVALID_JSON',
    detail: 'The body is empty but Content-Type says JSON.',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    detail: 'The body is larger than allowed.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: 'This Content-Type is not accepted here.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'INVALID_CONTENT_LENGTH',
    detail: 'Content-Length does not match the body.',
  },
  FST_REQ_FILE_TOO_LARGE: { status: 413, code: 'FILE_TOO_LARGE', detail: 'The file is larger than allowed.' },
  FST_PARTS_LIMIT: { status: 413, code: 'TOO_MANY_PARTS', detail: 'The form has too many parts.' },
  FST_FILES_LIMIT: { status: 413, code: 'TOO_MANY_FILES', detail: 'Only one file may be sent at a time.' },
  FST_FIELDS_LIMIT: { status: 413, code: 'TOO_MANY_FIELDS', detail: 'The form has too many fields.' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: 'The request is not multipart/form-data.',
  },
};

/**
 * Fastify's `frameworkErrors` option: errors the router raises before a route is found (a path
 * parameter over maxParamLength, a malformed URL) are problem+json like every other error.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  // No route, so no onSend hook of ours runs: echo the request id here.
  reply.header('x-request-id', request.id);
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return sendProblem(reply, request, 414, 'URI_TOO_LONG', 'A path segment is longer than allowed.');
  if (error.code === 'FST_ERR_BAD_URL')
    return sendProblem(reply, request, 400, 'BAD_URL', 'The URL is not valid.');
  return sendProblem(reply, request, error.statusCode ?? 400, 'BAD_REQUEST', 'The request is not valid.');
}

export function registerErrorHandling(app: FastifyInstance) {
  const routes = createRouteTable();
  app.addHook('onRoute', (route) => routes.add(route.method, route.url ?? route.path));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    // The path exists with other methods: say which (RFC 9110 §15.5.6), rather than "no route".
    const allowed = routes.allowedMethods(path);
    if (allowed.length > 0)
      return sendProblem(
        reply,
        request,
        405,
        'METHOD_NOT_ALLOWED',
        `${request.method} is not allowed on ${path}; use ${allowed.join(', ')}.`,
        { headers: { allow: allowed.join(', ') } },
      );
    return sendProblem(reply, request, 404, 'ROUTE_NOT_FOUND', `No route ${request.method} ${path}.`);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      return sendProblem(reply, request, error.status, error.code, error.detail, error.extra);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const errors: FieldProblem[] = error.validation.map((v) => {
        const path = v.instancePath.split('/').filter(Boolean).join('.');
        // Unknown keys are reported on the parent; name each one so the client sees which field to drop.
        if (v.keyword === 'unrecognized_keys') {
          const keys = ((v.params as { keys?: string[] }).keys ?? []).map((k) => (path ? `${path}.${k}` : k));
          return {
            field: keys.join(','),
            code: 'UNKNOWN_FIELD',
            message: `Unknown field(s): ${keys.join(', ')}`,
          };
        }
        const field = path || (error.validationContext ?? 'body');
        return {
          field,
          code: v.keyword === 'invalid_type' ? 'INVALID_TYPE' : 'INVALID_VALUE',
          message: v.message ?? 'is not valid',
        };
      });
      const first = errors[0];
      return sendProblem(
        reply,
        request,
        400,
        'VALIDATION_FAILED',
        first ? `${first.field}: ${first.message}` : 'The request is not valid.',
        { ...(first ? { field: first.field } : {}), errors },
      );
    }
    if (isDatabaseUnavailable(error)) {
      // No stack: an outage is not a bug, and one line per request is enough to see it.
      request.log.warn(
        { code: (error as { code?: string }).code, msg: error.message },
        'database unavailable',
      );
      return sendProblem(
        reply,
        request,
        503,
        'DATABASE_UNAVAILABLE',
        'The service cannot reach its database right now; try again shortly.',
        { headers: { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) } },
      );
    }
    const known = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (known) return sendProblem(reply, request, known.status, known.code, known.detail);
    if (error.statusCode === 429) {
      return sendProblem(reply, request, 429, 'RATE_LIMITED', 'Too many requests; try again later.');
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error, issues: error.cause.issues }, 'reply did not match its schema');
      return sendProblem(reply, request, 500, 'INTERNAL', 'Something went wrong on our side.');
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return sendProblem(reply, request, error.statusCode, 'BAD_REQUEST', error.message);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, request, 500, 'INTERNAL', 'Something went wrong on our side.');
  });
}

/** A problem reply as documented: served as application/problem+json, never application/json. */
export function problemResponse<S extends z.ZodType>(schema: S, description?: string) {
  return {
    description: description ?? 'Problem details (RFC 9457)',
    content: { 'application/problem+json': { schema } },
  };
}

/**
 * The problems a route can answer outside its own handler, which its schema does not list: any
 * route a 500, and a 400 INVALID_CHARACTER for a NUL or lone surrogate in its query string (every
 * URL may carry one: shared/input-screen.ts screens the query of every route, declared or not); a
 * route with a body a malformed (400), too large (413) or wrongly typed (415) one; a rate-limited
 * route a 429. Added to the document so that it lists every status a client can see.
 */
export function frameworkProblemStatuses(route: { method: string | string[]; config?: unknown }): number[] {
  const methods = ([] as string[]).concat(route.method);
  const hasBody = methods.some((m) => ['POST', 'PUT', 'PATCH'].includes(m.toUpperCase()));
  const limited = Boolean((route.config as { rateLimit?: unknown } | undefined)?.rateLimit);
  // 503: any route that reads the database answers DATABASE_UNAVAILABLE during an outage.
  return [500, 503, 400, ...(hasBody ? [413, 415] : []), ...(limited ? [429] : [])];
}

/** Response entries for the common problem replies, for route schemas (OpenAPI). */
export function problems(
  ...statuses: number[]
): Record<number, ReturnType<typeof problemResponse<typeof problemSchema>>> {
  return Object.fromEntries(statuses.map((s) => [s, problemResponse(problemSchema, TITLES[s])]));
}
