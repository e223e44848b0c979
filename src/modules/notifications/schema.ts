import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { money, tz } from '../../db/columns.js';

export const CHANNELS = ['in_app', 'whatsapp', 'sms'] as const;
export type Channel = (typeof CHANNELS)[number];

/**
 * A message only moves forward: queued → sending → sent → delivered → read. `failed` sits beside
 * `delivered` (rank 3): a late `failed` never undoes a delivery, a late `delivered` never revives a failure.
 */
export const MESSAGE_STATUSES = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'read',
  'failed',
  'skipped',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** transactional and operations cannot be switched off; loyalty can; marketing is opt-in only. */
export const CATEGORIES = ['transactional', 'operations', 'loyalty', 'marketing'] as const;
export type Category = (typeof CATEGORIES)[number];

export const LANGUAGES = ['sw', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export interface StatusChange {
  status: MessageStatus;
  at: string;
  /** provider code or reason, never the text or the number */
  detail?: string;
}

/** One message per (causing event, recipient, channel): `dedupe_key` makes a retried notify a no-op. */
export const notificationMessages = pgTable(
  'notification_messages',
  {
    id: uuid('id').primaryKey(),
    dedupeKey: text('dedupe_key').notNull(),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    recipientId: uuid('recipient_id').notNull(),
    /** E.164 number the message went to (null for in-app); admin views mask it */
    address: text('address'),
    orderId: uuid('order_id'),
    channel: text('channel', { enum: CHANNELS }).notNull(),
    templateKey: text('template_key').notNull(),
    language: text('language', { enum: LANGUAGES }).notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    /** WhatsApp template parameters, already formatted, in the template's order */
    templateParams: jsonb('template_params').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    category: text('category', { enum: CATEGORIES }).notNull(),
    critical: boolean('critical').notNull(),
    status: text('status', { enum: MESSAGE_STATUSES }).notNull(),
    statusHistory: jsonb('status_history').$type<StatusChange[]>().notNull(),
    provider: text('provider'),
    providerMessageId: text('provider_message_id'),
    lastError: text('last_error'),
    costMinor: money('cost_minor'),
    costCurrency: text('cost_currency'),
    attempts: integer('attempts').notNull().default(0),
    /** the SMS sent because this WhatsApp message was not delivered in time */
    failoverOf: uuid('failover_of'),
    /** when the causing change committed (the clock of the notifying transaction) */
    causedAt: tz('caused_at').notNull(),
    /** not before: quiet hours and the marketing window move this, they never drop the message */
    sendAfter: tz('send_after').notNull(),
    sentAt: tz('sent_at'),
    deliveredAt: tz('delivered_at'),
    readAt: tz('read_at'),
    createdAt: tz('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('notification_messages_dedupe_idx').on(t.dedupeKey),
    index('notification_messages_feed_idx')
      .on(t.recipientId, t.createdAt, t.id)
      .where(sql`${t.channel} = 'in_app'`),
    index('notification_messages_provider_idx').on(t.provider, t.providerMessageId),
    index('notification_messages_order_idx').on(t.orderId),
    index('notification_messages_caused_idx').on(t.causedAt),
  ],
);

/** A user's language and consent. No row means the defaults: Swahili, SMS, transactional only. */
export const notificationPreferences = pgTable('notification_preferences', {
  userId: uuid('user_id').primaryKey(),
  language: text('language', { enum: LANGUAGES }).notNull().default('sw'),
  whatsappOptIn: boolean('whatsapp_opt_in').notNull().default(false),
  /** the last time the user wrote to us on WhatsApp: free text is allowed for 24 hours after it */
  whatsappLastInboundAt: tz('whatsapp_last_inbound_at'),
  /** categories the user switched off; only those not transactional are honoured */
  optedOut: jsonb('opted_out').$type<Category[]>().notNull().default(sql`'[]'::jsonb`),
  marketingOptIn: boolean('marketing_opt_in').notNull().default(false),
  /** when and where marketing consent was given (the law asks for both) */
  marketingConsentAt: tz('marketing_consent_at'),
  marketingConsentSource: text('marketing_consent_source'),
  updatedAt: tz('updated_at').notNull(),
});
