import { createHmac } from 'node:crypto';
import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuth } from '../../shared/auth.js';
import { AppError, notFound, problems } from '../../shared/errors.js';
import { idParam, pageQuerySchema, pageSchema } from '../../shared/pagination.js';
import { constantTimeEqual } from '../../shared/secrets.js';
import { toDarTime, toDarTimeOrNull } from '../../shared/time.js';
import type { NotificationAdmin } from './admin.js';
import type { Dispatcher } from './dispatch.js';
import { maskPhone } from './rules.js';
import { CATEGORIES, CHANNELS, LANGUAGES, MESSAGE_STATUSES } from './schema.js';
import type { NotificationService } from './service.js';
import type { MessageRow } from './store.js';

export interface NotificationRouteDeps {
  service: NotificationService;
  dispatcher: Dispatcher;
  admin: NotificationAdmin;
  callbacks: {
    /** secret path segment of the Africa's Talking delivery-report URL */
    smsToken: string;
    allowedIps: string[] | null;
    perMinute: number;
    whatsappAppSecret: string | null;
    whatsappVerifyToken: string | null;
  };
}

const feedItem = z.object({
  id: z.uuid(),
  title: z.string(),
  body: z.string(),
  category: z.enum(CATEGORIES),
  template_key: z.string(),
  order_id: z.uuid().nullable(),
  created_at: z.string(),
  read_at: z.string().nullable(),
});
const toFeedItem = (r: MessageRow) => ({
  id: r.id,
  title: r.title,
  body: r.body,
  category: r.category,
  template_key: r.templateKey,
  order_id: r.orderId,
  created_at: toDarTime(r.createdAt),
  read_at: toDarTimeOrNull(r.readAt),
});

const preferencesSchema = z.object({
  language: z.enum(LANGUAGES),
  whatsapp_opt_in: z.boolean(),
  opted_out: z.array(z.enum(CATEGORIES)),
  marketing_opt_in: z.boolean(),
  marketing_consent_at: z.string().nullable(),
});
const toPreferences = (p: Awaited<ReturnType<NotificationService['preferences']>>) => ({
  ...p,
  marketing_consent_at: toDarTimeOrNull(p.marketing_consent_at),
});

/** The caller's feed and preferences. */
export function notificationRoutes(deps: NotificationRouteDeps): FastifyPluginAsyncZod {
  const { service } = deps;
  return async (app) => {
    const signedIn = requireAuth();
    const s = { security: bearerSecurity, tags: ['notifications'] };

    app.get(
      '/me/notifications',
      {
        preHandler: signedIn,
        schema: {
          ...s,
          summary: 'My notifications, newest first, with the unread count',
          querystring: pageQuerySchema,
          response: {
            200: pageSchema(feedItem).extend({ unread: z.number().int() }),
            ...problems(400, 401),
          },
        },
      },
      async (request) => {
        const page = await service.feed(caller(request).userId, request.query);
        return { items: page.items.map(toFeedItem), next_cursor: page.next_cursor, unread: page.unread };
      },
    );

    app.post(
      '/me/notifications/:id/read',
      {
        preHandler: signedIn,
        schema: {
          ...s,
          summary: 'Mark one of my notifications read',
          params: idParam,
          response: { 200: feedItem, ...problems(400, 401, 404) },
        },
      },
      async (request) => toFeedItem(await service.markRead(caller(request).userId, request.params.id)),
    );

    app.post(
      '/me/notifications/read-all',
      {
        preHandler: signedIn,
        schema: {
          ...s,
          summary: 'Mark all my notifications read',
          response: { 200: z.object({ marked: z.number().int() }), ...problems(401) },
        },
      },
      async (request) => service.markAllRead(caller(request).userId),
    );

    app.get(
      '/me/notification-preferences',
      {
        preHandler: signedIn,
        schema: {
          ...s,
          summary: 'My language and what I hear about',
          response: { 200: preferencesSchema, ...problems(401) },
        },
      },
      async (request) => toPreferences(await service.preferences(caller(request).userId)),
    );

    app.put(
      '/me/notification-preferences',
      {
        preHandler: signedIn,
        schema: {
          ...s,
          summary: 'Change my language, WhatsApp opt-in, category opt-outs and marketing consent',
          description:
            'Transactional messages (orders, payments, refunds) cannot be switched off: listing them in opted_out is a 422.',
          body: z.strictObject({
            language: z.enum(LANGUAGES).optional(),
            whatsapp_opt_in: z.boolean().optional(),
            opted_out: z.array(z.enum(CATEGORIES)).max(CATEGORIES.length).optional(),
            marketing_opt_in: z.boolean().optional(),
          }),
          response: { 200: preferencesSchema, ...problems(400, 401, 422) },
        },
      },
      async (request) => toPreferences(await service.updatePreferences(caller(request).userId, request.body)),
    );
  };
}

