import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type Actor, upload } from '../../../test/support/fixtures.js';
import {
  activeJobs,
  assignedTo,
  centre,
  fail,
  get,
  jobsOf,
  onlineRider,
  order,
  pickedUpBy,
  post,
  problem,
  refundsOf,
  seller,
  settle,
  stock,
  svc,
  t,
  useFailedDeliveryApp,
} from './failed-delivery.fixtures.js';

// Failed delivery attempts through the real app (zones, riders, payments simulator, ledger): the
// rider who failed re-attempts inside the window, or the parcel goes back to the seller; the buyer
// is refunded in full at once when the platform cannot deliver, the stock comes back only with the
// parcel, and neither happens twice. Every scenario ends with the ledger reconciled. Shared setup
// and helpers live in failed-delivery.fixtures.ts.

useFailedDeliveryApp();

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
