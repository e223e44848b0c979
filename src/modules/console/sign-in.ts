// Sign-in by phone OTP through identity's own flow (its per-phone limits, its wording), then a
// console session for admins only. Every phone gets the same "code sent" page, admin or not.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.js';
import { randomToken } from '../../shared/secrets.js';
import { adminOf, cookieOptions, PRE_COOKIE, SESSION_COOKIE } from './guard.js';
import { html } from './html.js';
import { csrfField, page } from './layout.js';
import type { ConsoleDeps } from './ports.js';
import type { ConsoleSessions } from './sessions.js';

const PRE_COOKIE_SECONDS = 30 * 60;

type Form = Record<string, unknown>;
const field = (body: unknown, name: string) => {
  const v = (body as Form | undefined)?.[name];
  return typeof v === 'string' ? v.trim() : '';
};

function phoneForm(csrf: string, phone = '', error?: string) {
  return page(
    'Sign in',
    null,
    html`<form method="post" action="/admin/sign-in" class="card">
${csrfField(csrf)}
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<label>Phone number <input name="phone" type="tel" autocomplete="username" required value="${phone}"></label>
<button type="submit">Send me a code</button>
</form>`,
  );
}

function codeForm(csrf: string, phone: string, error?: string) {
  return page(
    'Enter your code',
    null,
    html`<form method="post" action="/admin/sign-in/verify" class="card">
${csrfField(csrf)}
<p>If this number may sign in, a code is on its way by SMS.</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<input type="hidden" name="phone" value="${phone}">
<label>Code <input name="code" inputmode="numeric" autocomplete="one-time-code" required pattern="[0-9]{4,8}"></label>
<button type="submit">Sign in</button>
</form>`,
  );
}

export function signInRoutes(app: FastifyInstance, deps: ConsoleDeps, sessions: ConsoleSessions) {
  const { identity, settings } = deps;
  const hide = { schema: { hide: true } };
  const ipLimit = { config: { rateLimit: { max: settings.otpIpMaxPerHour, timeWindow: '1 hour' } } };

  /** The random pre-session value the sign-in forms' CSRF token is keyed to (set when missing). */
  function preToken(request: FastifyRequest, reply: FastifyReply): string {
    const existing = request.cookies[PRE_COOKIE];
    if (existing && /^[A-Za-z0-9_-]{20,100}$/.test(existing)) return existing;
    const fresh = randomToken(24);
    reply.setCookie(PRE_COOKIE, fresh, cookieOptions(settings.production, PRE_COOKIE_SECONDS));
    return fresh;
  }
  function requirePreCsrf(request: FastifyRequest) {
    if (!sessions.checkPreCsrf(request.cookies[PRE_COOKIE], (request.body as Form | undefined)?._csrf))
      throw new AppError(
        'CSRF_INVALID',
        403,
        'The form is stale or was not sent by the console; reload and try again.',
      );
  }

  app.get('/sign-in', hide, async (request, reply) => {
    const csrf = sessions.preCsrfOf(preToken(request, reply));
    return reply.type('text/html').send(phoneForm(csrf).value);
  });

  app.post('/sign-in', { ...hide, ...ipLimit }, async (request, reply) => {
    requirePreCsrf(request);
    const csrf = sessions.preCsrfOf(preToken(request, reply));
    const phone = field(request.body, 'phone');
    try {
      await identity.auth.requestOtp({ phone, ip: request.ip });
    } catch (err) {
      if (err instanceof AppError && (err.status === 422 || err.status === 429 || err.status === 400)) {
        return reply
          .code(err.status)
          .type('text/html')
          .send(phoneForm(csrf, phone, err.message).value);
      }
      throw err;
    }
    return reply.type('text/html').send(codeForm(csrf, phone).value);
  });

  app.post('/sign-in/verify', { ...hide, ...ipLimit }, async (request, reply) => {
    requirePreCsrf(request);
    const csrf = sessions.preCsrfOf(preToken(request, reply));
    const phone = field(request.body, 'phone');
    let signedIn: Awaited<ReturnType<typeof identity.auth.verifyOtp>>;
    try {
      signedIn = await identity.auth.verifyOtp({
        phone,
        code: field(request.body, 'code'),
        ip: request.ip,
        userAgent: request.headers['user-agent'],
      });
    } catch (err) {
      if (
        err instanceof AppError &&
        err.status < 500 &&
        err.code !== 'ACCOUNT_BANNED' &&
        err.code !== 'ACCOUNT_SUSPENDED'
      ) {
        return reply
          .code(err.status)
          .type('text/html')
          .send(codeForm(csrf, phone, err.message).value);
      }
      throw err;
    }
    // The console keeps its own session; the API session the OTP flow opened is not needed.
    await identity.auth.logout(signedIn.sessionId);
    if (!signedIn.user.roles.includes('admin'))
      throw new AppError('FORBIDDEN_ROLE', 403, 'This account cannot use the admin console.');
    const { token } = await sessions.create(signedIn.user.id);
    reply.clearCookie(PRE_COOKIE, cookieOptions(settings.production));
    reply.setCookie(SESSION_COOKIE, token, cookieOptions(settings.production));
    return reply.redirect('/admin', 303);
  });
}

/** Sign-out sits behind the guard (it needs the session's CSRF token). */
export function signOutRoute(app: FastifyInstance, deps: ConsoleDeps, sessions: ConsoleSessions) {
  app.post('/sign-out', { schema: { hide: true } }, async (request, reply) => {
    await sessions.revoke(adminOf(request).sessionId, 'sign_out');
    reply.clearCookie(SESSION_COOKIE, cookieOptions(deps.settings.production));
    return reply.redirect('/admin/sign-in', 303);
  });
}
