import { describe, expect, it } from 'vitest';
import {
  attributionRefusal,
  capSignals,
  costPerAcquired,
  decideCompletion,
  distanceMeters,
  type OrderFacts,
  type ReferrerFacts,
  relationSignals,
} from './rules.js';

const HOME = { lat: -6.76, lng: 39.24 };
const referrer: ReferrerFacts = {
  userId: 'referrer',
  phones: ['+255754000001', '+255754000002'],
  places: [{ ward: 'Mikocheni', landmark: 'Blue gate', location: HOME }],
  fingerprints: ['device-a'],
};
const clean: OrderFacts = {
  payerPhone: '+255754999999',
  address: { ward: 'Kariakoo', landmark: 'Big mosque', location: { lat: -6.82, lng: 39.27 } },
  sellerId: 'seller',
  riderId: 'rider',
  fingerprints: ['device-b'],
};
const signals = (over: Partial<OrderFacts>, r: ReferrerFacts = referrer) =>
  relationSignals(r, { ...clean, ...over }, 50);

describe('fraud signals, each on its own', () => {
  it('a clean order has none', () => {
    expect(signals({})).toEqual([]);
  });
  it('the referee paid with a phone the referrer signs in or pays with', () => {
    expect(signals({ payerPhone: '+255754000002' })).toEqual(['SHARED_PAYING_PHONE']);
    expect(signals({ payerPhone: '+255754000001' })).toEqual(['SHARED_PAYING_PHONE']);
  });
  it('the same ward and landmark, however it is written', () => {
    expect(signals({ address: { ward: ' mikocheni ', landmark: 'BLUE  gate.', location: null } })).toEqual([
      'SHARED_ADDRESS',
    ]);
    // The same landmark in another ward is another place.
    expect(signals({ address: { ward: 'Sinza', landmark: 'Blue gate', location: null } })).toEqual([]);
  });
  it('a delivery point within the radius of one of the referrer’s places', () => {
    const near = { lat: HOME.lat + 0.0003, lng: HOME.lng }; // ~33 m
    const far = { lat: HOME.lat + 0.001, lng: HOME.lng }; // ~111 m
    expect(signals({ address: { ward: 'Sinza', landmark: 'Shop', location: near } })).toEqual([
      'NEARBY_ADDRESS',
    ]);
    expect(signals({ address: { ward: 'Sinza', landmark: 'Shop', location: far } })).toEqual([]);
  });
  it('a shared device fingerprint, when one is collected', () => {
    expect(signals({ fingerprints: ['device-a'] })).toEqual(['SHARED_DEVICE']);
    expect(signals({ fingerprints: [] })).toEqual([]);
  });
  it('the referrer sold or carried the referee’s order', () => {
    expect(signals({ sellerId: 'referrer' })).toEqual(['REFERRER_IS_SELLER']);
    expect(signals({ riderId: 'referrer' })).toEqual(['REFERRER_IS_RIDER']);
    expect(signals({ riderId: null })).toEqual([]);
  });
  it('several at once are all reported', () => {
    expect(signals({ payerPhone: '+255754000001', sellerId: 'referrer' })).toEqual([
      'SHARED_PAYING_PHONE',
      'REFERRER_IS_SELLER',
    ]);
  });
});

describe('caps', () => {
  it('per day and in total; null is no cap', () => {
    const q = { rewardedToday: 2, rewardedTotal: 9, dailyCap: 3, totalCap: 10 };
    expect(capSignals(q)).toEqual([]);
    expect(capSignals({ ...q, rewardedToday: 3 })).toEqual(['DAILY_CAP']);
    expect(capSignals({ ...q, rewardedTotal: 10 })).toEqual(['TOTAL_CAP']);
    expect(capSignals({ rewardedToday: 99, rewardedTotal: 999, dailyCap: null, totalCap: null })).toEqual([]);
  });
});

describe('the first completed order decides', () => {
  const q = {
    campaignActive: true,
    viaDispute: false,
    orderAmount: 10_000_00,
    minOrderAmount: 10_000_00,
    signals: [],
  };
  it('pays at exactly the minimum', () => expect(decideCompletion(q)).toEqual({ kind: 'pay' }));
  it('rejects under the minimum, after a dispute, or with the campaign off', () => {
    expect(decideCompletion({ ...q, orderAmount: 9_999_00 })).toEqual({
      kind: 'reject',
      reason: 'BELOW_MINIMUM',
    });
    expect(decideCompletion({ ...q, viaDispute: true })).toEqual({
      kind: 'reject',
      reason: 'FIRST_ORDER_DISPUTED',
    });
    expect(decideCompletion({ ...q, campaignActive: false })).toEqual({
      kind: 'reject',
      reason: 'CAMPAIGN_INACTIVE',
    });
  });
  it('holds on any signal', () =>
    expect(decideCompletion({ ...q, signals: ['DAILY_CAP'] })).toEqual({
      kind: 'hold',
      signals: ['DAILY_CAP'],
    }));
});

describe('attribution', () => {
  const q = { refereeId: 'b', referrerId: 'a', alreadyAttributed: false, hasCheckedOut: false };
  it('once, before the first checkout, never oneself', () => {
    expect(attributionRefusal(q)).toBeNull();
    expect(attributionRefusal({ ...q, referrerId: 'b' })).toBe('SELF_REFERRAL');
    expect(attributionRefusal({ ...q, alreadyAttributed: true })).toBe('ALREADY_ATTRIBUTED');
    expect(attributionRefusal({ ...q, hasCheckedOut: true })).toBe('ATTRIBUTION_CLOSED');
  });
});

describe('arithmetic', () => {
  it('distance is metres on the ground', () => {
    expect(Math.round(distanceMeters({ lat: 0, lng: 0 }, { lat: 0.001, lng: 0 }))).toBe(111);
  });
  it('cost per acquired buyer rounds down in minor units, and is null before any', () => {
    expect(costPerAcquired(10_000_00, 3)).toBe(333_333);
    expect(costPerAcquired(0, 0)).toBeNull();
  });
});
