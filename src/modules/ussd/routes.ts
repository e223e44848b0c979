// Africa's Talking's side of USSD: a form-encoded POST on a secret path, answered in text/plain.
// Whatever goes wrong after the caller is known to be the gateway, the reply is a 200 `END …`: a
// non-2xx drops the caller's session with nothing said (PROTOCOLS.md §3.3).
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AppError, notFound, problems } from '../../shared/errors.js';
import { constantTimeEqual } from '../../shared/secrets.js';
import type { UssdReply, UssdService } from './service.js';
import { MALFORMED } from './texts.js';

export interface UssdRouteDeps {
  ussd: UssdService;
  callbackToken: string;
  /** addresses allowed to post; null: any (the token alone) */
  allowedIps: string[] | null;
  /** bytes; AT's form is a few hundred */
  bodyLimit: number;
}

/** The body the form parser hands on: the fields, or the fact that they could not be read. */
type ParsedForm = Record<string, string> | { malformed: true };

function parseForm(raw: string): ParsedForm {
  // A NUL would otherwise be refused with a 400 by the app-wide check: here it is just malformed.
  if (raw.includes('\u0000') || raw.toLowerCase().includes('%00')) return { malformed: true };
  const fields: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(raw)) if (!(k in fields)) fields[k] = v;
  return fields;
}

const send = (reply: import('fastify').FastifyReply, r: UssdReply) =>
  reply.code(200).type('text/plain; charset=utf-8').send(`${r.type} ${r.text}`);

export function ussdRoutes(deps: UssdRouteDeps): FastifyPluginAsync {
  return async (app) => {
    // Only in this plugin: the rest of the API speaks JSON.
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: deps.bodyLimit },
      (_req, body, done) => done(null, parseForm(body as string)),
    );
    // Any other type is read as nothing, so it gets the malformed screen rather than a 415.
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: deps.bodyLimit }, (_req, _body, done) =>
      done(null, { malformed: true }),
    );
    // The token and the address are checked before the body is read: a stranger gets what a
    // stranger gets from the payment callbacks (404, 403), never a USSD screen.
    app.addHook('onRequest', async (request) => {
      const { token } = request.params as { token?: string };
      if (!token || !constantTimeEqual(token, deps.callbackToken)) throw notFound('Callback');
      if (deps.allowedIps && !deps.allowedIps.includes(request.ip))
        throw new AppError('CALLBACK_FORBIDDEN', 403, 'This address may not post USSD callbacks.');
    });
    app.setErrorHandler(async (error, request, reply) => {
      if (error instanceof AppError && (error.status === 404 || error.status === 403)) throw error;
      // Too large, unreadable, anything: the gateway is answered, the session closes cleanly.
      request.log.warn({ code: (error as { code?: string }).code }, 'USSD request not readable');
      return send(reply, { type: 'END', text: MALFORMED });
    });

    app.post(
      '/ussd/callback/:token',
      {
        bodyLimit: deps.bodyLimit,
        schema: {
          tags: ['ussd'],
          params: z.object({ token: z.string() }),
          produces: ['text/plain'],
          response: {
            200: z.string().describe('`CON <screen>` (wait for input) or `END <screen>` (close)'),
            ...problems(403, 404),
          },
          summary:
            "Africa's Talking USSD callback (form-encoded); the path carries a secret token. Answers text/plain `CON …` or `END …`",
        },
      },
      async (request, reply) => {
        const body = request.body as ParsedForm | undefined;
        if (!body || 'malformed' in body) return send(reply, { type: 'END', text: MALFORMED });
        return send(reply, await deps.ussd.handle(body));
      },
    );
  };
}
