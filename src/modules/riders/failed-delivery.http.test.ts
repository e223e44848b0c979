import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type Actor,
  category,
  demoZones,
  nextPhone,
  sellerAt,
  upload,
  verifiedProduct,
} from '../../../test/support/fixtures.js';
import { DAR_DEMO_ZONES } from '../../demo-zones.js';

// Failed delivery attempts through the real app (zones, riders, payments simulator, ledger): the
// rider who failed re-attempts inside the window, or the parcel goes back to the seller; the buyer
// is refunded in full at once when the platform cannot deliver, the stock comes back only with the
// parcel, and neither happens twice. Every scenario ends with the ledger reconciled.

let t: TestApp;
let admin: Actor;
let seller: Actor;
let skuId: string;
let kariakooId: string;
const centre = (name: string) => DAR_DEMO_ZONES.find((z) => z.name === name)!.centre;
const HOUR_S = 3600;

beforeAll(async () => {
  t = await createTestApp({ DELIVERY_QUOTES: 'zones', PAYOUT_MINIMUM: '100000' });
  admin = await t.loginAdmin('+255754330001');
  const zoneIds = await demoZones(t, admin);
  kariakooId = zoneIds.get('Kariakoo')!;
  seller = await sellerAt(t, admin, 'Kariakoo Returns Duka', centre('Kariakoo'));
  const cat = await category(t, admin, 'Returns');
  skuId = (
    await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'RET-1', price: 12_000_00, stock: 100 }],
    })
  ).skuIds[0]!;
});
afterAll(() => t.close());

// ---- helpers

type Auth = { authorization: string };
const post = (url: string, headers: Auth, payload?: object) =>
  t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers, payload: payload ?? {} });
const get = (url: string, headers: Auth) => t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers });
const svc = () => t.app.services.orders.service;
const order = async (id: string) => (await svc().view(id, { userId: null, role: 'admin' })).order;
const stock = async () => (await t.app.services.catalog.sellableSkus(t.handle.db, [skuId])).get(skuId)!.stock;
const refundsOf = (orderId: string) =>
  t.app.services.payments.service.disbursementsOf({ orderId, kind: 'refund' });
const activeJobs = async (rider: Actor) => (await get('/rider/profile', rider.auth)).json().active_jobs;
const jobsOf = async (rider: Actor) =>
  (await get('/rider/jobs', rider.auth)).json().items as Array<{ order_id: string; status: string }>;
/** Jobs and payment callbacks run (the simulator answers after a few seconds). */
async function settle() {
  for (let i = 0; i < 3; i++) {
    t.clock.advanceSeconds(5);
    await t.app.services.jobs.drain();
  }
}
const problem = (res: { statusCode: number; json(): { code?: string; field?: string } }) => ({
  status: res.statusCode,
  code: res.json().code,
  field: res.json().field,
});

/** A verified rider, online, who has sent a position near the seller. */
async function onlineRider(vehicle: 'boda_boda' | 'bicycle' = 'boda_boda'): Promise<Actor> {
  const r = await t.login(nextPhone());
  const applied = await post('/rider/profile', r.auth, {
    vehicle,
    ...(vehicle === 'bicycle' ? {} : { plate: 'MC 456 DEF' }),
    home_zone_id: kariakooId,
  });
  expect(applied.statusCode, applied.body).toBe(200);
  expect((await post(`/admin/riders/${r.userId}/verify`, admin.auth)).statusCode).toBe(200);
  expect((await post('/rider/online', r.auth)).statusCode).toBe(200);
  const ping = await post('/rider/pings', r.auth, { lat: -6.8203, lng: 39.2752 });
  expect(ping.statusCode, ping.body).toBe(200);
  return r;
}