const adminItem = z.object({
  id: z.uuid(),
  event_type: z.string(),
  event_id: z.string(),
  recipient_id: z.uuid(),
  address: z.string().nullable().describe('masked'),
  order_id: z.uuid().nullable(),
  channel: z.enum(CHANNELS),
  template_key: z.string(),
  language: z.enum(LANGUAGES),
  title: z.string(),
  critical: z.boolean(),
  status: z.enum(MESSAGE_STATUSES),
  status_history: z.array(z.object({ status: z.string(), at: z.string(), detail: z.string().optional() })),
  provider: z.string().nullable(),
  provider_message_id: z.string().nullable(),
  last_error: z.string().nullable(),
  cost_minor: z.number().int().nullable(),
  cost_currency: z.string().nullable(),
  attempts: z.number().int(),
  failover_of: z.uuid().nullable(),
  caused_at: z.string(),
  sent_at: z.string().nullable(),
  delivered_at: z.string().nullable(),
});
// The body is left out on purpose: it may hold a buyer's delivery code.
const toAdminItem = (r: MessageRow) => ({
  id: r.id,
  event_type: r.eventType,
  event_id: r.eventId,
  recipient_id: r.recipientId,
  address: maskPhone(r.address),
  order_id: r.orderId,
  channel: r.channel,
  template_key: r.templateKey,
  language: r.language,
  title: r.title,
  critical: r.critical,
  status: r.status,
  status_history: r.statusHistory,
  provider: r.provider,
  provider_message_id: r.providerMessageId,
  last_error: r.lastError,
  cost_minor: r.costMinor,
  cost_currency: r.costCurrency,
  attempts: r.attempts,
  failover_of: r.failoverOf,
  caused_at: toDarTime(r.causedAt),
  sent_at: toDarTimeOrNull(r.sentAt),
  delivered_at: toDarTimeOrNull(r.deliveredAt),
});

const dayParam = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date, YYYY-MM-DD');
/** A Dar es Salaam calendar day's first instant. */
const darDayStart = (day: string) => new Date(`${day}T00:00:00+03:00`);

