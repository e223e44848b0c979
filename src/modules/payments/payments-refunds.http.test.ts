import { inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  admin,
  api,
  checkoutFor,
  elapse,
  jobs,
  pay,
  paymentOf,
  seller,
  startPush,
  t,
  usePaymentsApp,
} from './payments.fixtures.js';
import { paymentSimulatorTxns } from './schema.js';

// Payments end to end through the API with the simulator: it posts its callbacks to our real
// webhook route, and the reconciler's status queries read its answers. Shared setup lives in
// payments.fixtures.ts.

usePaymentsApp();

describe('refunds', () => {
  async function paidCheckout() {
    const { buyer, checkout } = await checkoutFor();
    await startPush(buyer, checkout.checkout_id);
    await elapse(5);
    expect((await paymentOf(buyer, checkout.checkout_id)).status).toBe('paid');
    return { buyer, checkout, orderId: checkout.orders[0]!.id };
  }

  it('a seller rejection refunds the buyer in full to the phone that paid; ledger: owed, then sent', async () => {
    const { buyer, checkout, orderId } = await paidCheckout();
    const rej = await api('POST', `/api/v1/seller/orders/${orderId}/reject`, seller.auth, {
      reason: 'out of stock',
    });
    expect(rej.statusCode, rej.body).toBe(200);
    expect((await t.app.services.ledger.balance(`buyer:${buyer.userId}:refunds_payable`)).posted).toBe(
      checkout.total,
    );
    await jobs().drain();
    let refunds = (await api('GET', '/api/v1/payments/refunds', buyer.auth)).json().items;
    expect(refunds).toEqual([
      expect.objectContaining({ status: 'sending', order_id: orderId, amount: checkout.total }),
    ]);
    await elapse(5);
    refunds = (await api('GET', '/api/v1/payments/refunds', buyer.auth)).json().items;
    expect(refunds[0]).toMatchObject({ status: 'succeeded', receipt: expect.stringMatching(/^SIM/) });
    expect((await t.app.services.ledger.balance(`buyer:${buyer.userId}:refunds_payable`)).posted).toBe(0);
    const admins = (
      await api('GET', `/api/v1/admin/payments/disbursements?order_id=${orderId}`, admin.auth)
    ).json();
    expect(admins.items).toHaveLength(1);
  });

  it('a failed refund is retried with a new reference; an unknown outcome is queried, never resent', async () => {
    const { buyer, orderId } = await paidCheckout();
    // The refund goes to the paying phone; make the simulator refuse the first send.
    await api('POST', `/api/v1/orders/${orderId}/cancel`, buyer.auth, {});
    await jobs().drain();
    const [d] = await pay().disbursementsOf({ orderId });
    const firstRef = d!.reference;
    await t.handle.db.execute(
      `update payment_simulator_txns set outcome = 'insufficient_funds' where reference = '${firstRef}'`,
    );
    await elapse(5);
    const retried = (await pay().disbursement(d!.id))!;
    expect(retried).toMatchObject({ status: 'queued', attempts: 1, resultCode: '1' });
    expect(retried.reference).not.toBe(firstRef);
    await elapse(600);
    expect((await pay().disbursement(d!.id))!).toMatchObject({ status: 'sending', attempts: 2 });
    // The second attempt's callback never comes: only its own chain of status queries can settle it.
    await t.handle.db.execute(
      `delete from jobs where kind = 'payments.simulator_callback' and status = 'pending'`,
    );
    await elapse(5);
    expect((await pay().disbursement(d!.id))!.status).toBe('sending');
    await elapse(60);
    expect((await pay().disbursement(d!.id))!).toMatchObject({ status: 'succeeded', attempts: 2 });
    // One send per reference at the provider: two attempts, two references, never the same one twice.
    const sends = await t.handle.db
      .select()
      .from(paymentSimulatorTxns)
      .where(inArray(paymentSimulatorTxns.reference, [firstRef, retried.reference]));
    expect(sends.map((x) => x.kind)).toEqual(['disbursement', 'disbursement']);
  });

  it('two refunds racing for one order make one disbursement; more than was paid is refused', async () => {
    const { checkout, orderId, buyer } = await paidCheckout();
    const req = {
      purposeKey: `refund:order:${orderId}`,
      orderId,
      checkoutId: checkout.checkout_id,
      buyerId: buyer.userId,
      amount: checkout.total,
      currency: 'TZS',
      payerPhone: null,
      reason: 'test',
    };
    const [a, b] = await Promise.allSettled([pay().requestOrderRefund(req), pay().requestOrderRefund(req)]);
    expect([a.status, b.status]).toEqual(['fulfilled', 'fulfilled']);
    expect(await pay().disbursementsOf({ orderId })).toHaveLength(1);
    await expect(
      pay().requestOrderRefund({ ...req, purposeKey: `refund:order:${orderId}:extra`, amount: 100 }),
    ).rejects.toMatchObject({ code: 'REFUND_EXCEEDS_PAYMENT' });
    // Undo the test-only refund request so the ledger stays matched to the orders.
    await t.handle.db.execute(`delete from payment_disbursements where order_id = '${orderId}'`);
    await t.handle.db.execute(`delete from jobs where kind = 'payments.send'`);
  });

  it('an admin retries a refund that ran out of attempts; only failed refunds', async () => {
    const { buyer, orderId } = await paidCheckout();
    await api('POST', `/api/v1/orders/${orderId}/cancel`, buyer.auth, {});
    await jobs().drain();
    const [d] = await pay().disbursementsOf({ orderId });
    const early = await api('POST', `/api/v1/admin/payments/refunds/${d!.id}/retry`, admin.auth, {
      reason: 'x',
    });
    expect(early.statusCode).toBe(409);
    await t.handle.db.execute(`update payment_disbursements set attempts = 5 where id = '${d!.id}'`);
    await t.handle.db.execute(
      `update payment_simulator_txns set outcome = 'wrong_pin' where reference = '${d!.reference}'`,
    );
    await elapse(5);
    expect((await pay().disbursement(d!.id))!.status).toBe('failed');
    expect(
      (await api('POST', `/api/v1/admin/payments/refunds/${d!.id}/retry`, buyer.auth, { reason: 'x' }))
        .statusCode,
    ).toBe(403);
    expect(
      (await api('POST', `/api/v1/admin/payments/refunds/${d!.id}/retry`, admin.auth, {})).statusCode,
    ).toBe(400);
    const ok = await api('POST', `/api/v1/admin/payments/refunds/${d!.id}/retry`, admin.auth, {
      reason: 'buyer called support',
    });
    expect(ok.statusCode, ok.body).toBe(200);
    await jobs().drain();
    await elapse(5);
    expect((await pay().disbursement(d!.id))!.status).toBe('succeeded');
  });
});
