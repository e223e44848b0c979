import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type ConsoleSession,
  consoleSignIn,
  deliveredOrder,
  disputeOf,
  paidOrder,
  rowsOf,
  submittedProduct,
} from '../../../test/support/console.js';
import { type Actor, category, verifiedSeller } from '../../../test/support/fixtures.js';

// Four eyes beyond payouts: a dispute refund (full or partial) or an order cancellation that pays
// back more than FOUR_EYES_ABOVE_MINOR waits for a second admin; its requester cannot approve it but
// may withdraw it; a subject has one open request at a time; nothing moves until the approval runs.

let t: TestApp;
let admin: ConsoleSession;
let apiAdmin: Actor;
let second: ConsoleSession;
let secondId: string;
let seller: Actor;
let cat: string;

beforeAll(async () => {
  // Above TZS 15,000: a TZS 20,000 item (plus delivery) needs a second admin; TZS 5,000 does not.
  t = await createTestApp({
    FOUR_EYES_ABOVE_MINOR: '1500000',
    CONSOLE_IDLE_MINUTES: '1440',
    CONSOLE_ABSOLUTE_HOURS: '168',
  });
  apiAdmin = await t.loginAdmin('+255754920001');
  admin = await consoleSignIn(t, '+255754920001');
  secondId = (await t.app.services.identity.governance.createAdmin('+255754920002')).user.id;
  second = await consoleSignIn(t, '+255754920002');
  seller = await verifiedSeller(t, apiAdmin, 'Four Eyes Duka');
  cat = await category(t, apiAdmin, 'Four eyes goods');
});
afterAll(() => t.close());

const one = async <T>(q: ReturnType<typeof sql>) => (await rowsOf<T>(t, q))[0] as T;
const approvalOf = (targetId: string) =>
  rowsOf<{ id: string; kind: string; amount: number; status: string; details: unknown }>(
    t,
    sql`select id, kind, amount::int as amount, status, details from console_approvals where target_id = ${targetId} order by requested_at`,
  );
const refundsOf = (orderId: string) =>
  t.app.services.payments.service.disbursementsOf({ kind: 'refund', orderId });

async function verifiedSku(title: string, price = 20_000_00) {
  const p = await submittedProduct(t, seller, cat, title, price);
  await t.app.services.catalog.products.reviewMedia(apiAdmin.userId, p.id, p.image, true);
  await t.app.services.catalog.products.act(apiAdmin.userId, p.id, 'verify');
  return p.skuIds[0]!;
}

async function openDispute(title: string) {
  const { buyer, orderId } = await deliveredOrder(t, seller, await verifiedSku(title));
  return { buyer, orderId, disputeId: await disputeOf(t, buyer, orderId, 'It arrived broken') };
}

