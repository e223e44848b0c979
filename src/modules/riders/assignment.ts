import { AppError, unprocessable } from '../../shared/errors.js';
import { isValidPoint, type LatLng } from '../zones/index.js';

// The rules of riders and assignment, pure: ranking, capacity, staleness, ping checks, plates.
// No I/O; the service and the candidate query follow these, and they are unit-tested alone.

export const VEHICLES = ['boda_boda', 'bajaji', 'bicycle', 'car'] as const;
export type Vehicle = (typeof VEHICLES)[number];
export const RIDER_STATUSES = ['pending', 'verified', 'rejected'] as const;
export type RiderStatus = (typeof RIDER_STATUSES)[number];
export const RIDER_AVAILABILITY = ['offline', 'available'] as const;
export type RiderAvailability = (typeof RIDER_AVAILABILITY)[number];
export const OFFER_STATUSES = ['offered', 'accepted', 'declined', 'expired', 'withdrawn'] as const;
export type OfferStatus = (typeof OFFER_STATUSES)[number];
/**
 * A rider's job: assigned → picked_up → delivered; or picked_up → failed_attempt (the rider still
 * holds the parcel; capacity given back) → picked_up again (a re-attempt, capacity taken again) or
 * → returning (the buyer was refunded; the parcel goes back) → returned (at the seller). 'failed'
 * is kept for jobs finished by a failure before re-attempts existed; 'released' frees the order.
 */
export const ASSIGNMENT_STATUSES = [
  'assigned',
  'picked_up',
  'delivered',
  'failed_attempt',
  'returning',
  'returned',
  'failed',
  'released',
] as const;
export type AssignmentStatus = (typeof ASSIGNMENT_STATUSES)[number];
/** The jobs a rider holds: heading to pick up, carrying, waiting to re-attempt, taking back. */
export const JOB_IN_HAND_STATUSES = [
  'assigned',
  'picked_up',
  'failed_attempt',
  'returning',
] as const satisfies readonly AssignmentStatus[];

/**
 * What a rider's availability reads as, to the rider and to admins. `on_delivery` is derived, not
 * stored: the stored `availability` (offline | available) is the rider's switch for new offers, and
 * the dispatch index filters on it, so a rider on a delivery with spare capacity stays offerable.
 */
export const RIDER_PRESENCE = ['offline', 'available', 'on_delivery'] as const;
export type RiderPresence = (typeof RIDER_PRESENCE)[number];

/** on_delivery while the rider holds any job (whatever their offers switch says), else the switch. */
export function presenceOf(availability: RiderAvailability, jobsInHand: number): RiderPresence {
  return jobsInHand > 0 ? 'on_delivery' : availability;
}

export const DISPATCH_REASONS = ['no_rider', 'too_many_refusals', 'released'] as const;
export type DispatchReason = (typeof DISPATCH_REASONS)[number];

/** Concurrent deliveries a rider may hold when they do not say: what the vehicle carries. */
export const DEFAULT_CAPACITY: Record<Vehicle, number> = { bicycle: 1, boda_boda: 2, bajaji: 3, car: 4 };
export const MIN_CAPACITY = 1;
export const MAX_CAPACITY = 5;

export interface RiderSettings {
  /** an offer not answered within this is expired and the next rider is asked */
  offerTtlSeconds: number;
  /** after this many declined or expired offers the order goes to the dispatch queue */
  maxOfferAttempts: number;
  /** a rider whose last ping is older than this is not offered work */
  staleAfterSeconds: number;
  /** at most one ping per this many seconds per rider */
  pingMinIntervalSeconds: number;
  /** a ping stamped later than the clock by more than this is refused */
  pingFutureToleranceSeconds: number;
  /** a ping stamped earlier than the clock by more than this is refused (a replay, not a position) */
  pingMaxAgeSeconds: number;
  /** pings older than this are deleted by the prune job */
  pingRetentionDays: number;
  /** H3 rings tried around the pickup cell, nearest first, until one holds a candidate */
  searchRings: readonly number[];
  /** a rider who accepted but has not picked up within this is a no-show: released, and the order re-offered */
  pickupMinutes: number;
  /** an order still in the dispatch queue this long after it entered alerts operations, once per stay */
  dispatchAlertMinutes: number;
}

