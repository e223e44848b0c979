import { and, count, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, notFound } from '../../shared/errors.js';
import type { IdGenerator } from '../../shared/ids.js';
import { decodeCursor, pageOf } from '../../shared/pagination.js';
import { CATALOGUE, type TemplateDef } from './catalogue.js';
import { deliveriesOf, type NotificationEvent, notificationEventSchema } from './events.js';
import type { NotificationJobQueue } from './jobs.js';
import type { PeoplePort } from './ports.js';
import { render } from './render.js';
import {
  DEFAULT_PREFERENCES,
  firstChannel,
  mayReachPhone,
  OPTIONAL_CATEGORIES,
  type ProviderAlertRule,
  type QuietHours,
  sendAfter,
} from './rules.js';
import {
  type Category,
  type Channel,
  type Language,
  notificationMessages as m,
  notificationPreferences as prefsTable,
} from './schema.js';
import { preferenceOf, preferencesOf } from './store.js';

export interface NotificationSettings {
  /** a WhatsApp adapter is configured: opted-in users get WhatsApp first */
  whatsappOn: boolean;
  /** how long a critical WhatsApp message may stay undelivered before it also goes by SMS */
  failoverSeconds: number;
  quietHours: QuietHours | null;
  /** provider attempts per message before it is marked failed */
  maxAttempts: number;
  /** how long a buyer is told a refund takes at most (REFUND_PROMISE_HOURS) */
  refundPromiseHours: number;
  /** when operations hear that a messaging provider is failing (NOTIFY_PROVIDER_ALERT_*); null: never */
  providerAlert: ProviderAlertRule | null;
}

export interface NotificationServiceDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  jobs: NotificationJobQueue;
  settings: NotificationSettings;
  people: PeoplePort;
}

export const dedupeKeyOf = (
  eventType: string,
  eventId: string,
  recipientId: string,
  channel: Channel,
  key: string,
) => `${eventType}/${eventId}/${recipientId}/${channel}/${key}`;

