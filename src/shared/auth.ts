import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { AppError } from './errors.js';

/** Who is calling: resolved once per request from the bearer token by the identity module. */
export interface AuthContext {
  userId: string;
  sessionId: string;
  phone: string;
  roles: readonly string[];
}

export type Authenticator = (token: string) => Promise<AuthContext>;

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
  interface FastifyInstance {
    authenticator: Authenticator;
  }
  interface FastifyContextConfig {
    /** Names the multipart file field of an upload route, for the OpenAPI document. */
    multipartFile?: string;
    /**
     * Set on every route behind requireAuth: the roles it accepts (empty: any signed-in user).
     * The OpenAPI document shows it as `x-roles`.
     */
    authRoles?: readonly string[];
  }
}

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer ([A-Za-z0-9_\-.~+/]{10,200}=*)$/.exec(header.trim());
  if (!match) {
    throw new AppError('INVALID_TOKEN', 401, 'The Authorization header must be "Bearer <token>".', {
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
  return match[1]!;
}

async function authenticate(request: FastifyRequest): Promise<AuthContext> {
  const token = bearerToken(request);
  if (!token) {
    throw new AppError('UNAUTHENTICATED', 401, 'Sign in first: send "Authorization: Bearer <token>".', {
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
  return request.server.authenticator(token);
}

/** Marks a guard made by requireAuth, with the roles it accepts. */
const GUARD_ROLES = Symbol('kkoo.authGuardRoles');

export type AuthGuard = ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) & {
  readonly [GUARD_ROLES]: readonly string[];
};

/**
 * The caller must be signed in and hold at least one of `roles` (any role when none are given).
 * Suspended and banned accounts are stopped here, on every request.
 *
 * Routes still write it as `preHandler: requireAuth(...)`; `authBeforeInput` (an onRoute hook in
 * app.ts) moves it ahead of body parsing and validation, so a caller with no right to a route
 * learns nothing about its inputs (anonymous → 401, wrong role → 403, whatever the input).
 */
export function requireAuth(...roles: string[]): AuthGuard {
  const guard = async function authGuard(request: FastifyRequest, _reply: FastifyReply) {
    // A second guard on the same route checks its roles against the caller the first one found.
    const auth = request.auth ?? (await authenticate(request));
    if (roles.length > 0 && !roles.some((r) => auth.roles.includes(r))) {
      throw new AppError('FORBIDDEN_ROLE', 403, `This needs the ${roles.join(' or ')} role.`);
    }
    if (!request.auth) {
      request.auth = auth;
      request.log = request.log.child({ userId: auth.userId });
    }
  };
  return Object.assign(guard, { [GUARD_ROLES]: roles });
}

function isGuard(fn: unknown): fn is AuthGuard {
  return typeof fn === 'function' && GUARD_ROLES in fn;
}

/**
 * Runs `guard` in the route's preParsing step: after the rate limit (onRequest), before the body is
 * read, parsed, screened or validated. Records the accepted roles on the route config.
 */
function placeGuard(route: RouteOptions, guard: AuthGuard) {
  const preParsing = route.preParsing === undefined ? [] : [route.preParsing].flat();
  const step = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    await guard(request, reply);
    return payload;
  };
  route.preParsing = [step, ...preParsing] as RouteOptions['preParsing'];
  const earlier = route.config?.authRoles;
  // Two guards on one route: both must pass, so the route accepts the roles both accept.
  const roles = earlier === undefined ? guard[GUARD_ROLES] : intersectRoles(earlier, guard[GUARD_ROLES]);
  route.config = { ...route.config, authRoles: roles };
}

function intersectRoles(a: readonly string[], b: readonly string[]): readonly string[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return a.filter((r) => b.includes(r));
}

/**
 * onRoute hook (registered once, in app.ts, before any route): takes the requireAuth guards out of
 * a route's preHandler list and runs them before the input is parsed and validated instead.
 */
export function authBeforeInput(route: RouteOptions) {
  if (route.preHandler === undefined) return;
  const handlers = [route.preHandler].flat();
  const guards = handlers.filter(isGuard);
  if (guards.length === 0) return;
  const rest = handlers.filter((h) => !isGuard(h));
  route.preHandler = rest.length > 0 ? (rest as RouteOptions['preHandler']) : undefined;
  for (const guard of guards) placeGuard(route, guard);
}

/**
 * Every route of this plugin (registered after this call) is behind requireAuth(...roles), run
 * before its input is parsed or validated. Use it instead of `app.addHook('preHandler', ...)`,
 * which would only run after validation.
 */
export function requireAuthOnEveryRoute(app: FastifyInstance, ...roles: string[]) {
  const guard = requireAuth(...roles);
  app.addHook('onRoute', (route) => placeGuard(route as RouteOptions, guard));
}

/** The signed-in caller; only valid behind requireAuth. */
export function caller(request: FastifyRequest): AuthContext {
  if (!request.auth) throw new AppError('UNAUTHENTICATED', 401, 'Sign in first.');
  return request.auth;
}

/** OpenAPI security requirement for routes behind requireAuth. */
export const bearerSecurity = [{ bearerAuth: [] }];