/** A paid order from a new buyer, delivered to Mikocheni. */
async function paidOrder() {
  const buyer = await t.login(nextPhone());
  const added = await post('/cart/items', buyer.auth, { sku_id: skuId, quantity: 1 });
  expect(added.statusCode, added.body).toBeLessThan(300);
  const addr = await post('/me/addresses', buyer.auth, {
    label: 'Home',
    ward: 'W',
    landmark: 'L',
    location: centre('Mikocheni'),
  });
  const preview = (await get('/cart', buyer.auth)).json();
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/orders/checkout',
    headers: { ...buyer.auth, 'idempotency-key': `ret-${Math.random().toString(36).slice(2)}` },
    payload: {
      address_id: addr.json().id,
      payer_phone: '0754 123 456',
      preview_token: preview.preview_token,
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  const co = res.json();
  const push = await post(`/payments/checkouts/${co.checkout_id}/collections`, buyer.auth);
  expect(push.statusCode, push.body).toBe(202);
  t.clock.advanceSeconds(5);
  await t.app.services.jobs.drain();
  const orderId = co.orders[0].id as string;
  expect((await order(orderId)).status).toBe('paid');
  return { orderId, buyer, total: co.total as number };
}

/** Paid, accepted, ready, given to `rider` by a dispatcher (not yet collected). */
async function assignedTo(rider: Actor) {
  const o = await paidOrder();
  expect((await post(`/seller/orders/${o.orderId}/accept`, seller.auth)).statusCode).toBe(200);
  expect((await post(`/seller/orders/${o.orderId}/ready`, seller.auth)).statusCode).toBe(200);
  const assigned = await post(`/admin/dispatch/${o.orderId}/assign`, admin.auth, {
    rider_id: rider.userId,
    reason: 'test dispatch',
  });
  expect(assigned.statusCode, assigned.body).toBe(200);
  const pickupCode = (await get(`/seller/orders/${o.orderId}`, seller.auth)).json().handover_code as string;
  return { ...o, pickupCode };
}

/** Paid, accepted, ready, given to `rider` by a dispatcher, collected with the handover code. */
async function pickedUpBy(rider: Actor) {
  const o = await assignedTo(rider);
  const picked = await post(`/rider/jobs/${o.orderId}/pick-up`, rider.auth, { handover_code: o.pickupCode });
  expect(picked.statusCode, picked.body).toBe(200);
  const deliveryCode = (await get(`/orders/${o.orderId}`, o.buyer.auth)).json().delivery_code as string;
  return { ...o, deliveryCode };
}

async function fail(rider: Actor, orderId: string, reason = 'nobody at the gate') {
  const photo = await upload(t, rider.auth, 'delivery_proof');
  const res = await post(`/rider/jobs/${orderId}/fail`, rider.auth, {
    reason,
    photo_media_id: photo,
    location: centre('Mikocheni'),
  });
  expect(res.statusCode, res.body).toBe(200);
  return { res, photo };
}

// ---- the scenarios

describe('a failed attempt, then a re-attempt by the same rider inside the window', () => {
  it('the evidence is on the timeline; the parcel stays the rider’s with its capacity given back; out again and delivered', async () => {
    const rider = await onlineRider();
    const stranger = await onlineRider();
    const o = await pickedUpBy(rider);
    expect(await activeJobs(rider)).toBe(1);

    // Bad input first: a stranger's order, a photo that is not the rider's, a made-up photo.
    const strangerPhoto = await upload(t, stranger.auth, 'delivery_proof');
    expect(
      problem(
        await post(`/rider/jobs/${o.orderId}/fail`, stranger.auth, {
          reason: 'x',
          photo_media_id: strangerPhoto,
          location: centre('Mikocheni'),
        }),
      ),
    ).toMatchObject({ status: 404 });
    expect(
      problem(
        await post(`/rider/jobs/${o.orderId}/fail`, rider.auth, {
          reason: 'x',
          photo_media_id: strangerPhoto,
          location: centre('Mikocheni'),
        }),
      ),
    ).toMatchObject({ status: 422, field: 'photo_media_id' });
    expect((await order(o.orderId)).status).toBe('out_for_delivery');
    expect(await activeJobs(rider)).toBe(1);
    // Nothing to re-attempt or give up while the delivery is still running.
    expect(problem(await post(`/rider/jobs/${o.orderId}/retry`, rider.auth))).toMatchObject({
      status: 409,
      code: 'NO_FAILED_ATTEMPT',
    });
    expect(
      problem(await post(`/rider/jobs/${o.orderId}/return`, rider.auth, { reason: 'tired' })),
    ).toMatchObject({ status: 409, code: 'NO_FAILED_ATTEMPT' });
    expect(
      problem(await post(`/rider/jobs/${o.orderId}/returned`, rider.auth, { handover_code: o.pickupCode })),
    ).toMatchObject({ status: 409, code: 'NOT_RETURNING' });

    const { res, photo } = await fail(rider, o.orderId, 'buyer not answering the phone');
    expect(res.json()).toMatchObject({ status: 'failed_attempt', finished_at: null });
    expect((await order(o.orderId)).status).toBe('delivery_failed');
    expect(await activeJobs(rider)).toBe(0);
    expect(await jobsOf(rider)).toEqual([
      expect.objectContaining({ order_id: o.orderId, status: 'failed_attempt' }),
    ]);
    // The buyer and an admin see why, with the photo and the place.
    for (const [url, auth] of [
      [`/orders/${o.orderId}`, o.buyer.auth],
      [`/admin/orders/${o.orderId}`, admin.auth],
    ] as const) {
      const timeline = (await get(url, auth)).json().timeline as Array<Record<string, unknown>>;
      expect(timeline.find((e) => e.event === 'fail_delivery')).toMatchObject({
        to: 'delivery_failed',
        actor_role: 'rider',
        actor_user_id: rider.userId,
        note: 'buyer not answering the phone',
        location: centre('Mikocheni'),
        evidence: { method: 'photo', photo_media_id: photo },
      });
    }
    // Failing twice is refused, and so is anyone but the rider going out with the parcel.
    expect(
      problem(
        await post(`/rider/jobs/${o.orderId}/fail`, rider.auth, {
          reason: 'again',
          photo_media_id: photo,
          location: centre('Mikocheni'),
        }),
      ),
    ).toMatchObject({ status: 409, code: 'JOB_NOT_PICKED_UP' });
    expect(problem(await post(`/rider/jobs/${o.orderId}/retry`, stranger.auth))).toMatchObject({
      status: 404,
    });
    expect(problem(await post(`/seller/orders/${o.orderId}/retry-delivery`, seller.auth))).toMatchObject({
      status: 409,
      code: 'RIDER_DELIVERS',
    });

    t.clock.advanceSeconds(2 * HOUR_S);
    const again = await post(`/rider/jobs/${o.orderId}/retry`, rider.auth);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().status).toBe('picked_up');
    expect((await order(o.orderId)).status).toBe('out_for_delivery');
    expect(await activeJobs(rider)).toBe(1);
    expect(problem(await post(`/rider/jobs/${o.orderId}/retry`, rider.auth))).toMatchObject({
      status: 409,
      code: 'NO_FAILED_ATTEMPT',
    });
    // Same proof rules as the first run: without proof, no delivery.
    expect(problem(await post(`/rider/jobs/${o.orderId}/deliver`, rider.auth, {}))).toMatchObject({
      status: 422,
      code: 'PROOF_REQUIRED',
    });
    const delivered = await post(`/rider/jobs/${o.orderId}/deliver`, rider.auth, { code: o.deliveryCode });
    expect(delivered.statusCode, delivered.body).toBe(200);
    expect(await activeJobs(rider)).toBe(0);
    // The first attempt's window closing does nothing to a delivered order.
    t.clock.advanceSeconds(23 * HOUR_S);
    await settle();
    expect((await order(o.orderId)).status).toBe('delivered');
    // (only a late delivery's fee back, if the re-attempt came after the promise)
    expect((await refundsOf(o.orderId)).filter((r) => r.reason !== 'late_delivery')).toEqual([]);
    expect(await svc().reconcile()).toEqual([]);
  });

  it('capacity: a rider who filled up after a failed attempt cannot go out again until a slot frees', async () => {
    const rider = await onlineRider('bicycle'); // capacity 1
    const first = await pickedUpBy(rider);
    await fail(rider, first.orderId);
    expect(await activeJobs(rider)).toBe(0);
    // The slot is free, so the rider takes another delivery meanwhile.
    const second = await pickedUpBy(rider);
    expect(await activeJobs(rider)).toBe(1);
    expect(problem(await post(`/rider/jobs/${first.orderId}/retry`, rider.auth))).toMatchObject({
      status: 409,
      code: 'AT_CAPACITY',
    });
    // Nothing moved: the order still waits for its re-attempt and the job is still the failed one.
    expect((await order(first.orderId)).status).toBe('delivery_failed');
    expect((await jobsOf(rider)).find((j) => j.order_id === first.orderId)?.status).toBe('failed_attempt');
    expect(await activeJobs(rider)).toBe(1);
    const d2 = await post(`/rider/jobs/${second.orderId}/deliver`, rider.auth, { code: second.deliveryCode });
    expect(d2.statusCode, d2.body).toBe(200);
    expect(await activeJobs(rider)).toBe(0);
    expect((await post(`/rider/jobs/${first.orderId}/retry`, rider.auth)).statusCode).toBe(200);
    expect(await activeJobs(rider)).toBe(1);
    const d1 = await post(`/rider/jobs/${first.orderId}/deliver`, rider.auth, { code: first.deliveryCode });
    expect(d1.statusCode, d1.body).toBe(200);
    expect(await activeJobs(rider)).toBe(0);
    await settle();
    expect(await svc().reconcile()).toEqual([]);
  });
});

