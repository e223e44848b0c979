// The referral rules, pure: which signals hold a reward, and what a completed first order means
// for a referral. No I/O; the use cases gather the facts and act on the answer.
import type { HoldSignal, RejectReason } from './model.js';

export interface Place {
  ward: string;
  landmark: string;
  location: { lat: number; lng: number } | null;
}

/** What is known about the referee's completed order. */
export interface OrderFacts {
  /** the MSISDN that paid the order (E.164) */
  payerPhone: string;
  address: Place;
  sellerId: string;
  riderId: string | null;
  /** device/session fingerprints of the referee, if any are collected */
  fingerprints: readonly string[];
}

/** What is known about the referrer: every phone they sign in or pay with, every place they use. */
export interface ReferrerFacts {
  userId: string;
  phones: readonly string[];
  places: readonly Place[];
  fingerprints: readonly string[];
}

/** Words compared the way people write them: case, punctuation and spacing do not matter. */
export const normalizePlaceText = (s: string) =>
  s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

const EARTH_RADIUS_M = 6_371_000;
/** Great-circle distance in metres (haversine); ample for "a few houses apart". */
export function distanceMeters(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

export const samePlace = (a: Place, b: Place) =>
  normalizePlaceText(a.ward) === normalizePlaceText(b.ward) &&
  normalizePlaceText(a.landmark) !== '' &&
  normalizePlaceText(a.landmark) === normalizePlaceText(b.landmark);

export const nearPlace = (a: Place, b: Place, radiusMeters: number) =>
  a.location !== null && b.location !== null && distanceMeters(a.location, b.location) <= radiusMeters;

/** Signals that the referrer and the referee may be one person (or one household gaming the reward). */
export function relationSignals(
  referrer: ReferrerFacts,
  order: OrderFacts,
  radiusMeters: number,
): HoldSignal[] {
  const out: HoldSignal[] = [];
  if (referrer.phones.includes(order.payerPhone)) out.push('SHARED_PAYING_PHONE');
  if (referrer.places.some((p) => samePlace(p, order.address))) out.push('SHARED_ADDRESS');
  else if (referrer.places.some((p) => nearPlace(p, order.address, radiusMeters))) out.push('NEARBY_ADDRESS');
  if (order.fingerprints.some((f) => referrer.fingerprints.includes(f))) out.push('SHARED_DEVICE');
  if (order.sellerId === referrer.userId) out.push('REFERRER_IS_SELLER');
  if (order.riderId !== null && order.riderId === referrer.userId) out.push('REFERRER_IS_RIDER');
  return out;
}

/** The referrer's reward caps; null means no cap. */
export function capSignals(q: {
  rewardedToday: number;
  rewardedTotal: number;
  dailyCap: number | null;
  totalCap: number | null;
}): HoldSignal[] {
  const out: HoldSignal[] = [];
  if (q.dailyCap !== null && q.rewardedToday >= q.dailyCap) out.push('DAILY_CAP');
  if (q.totalCap !== null && q.rewardedTotal >= q.totalCap) out.push('TOTAL_CAP');
  return out;
}

export type CompletionDecision =
  | { kind: 'reject'; reason: RejectReason }
  | { kind: 'hold'; signals: HoldSignal[] }
  | { kind: 'pay' };

/**
 * What the referee's first completed order does to the referral. It is decided once: a disputed
 * order (completed only by an admin's resolution) or one under the minimum ends the referral
 * without a reward; any signal holds it for an admin; otherwise both rewards are paid (the budget
 * is checked by the spend itself, which may still turn this into a hold).
 */
export function decideCompletion(q: {
  campaignActive: boolean;
  viaDispute: boolean;
  orderAmount: number;
  minOrderAmount: number;
  signals: readonly HoldSignal[];
}): CompletionDecision {
  if (!q.campaignActive) return { kind: 'reject', reason: 'CAMPAIGN_INACTIVE' };
  if (q.viaDispute) return { kind: 'reject', reason: 'FIRST_ORDER_DISPUTED' };
  if (q.orderAmount < q.minOrderAmount) return { kind: 'reject', reason: 'BELOW_MINIMUM' };
  if (q.signals.length > 0) return { kind: 'hold', signals: [...q.signals] };
  return { kind: 'pay' };
}

/** May this user still be attributed? Only before their first checkout, never to themselves, once. */
export function attributionRefusal(q: {
  refereeId: string;
  referrerId: string;
  alreadyAttributed: boolean;
  hasCheckedOut: boolean;
}): 'SELF_REFERRAL' | 'ALREADY_ATTRIBUTED' | 'ATTRIBUTION_CLOSED' | null {
  if (q.referrerId === q.refereeId) return 'SELF_REFERRAL';
  if (q.alreadyAttributed) return 'ALREADY_ATTRIBUTED';
  if (q.hasCheckedOut) return 'ATTRIBUTION_CLOSED';
  return null;
}

/** Cost per acquired buyer, whole minor units rounded down; null before the first acquisition. */
export const costPerAcquired = (cost: number, acquired: number) =>
  acquired > 0 ? Math.floor(cost / acquired) : null;
