// The OpenAPI document as a contract: every reply a test receives is checked against the
// operation's documented status, content type and schema. Mismatches are collected here and
// fail the test that caused them (see contract-setup.ts), so the document cannot drift from the code.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM with NodeNext types.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

interface MediaType {
  schema?: object;
}
interface ResponseDoc {
  content?: Record<string, MediaType>;
}
interface OperationDoc {
  responses?: Record<string, ResponseDoc>;
}
export interface OpenApiDoc {
  paths: Record<string, Record<string, OperationDoc>>;
  components?: { schemas?: Record<string, object> };
}

/** Mismatches not yet reported to a test; drained by takeContractMismatches(). */
const pending: string[] = [];

export function takeContractMismatches(): string[] {
  return pending.splice(0, pending.length);
}

/** `/api/v1/me/addresses/:id` → `/api/v1/me/addresses/{id}`, as @fastify/swagger writes paths. */
export function openApiPath(routeUrl: string): string {
  return routeUrl.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** The documented response for a status: exact, then `4XX`-style range, then `default`. */
export function documentedResponse(op: OperationDoc, status: number): ResponseDoc | undefined {
  const r = op.responses ?? {};
  return r[String(status)] ?? r[`${String(status)[0]}XX`] ?? r.default;
}

/**
 * OpenAPI 3.0 writes "or null" as `nullable: true`, which Ajv only understands beside a `type`;
 * beside a `$ref` or `anyOf` it becomes the JSON Schema `anyOf: [schema, {type: 'null'}]`.
 */
export function nullableToJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(nullableToJsonSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = nullableToJsonSchema(v);
  if (out.nullable === true && out.type === undefined) {
    delete out.nullable;
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

const isJson = (mime: string) => mime === 'application/json' || mime.endsWith('+json');

/**
 * A checker over one OpenAPI document. `check` returns the mismatches of one reply (empty when it
 * keeps the contract); it is pure apart from caching compiled validators.
 */
export function createContractChecker(doc: OpenApiDoc) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const compiled = new Map<string, ValidateFunction>();
  const components = nullableToJsonSchema(doc.components ?? {}) as object;

  function validatorFor(key: string, schema: object): ValidateFunction {
    let v = compiled.get(key);
    if (!v) {
      // References are `#/components/schemas/…`: compile each schema with the components beside it.
      v = ajv.compile({ ...(nullableToJsonSchema(schema) as object), components });
      compiled.set(key, v);
    }
    return v;
  }

  return function check(reply: {
    method: string;
    /** the route pattern (`/x/:id`), or undefined when no route matched */
    route: string | undefined;
    status: number;
    contentType: string | undefined;
    body: string | Buffer | null | undefined;
  }): string[] {
    const method = reply.method === 'HEAD' ? 'get' : reply.method.toLowerCase();
    const where = `${reply.method} ${reply.route ?? '(no route)'} → ${reply.status}`;
    const mime = reply.contentType?.split(';')[0]?.trim().toLowerCase();
    const out: string[] = [];
    if (reply.status >= 400 && mime !== 'application/problem+json')
      out.push(
        `${where}: an error reply is ${mime ?? 'without a content type'}, not application/problem+json`,
      );
    if (reply.route === undefined) return out;
    const path = openApiPath(reply.route);
    const op = doc.paths[path]?.[method];
    if (!op) return out; // a route kept out of the document on purpose (docs UI, CORS preflight)
    const documented = documentedResponse(op, reply.status);
    if (!documented) return [...out, `${where}: status ${reply.status} is not documented`];
    const content = documented.content ?? {};
    const types = Object.keys(content);
    // Fastify never puts a body on the wire for these, whatever the handler passed to send().
    const empty =
      reply.status === 204 ||
      reply.status === 304 ||
      reply.body === undefined ||
      reply.body === null ||
      reply.body.length === 0;
    if (types.length === 0) {
      if (!empty) out.push(`${where}: documented without a body, but a body was sent`);
      return out;
    }
    if (reply.method === 'HEAD') return out;
    if (!mime || !(mime in content)) {
      out.push(`${where}: content type ${mime ?? '(none)'} is not one of ${types.join(', ')}`);
      return out;
    }
    const schema = content[mime]?.schema;
    if (!schema || !isJson(mime)) return out;
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(reply.body));
    } catch {
      return [...out, `${where}: the ${mime} body is not JSON`];
    }
    const validate = validatorFor(`${method} ${path} ${reply.status} ${mime}`, schema);
    if (!validate(parsed)) {
      const errs = (validate.errors ?? [])
        .slice(0, 5)
        .map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
      out.push(`${where}: the body does not match its schema: ${errs.join('; ')}`);
    }
    return out;
  };
}

function bodyOf(payload: unknown): string | Buffer | null | undefined {
  if (payload === null || payload === undefined) return payload;
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) return payload;
  // A stream (a media file): its bytes are not read here; only its presence counts.
  return 'stream';
}

/** `/admin` and below: the server-rendered admin console (the JSON admin API is under /api/v1/admin). */
export const isConsolePath = (url: string) =>
  url === '/admin' || url.startsWith('/admin/') || url.startsWith('/admin?');

/**
 * Checks every reply of `app` against the document `app.swagger()` serves. Must be called before
 * `app.ready()`; the document itself is read on the first reply (it exists only once the app is ready).
 */
export function enforceOpenApiContract(app: FastifyInstance) {
  let check: ReturnType<typeof createContractChecker> | undefined;
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    // The admin console (/admin) answers browsers with HTML, errors included; it is not part of the
    // API and not in the document (its own tests check its replies).
    if (isConsolePath(request.url)) return payload;
    try {
      check ??= createContractChecker(app.swagger() as unknown as OpenApiDoc);
      pending.push(
        ...check({
          method: request.method,
          route: request.is404 ? undefined : request.routeOptions.url,
          status: reply.statusCode,
          contentType: reply.getHeader('content-type') as string | undefined,
          body: bodyOf(payload),
        }),
      );
    } catch (err) {
      // Never turn the reply under test into a 500: report that the check itself could not run.
      pending.push(`${request.method} ${request.url}: the contract check failed: ${String(err)}`);
    }
    return payload;
  });
}
