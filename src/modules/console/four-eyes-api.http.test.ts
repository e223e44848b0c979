import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  deliveredOrder,
  disputeOf,
  paidOrder,
  rowsOf,
  submittedProduct,
} from '../../../test/support/console.js';
import { type Actor, category, verifiedSeller } from '../../../test/support/fixtures.js';

// Four eyes through the admin API: the payout, refund and order commands the console gates were run
// by the API for one admin at any amount. Above FOUR_EYES_ABOVE_MINOR they now answer 202 with a
// pending approval and move no money; a second admin approves it over the API
// (/api/v1/admin/approvals) and the command runs once; below the limit they run as before.

let t: TestApp;
let first: Actor;
let second: Actor;
let seller: Actor;
let cat: string;

beforeAll(async () => {
  // Above TZS 15,000: a TZS 20,000 item needs a second admin; TZS 5,000 does not.
  t = await createTestApp({
    FOUR_EYES_ABOVE_MINOR: '1500000',
    PAYOUT_HOLD_HOURS_AFTER_PHONE_CHANGE: '0',
    PAYOUT_MINIMUM: '100',
  });
  first = await t.loginAdmin('+255754940001');
  second = await t.loginAdmin('+255754940002');
  seller = await verifiedSeller(t, first, 'Duka la Macho Manne');
  cat = await category(t, first, 'Four eyes API goods');
});
afterAll(() => t.close());

const api = (who: Actor | null, method: 'GET' | 'POST', url: string, payload?: object) =>
  t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: who ? who.auth : {},
    ...(payload ? { payload } : {}),
  });
const one = async <T>(q: ReturnType<typeof sql>) => (await rowsOf<T>(t, q))[0] as T;
const approvalsOf = (targetId: string) =>
  rowsOf<{ id: string; kind: string; amount: number; status: string }>(
    t,
    sql`select id, kind, amount::int as amount, status from console_approvals where target_id = ${targetId} order by requested_at`,
  );

async function sku(title: string, price: number) {
  const p = await submittedProduct(t, seller, cat, title, price);
  await t.app.services.catalog.products.reviewMedia(first.userId, p.id, p.image, true);
  await t.app.services.catalog.products.act(first.userId, p.id, 'verify');
  return p.skuIds[0]!;
}

async function completedSale(price: number) {
  const { buyer, orderId } = await deliveredOrder(
    t,
    seller,
    await sku(`Sale ${price} ${Math.random()}`, price),
  );
  const ok = await api(buyer, 'POST', `/orders/${orderId}/confirm-receipt`, {});
  expect(ok.statusCode, ok.body).toBe(200);
}

const payoutsOf = (partyId: string) =>
  t.app.services.payments.service.disbursementsOf({ kind: 'payout', partyId });

