// The riders module's ports: what it needs of the orders module, of zones and of jobs. They live
// in a file of their own, imported by the services and by index.ts alike, so that no service has
// to import the module's face (that was the import loop of logistics/riders.ts).
import type { Database } from '../../db/client.js';
import type { LatLng } from '../zones/index.js';
import type { RiderJobQueue } from './jobs.js';

/** Proof of delivery, as the orders issue defines it: the buyer's code, or a photo with place and note. */
export type DeliveryProof =
  | { kind: 'code'; code: string }
  | { kind: 'photo'; photoMediaId: string; location: LatLng; note: string | null };

export interface FailureEvidence {
  photoMediaId: string;
  location: LatLng;
}

/**
 * What riders need from the orders module (implemented over the orders service). Each method
 * refuses with an AppError the rider should see (wrong handover code, missing proof, order not in
 * the right state). The methods that take a `tx` run in the caller's transaction, and use nothing
 * but `tx` (PGlite has one connection: a query on `db` inside it would wait forever): the riders module
 * moves the rider's job and capacity in the same transaction, so the order and the job change
 * together or not at all.
 *
 * The limited-tries codes (`checkHandoverCode`, `checkDeliveryCode`) are checked before that
 * transaction and outside it: each spends a try in a statement of its own, committed at once, so
 * a wrong guess counts although the pickup or the delivery fails (inside the transaction it would
 * be rolled back with it). The transition then compares the code again under the order's lock.
 */
export interface RiderOrdersPort {
  /** Where the parcel is collected: the seller's pickup point and its zone. */
  pickupOf(orderId: string): Promise<{ lat: number; lng: number; zoneId: string | null }>;
  /** True while the order waits for a rider (status ready_for_pickup, no rider yet). */
  isReadyForPickup(orderId: string): Promise<boolean>;
  /** Spends a try at the seller's handover code and checks it; never inside a transaction. */
  checkHandoverCode(orderId: string, riderUserId: string, handoverCode: string): Promise<void>;
  /**
   * The rider collected it; the seller's handover code proves it (ready_for_pickup →
   * out_for_delivery), in the caller's transaction, after `checkHandoverCode`.
   */
  pickUp(tx: Database, orderId: string, riderUserId: string, handoverCode: string): Promise<void>;
  /**
   * Before a delivery with the buyer's code: refuses what would refuse it before a try is spent
   * (no position to record, an order that cannot be delivered now), then spends a try at the code
   * and checks it; never inside a transaction.
   */
  checkDeliveryCode(orderId: string, riderUserId: string, code: string): Promise<void>;
  /**
   * Delivered, with proof (out_for_delivery → delivered), in the caller's transaction; a code
   * proof after `checkDeliveryCode`.
   */
  deliver(tx: Database, orderId: string, riderUserId: string, proof: DeliveryProof): Promise<void>;
  /**
   * A failed attempt, with reason and evidence, both on the order's timeline (→ delivery_failed),
   * in the caller's transaction.
   */
  failDelivery(
    tx: Database,
    orderId: string,
    riderUserId: string,
    reason: string,
    evidence: FailureEvidence,
  ): Promise<void>;
  /**
   * The same rider out again (delivery_failed → out_for_delivery), in the caller's transaction so
   * the rider's capacity and the order move together; refused after the re-attempt window.
   */
  retryDelivery(tx: Database, orderId: string, riderUserId: string): Promise<void>;
  /**
   * The rider gives up: the buyer is refunded in full at once (delivery_failed → returning), in
   * the caller's transaction, so the order and the rider's job turn to returning together.
   */
  returnToSeller(tx: Database, orderId: string, riderUserId: string, reason: string): Promise<void>;
  /**
   * Before a return is recorded: refuses what would refuse it before a try is spent (not the
   * rider's order, not returning), then spends a try at the seller's return code; never inside a
   * transaction.
   */
  checkReturnCode(orderId: string, riderUserId: string): Promise<void>;
  /**
   * The parcel is back: the seller's handover code proves it (returning → returned, restocked),
   * in the caller's transaction, after `checkReturnCode`.
   */
  recordReturn(tx: Database, orderId: string, riderUserId: string, handoverCode: string): Promise<void>;
}

/** What riders need of the zones slice (the ZonesService fits). */
export interface RiderZonesPort {
  zoneOfPoint(point: LatLng, field?: string): Promise<{ id: string; name: string } | null>;
  /** Throws a 404 AppError for an unknown zone. */
  getZone(id: string): Promise<{ zone: { id: string; name: string; active: boolean } }>;
}

/** the riders module's own job kinds only (jobs.ts) */
export type JobsPort = Pick<RiderJobQueue, 'enqueue'>;
