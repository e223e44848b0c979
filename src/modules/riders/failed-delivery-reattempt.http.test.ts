import { describe, expect, it } from 'vitest';
import { upload } from '../../../test/support/fixtures.js';
import {
  activeJobs,
  admin,
  centre,
  fail,
  get,
  HOUR_S,
  jobsOf,
  onlineRider,
  order,
  pickedUpBy,
  post,
  problem,
  refundsOf,
  seller,
  settle,
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
