import { conflict, unprocessable } from '../../shared/errors.js';
import type { LatLng } from './geo.js';
import type { ZonesService } from './service.js';

// The one function that prices and promises delivery by zone, per seller order: pickup at the
// seller's location, drop-off at the buyer's address. Checkout freezes what it returns in the order
// snapshot; the cart preview shows the same thing before the buyer pays (app.ts wires both to it).

/** One seller order's delivery (the shape orders freezes as `snapshot.delivery`). */
export interface SellerDeliveryQuote {
  /** minor units, whole shillings */
  fee: number;
  /** ISO instant in UTC */
  promised_by: string;
  from_zone: string;
  to_zone: string;
  duration_minutes: number;
}

export type ZoneDeliveryQuoter = (q: {
  sellerIds: readonly string[];
  address: { location: LatLng | null };
  now: Date;
}) => Promise<Map<string, SellerDeliveryQuote>>;

/**
 * Quotes each seller's order to the address. Refusals, each clear and never a guess:
 * 422 `ADDRESS_LOCATION_REQUIRED` (field `address_id`) when the address has no point;
 * 409 `SELLER_LOCATION_MISSING` when a seller has no pickup point; and those of `zones.quote`:
 * 422 `ADDRESS_OUTSIDE_ZONES` on `address_id` (or `seller_location`), 409 `NO_FEE_FOR_ROUTE`,
 * 409 `NO_SERVICE_HOURS`.
 */
export function zoneDeliveryQuoter(deps: {
  zones: Pick<ZonesService, 'quote'>;
  /** the seller's pickup point, or null when they have not set one */
  sellerPickup: (sellerId: string) => Promise<LatLng | null>;
}): ZoneDeliveryQuoter {
  return async ({ sellerIds, address, now }) => {
    if (!address.location)
      throw unprocessable(
        'ADDRESS_LOCATION_REQUIRED',
        'address_id',
        'Delivery is priced and promised by place: give this address a location (lat, lng).',
      );
    const out = new Map<string, SellerDeliveryQuote>();
    for (const sellerId of sellerIds) {
      const pickup = await deps.sellerPickup(sellerId);
      if (!pickup)
        throw conflict(
          'SELLER_LOCATION_MISSING',
          'A seller in your cart has no pickup location yet, so no delivery time can be promised; remove their items or try later.',
        );
      const q = await deps.zones.quote({
        pickup,
        dropoff: address.location,
        now,
        fields: { pickup: 'seller_location', dropoff: 'address_id' },
      });
      out.set(sellerId, {
        fee: q.fee,
        promised_by: q.promisedBy.toISOString(),
        from_zone: q.fromZone.name,
        to_zone: q.toZone.name,
        duration_minutes: q.durationMinutes,
      });
    }
    return out;
  };
}

/**
 * Where a rider collects a seller's parcels: the seller's pickup point and the zone it lies in
 * (null outside every zone). 409 `SELLER_LOCATION_MISSING` when the seller has not set one.
 */
export function pickupPointLocator(deps: {
  zones: Pick<ZonesService, 'zoneOfPoint'>;
  sellerPickup: (sellerId: string) => Promise<LatLng | null>;
}) {
  return async (sellerId: string): Promise<LatLng & { zoneId: string | null }> => {
    const p = await deps.sellerPickup(sellerId);
    if (!p) throw conflict('SELLER_LOCATION_MISSING', 'The seller has no pickup location.');
    const z = await deps.zones.zoneOfPoint(p);
    return { lat: p.lat, lng: p.lng, zoneId: z?.id ?? null };
  };
}