describe('four eyes on dispute refunds', () => {
  it('holds a full refund above the limit: the requester cannot approve, a second admin resolves it once', async () => {
    const { orderId, disputeId } = await openDispute('Four eyes radio');
    const form = { resolution: 'full_refund', amount: '', fault: 'seller', reason: 'radio dead on arrival' };

    const noCsrf = await admin.post(`/admin/disputes/${disputeId}/resolve`, form, { csrf: null });
    expect(noCsrf.statusCode).toBe(403);
    expect(await approvalOf(disputeId)).toEqual([]);

    const asked = await admin.post(`/admin/disputes/${disputeId}/resolve`, form);
    expect(asked.statusCode, asked.body).toBe(303);
    expect(asked.headers.location).toBe('/admin/approvals?done=approval_requested');
    const [a] = await approvalOf(disputeId);
    const paid = await one<{ n: number }>(
      sql`select (final_amount + delivery_fee)::int as n from orders where id = ${orderId}`,
    );
    expect(a).toMatchObject({
      kind: 'dispute_refund',
      status: 'pending',
      amount: paid.n,
      details: { resolution: 'full_refund', fault: 'seller' },
    });
    expect(await one(sql`select status from disputes where id = ${disputeId}`)).toEqual({ status: 'open' });
    expect(
      await one(
        sql`select count(*)::int as n from audit_events where action = 'approval.requested' and target_type = 'dispute' and target_id = ${disputeId}`,
      ),
    ).toEqual({ n: 1 });
    // The dispute's page says it waits, instead of offering the form again.
    const page = await admin.get(`/admin/disputes/${disputeId}`);
    expect(page.body).toContain(`data-approval="${a!.id}"`);
    expect(page.body).not.toContain(`action="/admin/disputes/${disputeId}/resolve"`);

    // One open request per subject, whoever asks.
    const again = await second.post(`/admin/disputes/${disputeId}/resolve`, {
      ...form,
      reason: 'me too',
    });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('already waits for a second admin');
    expect(await approvalOf(disputeId)).toHaveLength(1);

    const self = await admin.post(`/admin/approvals/${a!.id}/approve`, {});
    expect(self.statusCode).toBe(403);
    expect(await one(sql`select status from disputes where id = ${disputeId}`)).toEqual({ status: 'open' });

    const ok = await second.post(`/admin/approvals/${a!.id}/approve`, {});
    expect(ok.statusCode, ok.body).toBe(303);
    const d = await one<{ status: string; resolution: string; refund: number; resolved_by: string }>(
      sql`select status, resolution, refund_amount::int as refund, resolved_by from disputes where id = ${disputeId}`,
    );
    expect(d).toEqual({
      status: 'resolved',
      resolution: 'full_refund',
      refund: paid.n,
      resolved_by: secondId,
    });
    expect(await one(sql`select status, decided_by from console_approvals where id = ${a!.id}`)).toEqual({
      status: 'executed',
      decided_by: secondId,
    });
    expect((await second.post(`/admin/approvals/${a!.id}/approve`, {})).statusCode).toBe(409);
    await t.app.services.jobs.drain();
    expect((await refundsOf(orderId)).map((r) => r.amount)).toEqual([paid.n]);
    expect(await t.app.services.orders.service.reconcile()).toEqual([]);
  });

  it('holds a partial refund above the limit with its amount; one below the limit runs at once', async () => {
    const big = await openDispute('Four eyes speaker');
    const asked = await admin.post(`/admin/disputes/${big.disputeId}/resolve`, {
      resolution: 'partial_refund',
      amount: '16000',
      fault: 'rider',
      reason: 'speaker cracked',
    });
    // No rider carried it (the seller delivered): refused before anything waits.
    expect(asked.statusCode).toBe(422);
    expect(await approvalOf(big.disputeId)).toEqual([]);
    const ok = await admin.post(`/admin/disputes/${big.disputeId}/resolve`, {
      resolution: 'partial_refund',
      amount: '16000',
      fault: 'seller',
      reason: 'speaker cracked',
    });
    expect(ok.statusCode, ok.body).toBe(303);
    const [a] = await approvalOf(big.disputeId);
    expect(a).toMatchObject({
      status: 'pending',
      amount: 16_000_00,
      details: { resolution: 'partial_refund', amount: 16_000_00, fault: 'seller' },
    });
    expect((await second.post(`/admin/approvals/${a!.id}/approve`, {})).statusCode).toBe(303);
    expect(
      await one(
        sql`select resolution, refund_amount::int as refund from disputes where id = ${big.disputeId}`,
      ),
    ).toEqual({ resolution: 'partial_refund', refund: 16_000_00 });

    const small = await openDispute('Four eyes torch');
    const direct = await admin.post(`/admin/disputes/${small.disputeId}/resolve`, {
      resolution: 'partial_refund',
      amount: '5000',
      fault: 'seller',
      reason: 'scratched',
    });
    expect(direct.headers.location).toBe(`/admin/disputes/${small.disputeId}?done=resolved`);
    expect(await approvalOf(small.disputeId)).toEqual([]);
    // A resolved dispute: nothing to ask for any more.
    const closed = await admin.post(`/admin/disputes/${small.disputeId}/resolve`, {
      resolution: 'full_refund',
      fault: 'seller',
      reason: 'again',
    });
    expect(closed.statusCode).toBe(409);
    expect(await approvalOf(small.disputeId)).toEqual([]);
  });

  it.each<[Record<string, string>, number, string]>([
    [{ amount: '20001' }, 422, 'more than the goods cost'],
    [{ amount: '' }, 422, 'no amount'],
    [{ amount: 'lots' }, 422, 'not a number'],
    [{ fault: '' }, 422, 'no fault'],
    [{ reason: '' }, 422, 'no reason'],
  ])('refuses a partial refund with %o (%i, %s) and asks nobody', async (change, status) => {
    const { disputeId } = await openDispute('Four eyes bad input');
    const res = await admin.post(`/admin/disputes/${disputeId}/resolve`, {
      resolution: 'partial_refund',
      amount: '16000',
      fault: 'seller',
      reason: 'bad input',
      ...change,
    });
    expect(res.statusCode, res.body).toBe(status);
    expect(await approvalOf(disputeId)).toEqual([]);
    expect(await one(sql`select status from disputes where id = ${disputeId}`)).toEqual({ status: 'open' });
  });
});