describe('the order and the rider’s job move in one transaction', () => {
  const db = () => t.handle.db;
  /**
   * Makes the next moves of a rider's job to `status` fail, as a crash (or any error) after the
   * order's transition and before the job's would. Returns the undo.
   */
  async function crashOnJobMove(
    status: 'picked_up' | 'delivered' | 'failed_attempt' | 'returning' | 'returned',
  ) {
    await db().execute(
      sql.raw(`create or replace function test_crash_on_job_move() returns trigger language plpgsql
        as $$ begin raise exception 'simulated crash between the order and the job'; end $$`),
    );
    await db().execute(
      sql.raw(`create trigger test_crash_on_job_move before update on order_assignments for each row
        when (new.status = '${status}') execute function test_crash_on_job_move()`),
    );
    return async () => {
      await db().execute(sql.raw('drop trigger test_crash_on_job_move on order_assignments'));
    };
  }
  const events = async (orderId: string) =>
    (await svc().view(orderId, { userId: null, role: 'admin' })).timeline.map((e) => e.event);
  /** The same number of digits, the first one changed. */
  const wrong = (code: string) => `${(Number(code[0]) + 1) % 10}${code.slice(1)}`;
  const jobOf = async (rider: Actor, orderId: string) =>
    (await jobsOf(rider)).find((j) => j.order_id === orderId)?.status ?? null;

  it('a failure after the order’s transition undoes it: pick-up, deliver and fail leave order, job and capacity as they were; wrong tries still count', async () => {
    const rider = await onlineRider();
    const o = await assignedTo(rider);
    expect(await activeJobs(rider)).toBe(1);

    // Pick-up: the handover code is right, the order moves, the job's move fails → nothing moved,
    // but the try is spent (it is committed on its own, before the transaction).
    let undo = await crashOnJobMove('picked_up');
    try {
      const res = await post(`/rider/jobs/${o.orderId}/pick-up`, rider.auth, { handover_code: o.pickupCode });
      expect(res.statusCode, res.body).toBe(500);
    } finally {
      await undo();
    }
    let now = await order(o.orderId);
    expect([now.status, now.riderId, now.handoverCodeAttempts]).toEqual(['ready_for_pickup', null, 1]);
    expect(await events(o.orderId)).not.toContain('pick_up');
    expect(await jobOf(rider, o.orderId)).toBe('assigned');
    expect(await activeJobs(rider)).toBe(1);
    // A wrong code counts too, and changes nothing else.
    expect(
      problem(
        await post(`/rider/jobs/${o.orderId}/pick-up`, rider.auth, { handover_code: wrong(o.pickupCode) }),
      ),
    ).toMatchObject({ status: 422, code: 'HANDOVER_CODE_INVALID' });
    expect((await order(o.orderId)).handoverCodeAttempts).toBe(2);
    const picked = await post(`/rider/jobs/${o.orderId}/pick-up`, rider.auth, {
      handover_code: o.pickupCode,
    });
    expect(picked.statusCode, picked.body).toBe(200);
    now = await order(o.orderId);
    expect([now.status, now.riderId, now.handoverCodeAttempts]).toEqual([
      'out_for_delivery',
      rider.userId,
      3,
    ]);
    expect(await jobOf(rider, o.orderId)).toBe('picked_up');
    const deliveryCode = (await get(`/orders/${o.orderId}`, o.buyer.auth)).json().delivery_code as string;

    // Deliver with the buyer's code: the same, and the capacity stays held with the job.
    undo = await crashOnJobMove('delivered');
    try {
      const res = await post(`/rider/jobs/${o.orderId}/deliver`, rider.auth, { code: deliveryCode });
      expect(res.statusCode, res.body).toBe(500);
      const photo = await upload(t, rider.auth, 'delivery_proof');
      const byPhoto = await post(`/rider/jobs/${o.orderId}/deliver`, rider.auth, {
        photo_media_id: photo,
        location: centre('Mikocheni'),
        note: 'given to the guard',
      });
      expect(byPhoto.statusCode, byPhoto.body).toBe(500);
    } finally {
      await undo();
    }
    now = await order(o.orderId);
    expect([now.status, now.deliveredAt, now.deliveryCodeAttempts]).toEqual(['out_for_delivery', null, 1]);
    expect(await events(o.orderId)).not.toContain('deliver');
    expect(await jobOf(rider, o.orderId)).toBe('picked_up');
    expect(await activeJobs(rider)).toBe(1);
    expect(
      problem(await post(`/rider/jobs/${o.orderId}/deliver`, rider.auth, { code: wrong(deliveryCode) })),
    ).toMatchObject({ status: 422, code: 'DELIVERY_CODE_INVALID' });
    expect((await order(o.orderId)).deliveryCodeAttempts).toBe(2);

    // A failed attempt: the same.
    undo = await crashOnJobMove('failed_attempt');
    try {
      const photo = await upload(t, rider.auth, 'delivery_proof');
      const res = await post(`/rider/jobs/${o.orderId}/fail`, rider.auth, {
        reason: 'gate shut',
        photo_media_id: photo,
        location: centre('Mikocheni'),
      });
      expect(res.statusCode, res.body).toBe(500);
    } finally {
      await undo();
    }
    expect((await order(o.orderId)).status).toBe('out_for_delivery');
    expect(await events(o.orderId)).not.toContain('fail_delivery');
    expect(await jobOf(rider, o.orderId)).toBe('picked_up');
    expect(await activeJobs(rider)).toBe(1);

    // Nothing in the way: each moves both sides at once.
    await fail(rider, o.orderId);
    expect([(await order(o.orderId)).status, await jobOf(rider, o.orderId)]).toEqual([
      'delivery_failed',
      'failed_attempt',
    ]);
    expect(await activeJobs(rider)).toBe(0);
    expect((await post(`/rider/jobs/${o.orderId}/retry`, rider.auth)).statusCode).toBe(200);
    const delivered = await post(`/rider/jobs/${o.orderId}/deliver`, rider.auth, { code: deliveryCode });
    expect(delivered.statusCode, delivered.body).toBe(200);
    expect(delivered.json()).toMatchObject({ status: 'delivered' });
    expect((await order(o.orderId)).status).toBe('delivered');
    expect(await jobOf(rider, o.orderId)).toBeNull(); // finished: no longer in hand
    expect(await activeJobs(rider)).toBe(0);
    await settle();
    expect(await svc().reconcile()).toEqual([]);
  });

  it('giving up and handing the parcel back: a failure after the order’s transition undoes it (no refund, no restock); the return code’s try still counts', async () => {
    const rider = await onlineRider();
    const before = await stock();
    const o = await pickedUpBy(rider);
    await fail(rider, o.orderId, 'buyer refused the parcel');

    // Give up: the order is refunded, the job's move fails → the order is still failed, no refund owed.
    let undo = await crashOnJobMove('returning');
    try {
      const res = await post(`/rider/jobs/${o.orderId}/return`, rider.auth, { reason: 'buyer refused' });
      expect(res.statusCode, res.body).toBe(500);
    } finally {
      await undo();
    }
    expect((await order(o.orderId)).status).toBe('delivery_failed');
    expect(await events(o.orderId)).not.toContain('refund_undeliverable');
    expect(await jobOf(rider, o.orderId)).toBe('failed_attempt');
    await settle();
    expect(await refundsOf(o.orderId)).toEqual([]);
    expect(await svc().reconcile()).toEqual([]);
    const gaveUp = await post(`/rider/jobs/${o.orderId}/return`, rider.auth, { reason: 'buyer refused' });
    expect(gaveUp.statusCode, gaveUp.body).toBe(200);
    expect([(await order(o.orderId)).status, await jobOf(rider, o.orderId)]).toEqual([
      'returning',
      'returning',
    ]);

    // Hand it back with the seller's return code: the order is restocked, the job's move fails →
    // nothing moved, no stock back, but the try is spent.
    const right = (await get(`/seller/orders/${o.orderId}`, seller.auth)).json().handover_code as string;
    undo = await crashOnJobMove('returned');
    try {
      const res = await post(`/rider/jobs/${o.orderId}/returned`, rider.auth, { handover_code: right });
      expect(res.statusCode, res.body).toBe(500);
    } finally {
      await undo();
    }
    const now = await order(o.orderId);
    expect([now.status, now.handoverCodeAttempts]).toEqual(['returning', 1]);
    expect(await events(o.orderId)).not.toContain('record_return');
    expect(await jobOf(rider, o.orderId)).toBe('returning');
    expect(await stock()).toBe(before - 1);
    const back = await post(`/rider/jobs/${o.orderId}/returned`, rider.auth, { handover_code: right });
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json().status).toBe('returned');
    expect((await order(o.orderId)).status).toBe('returned');
    expect(await jobOf(rider, o.orderId)).toBeNull();
    expect(await stock()).toBe(before);
    await settle();
    expect(await refundsOf(o.orderId)).toEqual([
      expect.objectContaining({ status: 'succeeded', amount: o.total }),
    ]);
    expect(await svc().reconcile()).toEqual([]);
  });

  it('race: delivering and failing at once: one wins, and the order, the job and the capacity agree', async () => {
    const rider = await onlineRider();
    const o = await pickedUpBy(rider);
    const photo = await upload(t, rider.auth, 'delivery_proof');
    const results = await Promise.all([
      post(`/rider/jobs/${o.orderId}/deliver`, rider.auth, { code: o.deliveryCode }),
      post(`/rider/jobs/${o.orderId}/fail`, rider.auth, {
        reason: 'gate shut',
        photo_media_id: photo,
        location: centre('Mikocheni'),
      }),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const status = (await order(o.orderId)).status;
    const job = await jobOf(rider, o.orderId);
    expect(['delivered', 'delivery_failed']).toContain(status);
    expect(job).toBe(status === 'delivered' ? null : 'failed_attempt');
    expect(await activeJobs(rider)).toBe(0);
  });

  it('race: a pick-up against the pickup deadline: the order is collected only if the job is', async () => {
    const rider = await onlineRider();
    const o = await assignedTo(rider);
    const [picked] = await Promise.all([
      post(`/rider/jobs/${o.orderId}/pick-up`, rider.auth, { handover_code: o.pickupCode }),
      t.app.services.riders.service.pickupDeadline(o.orderId, rider.userId),
    ]);
    const now = await order(o.orderId);
    const job = await jobOf(rider, o.orderId);
    if (picked.statusCode === 200) {
      expect([now.status, now.riderId, job]).toEqual(['out_for_delivery', rider.userId, 'picked_up']);
      expect(await activeJobs(rider)).toBe(1);
    } else {
      // Released first: the pickup is refused and the order still waits for a rider.
      expect(picked.statusCode, picked.body).toBe(404);
      expect([now.status, now.riderId, job]).toEqual(['ready_for_pickup', null, null]);
      expect(await activeJobs(rider)).toBe(0);
    }
  });
});

describe('the window closes: the buyer refunded at once, the parcel back to the seller', () => {
  it('a re-attempt after the window is refused; refunded in full without waiting for the parcel; restocked once with the seller’s return code', async () => {
    const rider = await onlineRider();
    const stranger = await onlineRider();
    const before = await stock();
    const o = await pickedUpBy(rider);
    expect(await stock()).toBe(before - 1);
    await fail(rider, o.orderId);

    // Just past the window, before the deadline job has run: the re-attempt is refused anyway.
    t.clock.advanceSeconds(24 * HOUR_S + 60);
    expect(problem(await post(`/rider/jobs/${o.orderId}/retry`, rider.auth))).toMatchObject({
      status: 409,
      code: 'REDELIVERY_WINDOW_CLOSED',
    });
    expect((await order(o.orderId)).status).toBe('delivery_failed');
    expect(await activeJobs(rider)).toBe(0);

    await settle();
    expect((await order(o.orderId)).status).toBe('returning');
    expect(await refundsOf(o.orderId)).toEqual([
      expect.objectContaining({ status: 'succeeded', amount: o.total }),
    ]);
    expect(await stock()).toBe(before - 1); // the parcel is not back yet
    expect(await jobsOf(rider)).toEqual([
      expect.objectContaining({ order_id: o.orderId, status: 'returning' }),
    ]);
    expect(await svc().reconcile()).toEqual([]);
    // After the deadline: nothing to re-attempt; never a second refund.
    expect(problem(await post(`/rider/jobs/${o.orderId}/retry`, rider.auth))).toMatchObject({
      status: 409,
      code: 'NO_FAILED_ATTEMPT',
    });
    expect(
      problem(await post(`/rider/jobs/${o.orderId}/return`, rider.auth, { reason: 'again' })),
    ).toMatchObject({ status: 409, code: 'NO_FAILED_ATTEMPT' });
    expect(
      problem(await post(`/admin/orders/${o.orderId}/refund-undeliverable`, admin.auth, { reason: 'again' })),
    ).toMatchObject({ status: 409, code: 'INVALID_TRANSITION' });

    // The seller has a new handover code for the return; the pickup one proves nothing now.
    const sellerView = (await get(`/seller/orders/${o.orderId}`, seller.auth)).json();
    expect(sellerView.status).toBe('returning');
    const returnCode = sellerView.handover_code as string;
    expect(returnCode).toMatch(/^\d{4}$/);
    expect((await get(`/orders/${o.orderId}`, o.buyer.auth)).json().handover_code).toBeNull();
    expect(
      problem(await post(`/rider/jobs/${o.orderId}/returned`, stranger.auth, { handover_code: returnCode })),
    ).toMatchObject({ status: 404 });
    expect(problem(await post(`/seller/orders/${o.orderId}/return-received`, seller.auth))).toMatchObject({
      status: 409,
      code: 'RIDER_DELIVERS',
    });
    if (o.pickupCode !== returnCode)
      expect(
        problem(await post(`/rider/jobs/${o.orderId}/returned`, rider.auth, { handover_code: o.pickupCode })),
      ).toMatchObject({ status: 422, code: 'HANDOVER_CODE_INVALID', field: 'handover_code' });
    expect(problem(await post(`/rider/jobs/${o.orderId}/returned`, rider.auth, {}))).toMatchObject({
      status: 400,
      field: 'handover_code',
    });
    expect(await stock()).toBe(before - 1);

    const back = await post(`/rider/jobs/${o.orderId}/returned`, rider.auth, { handover_code: returnCode });
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json()).toMatchObject({ status: 'returned', finished_at: expect.stringMatching(/\+03:00$/) });
    expect((await order(o.orderId)).status).toBe('returned');
    expect(await stock()).toBe(before);
    const timeline = (await get(`/admin/orders/${o.orderId}`, admin.auth)).json().timeline as Array<
      Record<string, unknown>
    >;
    expect(timeline.map((e) => e.event)).toEqual([
      'checkout',
      'confirm_payment',
      'accept',
      'mark_ready',
      'pick_up',
      'fail_delivery',
      'refund_undeliverable',
      'record_return',
    ]);
    expect(timeline.at(-1)).toMatchObject({
      actor_role: 'rider',
      evidence: { method: 'handover_code' },
      location: expect.any(Object),
    });

    // Never twice: the rider again, an admin after them, the seller.
    expect(
      problem(await post(`/rider/jobs/${o.orderId}/returned`, rider.auth, { handover_code: returnCode })),
    ).toMatchObject({ status: 409, code: 'NOT_RETURNING' });
    expect(
      problem(await post(`/admin/orders/${o.orderId}/return-received`, admin.auth, { reason: 'again' })),
    ).toMatchObject({ status: 409, code: 'INVALID_TRANSITION' });
    await settle();
    expect(await stock()).toBe(before);
    expect(await refundsOf(o.orderId)).toHaveLength(1);
    expect(await jobsOf(rider)).toEqual([]);
    expect(await activeJobs(rider)).toBe(0);
    expect(await svc().reconcile()).toEqual([]);
  });
});

