// Home: what needs attention now. Each queue with its count and its oldest item's age, linking to
// the screen where it is worked.
import type { FastifyInstance } from 'fastify';
import { adminOf } from './guard.js';
import { html } from './html.js';
import { age, page, table } from './layout.js';
import type { ConsoleDeps } from './ports.js';

export function homeRoutes(app: FastifyInstance, deps: ConsoleDeps) {
  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    const admin = adminOf(request);
    const now = deps.clock.now();
    const queues = await deps.attention();
    const rows = queues.map(
      (q) =>
        html`<tr data-queue="${q.key}"><td>${q.href ? html`<a href="${q.href}">${q.label}</a>` : q.label}</td><td class="num count">${q.count}</td><td class="num">${q.count ? age(q.oldest, now) : '—'}</td><td class="muted">${q.note ?? ''}</td></tr>`,
    );
    const body = html`<div class="queues">${table(['Queue', 'Waiting', 'Oldest', ''], rows)}</div>`;
    return reply.type('text/html').send(page('What needs attention', admin, body).value);
  });
}
