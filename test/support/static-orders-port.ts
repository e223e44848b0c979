// An orders port for the riders module over a fixed map of pickups, recording each call: for the
// riders tests and the assignment bench, which need riders without the orders module.
import type { RiderOrdersPort } from '../../src/modules/riders/index.js';
import type { LatLng } from '../../src/modules/zones/index.js';

/** An orders port over a fixed map of pickups (tests, bench): every listed order is ready. */
export function staticOrdersPort(
  pickups: Map<string, LatLng & { zoneId?: string | null }>,
  calls: Array<{ op: string; orderId: string; riderId: string; detail?: unknown }> = [],
): RiderOrdersPort & { calls: typeof calls; pickups: typeof pickups } {
  const known = (orderId: string) => {
    const p = pickups.get(orderId);
    if (!p) throw new Error(`no pickup for order ${orderId}`);
    return p;
  };
  return {
    calls,
    pickups,
    async pickupOf(orderId) {
      const p = known(orderId);
      return { lat: p.lat, lng: p.lng, zoneId: p.zoneId ?? null };
    },
    isReadyForPickup: async (orderId) => pickups.has(orderId),
    async checkHandoverCode(orderId, riderId, handoverCode) {
      calls.push({ op: 'checkHandoverCode', orderId, riderId, detail: handoverCode });
    },
    async pickUp(_tx, orderId, riderId, handoverCode) {
      calls.push({ op: 'pickUp', orderId, riderId, detail: handoverCode });
    },
    async checkDeliveryCode(orderId, riderId, code) {
      calls.push({ op: 'checkDeliveryCode', orderId, riderId, detail: code });
    },
    async deliver(_tx, orderId, riderId, proof) {
      calls.push({ op: 'deliver', orderId, riderId, detail: proof });
    },
    async failDelivery(_tx, orderId, riderId, reason, evidence) {
      calls.push({ op: 'failDelivery', orderId, riderId, detail: { reason, evidence } });
    },
    async retryDelivery(_tx, orderId, riderId) {
      calls.push({ op: 'retryDelivery', orderId, riderId });
    },
    async returnToSeller(_tx, orderId, riderId, reason) {
      calls.push({ op: 'returnToSeller', orderId, riderId, detail: reason });
    },
    async checkReturnCode(orderId, riderId) {
      calls.push({ op: 'checkReturnCode', orderId, riderId });
    },
    async recordReturn(_tx, orderId, riderId, handoverCode) {
      calls.push({ op: 'recordReturn', orderId, riderId, detail: handoverCode });
    },
  };
}
