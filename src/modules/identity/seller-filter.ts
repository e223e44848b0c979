import { type AnyColumn, type SQL, sql } from 'drizzle-orm';
import { sellerProfiles, users } from './schema.js';

/**
 * A SQL condition, for other modules' queries, that is true when the seller in `sellerIdColumn`
 * is active (not banned, not inside a suspension) and KYC-verified. It keeps identity's tables
 * private while letting the catalog drop a banned seller's products from listings at once.
 */
export function activeVerifiedSellerCondition(sellerIdColumn: AnyColumn | SQL, now: Date): SQL {
  return sql`exists (select 1 from ${users} join ${sellerProfiles} on ${sellerProfiles.userId} = ${users.id}
    where ${users.id} = ${sellerIdColumn}
      and ${sellerProfiles.kycStatus} = 'verified'
      and 'seller' = any(${users.roles})
      and (${users.status} = 'active' or (${users.status} = 'suspended' and ${users.suspendedUntil} <= ${now.toISOString()}::timestamptz)))`;
}
