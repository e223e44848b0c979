import { createHash } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, notFound } from '../../shared/errors.js';
import type { IdGenerator } from '../../shared/ids.js';
import { checkImage, MAX_IMAGE_PIXELS } from './image-check.js';
import { ALLOWED_IMAGE_TYPES, type MediaPurpose } from './model.js';
import { media } from './schema.js';
import type { MediaStorage } from './storage.js';

export type Media = typeof media.$inferSelect;

/** A client's file name, kept for support, without control characters and at most 200 characters. */
function cleanName(name: string | undefined): string | null {
  const clean = [...(name ?? '')].filter((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f).join('');
  return clean.slice(0, 200) || null;
}

export function createMediaService(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  storage: MediaStorage;
  maxBytes: number;
}) {
  const { db, clock, ids, storage } = deps;
  return {
    maxBytes: deps.maxBytes,

    /** Store an upload after checking its real type from its bytes and decoding it whole; the row is written only once the bytes are safe. */
    async upload(input: {
      ownerUserId: string;
      purpose: MediaPurpose;
      bytes: Buffer;
      originalName?: string;
    }): Promise<Media> {
      if (input.bytes.length === 0)
        throw new AppError('EMPTY_FILE', 422, 'The file is empty.', { field: 'file' });
      if (input.bytes.length > deps.maxBytes) {
        throw new AppError('FILE_TOO_LARGE', 413, `The file is larger than ${deps.maxBytes} bytes.`, {
          field: 'file',
        });
      }
      // Loaded at the first upload, not at start-up (start-up time is measured).
      const { fileTypeFromBuffer } = await import('file-type');
      const detected = await fileTypeFromBuffer(input.bytes);
      if (!detected || !(ALLOWED_IMAGE_TYPES as readonly string[]).includes(detected.mime)) {
        throw new AppError(
          'UNSUPPORTED_FILE_TYPE',
          415,
          `Only ${ALLOWED_IMAGE_TYPES.join(', ')} images are accepted; this file is ${detected?.mime ?? 'not a recognised image'}.`,
          { field: 'file' },
        );
      }
      const image = await checkImage(input.bytes, detected.mime);
      if (!image.ok) {
        throw new AppError(
          'INVALID_IMAGE',
          422,
          image.reason === 'TOO_MANY_PIXELS'
            ? `The image has more than ${MAX_IMAGE_PIXELS} pixels.`
            : `The file starts like ${detected.mime} but is not a whole, readable image (truncated or corrupt).`,
          { field: 'file' },
        );
      }
      const id = ids.newId();
      const now = clock.now();
      const key = `${now.toISOString().slice(0, 7)}/${id}.${detected.ext}`;
      await storage.put(key, input.bytes, detected.mime);
      try {
        const [row] = await db
          .insert(media)
          .values({
            id,
            ownerUserId: input.ownerUserId,
            purpose: input.purpose,
            contentType: detected.mime,
            sizeBytes: input.bytes.length,
            width: image.width,
            height: image.height,
            sha256: createHash('sha256').update(input.bytes).digest('hex'),
            storageKey: key,
            originalName: cleanName(input.originalName),
            createdAt: now,
          })
          .returning();
        return row!;
      } catch (err) {
        // No row, no file: never leave bytes nobody can reach or account for.
        await storage.delete(key).catch(() => {});
        throw err;
      }
    },

    /** A media row the viewer may read: its owner, or an admin. Others get 404 so ids reveal nothing. */
    async getReadable(id: string, viewer: { userId: string; roles: readonly string[] }): Promise<Media> {
      const [row] = await db.select().from(media).where(eq(media.id, id));
      if (!row || (row.ownerUserId !== viewer.userId && !viewer.roles.includes('admin')))
        throw notFound('Media');
      return row;
    },

    content: (row: Media) => storage.get(row.storageKey),

    /** For other modules: the given media ids, all owned by `ownerUserId` with `purpose`, or a 422 naming the field. */
    async requireOwned(
      tx: Database,
      ownerUserId: string,
      mediaIds: string[],
      purpose: MediaPurpose,
      field: string,
    ) {
      const rows = mediaIds.length
        ? await tx
            .select()
            .from(media)
            .where(
              and(
                inArray(media.id, mediaIds),
                eq(media.ownerUserId, ownerUserId),
                eq(media.purpose, purpose),
              ),
            )
        : [];
      if (rows.length !== new Set(mediaIds).size) {
        throw new AppError(
          'MEDIA_NOT_USABLE',
          422,
          `Every ${field} entry must be your own upload with purpose ${purpose}.`,
          {
            field,
          },
        );
      }
      return rows;
    },

    async byIds(tx: Database, mediaIds: string[]) {
      return mediaIds.length ? tx.select().from(media).where(inArray(media.id, mediaIds)) : [];
    },
  };
}

export type MediaService = ReturnType<typeof createMediaService>;
