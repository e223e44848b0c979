import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { MEDIA_PURPOSES } from './model.js';

export const media = pgTable(
  'media',
  {
    id: uuid('id').primaryKey(),
    ownerUserId: uuid('owner_user_id').notNull(),
    purpose: text('purpose', { enum: MEDIA_PURPOSES }).notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    // Pixel dimensions found by decoding the image; null for uploads stored before they were measured.
    width: integer('width'),
    height: integer('height'),
    sha256: text('sha256').notNull(),
    storageKey: text('storage_key').notNull().unique(),
    originalName: text('original_name'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('media_owner_idx').on(t.ownerUserId, t.createdAt)],
);