export function adminNotificationRoutes(deps: NotificationRouteDeps): FastifyPluginAsyncZod {
  const { admin } = deps;
  return async (app) => {
    const isAdmin = requireAuth('admin');
    const s = { security: bearerSecurity, tags: ['admin'] };

    app.get(
      '/notifications',
      {
        preHandler: isAdmin,
        schema: {
          ...s,
          summary: 'Messages, newest first; search by user, order, status, channel (phones masked)',
          querystring: pageQuerySchema.extend({
            user_id: z.uuid().optional(),
            order_id: z.uuid().optional(),
            status: z.enum(MESSAGE_STATUSES).optional(),
            channel: z.enum(CHANNELS).optional(),
          }),
          response: { 200: pageSchema(adminItem), ...problems(400, 401, 403) },
        },
      },
      async (request) => {
        const q = request.query;
        const page = await admin.search({
          userId: q.user_id,
          orderId: q.order_id,
          status: q.status,
          channel: q.channel,
          limit: q.limit,
          cursor: q.cursor,
        });
        return { items: page.items.map(toAdminItem), next_cursor: page.next_cursor };
      },
    );

    app.get(
      '/notifications/report',
      {
        preHandler: isAdmin,
        schema: {
          ...s,
          summary: 'Per channel and day: sent, delivered, failed, delivery rate, p50/p95 latency, cost',
          description:
            'Days are Dar es Salaam days of the causing commit; `to` is inclusive; at most 92 days.',
          querystring: z.strictObject({ from: dayParam, to: dayParam }),
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  channel: z.enum(CHANNELS),
                  day: z.string(),
                  sent: z.number().int(),
                  delivered: z.number().int(),
                  failed: z.number().int(),
                  delivery_rate: z.number().nullable(),
                  p50_latency_ms: z.number().int().nullable(),
                  p95_latency_ms: z.number().int().nullable(),
                  cost_minor: z.number().int(),
                  cost_currency: z.string(),
                }),
              ),
            }),
            ...problems(400, 401, 403),
          },
        },
      },
      async (request) => {
        const from = darDayStart(request.query.from);
        const to = new Date(darDayStart(request.query.to).getTime() + 86_400_000);
        if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || to <= from)
          throw new AppError('INVALID_RANGE', 400, '`from` must be a real date on or before `to`.', {
            field: 'from',
          });
        if (to.getTime() - from.getTime() > 92 * 86_400_000)
          throw new AppError('RANGE_TOO_LONG', 400, 'Ask for at most 92 days at once.', { field: 'to' });
        return { items: await admin.report({ from, to }) };
      },
    );
  };
}

