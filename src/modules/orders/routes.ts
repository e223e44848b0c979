// The orders module's HTTP API, by audience: buyer-routes.ts, seller-routes.ts (with the rider's
// earnings), admin-routes.ts; the reply shapes they share are in dto.ts.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { buyerOrderRoutes } from './buyer-routes.js';
import type { OrderRouteDeps } from './dto.js';
import { sellerOrderRoutes } from './seller-routes.js';

export { adminOrderRoutes } from './admin-routes.js';
export type { OrderRouteDeps, RiderView } from './dto.js';

/** The buyer's and the seller's routes, registered in one context, as one plugin always did. */
export function orderRoutes(deps: OrderRouteDeps): FastifyPluginAsyncZod {
  const buyer = buyerOrderRoutes(deps);
  const seller = sellerOrderRoutes(deps);
  return async (app, opts) => {
    await buyer(app, opts);
    await seller(app, opts);
  };
}