describe('four eyes on order cancellations', () => {
  it('holds a paid order’s cancellation above the limit until a second admin approves it', async () => {
    const { orderId } = await paidOrder(t, await verifiedSku('Four eyes lamp'));
    const asked = await admin.post(`/admin/orders/${orderId}/cancel`, { reason: 'seller closed' });
    expect(asked.statusCode, asked.body).toBe(303);
    expect(asked.headers.location).toBe('/admin/approvals?done=approval_requested');
    const [a] = await approvalOf(orderId);
    expect(a).toMatchObject({ kind: 'order_refund', status: 'pending', details: { event: 'cancel' } });
    expect(await one(sql`select status from orders where id = ${orderId}`)).toEqual({ status: 'paid' });
    expect((await admin.get(`/admin/orders/${orderId}`)).body).toContain(`data-approval="${a!.id}"`);
    expect((await admin.post(`/admin/approvals/${a!.id}/approve`, {})).statusCode).toBe(403);

    const ok = await second.post(`/admin/approvals/${a!.id}/approve`, {});
    expect(ok.statusCode, ok.body).toBe(303);
    expect(await one(sql`select status from orders where id = ${orderId}`)).toEqual({ status: 'cancelled' });
    const event = await one<{ note: string; actor_user_id: string }>(
      sql`select note, actor_user_id from order_events where order_id = ${orderId} and event = 'cancel'`,
    );
    expect(event.actor_user_id).toBe(secondId);
    expect(event.note).toContain('seller closed');
    await t.app.services.jobs.drain();
    expect((await refundsOf(orderId)).map((r) => r.amount)).toEqual([a!.amount]);
    expect(await t.app.services.orders.service.reconcile()).toEqual([]);
  });

  it('runs a cancellation below the limit at once, and refuses one in the wrong state with nothing asked', async () => {
    const { orderId } = await paidOrder(t, await verifiedSku('Four eyes soap', 5_000_00));
    const ok = await admin.post(`/admin/orders/${orderId}/cancel`, { reason: 'buyer asked by phone' });
    expect(ok.headers.location).toBe(`/admin/orders/${orderId}?done=saved`);
    expect(await approvalOf(orderId)).toEqual([]);
    const delivered = await deliveredOrder(t, seller, await verifiedSku('Four eyes shoes'));
    const wrong = await admin.post(`/admin/orders/${delivered.orderId}/cancel`, { reason: 'too late' });
    expect(wrong.statusCode).toBe(409);
    expect(await approvalOf(delivered.orderId)).toEqual([]);
  });

  it('an approval whose order moved on fails, and the order is left as it is', async () => {
    const { orderId, buyer, api } = await paidOrder(t, await verifiedSku('Four eyes fan'));
    await admin.post(`/admin/orders/${orderId}/cancel`, { reason: 'suspected fraud' });
    const [a] = await approvalOf(orderId);
    expect((await api('POST', `/api/v1/seller/orders/${orderId}/accept`, seller.auth, {})).statusCode).toBe(
      200,
    );
    const late = await second.post(`/admin/approvals/${a!.id}/approve`, {});
    expect(late.statusCode).toBe(409);
    expect(await one(sql`select status from console_approvals where id = ${a!.id}`)).toEqual({
      status: 'failed',
    });
    expect(await one(sql`select status from orders where id = ${orderId}`)).toEqual({ status: 'accepted' });
    expect(buyer.userId).toBeTruthy();
  });
});