export function createNotificationService(deps: NotificationServiceDeps) {
  const { db, clock, ids, jobs, settings } = deps;
  const { activeAdminIds, contactsOf } = deps.people;

  /**
   * The entry point for every producer: call it inside the transaction that makes the change, so the
   * messages exist exactly when the change does. Writes one in-app row per recipient plus one row for
   * their phone channel, deduplicated on (event, recipient, channel), and enqueues the send jobs.
   * Calling it again with the same event id writes and enqueues nothing.
   */
  async function notify(tx: Database, input: NotificationEvent): Promise<{ created: number }> {
    const event = notificationEventSchema.parse(input);
    const deliveries = deliveriesOf(event);
    const admins = deliveries.some((d) => d.to === 'admins') ? await activeAdminIds(tx) : [];
    const recipientsOf = (to: (typeof deliveries)[number]['to']) => (to === 'admins' ? admins : to.userIds);
    const everyone = [...new Set(deliveries.flatMap((d) => recipientsOf(d.to)))];
    const contacts = new Map((await contactsOf(tx, everyone)).map((c) => [c.userId, c]));
    const prefs = await preferencesOf(tx, everyone);
    const now = clock.now();
    const rows: Array<typeof m.$inferInsert> = [];

    for (const d of deliveries) {
      const def = CATALOGUE[d.template] as TemplateDef;
      for (const recipientId of recipientsOf(d.to)) {
        const contact = contacts.get(recipientId);
        if (!contact) continue; // no such user: nobody to tell
        const p = prefs.get(recipientId) ?? DEFAULT_PREFERENCES;
        const toPhone = mayReachPhone(def.category, p);
        // Marketing without consent is not written anywhere, not even the feed.
        if (def.category === 'marketing' && !toPhone) continue;
        const r = render(d.template, p.language, d.values);
        const common = {
          eventId: event.id,
          eventType: event.type,
          recipientId,
          orderId: d.orderId ?? null,
          templateKey: d.template,
          language: p.language,
          title: r.title,
          body: r.body,
          templateParams: r.params,
          category: def.category,
          critical: def.critical,
          causedAt: now,
          createdAt: now,
        };
        rows.push({
          ...common,
          id: ids.newId(),
          dedupeKey: dedupeKeyOf(event.type, event.id, recipientId, 'in_app', d.template),
          channel: 'in_app',
          status: 'delivered',
          statusHistory: [{ status: 'delivered', at: now.toISOString() }],
          provider: 'in_app',
          sendAfter: now,
          sentAt: now,
          deliveredAt: now,
        });
        if (!toPhone) continue;
        const channel = firstChannel(p, settings.whatsappOn);
        const after = sendAfter(now, def, settings.quietHours);
        rows.push({
          ...common,
          id: ids.newId(),
          dedupeKey: dedupeKeyOf(event.type, event.id, recipientId, channel, d.template),
          channel,
          address: contact.phone,
          status: 'queued',
          statusHistory: [
            {
              status: 'queued',
              at: now.toISOString(),
              ...(after > now ? { detail: `held until ${after.toISOString()}` } : {}),
            },
          ],
          sendAfter: after,
        });
      }
    }
    if (!rows.length) return { created: 0 };
    const created = await tx
      .insert(m)
      .values(rows)
      .onConflictDoNothing({ target: m.dedupeKey })
      .returning({ id: m.id, channel: m.channel, sendAfter: m.sendAfter, critical: m.critical });
    const toSend = created.filter((c) => c.channel !== 'in_app');
    await jobs.enqueue(
      tx,
      ...toSend.map((c) => ({
        kind: 'notifications.send' as const,
        payload: { message_id: c.id },
        runAt: c.sendAfter,
        dedupeKey: `notification.send:${c.id}`,
        maxAttempts: settings.maxAttempts,
      })),
      ...toSend
        .filter((c) => c.channel === 'whatsapp' && c.critical)
        .map((c) => ({
          kind: 'notifications.check_failover' as const,
          payload: { message_id: c.id },
          runAt: new Date(c.sendAfter.getTime() + settings.failoverSeconds * 1000),
          dedupeKey: `notification.failover_check:${c.id}`,
        })),
    );
    return { created: created.length };
  }

  async function upsertPreferences(
    tx: Database,
    userId: string,
    set: Partial<typeof prefsTable.$inferInsert>,
  ) {
    const now = clock.now();
    await tx
      .insert(prefsTable)
      .values({ userId, updatedAt: now, ...set })
      .onConflictDoUpdate({ target: prefsTable.userId, set: { ...set, updatedAt: now } });
  }

  async function preferences(userId: string) {
    const [row] = await db.select().from(prefsTable).where(eq(prefsTable.userId, userId));
    return {
      language: row?.language ?? DEFAULT_PREFERENCES.language,
      whatsapp_opt_in: row?.whatsappOptIn ?? false,
      opted_out: row?.optedOut ?? [],
      marketing_opt_in: row?.marketingOptIn ?? false,
      marketing_consent_at: row?.marketingConsentAt ?? null,
    };
  }

  return {
    notify,

    /** The language every channel (app, USSD, messages) speaks to this user; Swahili unless they chose. */
    async getLanguage(userId: string, tx: Database = db): Promise<Language> {
      return (await preferenceOf(tx, userId)).language;
    },
    async setLanguage(userId: string, language: Language, tx: Database = db) {
      await upsertPreferences(tx, userId, { language });
    },

    preferences,

    async updatePreferences(
      userId: string,
      patch: {
        language?: Language;
        whatsapp_opt_in?: boolean;
        opted_out?: Category[];
        marketing_opt_in?: boolean;
      },
      source = 'app',
    ) {
      const required = patch.opted_out?.find((c) => !OPTIONAL_CATEGORIES.includes(c));
      if (required) {
        throw new AppError(
          'CATEGORY_REQUIRED',
          422,
          `${required} messages (orders, payments, refunds) cannot be switched off.`,
          { field: 'opted_out' },
        );
      }
      const current = await preferences(userId);
      const consentNow = patch.marketing_opt_in === true && !current.marketing_opt_in;
      await upsertPreferences(db, userId, {
        ...(patch.language ? { language: patch.language } : {}),
        ...(patch.whatsapp_opt_in !== undefined ? { whatsappOptIn: patch.whatsapp_opt_in } : {}),
        ...(patch.opted_out ? { optedOut: [...new Set(patch.opted_out)] } : {}),
        ...(patch.marketing_opt_in !== undefined ? { marketingOptIn: patch.marketing_opt_in } : {}),
        // The law asks when and where consent was given; withdrawing keeps the record of when it was.
        ...(consentNow ? { marketingConsentAt: clock.now(), marketingConsentSource: source } : {}),
      });
      return preferences(userId);
    },

    /** The in-app feed, newest first, with the unread count. */
    async feed(userId: string, q: { limit: number; cursor?: string }) {
      const cursor = decodeCursor(q.cursor);
      const mine = and(eq(m.recipientId, userId), eq(m.channel, 'in_app'));
      const rows = await db
        .select()
        .from(m)
        .where(
          cursor
            ? and(mine, or(lt(m.createdAt, cursor.at), and(eq(m.createdAt, cursor.at), lt(m.id, cursor.id))))
            : mine,
        )
        .orderBy(desc(m.createdAt), desc(m.id))
        .limit(q.limit + 1);
      const [unread] = await db
        .select({ n: count() })
        .from(m)
        .where(and(mine, isNull(m.readAt)));
      return { ...pageOf(rows, q.limit, (r) => ({ at: r.createdAt, id: r.id })), unread: unread?.n ?? 0 };
    },

    /** Mark one of the caller's own feed items read; someone else's id is a 404, as if it did not exist. */
    async markRead(userId: string, id: string) {
      const now = clock.now();
      const [row] = await db
        .update(m)
        .set({ readAt: sql`coalesce(${m.readAt}, ${now.toISOString()}::timestamptz)` })
        .where(and(eq(m.id, id), eq(m.recipientId, userId), eq(m.channel, 'in_app')))
        .returning();
      if (!row) throw notFound('Notification');
      return row;
    },

    async markAllRead(userId: string) {
      const rows = await db
        .update(m)
        .set({ readAt: clock.now() })
        .where(and(eq(m.recipientId, userId), eq(m.channel, 'in_app'), isNull(m.readAt)))
        .returning({ id: m.id });
      return { marked: rows.length };
    },
  };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
