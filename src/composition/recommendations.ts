// The recommendations module wired: catalog facts, the cart's contents, completed orders, the
// buyer's language, and deliverability through the zones module's own quote (the one checkout
// uses). Kept beside the composition root so that file stays short.
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import { type CartModule, cartSkuIdsSql } from '../modules/cart/index.js';
import type { CatalogModule } from '../modules/catalog/index.js';
import type { IdentityModule, SignInHook } from '../modules/identity/index.js';
import type { JobService } from '../modules/jobs/index.js';
import { languageOfSql, type NotificationsModule } from '../modules/notifications/index.js';
import { completedPurchasesSince } from '../modules/orders/index.js';
import {
  createRecommendationSignals,
  createRecommendationsModule,
  type RecDeliveryPort,
  type RecommendationSignals,
  recommendationJobs,
} from '../modules/recommendations/index.js';
import { pickupPointLocator, type ZonesModule, zoneDeliveryQuoter } from '../modules/zones/index.js';
import type { Clock } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';

/** A refusal of the zones module (outside every zone, no fee for the route, no service hours): not deliverable. */
async function refusedIsFalse(check: () => Promise<unknown>): Promise<boolean> {
  try {
    await check();
    return true;
  } catch (err) {
    if (err instanceof AppError && err.status < 500) return false;
    throw err;
  }
}

export function wireRecommendations(deps: {
  db: Database;
  config: Config;
  clock: Clock;
  jobs: JobService;
  signals: RecommendationSignals;
  catalog: CatalogModule;
  cart: CartModule;
  identity: IdentityModule;
  zones: ZonesModule;
  notifications: NotificationsModule;
}) {
  const { identity, zones, config } = deps;
  const zonesOn = config.DELIVERY_QUOTES === 'zones';
  const sellerPickup = identity.profiles.sellerPickupPoint;
  const quote = zoneDeliveryQuoter({ zones: zones.service, sellerPickup });
  const pickupOf = pickupPointLocator({ zones: zones.service, sellerPickup });

  const delivery: RecDeliveryPort = {
    async buyerPlace(buyerId) {
      // Without zones the place decides nothing (no zone to be popular in, nothing to quote): no
      // address lookup on every read.
      if (!zonesOn) return null;
      const address = (await identity.profiles.listAddresses(buyerId)).find((a) => a.isDefault);
      if (!address) return null;
      const location =
        address.latitude !== null && address.longitude !== null
          ? { lat: address.latitude, lng: address.longitude }
          : null;
      const zone = zonesOn && location ? ((await zones.service.zoneOfPoint(location))?.name ?? null) : null;
      return { location, zone };
    },
    async deliverableSellers(sellerIds, place, now) {
      if (!zonesOn) return null;
      const ok = new Set<string>();
      // No default address with a location yet: shown only from sellers inside a zone while
      // service hours exist; the address, once given, narrows it to real routes.
      if (!place?.location && !(await refusedIsFalse(() => zones.service.openDeadline(now, 1)))) return ok;
      await Promise.all(
        sellerIds.map(async (sellerId) => {
          const can = place?.location
            ? await refusedIsFalse(() =>
                quote({ sellerIds: [sellerId], address: { location: place.location }, now }),
              )
            : await refusedIsFalse(async () => {
                if (!(await pickupOf(sellerId)).zoneId) throw new AppError('OUTSIDE_ZONES', 409, 'outside');
              });
          if (can) ok.add(sellerId);
        }),
      );
      return ok;
    },
  };

  const recommendations = createRecommendationsModule({
    db: deps.db,
    clock: deps.clock,
    signals: deps.signals,
    catalog: deps.catalog.forRecommendations,
    cart: { skuIdsSql: cartSkuIdsSql },
    orders: { completedPurchasesSince },
    delivery,
    language: { languageSql: languageOfSql },
    settings: {
      readsPerMinute: config.PUBLIC_READS_PER_MINUTE,
      viewsPerMinute: config.PUBLIC_READS_PER_MINUTE,
    },
  });
  const schedule = recommendations.schedule(deps.jobs.queue(recommendationJobs));
  return { ...recommendations, jobHandlers: schedule.jobHandlers, startSchedule: schedule.start };
}

export type Recommendations = ReturnType<typeof wireRecommendations>;

/**
 * Built before identity (a sign-in takes over the anonymous session's views, in its transaction)
 * and the cart (which records its adds through it).
 */
export function recSignals(deps: { db: Database; clock: Clock }) {
  const signals = createRecommendationSignals(deps);
  const onSignedIn: SignInHook = async (tx, { userId, anonymousSession }) => {
    if (anonymousSession) await signals.mergeAnonymousViews(tx, anonymousSession, userId);
  };
  return { ...signals, onSignedIn };
}
