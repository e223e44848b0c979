import { count, eq, min } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { riderProfiles } from './schema.js';

/** Riders waiting for verification, for the console's home page. */
export async function ridersAttention(db: Database) {
  const [r] = await db
    .select({ n: count(), oldest: min(riderProfiles.createdAt) })
    .from(riderProfiles)
    .where(eq(riderProfiles.status, 'pending'));
  return { count: r?.n ?? 0, oldest: r?.oldest ?? null };
}
