// What a buyer's own orders say about them, for modules that look for one person behind two
// accounts (referrals): the phones that paid, the places delivered to, whether they ever checked out.
import { count, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { DeliveryAddressFacts } from './ports.js';
import { checkouts, orders } from './schema.js';

export interface BuyerFootprint {
  checkouts: number;
  payerPhones: string[];
  addresses: DeliveryAddressFacts[];
}

/** Read in the caller's transaction (`tx`), so it sees what that transaction sees. */
export async function buyerFootprint(tx: Database, buyerId: string): Promise<BuyerFootprint> {
  const phones = await tx
    .selectDistinct({ phone: checkouts.payerPhone })
    .from(checkouts)
    .where(eq(checkouts.buyerId, buyerId))
    .limit(100);
  const [n] = await tx.select({ n: count() }).from(checkouts).where(eq(checkouts.buyerId, buyerId));
  const rows = await tx
    .select({ snapshot: orders.snapshot })
    .from(orders)
    .where(eq(orders.buyerId, buyerId))
    .limit(200);
  return {
    checkouts: Number(n?.n ?? 0),
    payerPhones: phones.map((p) => p.phone),
    addresses: rows.map(({ snapshot: { delivery_address: a } }) => ({
      ward: a.ward,
      landmark: a.landmark,
      location: a.location,
    })),
  };
}
