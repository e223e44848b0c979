import { describe, expect, it } from 'vitest';
import {
  activeJobs,
  admin,
  fail,
  get,
  HOUR_S,
  jobsOf,
  onlineRider,
  order,
  paidOrder,
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
