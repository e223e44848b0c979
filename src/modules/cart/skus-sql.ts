import { type Placeholder, type SQL, sql } from 'drizzle-orm';
import { cartLines } from './schema.js';

/**
 * The SKU ids in a buyer's cart as an SQL subquery, for a module that folds "never what is in the
 * cart" into a statement of its own (recommendations): read live on every request, so an item
 * just added is left out at once. Keeps the cart's tables private.
 */
export function cartSkuIdsSql(buyerId: SQL | Placeholder): SQL {
  return sql`select ${cartLines.skuId} from ${cartLines} where ${cartLines.buyerId} = ${buyerId}`;
}
