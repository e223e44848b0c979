import { count, eq, min } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { products } from './schema.js';

/** The product review queue for the console's home page. */
export async function reviewAttention(db: Database) {
  const [r] = await db
    .select({ n: count(), oldest: min(products.submittedAt) })
    .from(products)
    .where(eq(products.status, 'pending_review'));
  return { count: r?.n ?? 0, oldest: r?.oldest ?? null };
}
