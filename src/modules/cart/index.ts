// The cart module's public face.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { SellableSku } from '../catalog/index.js';
import type { PromotionsService } from '../promotions/index.js';
import { cartRoutes, type PreviewDelivery } from './routes.js';
import { createCartService } from './service.js';

export type { DeliveryPreview, PreviewDelivery } from './routes.js';
export {
  type CartLineView,
  type CartService,
  type CartView,
  type LineProblem,
  MAX_CART_LINES,
} from './service.js';
export { cartSkuIdsSql } from './skus-sql.js';

export function createCartModule(deps: {
  db: Database;
  clock: Clock;
  promotions: PromotionsService;
  sellableSkus: (
    tx: Database,
    skuIds: string[],
    opts?: { lock?: boolean },
  ) => Promise<Map<string, SellableSku>>;
  maxQuantity: number;
  lowStockThreshold: number;
  itemAdded?: (tx: Database, added: { buyerId: string; productId: string; at: Date }) => Promise<void>;
  /** GET /cart?address_id=: each seller order's delivery, as checkout will charge it */
  previewDelivery?: PreviewDelivery;
}) {
  const service = createCartService(deps);
  return {
    service,
    routes: cartRoutes({
      cart: service,
      lowStockThreshold: deps.lowStockThreshold,
      maxQuantity: deps.maxQuantity,
      previewDelivery: deps.previewDelivery,
    }),
  };
}

export type CartModule = ReturnType<typeof createCartModule>;