export const DEFAULT_RIDER_SETTINGS: RiderSettings = {
  offerTtlSeconds: 60,
  maxOfferAttempts: 3,
  staleAfterSeconds: 120,
  pingMinIntervalSeconds: 10,
  pingFutureToleranceSeconds: 30,
  pingMaxAgeSeconds: 600,
  pingRetentionDays: 7,
  searchRings: [2, 4, 8],
  pickupMinutes: 30,
  dispatchAlertMinutes: 15,
};

const EARTH_RADIUS_M = 6_371_000;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in metres. The candidate query computes the same formula in SQL. */
export function haversineMeters(a: LatLng, b: LatLng): number {
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** What ranking needs to know of a rider. */
export interface Candidate {
  riderId: string;
  lat: number;
  lng: number;
  activeJobs: number;
  capacity: number;
  lastPingAt: Date;
}

export interface RankedCandidate extends Candidate {
  distanceM: number;
}

export const hasSpareCapacity = (r: { activeJobs: number; capacity: number }) => r.activeJobs < r.capacity;

/** True when the rider's last ping is recent enough to trust their position. */
export function isFresh(lastPingAt: Date | null, now: Date, staleAfterSeconds: number): boolean {
  return lastPingAt !== null && now.getTime() - lastPingAt.getTime() <= staleAfterSeconds * 1000;
}

/**
 * The riders worth offering an order to, best first: those with spare capacity and a fresh ping,
 * by distance to the pickup in whole metres, then fewest active jobs, then the freshest ping,
 * then rider id (so the order never depends on the database's row order).
 */
export function rankCandidates(
  pickup: LatLng,
  riders: readonly Candidate[],
  now: Date,
  staleAfterSeconds: number,
): RankedCandidate[] {
  return riders
    .filter((r) => hasSpareCapacity(r) && isFresh(r.lastPingAt, now, staleAfterSeconds))
    .map((r) => ({ ...r, distanceM: Math.round(haversineMeters(pickup, r)) }))
    .sort(
      (a, b) =>
        a.distanceM - b.distanceM ||
        a.activeJobs - b.activeJobs ||
        b.lastPingAt.getTime() - a.lastPingAt.getTime() ||
        (a.riderId < b.riderId ? -1 : a.riderId > b.riderId ? 1 : 0),
    );
}

/** True when an order has been refused (declined or expired) often enough to need a person. */
export const needsDispatcher = (refusals: number, maxOfferAttempts: number) => refusals >= maxOfferAttempts;

export interface PingInput {
  lat: number;
  lng: number;
  at?: Date | undefined;
}

/**
 * Checks a ping against the clock and the rider's last ping; returns the time to store it at.
 * Refusals: 422 `INVALID_COORDINATES` on `lat` or `lng`; 422 `PING_FROM_FUTURE` on `at` (later
 * than the clock by more than the tolerance); 422 `PING_TOO_OLD` on `at`; 422 `PING_OUT_OF_ORDER`
 * on `at` (before the last ping); 429 `PING_TOO_FREQUENT` (within the minimum interval of the last
 * ping, with Retry-After).
 */
export function validatePing(
  ping: PingInput,
  now: Date,
  lastPingAt: Date | null,
  settings: Pick<
    RiderSettings,
    'pingMinIntervalSeconds' | 'pingFutureToleranceSeconds' | 'pingMaxAgeSeconds'
  > = DEFAULT_RIDER_SETTINGS,
): Date {
  if (typeof ping.lat !== 'number' || !Number.isFinite(ping.lat) || ping.lat < -90 || ping.lat > 90) {
    throw unprocessable('INVALID_COORDINATES', 'lat', 'lat must be a latitude in [-90, 90].');
  }
  if (typeof ping.lng !== 'number' || !Number.isFinite(ping.lng) || ping.lng < -180 || ping.lng > 180) {
    throw unprocessable('INVALID_COORDINATES', 'lng', 'lng must be a longitude in [-180, 180].');
  }
  if (!isValidPoint(ping)) throw unprocessable('INVALID_COORDINATES', 'lat', 'The point is not on Earth.');
  if (ping.lat === 0 && ping.lng === 0) {
    // "Null Island": what a phone sends when it has no fix. Not a place anyone delivers from.
    throw unprocessable('INVALID_COORDINATES', 'lat', 'lat/lng 0,0 is a phone without a GPS fix.');
  }
  const at = ping.at ?? now;
  if (Number.isNaN(at.getTime())) throw unprocessable('INVALID_TIME', 'at', 'at is not a time.');
  if (at.getTime() - now.getTime() > settings.pingFutureToleranceSeconds * 1000) {
    throw unprocessable(
      'PING_FROM_FUTURE',
      'at',
      `at is more than ${settings.pingFutureToleranceSeconds} s after the server's clock; check the phone's time.`,
    );
  }
  if (now.getTime() - at.getTime() > settings.pingMaxAgeSeconds * 1000) {
    throw unprocessable(
      'PING_TOO_OLD',
      'at',
      `at is more than ${settings.pingMaxAgeSeconds} s in the past: send where you are now.`,
    );
  }
  if (lastPingAt) {
    if (at.getTime() < lastPingAt.getTime()) {
      throw unprocessable('PING_OUT_OF_ORDER', 'at', 'at is before the last ping already received.');
    }
    const waitMs = settings.pingMinIntervalSeconds * 1000 - (at.getTime() - lastPingAt.getTime());
    if (waitMs > 0) throw tooFrequent(settings.pingMinIntervalSeconds, waitMs);
  }
  return at;
}

export function tooFrequent(intervalSeconds: number, waitMs: number): AppError {
  return new AppError(
    'PING_TOO_FREQUENT',
    429,
    `At most one ping every ${intervalSeconds} s; send the next one in ${Math.ceil(waitMs / 1000)} s.`,
    { headers: { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) } },
  );
}