describe('four eyes on the admin API', () => {
  it('a payout above the limit waits (202, nothing sent); its requester cannot approve; a second admin pays it once', async () => {
    await completedSale(20_000_00);
    const asked = await api(first, 'POST', '/admin/payments/payouts', {
      seller_id: seller.userId,
      reason: 'weekly payout',
    });
    expect(asked.statusCode, asked.body).toBe(202);
    const body = asked.json();
    expect(body).toMatchObject({ kind: 'payout', target_id: seller.userId, status: 'pending' });
    expect(body.amount).toBeGreaterThan(1_500_000);
    expect(await payoutsOf(seller.userId)).toEqual([]);

    // The same subject cannot be queued twice, from either door.
    const again = await api(second, 'POST', '/admin/payments/payouts', {
      seller_id: seller.userId,
      reason: 'me too',
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('APPROVAL_ALREADY_OPEN');

    const listed = await api(second, 'GET', '/admin/approvals');
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items.map((a: { id: string }) => a.id)).toContain(body.approval_id);

    const self = await api(first, 'POST', `/admin/approvals/${body.approval_id}/approve`);
    expect(self.statusCode).toBe(403);
    expect(self.json().code).toBe('SELF_APPROVAL_FORBIDDEN');
    expect(await payoutsOf(seller.userId)).toEqual([]);

    const ok = await api(second, 'POST', `/admin/approvals/${body.approval_id}/approve`);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'executed', decided_by: second.userId });
    const paid = await payoutsOf(seller.userId);
    expect(paid).toHaveLength(1);
    expect(paid[0]!.amount).toBe(body.amount);

    const twice = await api(second, 'POST', `/admin/approvals/${body.approval_id}/approve`);
    expect(twice.statusCode).toBe(409);
    expect(await payoutsOf(seller.userId)).toHaveLength(1);
  });

  it('a payout within the limit runs at once (201), as before', async () => {
    const small = await verifiedSeller(t, first, 'Duka Dogo');
    const p = await submittedProduct(t, small, cat, 'Small sale', 5_000_00);
    await t.app.services.catalog.products.reviewMedia(first.userId, p.id, p.image, true);
    await t.app.services.catalog.products.act(first.userId, p.id, 'verify');
    const { buyer, orderId } = await deliveredOrder(t, small, p.skuIds[0]!);
    expect((await api(buyer, 'POST', `/orders/${orderId}/confirm-receipt`, {})).statusCode).toBe(200);
    const r = await api(first, 'POST', '/admin/payments/payouts', {
      seller_id: small.userId,
      reason: 'small',
    });
    expect(r.statusCode, r.body).toBe(201);
    expect(await approvalsOf(small.userId)).toEqual([]);
  });

  it('a full dispute refund above the limit waits; the dispute stays open until a second admin approves', async () => {
    const { buyer, orderId } = await deliveredOrder(t, seller, await sku('Dispute radio', 20_000_00));
    const disputeId = await disputeOf(t, buyer, orderId, 'It arrived broken');
    const asked = await api(first, 'POST', `/admin/disputes/${disputeId}/resolve`, {
      resolution: 'full_refund',
      note: 'dead on arrival',
      fault: 'seller',
    });
    expect(asked.statusCode, asked.body).toBe(202);
    expect(asked.json()).toMatchObject({ kind: 'dispute_refund', target_id: disputeId });
    expect(await one(sql`select status from disputes where id = ${disputeId}`)).toEqual({ status: 'open' });
    expect(await t.app.services.payments.service.disbursementsOf({ kind: 'refund', orderId })).toEqual([]);

    const ok = await api(second, 'POST', `/admin/approvals/${asked.json().approval_id}/approve`);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(await one(sql`select status, resolution from disputes where id = ${disputeId}`)).toEqual({
      status: 'resolved',
      resolution: 'full_refund',
    });
  });

  it('a bad dispute resolution is refused before anything is asked (422), a release never waits', async () => {
    const { buyer, orderId } = await deliveredOrder(t, seller, await sku('Dispute lamp', 20_000_00));
    const disputeId = await disputeOf(t, buyer, orderId, 'Wrong colour');
    const noFault = await api(first, 'POST', `/admin/disputes/${disputeId}/resolve`, {
      resolution: 'full_refund',
      note: 'no fault given',
    });
    expect(noFault.statusCode).toBe(422);
    expect(noFault.json().code).toBe('FAULT_REQUIRED');
    const tooMuch = await api(first, 'POST', `/admin/disputes/${disputeId}/resolve`, {
      resolution: 'partial_refund',
      amount: 30_000_00,
      note: 'more than paid',
      fault: 'seller',
    });
    expect(tooMuch.statusCode).toBe(422);
    expect(tooMuch.json().code).toBe('INVALID_REFUND_AMOUNT');
    expect(await approvalsOf(disputeId)).toEqual([]);
    const release = await api(first, 'POST', `/admin/disputes/${disputeId}/resolve`, {
      resolution: 'release_to_seller',
      note: 'the colour is as listed',
    });
    expect(release.statusCode, release.body).toBe(200);
    expect(await approvalsOf(disputeId)).toEqual([]);
  });

  it('a paid order’s cancellation above the limit waits; a second admin cancels it with the refund', async () => {
    const { orderId } = await paidOrder(t, await sku('Cancelled fridge', 20_000_00));
    const asked = await api(first, 'POST', `/admin/orders/${orderId}/cancel`, {
      reason: 'seller gone quiet',
    });
    expect(asked.statusCode, asked.body).toBe(202);
    expect(asked.json()).toMatchObject({ kind: 'order_refund', target_id: orderId });
    expect(await one(sql`select status from orders where id = ${orderId}`)).toEqual({ status: 'paid' });
    const ok = await api(second, 'POST', `/admin/approvals/${asked.json().approval_id}/approve`);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(await one(sql`select status from orders where id = ${orderId}`)).toEqual({ status: 'cancelled' });
  });

  it('a cancellation within the limit runs at once (200)', async () => {
    const { orderId } = await paidOrder(t, await sku('Small cancel', 5_000_00));
    const r = await api(first, 'POST', `/admin/orders/${orderId}/cancel`, { reason: 'buyer asked by phone' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().status).toBe('cancelled');
    expect(await approvalsOf(orderId)).toEqual([]);
  });

  it('a failed refund’s retry above the limit waits; a second admin sends it again', async () => {
    const { buyer, orderId } = await paidOrder(t, await sku('Refunded cooker', 20_000_00));
    expect((await api(buyer, 'POST', `/orders/${orderId}/cancel`, {})).statusCode).toBe(200);
    await t.app.services.jobs.drain();
    const pay = t.app.services.payments.service;
    const [d] = await pay.disbursementsOf({ kind: 'refund', orderId });
    // The provider refuses every attempt until the refund has used them all.
    await t.handle.db.execute(sql`update payment_disbursements set attempts = 5 where id = ${d!.id}`);
    await t.handle.db.execute(
      sql`update payment_simulator_txns set outcome = 'wrong_pin' where reference = ${d!.reference}`,
    );
    t.clock.advanceSeconds(5);
    await t.app.services.jobs.drain();
    expect((await pay.disbursement(d!.id))!.status).toBe('failed');

    const asked = await api(first, 'POST', `/admin/payments/refunds/${d!.id}/retry`, {
      reason: 'buyer called',
    });
    expect(asked.statusCode, asked.body).toBe(202);
    expect(asked.json()).toMatchObject({ kind: 'refund_retry', target_id: d!.id, amount: d!.amount });
    expect((await pay.disbursement(d!.id))!).toMatchObject({ status: 'failed', attempts: 5 });
    const ok = await api(second, 'POST', `/admin/approvals/${asked.json().approval_id}/approve`);
    expect(ok.statusCode, ok.body).toBe(200);
    expect((await pay.disbursement(d!.id))!.status).not.toBe('failed');
    // Not a refund: no gate to pass, a 404.
    const payout = await api(first, 'POST', `/admin/payments/refunds/${crypto.randomUUID()}/retry`, {
      reason: 'nothing there',
    });
    expect(payout.statusCode).toBe(404);
  });

  it('only its requester withdraws, with a reason; bad ids and wrong roles are refused', async () => {
    const { orderId } = await paidOrder(t, await sku('Withdrawn cancel', 20_000_00));
    const asked = await api(first, 'POST', `/admin/orders/${orderId}/cancel`, { reason: 'to be withdrawn' });
    expect(asked.statusCode).toBe(202);
    const id = asked.json().approval_id as string;
    const notMine = await api(second, 'POST', `/admin/approvals/${id}/withdraw`, { reason: 'not mine' });
    expect(notMine.statusCode).toBe(403);
    expect(notMine.json().code).toBe('NOT_YOUR_REQUEST');
    const noReason = await api(first, 'POST', `/admin/approvals/${id}/withdraw`, {});
    expect(noReason.statusCode).toBe(400);
    const ok = await api(first, 'POST', `/admin/approvals/${id}/withdraw`, { reason: 'the seller answered' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().status).toBe('withdrawn');
    expect(await one(sql`select status from orders where id = ${orderId}`)).toEqual({ status: 'paid' });

    expect((await api(first, 'POST', '/admin/approvals/not-a-uuid/approve')).statusCode).toBe(400);
    const missing = await api(first, 'POST', `/admin/approvals/${crypto.randomUUID()}/approve`);
    expect(missing.statusCode).toBe(404);
    expect((await api(first, 'GET', '/admin/approvals?status=nonsense')).statusCode).toBe(400);
    expect((await api(null, 'GET', '/admin/approvals')).statusCode).toBe(401);
    expect((await api(seller, 'GET', '/admin/approvals')).statusCode).toBe(403);
    expect((await api(seller, 'POST', `/admin/approvals/${id}/approve`)).statusCode).toBe(403);
  });
});