describe('withdrawing a request', () => {
  it('only its requester withdraws a pending request, with a reason (audited); then it can be asked again', async () => {
    const { orderId } = await paidOrder(t, await verifiedSku('Four eyes kettle'));
    await admin.post(`/admin/orders/${orderId}/cancel`, { reason: 'duplicate order' });
    const [a] = await approvalOf(orderId);
    const list = await admin.get('/admin/approvals');
    expect(list.body).toContain(`action="/admin/approvals/${a!.id}/withdraw"`);
    expect((await second.get('/admin/approvals')).body).not.toContain(
      `action="/admin/approvals/${a!.id}/withdraw"`,
    );

    expect((await second.post(`/admin/approvals/${a!.id}/withdraw`, { reason: 'not mine' })).statusCode).toBe(
      403,
    );
    expect((await admin.post(`/admin/approvals/${a!.id}/withdraw`, { reason: '' })).statusCode).toBe(422);
    expect(
      (await admin.post(`/admin/approvals/${a!.id}/withdraw`, { reason: 'x' }, { csrf: null })).statusCode,
    ).toBe(403);
    expect(await one(sql`select status from console_approvals where id = ${a!.id}`)).toEqual({
      status: 'pending',
    });

    const ok = await admin.post(`/admin/approvals/${a!.id}/withdraw`, { reason: 'buyer paid twice, kept' });
    expect(ok.statusCode, ok.body).toBe(303);
    expect(ok.headers.location).toBe('/admin/approvals?done=approval_withdrawn');
    expect(await one(sql`select status, decided_by from console_approvals where id = ${a!.id}`)).toEqual({
      status: 'withdrawn',
      decided_by: null,
    });
    expect(
      await rowsOf(
        t,
        sql`select actor_user_id, reason from audit_events where action = 'approval.withdrawn' and target_id = ${orderId}`,
      ),
    ).toEqual([{ actor_user_id: apiAdmin.userId, reason: 'buyer paid twice, kept' }]);
    // Withdrawn: it can be neither approved nor withdrawn again; the order did not move.
    expect((await second.post(`/admin/approvals/${a!.id}/approve`, {})).statusCode).toBe(409);
    expect((await admin.post(`/admin/approvals/${a!.id}/withdraw`, { reason: 'again' })).statusCode).toBe(
      409,
    );
    expect(await one(sql`select status from orders where id = ${orderId}`)).toEqual({ status: 'paid' });
    expect(
      (await admin.post('/admin/approvals/0b0f8f43-8c1e-4f8e-9b55-0a3c2b1d4e5f/withdraw', { reason: 'none' }))
        .statusCode,
    ).toBe(404);

    // The subject is free again: a new request is taken.
    expect(
      (await second.post(`/admin/orders/${orderId}/cancel`, { reason: 'fraud confirmed' })).statusCode,
    ).toBe(303);
    expect((await approvalOf(orderId)).map((r) => r.status)).toEqual(['withdrawn', 'pending']);
  });
});
