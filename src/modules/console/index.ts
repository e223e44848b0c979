// The admin console's public face: one Fastify plugin serving server-rendered pages at /admin.
// Pages call the same module services as the admin API; nothing here writes a table of another module.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { AppError } from '../../shared/errors.js';
import { analyticsRoutes } from './analytics.js';
import { analyticsDrillRoutes } from './analytics-drill.js';
import { approvalRoutes } from './approvals.js';
import { catalogRoutes } from './catalog.js';
import { catalogTaxonomyRoutes } from './catalog-taxonomy.js';
import { codeRoutes } from './codes.js';
import { disputeRoutes } from './disputes.js';
import { consoleGuard } from './guard.js';
import { homeRoutes } from './home.js';
import { html } from './html.js';
import { kycRoutes } from './kyc.js';
import { page } from './layout.js';
import { logisticsRoutes } from './logistics.js';
import { logisticsEditRoutes } from './logistics-edit.js';
import { loyaltyRoutes } from './loyalty.js';
import { messageRoutes } from './messages.js';
import { moneyRoutes } from './money.js';
import { moneyFeedRoutes } from './money-feeds.js';
import { moneyLedgerRoutes } from './money-ledger.js';
import { moneyStatementRoutes } from './money-statement.js';
import { orderRoutes } from './orders.js';
import { peopleRoutes } from './people.js';
import type { ConsoleDeps } from './ports.js';
import { promotionRoutes } from './promotions.js';
import { referralRoutes } from './referrals.js';
import { riderScorecardRoutes } from './rider-scorecard.js';
import { createConsoleSessions } from './sessions.js';
import { signInRoutes, signOutRoute } from './sign-in.js';

export { adminApprovalRoutes } from './approvals-api.js';
export { createConsoleApprovals } from './approvals-service.js';
export { createFourEyes, type FourEyes } from './four-eyes.js';
export type { AttentionQueue, ConsoleDeps } from './ports.js';
/** Console sessions: the bench signs an admin in by creating one (bench/console-pages.ts). */
export { createConsoleSessions } from './sessions.js';

/** Every console reply: a strict CSP (no inline script or style anywhere), no framing, no referrer. */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

const require = createRequire(import.meta.url);
const HTMX = readFileSync(require.resolve('htmx.org/dist/htmx.min.js'));
const CSS = readFileSync(new URL('./console.css', import.meta.url));

function errorPage(status: number, message: string) {
  const title =
    status === 403
      ? 'Not allowed'
      : status === 404
        ? 'Not found'
        : status >= 500
          ? 'Something went wrong'
          : 'Cannot do that';
  return page(
    title,
    null,
    html`<p class="error" role="alert">${message}</p><p><a href="/admin">Back to the console</a></p>`,
  ).value;
}

/** Every console route as "METHOD /path", as registered: the auth-walk test visits each one. */
export const registeredConsoleRoutes = new Set<string>();

/** Register with `{ prefix: '/admin' }`. */
export function consoleRoutes(deps: ConsoleDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.addHook('onRoute', (route) => {
      for (const m of [route.method].flat())
        if (m !== 'HEAD') registeredConsoleRoutes.add(`${m} ${route.url}`);
    });
    await app.register(cookie);
    await app.register(formbody, { bodyLimit: 64 * 1024 });
    app.decorateRequest('consoleAdmin', null);
    const sessions = createConsoleSessions({
      db: deps.db,
      clock: deps.clock,
      ids: deps.ids,
      settings: deps.settings,
    });

    app.addHook('onRequest', async (_request, reply) => {
      reply.header('content-security-policy', CONSOLE_CSP);
      reply.header('x-frame-options', 'DENY');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('x-content-type-options', 'nosniff');
      reply.header('cache-control', 'no-store');
    });
    app.setErrorHandler(async (err, request, reply) => {
      const e = err as Error & { statusCode?: number };
      const status =
        err instanceof AppError ? err.status : e.statusCode && e.statusCode < 500 ? e.statusCode : 500;
      if (status >= 500) request.log.error({ err }, 'console error');
      if (err instanceof AppError)
        for (const [k, v] of Object.entries(err.extra.headers ?? {})) reply.header(k, v);
      const message = status >= 500 ? `Something went wrong (request ${request.id}).` : e.message;
      return reply.code(status).type('text/html').send(errorPage(status, message));
    });
    app.setNotFoundHandler(async (_request, reply) =>
      reply.code(404).type('text/html').send(errorPage(404, 'There is no such console page.')),
    );

    app.get('/assets/htmx.min.js', { schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/javascript').header('cache-control', 'public, max-age=86400').send(HTMX),
    );
    app.get('/assets/console.css', { schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/css').header('cache-control', 'public, max-age=3600').send(CSS),
    );
    signInRoutes(app, deps, sessions);

    // Everything else needs a live admin session (and a CSRF token on POST).
    await app.register(async (secured) => {
      secured.addHook('preHandler', consoleGuard(deps, sessions));
      signOutRoute(secured, deps, sessions);
      homeRoutes(secured, deps);
      analyticsRoutes(secured, deps);
      analyticsDrillRoutes(secured, deps);
      kycRoutes(secured, deps);
      catalogRoutes(secured, deps);
      catalogTaxonomyRoutes(secured, deps);
      promotionRoutes(secured, deps);
      codeRoutes(secured, deps);
      referralRoutes(secured, deps);
      disputeRoutes(secured, deps);
      moneyRoutes(secured, deps);
      moneyFeedRoutes(secured, deps);
      moneyLedgerRoutes(secured, deps);
      moneyStatementRoutes(secured, deps);
      approvalRoutes(secured, deps);
      peopleRoutes(secured, deps, sessions);
      riderScorecardRoutes(secured, deps);
      loyaltyRoutes(secured, deps);
      orderRoutes(secured, deps);
      messageRoutes(secured, deps);
      logisticsRoutes(secured, deps);
      logisticsEditRoutes(secured, deps);
    });
  };
}