describe('the rider gives up after a failed attempt', () => {
  it('the buyer is refunded at once (not after the window); wrong return codes lock; an admin records the return; restocked once', async () => {
    const rider = await onlineRider();
    const before = await stock();
    const o = await pickedUpBy(rider);
    await fail(rider, o.orderId, 'buyer refused the parcel');
    expect(
      problem(await post(`/rider/jobs/${o.orderId}/returned`, rider.auth, { handover_code: o.pickupCode })),
    ).toMatchObject({ status: 409, code: 'INVALID_TRANSITION' });
    expect(problem(await post(`/rider/jobs/${o.orderId}/return`, rider.auth, {}))).toMatchObject({
      status: 400,
      field: 'reason',
    });
    const gaveUp = await post(`/rider/jobs/${o.orderId}/return`, rider.auth, {
      reason: 'buyer refused the parcel',
    });
    expect(gaveUp.statusCode, gaveUp.body).toBe(200);
    expect(gaveUp.json().status).toBe('returning');
    expect((await order(o.orderId)).status).toBe('returning');
    await settle(); // seconds later, not a day later
    expect(await refundsOf(o.orderId)).toEqual([
      expect.objectContaining({ status: 'succeeded', amount: o.total }),
    ]);
    expect(await stock()).toBe(before - 1);
    expect(await svc().reconcile()).toEqual([]);
    expect(
      problem(await post(`/rider/jobs/${o.orderId}/return`, rider.auth, { reason: 'twice' })),
    ).toMatchObject({ status: 409, code: 'NO_FAILED_ATTEMPT' });
    expect(problem(await post(`/rider/jobs/${o.orderId}/retry`, rider.auth))).toMatchObject({
      status: 409,
      code: 'NO_FAILED_ATTEMPT',
    });

    // The window's deadline job, later, finds nothing to do: no second refund.
    t.clock.advanceSeconds(25 * HOUR_S);
    await settle();
    expect((await order(o.orderId)).status).toBe('returning');
    expect(await refundsOf(o.orderId)).toHaveLength(1);

    // Five wrong codes lock the return code, even the right one after that.
    const right = (await get(`/seller/orders/${o.orderId}`, seller.auth)).json().handover_code as string;
    const wrong = right === '0000' ? '1111' : '0000';
    for (let i = 0; i < 5; i++)
      expect(
        problem(await post(`/rider/jobs/${o.orderId}/returned`, rider.auth, { handover_code: wrong })),
      ).toMatchObject({ status: 422, code: 'HANDOVER_CODE_INVALID' });
    expect(
      problem(await post(`/rider/jobs/${o.orderId}/returned`, rider.auth, { handover_code: right })),
    ).toMatchObject({ status: 429, code: 'HANDOVER_CODE_LOCKED' });
    expect(await stock()).toBe(before - 1);

    // An admin records it (with a reason); the rider's job follows.
    expect(problem(await post(`/admin/orders/${o.orderId}/return-received`, admin.auth, {}))).toMatchObject({
      status: 400,
      field: 'reason',
    });
    const recorded = await post(`/admin/orders/${o.orderId}/return-received`, admin.auth, {
      reason: 'seller confirmed by phone',
    });
    expect(recorded.statusCode, recorded.body).toBe(200);
    expect(recorded.json().status).toBe('returned');
    expect(await stock()).toBe(before);
    await settle();
    expect(await jobsOf(rider)).toEqual([]);
    expect(
      problem(await post(`/rider/jobs/${o.orderId}/returned`, rider.auth, { handover_code: right })),
    ).toMatchObject({ status: 409, code: 'NOT_RETURNING' });
    expect(
      problem(await post(`/admin/orders/${o.orderId}/return-received`, admin.auth, { reason: 'twice' })),
    ).toMatchObject({ status: 409, code: 'INVALID_TRANSITION' });
    expect(await stock()).toBe(before);
    expect(await refundsOf(o.orderId)).toHaveLength(1);
    expect(await svc().reconcile()).toEqual([]);
  });

  it('an admin decides it cannot be delivered: refunded at once, and the rider’s job turns to returning', async () => {
    const rider = await onlineRider();
    const o = await pickedUpBy(rider);
    await fail(rider, o.orderId, 'address does not exist');
    const refused = await post(`/admin/orders/${o.orderId}/refund-undeliverable`, admin.auth, {
      reason: 'buyer unreachable for hours',
    });
    expect(refused.statusCode, refused.body).toBe(200);
    expect(refused.json().status).toBe('returning');
    await settle();
    expect(await refundsOf(o.orderId)).toEqual([
      expect.objectContaining({ status: 'succeeded', amount: o.total }),
    ]);
    expect((await jobsOf(rider)).find((j) => j.order_id === o.orderId)?.status).toBe('returning');
    const code = (await get(`/seller/orders/${o.orderId}`, seller.auth)).json().handover_code as string;
    expect(
      (await post(`/rider/jobs/${o.orderId}/returned`, rider.auth, { handover_code: code })).statusCode,
    ).toBe(200);
    expect((await order(o.orderId)).status).toBe('returned');
    expect(await svc().reconcile()).toEqual([]);
  });
});