/** The `sha256=<hex>` signature Meta sends, over the raw body bytes (PROTOCOLS.md §4.3). */
export function whatsappSignature(appSecret: string, raw: Buffer | string): string {
  return `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
}

const atReport = z.object({
  id: z.string().min(1).max(200),
  status: z.string().min(1).max(50),
  failureReason: z.string().max(200).optional(),
});

const waStatus = z.object({
  id: z.string().min(1).max(300),
  status: z.string().max(30),
  timestamp: z.string().regex(/^\d{1,12}$/),
  errors: z.array(z.object({ code: z.number().int() }).loose()).optional(),
});
const waInbound = z.object({
  from: z.string().regex(/^\d{8,15}$/),
  timestamp: z.string().regex(/^\d{1,12}$/),
});
const waBody = z.object({
  entry: z
    .array(
      z.object({
        changes: z
          .array(
            z.object({
              value: z
                .object({
                  statuses: z.array(z.unknown()).optional(),
                  messages: z.array(z.unknown()).optional(),
                })
                .loose(),
            }),
          )
          .default([]),
      }),
    )
    .default([]),
});

/**
 * What providers call: no sign-in, so a secret path token (Africa's Talking, unsigned) or an HMAC of
 * the raw body (WhatsApp) stands in for one. A forged or replayed call changes nothing and is never a 5xx.
 */
export function notificationCallbackRoutes(deps: NotificationRouteDeps): FastifyPluginAsyncZod {
  const { dispatcher, callbacks: cb } = deps;
  const limit = { rateLimit: { max: cb.perMinute, timeWindow: '1 minute' } };
  return async (app) => {
    // Africa's Talking posts forms; this scope alone reads them.
    await app.register(async (plain) => {
      const scope = plain.withTypeProvider<ZodTypeProvider>();
      scope.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string' },
        (_req, body, done) => {
          done(null, Object.fromEntries(new URLSearchParams(body as string)));
        },
      );
      scope.post(
        '/notifications/callbacks/africastalking/delivery/:token',
        {
          config: limit,
          schema: {
            tags: ['notifications'],
            summary: "Africa's Talking SMS delivery report (form-encoded); the path carries a secret token",
            params: z.strictObject({ token: z.string().min(1).max(128) }),
            body: z.unknown(),
            response: { 200: z.object({ ok: z.literal(true) }), ...problems(400, 403, 404, 415, 429) },
          },
        },
        async (request) => {
          if (!constantTimeEqual(request.params.token, cb.smsToken)) throw notFound('Callback');
          if (cb.allowedIps && !cb.allowedIps.includes(request.ip))
            throw new AppError('CALLBACK_FORBIDDEN', 403, 'This address may not post delivery reports.');
          const report = atReport.safeParse(request.body);
          if (!report.success)
            throw new AppError('CALLBACK_MALFORMED', 400, 'This is not a delivery report.');
          await dispatcher.recordSmsReport(report.data);
          return { ok: true as const };
        },
      );
    });

    app.get(
      '/notifications/callbacks/whatsapp',
      {
        config: limit,
        schema: {
          tags: ['notifications'],
          summary: "Meta's webhook verification: answers hub.challenge when hub.verify_token matches",
          querystring: z
            .object({
              'hub.mode': z.string().max(50).optional(),
              'hub.verify_token': z.string().max(200).optional(),
              'hub.challenge': z.string().max(200).optional(),
            })
            .loose(),
          response: { 200: z.string(), ...problems(403, 429) },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const ok =
          cb.whatsappVerifyToken !== null &&
          q['hub.mode'] === 'subscribe' &&
          typeof q['hub.challenge'] === 'string' &&
          constantTimeEqual(q['hub.verify_token'] ?? '', cb.whatsappVerifyToken);
        if (!ok) throw new AppError('VERIFICATION_FAILED', 403, 'The verify token does not match.');
        return reply.type('text/plain').send(String(q['hub.challenge']));
      },
    );

    // The signature covers the raw bytes, so this scope keeps them: no JSON parser runs before the check.
    await app.register(async (plain) => {
      const scope = plain.withTypeProvider<ZodTypeProvider>();
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
      scope.post(
        '/notifications/callbacks/whatsapp',
        {
          config: limit,
          schema: {
            tags: ['notifications'],
            summary: 'WhatsApp webhook (statuses, inbound messages), signed with X-Hub-Signature-256',
            response: { 200: z.object({ ok: z.literal(true) }), ...problems(400, 401, 404, 413, 429) },
          },
        },
        async (request) => {
          if (!cb.whatsappAppSecret) throw notFound('Webhook');
          const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          const given = request.headers['x-hub-signature-256'];
          if (
            typeof given !== 'string' ||
            !constantTimeEqual(given, whatsappSignature(cb.whatsappAppSecret, raw))
          )
            throw new AppError('SIGNATURE_INVALID', 401, 'X-Hub-Signature-256 does not match the body.');
          let json: unknown;
          try {
            json = JSON.parse(raw.toString('utf8'));
          } catch {
            throw new AppError('CALLBACK_MALFORMED', 400, 'The body is not JSON.');
          }
          const body = waBody.safeParse(json);
          if (!body.success) throw new AppError('CALLBACK_MALFORMED', 400, 'This is not a WhatsApp webhook.');
          for (const entry of body.data.entry) {
            for (const change of entry.changes) {
              for (const s of change.value.statuses ?? []) {
                const st = waStatus.safeParse(s);
                if (!st.success) continue;
                await dispatcher.recordWhatsAppStatus({
                  wamid: st.data.id,
                  status: st.data.status,
                  timestamp: new Date(Number(st.data.timestamp) * 1000),
                  errorCode: st.data.errors?.[0]?.code,
                });
              }
              for (const msg of change.value.messages ?? []) {
                const inbound = waInbound.safeParse(msg);
                if (inbound.success)
                  await dispatcher.recordWhatsAppInbound(
                    inbound.data.from,
                    new Date(Number(inbound.data.timestamp) * 1000),
                  );
              }
            }
          }
          return { ok: true as const };
        },
      );
    });
  };
}
