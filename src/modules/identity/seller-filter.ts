import { type AnyColumn, type Placeholder, type SQL, sql } from 'drizzle-orm';
import { sellerProfiles, users } from './schema.js';

/**
 * A SQL condition, for other modules' queries, that is true when the seller in `sellerIdColumn`
 * is active (not banned, not inside a suspension) and KYC-verified. It keeps identity's tables
 * private while letting the catalog drop a banned seller's products from listings at once.
 */
export function activeVerifiedSellerCondition(
  sellerIdColumn: AnyColumn | SQL,
  now: Date | Placeholder,
  /**
   * For a query over a handful of rows (cart, checkout): checked row by row through the users'
   * primary key. OFFSET 0 keeps PostgreSQL from turning the EXISTS into a join, which halves the
   * planning and keeps a generic plan from hashing every seller in the table.
   */
  opts: { perRow?: boolean } = {},
): SQL {
  // A placeholder: the caller compiles the query once and passes the time at each run.
  const at = now instanceof Date ? now.toISOString() : now;
  return sql`exists (select 1 from ${users} join ${sellerProfiles} on ${sellerProfiles.userId} = ${users.id}
    where ${users.id} = ${sellerIdColumn}
      and ${sellerProfiles.kycStatus} = 'verified'
      and 'seller' = any(${users.roles})
      and (${users.status} = 'active' or (${users.status} = 'suspended' and ${users.suspendedUntil} <= ${at}::timestamptz))${sql.raw(opts.perRow ? ' offset 0' : '')})`;
}
