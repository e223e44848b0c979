import { z } from 'zod';
import { AppError } from './errors.js';

// Keyset pagination over (created_at, id): stable under inserts, no OFFSET scans. The cursor is
// opaque to clients so its shape can change without breaking them.

export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export interface Cursor {
  at: Date;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.at.toISOString(), c.id])).toString('base64url');
}

export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (raw === undefined) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(at);
    const year = date.getUTCFullYear();
    // Strict: a forged cursor must never reach the database as a malformed uuid or timestamp.
    if (!z.uuid().safeParse(id).success || Number.isNaN(date.getTime()) || year < 2000 || year > 2200) {
      throw new Error('bad cursor');
    }
    return { at: date, id };
  } catch {
    throw new AppError('INVALID_CURSOR', 400, 'The cursor is not one this API gave out.', {
      field: 'cursor',
    });
  }
}

/** Given limit+1 rows, the page and the cursor for the next one (null at the end). */
export function pageOf<T>(rows: T[], limit: number, key: (row: T) => Cursor) {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > limit && last ? encodeCursor(key(last)) : null };
}

/** Reply schema of a keyset-paginated list of `item`. */
export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() });

/** Path parameters of routes addressed by one uuid (`/…/:id`). */
export const idParam = z.strictObject({ id: z.uuid() });
