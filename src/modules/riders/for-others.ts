// What the riders module answers other modules about its riders: where a rider is, how a buyer
// sees them (with an arrival estimate), and where a rider is paid. The rules live here, beside the
// rider's profile; the composition root only passes these functions on.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { conflict, forbidden, notFound } from '../../shared/errors.js';
import { toDarTime } from '../../shared/time.js';
import type { LatLng } from '../zones/index.js';
import { haversineMeters, type Vehicle } from './assignment.js';
import type { RiderProfile } from './service.js';

/** Typical city speed per vehicle (km/h), for an arrival estimate. */
const CITY_KMH: Record<Vehicle, number> = { boda_boda: 22, bajaji: 18, bicycle: 12, car: 16 };

/** Minutes from `from` to `to` at a typical city speed, rounded up; pure. */
export function etaMinutes(vehicle: Vehicle, from: LatLng, to: LatLng): number {
  const kmh = CITY_KMH[vehicle] ?? 15;
  return Math.ceil((haversineMeters(from, to) / 1000 / kmh) * 60);
}

export interface RiderPerson {
  displayName: string | null;
  phone: string;
  status: string;
}

export function ridersForOthers(deps: {
  clock: Clock;
  profileOf: (riderId: string, tx?: Database) => Promise<RiderProfile | null>;
  /** The rider's account (identity); throws 404 for an unknown user. */
  loadUser: (userId: string, tx?: Database) => Promise<RiderPerson>;
}) {
  const lastPosition = async (riderId: string, tx?: Database): Promise<LatLng | null> => {
    const me = await deps.profileOf(riderId, tx);
    return me?.lastLat != null && me.lastLng != null ? { lat: me.lastLat, lng: me.lastLng } : null;
  };
  return {
    lastPosition,

    /** The rider's last reported position; 409 NO_RIDER_LOCATION without one. */
    async position(riderId: string, tx?: Database): Promise<LatLng> {
      const at = await lastPosition(riderId, tx);
      if (!at) throw conflict('NO_RIDER_LOCATION', 'Send a location ping before delivering.');
      return at;
    },

    /**
     * The rider as the buyer sees them: first name, vehicle, phone, and an arrival estimate from
     * the rider's last position at a typical city speed for the vehicle.
     */
    async viewForBuyer(riderId: string, dropoff: LatLng | null) {
      const profile = await deps.profileOf(riderId);
      if (!profile) return null;
      const user = await deps.loadUser(riderId);
      const eta =
        dropoff && profile.lastLat !== null && profile.lastLng !== null
          ? new Date(
              deps.clock.now().getTime() +
                etaMinutes(profile.vehicle, { lat: profile.lastLat, lng: profile.lastLng }, dropoff) * 60_000,
            )
          : null;
      return {
        first_name: user.displayName ? user.displayName.trim().split(/\s+/)[0]! : null,
        vehicle: profile.vehicle,
        phone: user.phone,
        eta: eta ? toDarTime(eta) : null,
      };
    },

    /** A rider is paid to their own phone, and only while verified and active (not banned or suspended). */
    async payoutDestination(
      riderId: string,
      tx: Database,
    ): Promise<{ phone: string; changedAt: Date | null }> {
      const profile = await deps.profileOf(riderId, tx);
      if (!profile) throw notFound('Rider');
      if (profile.status !== 'verified')
        throw forbidden(
          'RIDER_NOT_VERIFIED',
          // Kept word for word from the reply the API gives today (the status is not interpolated).
          `Rider payouts need a verified rider; this one is ${profile.status}.`,
        );
      const user = await deps.loadUser(riderId, tx);
      if (user.status !== 'active')
        throw forbidden('ACCOUNT_NOT_ACTIVE', `This account is ${user.status}; it is not paid out.`);
      return { phone: user.phone, changedAt: null };
    },
  };
}

export type RidersForOthers = ReturnType<typeof ridersForOthers>;