describe('an order the seller delivers (no rider)', () => {
  it('fails, the window closes, the buyer is refunded, and the seller records the parcel back: restocked once', async () => {
    const before = await stock();
    const o = await paidOrder();
    for (const step of ['accept', 'ready', 'pick-up'])
      expect((await post(`/seller/orders/${o.orderId}/${step}`, seller.auth)).statusCode).toBe(200);
    expect(
      (await post(`/seller/orders/${o.orderId}/fail-delivery`, seller.auth, { reason: 'gate locked' }))
        .statusCode,
    ).toBe(200);
    expect(problem(await post(`/seller/orders/${o.orderId}/return-received`, seller.auth))).toMatchObject({
      status: 409,
      code: 'INVALID_TRANSITION',
    });
    t.clock.advanceSeconds(24 * HOUR_S + 5);
    expect(problem(await post(`/seller/orders/${o.orderId}/retry-delivery`, seller.auth))).toMatchObject({
      status: 409,
      code: 'REDELIVERY_WINDOW_CLOSED',
    });
    await settle();
    expect((await order(o.orderId)).status).toBe('returning');
    expect(await refundsOf(o.orderId)).toEqual([
      expect.objectContaining({ status: 'succeeded', amount: o.total }),
    ]);
    expect(await stock()).toBe(before - 1);
    const back = await post(`/seller/orders/${o.orderId}/return-received`, seller.auth);
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json().status).toBe('returned');
    expect(await stock()).toBe(before);
    expect(problem(await post(`/seller/orders/${o.orderId}/return-received`, seller.auth))).toMatchObject({
      status: 409,
      code: 'INVALID_TRANSITION',
    });
    expect(await stock()).toBe(before);
    expect(await svc().reconcile()).toEqual([]);
  });
});
