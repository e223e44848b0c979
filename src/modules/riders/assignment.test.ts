import { describe, expect, it } from 'vitest';
import type { AppError } from '../../shared/errors.js';
import {
  type Candidate,
  capacityFor,
  DEFAULT_RIDER_SETTINGS,
  haversineMeters,
  isFresh,
  needsDispatcher,
  normalisePlate,
  rankCandidates,
  validatePing,
} from './assignment.js';

const NOW = new Date('2026-11-25T09:00:00Z');
const KARIAKOO = { lat: -6.819, lng: 39.274 };
/** A point `m` metres north of Kariakoo. */
const north = (m: number) => ({ lat: KARIAKOO.lat + m / 111_195, lng: KARIAKOO.lng });
const ago = (s: number) => new Date(NOW.getTime() - s * 1000);

function rider(id: string, m: number, more: Partial<Candidate> = {}): Candidate {
  return { riderId: id, ...north(m), activeJobs: 0, capacity: 2, lastPingAt: ago(5), ...more };
}

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    return e as AppError;
  }
  throw new Error('not refused');
}

describe('haversineMeters', () => {
  it('measures about 111 km per degree of latitude and zero to itself', () => {
    expect(haversineMeters(KARIAKOO, KARIAKOO)).toBe(0);
    expect(Math.round(haversineMeters({ lat: 0, lng: 39 }, { lat: 1, lng: 39 }))).toBe(111_195);
    expect(Math.round(haversineMeters(KARIAKOO, north(500)))).toBe(500);
  });
  it('is symmetric', () => {
    const a = { lat: -6.7, lng: 39.2 };
    const b = { lat: -6.9, lng: 39.3 };
    expect(haversineMeters(a, b)).toBeCloseTo(haversineMeters(b, a), 6);
  });
});

describe('rankCandidates', () => {
  const rank = (riders: Candidate[]) =>
    rankCandidates(KARIAKOO, riders, NOW, DEFAULT_RIDER_SETTINGS.staleAfterSeconds).map((r) => r.riderId);

  it('puts the nearest rider first', () => {
    expect(rank([rider('far', 900), rider('near', 200), rider('mid', 500)])).toEqual(['near', 'mid', 'far']);
  });
  it('at the same distance, prefers the rider with fewer active jobs', () => {
    expect(rank([rider('busy', 300, { activeJobs: 1 }), rider('idle', 300)])).toEqual(['idle', 'busy']);
  });
  it('distance beats fewer jobs', () => {
    expect(rank([rider('idle-far', 301), rider('busy-near', 299, { activeJobs: 1 })])).toEqual([
      'busy-near',
      'idle-far',
    ]);
  });
  it('then the fresher ping, then the rider id, so the order never depends on input order', () => {
    const a = rider('b', 300, { lastPingAt: ago(50) });
    const b = rider('a', 300, { lastPingAt: ago(10) });
    const c = rider('c', 300, { lastPingAt: ago(10) });
    expect(rank([a, b, c])).toEqual(['a', 'c', 'b']);
    expect(rank([c, b, a])).toEqual(['a', 'c', 'b']);
  });
  it('drops riders at capacity', () => {
    expect(rank([rider('full', 100, { activeJobs: 2, capacity: 2 }), rider('ok', 800)])).toEqual(['ok']);
  });
  it('drops riders whose last ping is stale (boundary included as fresh)', () => {
    const stale = DEFAULT_RIDER_SETTINGS.staleAfterSeconds;
    expect(
      rank([
        rider('stale', 100, { lastPingAt: ago(stale + 1) }),
        rider('edge', 200, { lastPingAt: ago(stale) }),
      ]),
    ).toEqual(['edge']);
  });
  it('reports whole-metre distances', () => {
    const [r] = rankCandidates(KARIAKOO, [rider('x', 250.4)], NOW, 120);
    expect(r!.distanceM).toBe(250);
  });
});

describe('isFresh / needsDispatcher', () => {
  it('a rider who never pinged is not fresh', () => {
    expect(isFresh(null, NOW, 120)).toBe(false);
    expect(isFresh(ago(119), NOW, 120)).toBe(true);
    expect(isFresh(ago(121), NOW, 120)).toBe(false);
  });
  it('sends an order to a person after N refusals', () => {
    expect(needsDispatcher(2, 3)).toBe(false);
    expect(needsDispatcher(3, 3)).toBe(true);
  });
});

