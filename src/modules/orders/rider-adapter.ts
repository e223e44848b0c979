// The orders side of the riders' port: the rider's hold on the order is checked by riders, the
// order's own rules (state machine, proof, handover code) here. Written by orders because it knows
// what each of its calls needs; the composition root only hands it to the riders module.
import type { Database } from '../../db/client.js';
import { notFound } from '../../shared/errors.js';
import type { RiderOrdersPort } from '../riders/index.js';
import type { OrdersService } from './service.js';

type LatLng = { lat: number; lng: number };

export interface RiderOrdersAdapterDeps {
  /** A seller's pickup point and its zone; refuses (409 SELLER_LOCATION_MISSING) without one. */
  pickupPointOf: (sellerId: string) => Promise<LatLng & { zoneId: string | null }>;
  /** The rider's last reported position; refuses (409 NO_RIDER_LOCATION) without one. */
  riderPosition: (riderId: string, tx?: Database) => Promise<LatLng>;
  /** The rider's last reported position, or null. */
  lastRiderPosition: (riderId: string, tx?: Database) => Promise<LatLng | null>;
}

export function riderOrdersAdapter(orders: OrdersService, deps: RiderOrdersAdapterDeps) {
  const riderActor = (userId: string) => ({ userId, role: 'rider' as const });
  const statusAndSeller = async (orderId: string) => {
    const o = await orders.statusAndSellerOf(orderId);
    if (!o) throw notFound('Order');
    return o;
  };
  return {
    pickupOf: async (orderId) => deps.pickupPointOf((await statusAndSeller(orderId)).sellerId),
    isReadyForPickup: async (orderId) => (await statusAndSeller(orderId)).status === 'ready_for_pickup',
    // The code checks run on `db`, before riders opens its transaction; the transitions run in that
    // transaction and read through `tx` only (a `db` query inside it would wait forever on
    // PGlite's one connection).
    checkHandoverCode: async (orderId, _riderId, code) => {
      await orders.checkHandoverCode(orderId, code);
    },
    pickUp: async (tx, orderId, riderId, code) => {
      await orders.riderPickUp(orderId, riderId, code, tx);
    },
    checkDeliveryCode: async (orderId, riderId, code) => {
      // No position to record where the code was given: refused before a try is spent.
      await deps.riderPosition(riderId);
      await orders.checkDeliveryCode(orderId, riderActor(riderId), code);
    },
    deliver: async (tx, orderId, riderId, proof) => {
      if (proof.kind === 'photo') {
        await orders.deliver(
          orderId,
          riderActor(riderId),
          { photo_media_id: proof.photoMediaId, location: proof.location, note: proof.note ?? '' },
          tx,
        );
        return;
      }
      // Where the code was given: the rider's last reported position.
      const location = await deps.riderPosition(riderId, tx);
      await orders.deliver(orderId, riderActor(riderId), { code: proof.code, location }, tx);
    },
    failDelivery: async (tx, orderId, riderId, reason, evidence) => {
      await orders.riderFailDelivery(orderId, riderId, reason, evidence, tx);
    },
    retryDelivery: async (tx, orderId, riderId) => {
      await orders.riderRetryDelivery(tx, orderId, riderId);
    },
    returnToSeller: async (tx, orderId, riderId, reason) => {
      await orders.riderReturnToSeller(orderId, riderId, reason, tx);
    },
    checkReturnCode: async (orderId, riderId) => {
      await orders.checkReturnCode(orderId, riderId);
    },
    recordReturn: async (tx, orderId, riderId, handoverCode) => {
      // Where the parcel was handed back: the rider's last reported position, when there is one.
      const location = await deps.lastRiderPosition(riderId, tx);
      await orders.riderRecordReturn(orderId, riderId, handoverCode, location, tx);
    },
  } satisfies RiderOrdersPort;
}
