import { and, count, gte, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { paymentProviderCalls as c } from './schema.js';

// What operations watch of a mobile-money provider: among its recorded calls (payment_provider_calls)
// since a time, how many failed. A failure is a call that got no answer (network error, timeout) or
// a 5xx: the provider did not do its part. A 4xx or a refused payment (wrong PIN, low balance) is the
// provider answering, not failing.

/** true when a recorded call counts as the provider failing */
export const isFailedProviderCall = (r: { error: string | null; responseStatus: number | null }) =>
  r.error !== null || r.responseStatus === null || r.responseStatus >= 500;

export async function providerCallOutcomes(
  db: Database,
  provider: string,
  since: Date,
): Promise<{ failed: number; total: number }> {
  const [row] = await db
    .select({
      total: count(),
      failed:
        sql<number>`count(*) filter (where ${c.error} is not null or ${c.responseStatus} is null or ${c.responseStatus} >= 500)`.mapWith(
          Number,
        ),
    })
    .from(c)
    .where(and(sql`${c.provider} = ${provider}`, gte(c.createdAt, since)));
  return { failed: row?.failed ?? 0, total: row?.total ?? 0 };
}
