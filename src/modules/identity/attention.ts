import { count, eq, min } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { kycSubmissions } from './schema.js';

/** The KYC queue for the console's home page: pending submissions and the oldest one's time. */
export async function kycAttention(db: Database) {
  const [r] = await db
    .select({ n: count(), oldest: min(kycSubmissions.submittedAt) })
    .from(kycSubmissions)
    .where(eq(kycSubmissions.status, 'pending'));
  return { count: r?.n ?? 0, oldest: r?.oldest ?? null };
}
