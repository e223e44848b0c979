import { describe, expect, it } from 'vitest';
import { type Actor, nextPhone, upload, verifiedSeller } from '../../../test/support/fixtures.js';
import {
  admin,
  api,
  checkoutFor,
  elapse,
  jobs,
  orderOf,
  pay,
  seller,
  startPush,
  t,
  usePaymentsApp,
} from './payments.fixtures.js';

// Payments end to end through the API with the simulator: it posts its callbacks to our real
// webhook route, and the reconciler's status queries read its answers. Shared setup lives in
// payments.fixtures.ts.

usePaymentsApp();

describe('seller payouts', () => {
  async function completedSale(quantity = 2, confirm = true) {
    const { buyer, checkout } = await checkoutFor('0754 123 456', quantity);
    await startPush(buyer, checkout.checkout_id);
    await elapse(5);
    const id = checkout.orders[0]!.id;
    for (const step of ['accept', 'ready', 'pick-up'])
      expect((await api('POST', `/api/v1/seller/orders/${id}/${step}`, seller.auth, {})).statusCode).toBe(
        200,
      );
    const code = (await orderOf(buyer, id)).delivery_code;
    const del = await api('POST', `/api/v1/seller/orders/${id}/deliver`, seller.auth, {
      code,
      location: { lat: -6.77, lng: 39.27 },
    });
    expect(del.statusCode, del.body).toBe(200);
    if (confirm)
      expect((await api('POST', `/api/v1/orders/${id}/confirm-receipt`, buyer.auth, {})).statusCode).toBe(
        200,
      );
    return { buyer, checkout };
  }

  it('pay → deliver → dispute → partial refund: the buyer gets the refund on the paying phone, the seller the rest of the base price', async () => {
    const { buyer, checkout } = await completedSale(2, false);
    const orderId = checkout.orders[0]!.id;
    const before = await balance(seller);
    const evidence = await upload(t, buyer.auth, 'dispute_evidence');
    const opened = await api('POST', `/api/v1/orders/${orderId}/disputes`, buyer.auth, {
      reason: 'damaged',
      description: 'One kanga is torn',
      evidence_media_ids: [evidence],
    });
    expect(opened.statusCode, opened.body).toBe(201);
    const resolved = await api('POST', `/api/v1/admin/disputes/${opened.json().id}/resolve`, admin.auth, {
      resolution: 'partial_refund',
      fault: 'seller',
      amount: 10_000_00,
      note: 'one of two items damaged',
    });
    expect(resolved.statusCode, resolved.body).toBe(200);
    await jobs().drain();
    await elapse(5);
    const refunds = (await api('GET', '/api/v1/payments/refunds', buyer.auth)).json().items;
    expect(refunds).toEqual([
      expect.objectContaining({
        status: 'succeeded',
        amount: 10_000_00,
        order_id: orderId,
        phone: '+255754123456',
      }),
    ]);
    expect((await t.app.services.ledger.balance(`buyer:${buyer.userId}:refunds_payable`)).posted).toBe(0);
    // The seller is credited the base price (2 × 10,000) less the refund.
    expect((await balance(seller)).available - before.available).toBe(10_000_00);
  });
  const balance = async (who: Actor) => (await api('GET', '/api/v1/seller/balance', who.auth)).json();

  it('pay → deliver → complete → payout: the seller is paid the full base price; one payout in flight', async () => {
    await completedSale();
    const before = await balance(seller);
    expect(before.available).toBeGreaterThanOrEqual(20_000_00);
    const res = await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
      seller_id: seller.userId,
      reason: 'weekly',
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ kind: 'payout', amount: before.available, phone: '+255754000999' });
    const mid = await balance(seller);
    expect(mid).toMatchObject({ available: 0, in_payout: before.available });
    const twice = await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
      seller_id: seller.userId,
      reason: 'again',
    });
    expect(twice.statusCode).toBe(409);
    await jobs().drain();
    await elapse(5);
    expect(await balance(seller)).toMatchObject({
      available: 0,
      in_payout: 0,
      paid_out: before.paid_out + before.available,
    });
    const mine = (await api('GET', '/api/v1/seller/payouts', seller.auth)).json().items;
    expect(mine[0]).toMatchObject({ status: 'succeeded', amount: before.available });
  });

  it('a payout failure only a callback reported keeps the reserve until an admin settles it from the statement', async () => {
    await completedSale();
    const before = await balance(seller);
    const res = await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
      seller_id: seller.userId,
      reason: 'weekly',
    });
    await jobs().drain();
    const id = res.json().id as string;
    await pay().settleDisbursement(
      id,
      {
        outcome: 'failed',
        providerRef: null,
        receipt: null,
        amount: null,
        msisdn: null,
        code: '2001',
        message: 'x',
      },
      'callback',
    );
    expect(await balance(seller)).toMatchObject({ available: 0, in_payout: before.available });
    // The next payout cannot pay the reserved money again.
    const again = await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
      seller_id: seller.userId,
      reason: 'x',
    });
    expect(again.statusCode).toBe(422);
    const url = `/api/v1/admin/payments/payouts/${id}/resolve`;
    expect((await api('POST', url, seller.auth, { sent: false, reason: 'x' })).statusCode).toBe(403);
    expect((await api('POST', url, admin.auth, { sent: 'no', reason: 'x' })).statusCode).toBe(400);
    const ok = await api('POST', url, admin.auth, { sent: false, reason: 'not on the M-Pesa statement' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(await balance(seller)).toMatchObject({ available: before.available, in_payout: 0 });
    expect((await api('POST', url, admin.auth, { sent: true, reason: 'twice' })).statusCode).toBe(409);
  });

  it('a failed payout returns the money to available', async () => {
    await completedSale();
    const before = await balance(seller);
    const res = await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
      seller_id: seller.userId,
      reason: 'weekly',
    });
    await jobs().drain();
    await t.handle.db.execute(
      `update payment_simulator_txns set outcome = 'insufficient_funds' where reference = '${res.json().id.replaceAll('-', '')}'`,
    );
    await elapse(5);
    expect((await pay().disbursement(res.json().id))!.status).toBe('failed');
    expect(await balance(seller)).toMatchObject({ available: before.available, in_payout: 0 });
  });

  it('refused: below the minimum, soon after the payout number changed, a banned seller, a non-seller, a non-admin', async () => {
    const fresh = await verifiedSeller(t, admin, 'New Duka');
    const low = await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
      seller_id: fresh.userId,
      reason: 'x',
    });
    expect(low.statusCode).toBe(422);
    expect(low.json().code).toBe('BELOW_PAYOUT_MINIMUM');

    await completedSale();
    const change = await api('PATCH', '/api/v1/me/seller-profile', seller.auth, {
      payout_phone: '0754 777 888',
    });
    expect(change.statusCode, change.body).toBe(200);
    const held = await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
      seller_id: seller.userId,
      reason: 'x',
    });
    expect(held.statusCode).toBe(409);
    expect(held.json().code).toBe('PAYOUT_ON_HOLD');
    t.clock.advanceSeconds(49 * 3600);
    await jobs().drain();

    const doc = await upload(t, admin.auth, 'kyc_document');
    void doc;
    const ban = await api('POST', `/api/v1/admin/users/${seller.userId}/ban`, admin.auth, {
      reason: 'fraud',
    });
    expect(ban.statusCode, ban.body).toBe(200);
    const banned = await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
      seller_id: seller.userId,
      reason: 'x',
    });
    expect(banned.statusCode).toBe(403);
    const buyer = await t.login(nextPhone());
    expect(
      (
        await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
          seller_id: buyer.userId,
          reason: 'x',
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await api('POST', '/api/v1/admin/payments/payouts', buyer.auth, {
          seller_id: seller.userId,
          reason: 'x',
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (await api('POST', '/api/v1/admin/payments/payouts', admin.auth, { seller_id: 'nope', reason: 'x' }))
        .statusCode,
    ).toBe(400);
    const reinstate = await api('POST', `/api/v1/admin/users/${seller.userId}/reinstate`, admin.auth, {
      reason: 'cleared',
    });
    expect(reinstate.statusCode, reinstate.body).toBe(200);
  });
});

describe('schedules of long-running processes', () => {
  it('the payment sweep, the payout run and the riders’ housekeeping each run and schedule their next turn, once across processes', async () => {
    await t.app.services.startSchedules();
    await t.app.services.startSchedules(); // a second process: the same deduplicated jobs
    const { jobs: jobsTable } = await import('../jobs/schema.js');
    const { inArray: inA } = await import('drizzle-orm');
    const pendingOf = async () =>
      (
        await t.handle.db
          .select()
          .from(jobsTable)
          .where(inA(jobsTable.kind, ['payments.sweep', 'payments.payout_run', 'riders.sweep']))
      ).filter((j) => j.status === 'pending');
    const before = await pendingOf();
    expect(before.map((j) => j.kind).sort()).toEqual([
      'payments.payout_run',
      'payments.sweep',
      'riders.sweep',
    ]);
    t.clock.advanceSeconds(11 * 60);
    await jobs().drain();
    const after = await pendingOf();
    const sweeps = after.filter((j) => j.kind !== 'payments.payout_run');
    expect(sweeps).toHaveLength(2);
    for (const s of sweeps) expect(s.runAt.getTime()).toBeGreaterThan(t.clock.now().getTime());
  });
});
