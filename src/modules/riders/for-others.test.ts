import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { etaMinutes, ridersForOthers } from './for-others.js';
import type { RiderProfile } from './service.js';

const at = { lat: -6.8, lng: 39.28 };
// About 11.1 km due north of `at` (0.1° of latitude).
const tenKmNorth = { lat: -6.7, lng: 39.28 };
const clock = { now: () => new Date('2026-03-02T09:00:00Z') };

function withProfile(
  profile: Partial<RiderProfile> | null,
  user: { displayName: string | null; phone: string; status: string } = {
    displayName: 'Juma Ali',
    phone: '+255700000001',
    status: 'active',
  },
) {
  return ridersForOthers({
    clock,
    profileOf: async () =>
      profile
        ? ({
            vehicle: 'boda_boda',
            lastLat: null,
            lastLng: null,
            status: 'verified',
            ...profile,
          } as RiderProfile)
        : null,
    loadUser: async () => user,
  });
}

const refusal = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
};

describe('what riders answers about its riders', () => {
  it('estimates arrival at the vehicle’s city speed, rounded up to the minute', () => {
    // 11.12 km at 22 km/h (boda boda) is 30.3 minutes; at 12 km/h (bicycle) 55.6.
    expect(etaMinutes('boda_boda', at, tenKmNorth)).toBe(31);
    expect(etaMinutes('bicycle', at, tenKmNorth)).toBe(56);
    expect(etaMinutes('car', at, at)).toBe(0);
  });

  it('shows the buyer a first name and an ETA from the last position; none without a position or a drop-off', async () => {
    const moving = await withProfile({ lastLat: at.lat, lastLng: at.lng }).viewForBuyer('r1', tenKmNorth);
    expect(moving).toEqual({
      first_name: 'Juma',
      vehicle: 'boda_boda',
      phone: '+255700000001',
      eta: '2026-03-02T12:31:00.000+03:00',
    });
    expect((await withProfile({}).viewForBuyer('r1', tenKmNorth))?.eta).toBeNull();
    expect(
      (await withProfile({ lastLat: at.lat, lastLng: at.lng }).viewForBuyer('r1', null))?.eta,
    ).toBeNull();
    expect(await withProfile(null).viewForBuyer('r1', tenKmNorth)).toBeNull();
  });

  it('needs a reported position to record a code delivery: 409 NO_RIDER_LOCATION', async () => {
    const e = await refusal(withProfile({}).position('r1'));
    expect([e.status, e.code]).toEqual([409, 'NO_RIDER_LOCATION']);
    await expect(withProfile({ lastLat: at.lat, lastLng: at.lng }).position('r1')).resolves.toEqual(at);
    await expect(withProfile({}).lastPosition('r1')).resolves.toBeNull();
  });

  it('pays a rider only while verified and active, to their own phone', async () => {
    const db = {} as never;
    await expect(withProfile({}).payoutDestination('r1', db)).resolves.toEqual({
      phone: '+255700000001',
      changedAt: null,
    });
    expect((await refusal(withProfile(null).payoutDestination('r1', db))).status).toBe(404);
    const pending = await refusal(withProfile({ status: 'pending' }).payoutDestination('r1', db));
    expect([pending.status, pending.code]).toEqual([403, 'RIDER_NOT_VERIFIED']);
    const banned = await refusal(
      withProfile({}, { displayName: null, phone: '+255700000001', status: 'banned' }).payoutDestination(
        'r1',
        db,
      ),
    );
    expect([banned.status, banned.code]).toEqual([403, 'ACCOUNT_NOT_ACTIVE']);
  });
});