describe('validatePing', () => {
  const ok = { lat: -6.8, lng: 39.28 };
  it('accepts a good ping and stamps it with the clock when the phone sends no time', () => {
    expect(validatePing(ok, NOW, null)).toEqual(NOW);
    expect(validatePing({ ...ok, at: ago(3) }, NOW, null)).toEqual(ago(3));
  });
  it.each([
    [{ lat: 91, lng: 39 }, 'lat'],
    [{ lat: -90.0001, lng: 39 }, 'lat'],
    [{ lat: Number.NaN, lng: 39 }, 'lat'],
    [{ lat: -6.8, lng: 180.5 }, 'lng'],
    [{ lat: -6.8, lng: Number.POSITIVE_INFINITY }, 'lng'],
    [{ lat: 0, lng: 0 }, 'lat'],
  ])('refuses impossible coordinates %j on %s', (p, field) => {
    const e = refusal(() => validatePing(p, NOW, null));
    expect(e.status).toBe(422);
    expect(e.code).toBe('INVALID_COORDINATES');
    expect(e.extra.field).toBe(field);
  });
  it('refuses a time more than 30 s in the future, accepts 30 s', () => {
    const e = refusal(() => validatePing({ ...ok, at: new Date(NOW.getTime() + 31_000) }, NOW, null));
    expect([e.status, e.code, e.extra.field]).toEqual([422, 'PING_FROM_FUTURE', 'at']);
    expect(validatePing({ ...ok, at: new Date(NOW.getTime() + 30_000) }, NOW, null)).toBeTruthy();
  });
  it('refuses a ping older than the maximum age', () => {
    const e = refusal(() => validatePing({ ...ok, at: ago(601) }, NOW, null));
    expect(e.code).toBe('PING_TOO_OLD');
  });
  it('refuses a second ping within 10 s with 429 and Retry-After, accepts at 10 s', () => {
    const e = refusal(() => validatePing(ok, NOW, ago(4)));
    expect([e.status, e.code]).toEqual([429, 'PING_TOO_FREQUENT']);
    expect(e.extra.headers?.['retry-after']).toBe('6');
    expect(validatePing(ok, NOW, ago(10))).toEqual(NOW);
  });
  it('refuses a ping stamped before the last one', () => {
    const e = refusal(() => validatePing({ ...ok, at: ago(30) }, NOW, ago(20)));
    expect(e.code).toBe('PING_OUT_OF_ORDER');
  });
});

describe('normalisePlate / capacityFor', () => {
  it('uppercases and strips spaces', () => {
    expect(normalisePlate('boda_boda', ' mc 123 abc ')).toBe('MC123ABC');
    expect(normalisePlate('car', 'T-123-ABC')).toBe('T123ABC');
  });
  it('requires a plate except for a bicycle', () => {
    expect(normalisePlate('bicycle', undefined)).toBeNull();
    expect(normalisePlate('bicycle', '  ')).toBeNull();
    expect(refusal(() => normalisePlate('car', null)).code).toBe('PLATE_REQUIRED');
    expect(refusal(() => normalisePlate('bajaji', '')).extra.field).toBe('plate');
  });
  it('refuses what is not a Tanzanian plate, and a car plate on a boda-boda', () => {
    expect(refusal(() => normalisePlate('car', 'ABC123')).code).toBe('INVALID_PLATE');
    expect(refusal(() => normalisePlate('car', 'T 12 ABC')).code).toBe('INVALID_PLATE');
    expect(refusal(() => normalisePlate('boda_boda', 'T 123 ABC')).code).toBe('INVALID_PLATE');
  });
  it('defaults capacity by vehicle and keeps it within 1–5', () => {
    expect(capacityFor('bicycle', undefined)).toBe(1);
    expect(capacityFor('car', undefined)).toBe(4);
    expect(capacityFor('boda_boda', 5)).toBe(5);
    for (const bad of [0, 6, 2.5, -1])
      expect(refusal(() => capacityFor('car', bad)).code).toBe('INVALID_CAPACITY');
  });
});