/** Tanzanian plates: "T 123 ABC" (cars, bajaji), "MC 123 ABC" (motorcycles), with or without spaces. */
const PLATE = /^(T|MC)\d{3}[A-Z]{3}$/;

/**
 * The plate as stored (uppercased, without spaces or dashes), or null for a bicycle without one.
 * 422 `PLATE_REQUIRED` / `INVALID_PLATE` on `plate`.
 */
export function normalisePlate(vehicle: Vehicle, plate: string | null | undefined): string | null {
  const raw = (plate ?? '').toUpperCase().replace(/[\s-]+/g, '');
  if (!raw) {
    if (vehicle === 'bicycle') return null;
    throw unprocessable('PLATE_REQUIRED', 'plate', `A ${vehicle.replace('_', '-')} needs its plate number.`);
  }
  if (!PLATE.test(raw)) {
    throw unprocessable(
      'INVALID_PLATE',
      'plate',
      'plate must be a Tanzanian plate such as "T 123 ABC" or "MC 123 ABC".',
    );
  }
  if (vehicle === 'boda_boda' && !raw.startsWith('MC')) {
    throw unprocessable('INVALID_PLATE', 'plate', 'A boda-boda carries a motorcycle plate, "MC 123 ABC".');
  }
  return raw;
}

/** Capacity as given, or the vehicle's default; 422 `INVALID_CAPACITY` outside 1–5. */
export function capacityFor(vehicle: Vehicle, capacity: number | undefined): number {
  const c = capacity ?? DEFAULT_CAPACITY[vehicle];
  if (!Number.isInteger(c) || c < MIN_CAPACITY || c > MAX_CAPACITY) {
    throw unprocessable(
      'INVALID_CAPACITY',
      'capacity',
      `capacity must be a whole number from ${MIN_CAPACITY} to ${MAX_CAPACITY}.`,
    );
  }
  return c;
}
