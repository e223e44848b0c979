import type { FastifyReply, FastifyRequest } from 'fastify';
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

/**
 * preHandler: the caller must be signed in and hold at least one of `roles` (any role when none
 * are given). Suspended and banned accounts are stopped here, on every request.
 */
export function requireAuth(...roles: string[]) {
  return async function authGuard(request: FastifyRequest, _reply: FastifyReply) {
    const token = bearerToken(request);
    if (!token) {
      throw new AppError('UNAUTHENTICATED', 401, 'Sign in first: send "Authorization: Bearer <token>".', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
    const auth = await request.server.authenticator(token);
    if (roles.length > 0 && !roles.some((r) => auth.roles.includes(r))) {
      throw new AppError('FORBIDDEN_ROLE', 403, `This needs the ${roles.join(' or ')} role.`);
    }
    request.auth = auth;
    request.log = request.log.child({ userId: auth.userId });
  };
}

/** The signed-in caller; only valid behind requireAuth. */
export function caller(request: FastifyRequest): AuthContext {
  if (!request.auth) throw new AppError('UNAUTHENTICATED', 401, 'Sign in first.');
  return request.auth;
}

/** OpenAPI security requirement for routes behind requireAuth. */
export const bearerSecurity = [{ bearerAuth: [] }];
