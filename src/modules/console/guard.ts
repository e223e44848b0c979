// Who may see a console page: a live console session (cookie) of an active admin. Checked on
// every request, so a ban, a suspension or a lost admin role takes effect at once. State-changing
// requests also need the session's CSRF token.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.js';
import { constantTimeEqual } from '../../shared/secrets.js';
import { effectiveStatus } from '../identity/index.js';
import type { ConsoleDeps } from './ports.js';
import type { ConsoleSessions } from './sessions.js';

export const SESSION_COOKIE = 'kkoo_console';
export const PRE_COOKIE = 'kkoo_console_pre';

export interface ConsoleAdmin {
  userId: string;
  phone: string;
  sessionId: string;
  csrf: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    consoleAdmin: ConsoleAdmin | null;
  }
  interface FastifyContextConfig {
    /**
     * A console upload: its multipart body is not parsed before the guard, so the route itself
     * checks the CSRF token, which must be the form's first field (checkMultipartCsrf), before
     * it reads anything else.
     */
    consoleMultipart?: boolean;
  }
}

export function cookieOptions(production: boolean, maxAgeSeconds?: number) {
  return {
    path: '/admin',
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: production,
    ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
  };
}

/** The admin behind this request; routes behind the guard only. */
export function adminOf(request: FastifyRequest): ConsoleAdmin {
  if (!request.consoleAdmin) throw new Error('console route without the console guard');
  return request.consoleAdmin;
}

export const forbidden = (detail: string) => new AppError('FORBIDDEN_ROLE', 403, detail);

export const csrfRefused = () =>
  new AppError(
    'CSRF_INVALID',
    403,
    'The form is stale or was not sent by the console; reload and try again.',
  );

/**
 * The CSRF check of a multipart form (see FastifyContextConfig.consoleMultipart): the first part
 * must be the `_csrf` field holding this session's token, so nothing after it is read otherwise.
 */
export function checkMultipartCsrf(
  admin: ConsoleAdmin,
  first: { type: string; fieldname: string; value?: unknown } | undefined,
): void {
  const given = first?.type === 'field' && first.fieldname === '_csrf' ? first.value : undefined;
  if (typeof given !== 'string' || !constantTimeEqual(given, admin.csrf)) throw csrfRefused();
}

export function consoleGuard(deps: ConsoleDeps, sessions: ConsoleSessions) {
  const { identity, settings } = deps;
  return async function guard(request: FastifyRequest, reply: FastifyReply) {
    const token = request.cookies[SESSION_COOKIE];
    const found = token ? await sessions.resolve(token) : null;
    if (!found?.ok) {
      // An API bearer token is no console session, but a non-admin holding one is told no, not asked to sign in.
      const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (bearer) {
        const who = await identity.auth.authenticate(bearer).catch(() => null);
        if (who && !who.roles.includes('admin')) throw forbidden('The console is for admins.');
      }
      if (token) reply.clearCookie(SESSION_COOKIE, cookieOptions(settings.production));
      return reply.redirect('/admin/sign-in', 303);
    }
    const { user } = await identity.governance.getUser(found.userId);
    if (effectiveStatus(user, deps.clock.now()) !== 'active') {
      await sessions.revoke(found.sessionId, `account_${user.status}`);
      reply.clearCookie(SESSION_COOKIE, cookieOptions(settings.production));
      throw new AppError('ACCOUNT_DISABLED', 403, 'This account is disabled; its console session has ended.');
    }
    if (!user.roles.includes('admin')) throw forbidden('The console is for admins.');
    // A multipart post reaches its route only when the route opted in and checks the token itself.
    const deferred = request.routeOptions.config.consoleMultipart === true && request.isMultipart();
    if (request.method === 'POST' && !deferred) {
      const body = request.body as Record<string, unknown> | undefined;
      const given = body?._csrf ?? request.headers['x-csrf-token'];
      if (!sessions.checkCsrf(found.sessionId, given)) throw csrfRefused();
    }
    request.consoleAdmin = {
      userId: user.id,
      phone: user.phone,
      sessionId: found.sessionId,
      csrf: found.csrf,
    };
  };
}
