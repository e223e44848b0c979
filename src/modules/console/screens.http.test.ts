import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type ConsoleSession,
  consoleSignIn,
  deliveredOrder,
  disputeOf,
  paidOrder,
  pendingKycSeller,
  rowsOf,
  submittedProduct,
} from '../../../test/support/console.js';
import { type Actor, category, verifiedSeller } from '../../../test/support/fixtures.js';

// The console's screens over HTTP: each action goes through the module's own command (the row
// changes, one audit row with the reason), bad input is refused with nothing written, and what
// sellers and buyers typed is shown inert.

const EVIL = '<script>alert(1)</script>"onmouseover=alert(2) x="';
let t: TestApp;
let admin: ConsoleSession;
let apiAdmin: Actor;
let second: ConsoleSession;
let secondId: string;
let seller: Actor;
let cat: string;

beforeAll(async () => {
  // Four eyes above TZS 15,000 (minor units), so a TZS 20,000 payout needs a second admin.
  // Long session limits: these tests move the clock (queue ages, sign-ins); console.http.test.ts tests the limits.
  t = await createTestApp({
    FOUR_EYES_ABOVE_MINOR: '1500000',
    PAYOUT_HOLD_HOURS_AFTER_PHONE_CHANGE: '0',
    CONSOLE_IDLE_MINUTES: '1440',
    CONSOLE_ABSOLUTE_HOURS: '168',
  });
  apiAdmin = await t.loginAdmin('+255754910001');
  admin = await consoleSignIn(t, '+255754910001');
  secondId = (await t.app.services.identity.governance.createAdmin('+255754910002')).user.id;
  second = await consoleSignIn(t, '+255754910002');
  seller = await verifiedSeller(t, apiAdmin, `Duka ${EVIL}`);
  cat = await category(t, apiAdmin, 'Console goods');
});
afterAll(() => t.close());

const one = async <T>(q: ReturnType<typeof sql>) => (await rowsOf<T>(t, q))[0] as T;
const auditRows = (action: string, targetId: string) =>
  rowsOf<{ actor_user_id: string; reason: string }>(
    t,
    sql`select actor_user_id, reason from audit_events where action = ${action} and target_id = ${targetId}`,
  );

/** Markup from user input must never come back live: no tag, no attribute breaking out of its quotes. */
function expectInert(body: string) {
  expect(body).not.toContain('<script>alert(1)');
  expect(body).not.toMatch(/"onmouseover=/);
  expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover&#61;alert(2)');
}

describe('home', () => {
  it('counts each queue with its oldest item, linking to its screen', async () => {
    await pendingKycSeller(t, 'Queue Duka');
    t.clock.advanceSeconds(3 * 3600);
    const res = await admin.get('/admin');
    expect(res.statusCode).toBe(200);
    const row = /<tr data-queue="kyc">(.*?)<\/tr>/s.exec(res.body)![1]!;
    expect(row).toContain('href="/admin/kyc"');
    const count = Number(/class="num count">(\d+)</.exec(row)![1]);
    const pending = await one<{ n: number }>(
      sql`select count(*)::int as n from kyc_submissions where status = 'pending'`,
    );
    expect(count).toBe(pending.n);
    expect(row).toMatch(/>3 h</);
    for (const key of ['products', 'disputes', 'refunds', 'payouts', 'dispatch', 'accept', 'riders'])
      expect(res.body).toContain(`data-queue="${key}"`);
  });
});

describe('KYC', () => {
  it('shows the documents inline through the console media route, and verifies with a reason (audited)', async () => {
    const k = await pendingKycSeller(t, `KYC ${EVIL}`);
    const list = await admin.get('/admin/kyc');
    expect(list.body).toContain(`/admin/kyc/${k.submissionId}`);
    expectInert(list.body);
    const page = await admin.get(`/admin/kyc/${k.submissionId}`);
    expect(page.body).toContain(`<img src="/admin/media/${k.documentId}"`);
    expectInert(page.body);
    const img = await admin.get(`/admin/media/${k.documentId}`);
    expect(img.statusCode).toBe(200);
    expect(img.headers['content-type']).toBe('image/png');

    const noReason = await admin.post(`/admin/kyc/${k.submissionId}/approve`, { reason: '' });
    expect(noReason.statusCode).toBe(422);
    expect(await one(sql`select status from kyc_submissions where id = ${k.submissionId}`)).toEqual({
      status: 'pending',
    });

    const ok = await admin.post(`/admin/kyc/${k.submissionId}/approve`, { reason: 'ID matches the photo' });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/admin/kyc?done=approved');
    expect(await one(sql`select status from kyc_submissions where id = ${k.submissionId}`)).toEqual({
      status: 'verified',
    });
    const again = await admin.post(`/admin/kyc/${k.submissionId}/reject`, { reason: 'changed my mind' });
    expect(again.statusCode).toBe(409);
    expect((await admin.get('/admin/kyc?done=approved')).body).toContain('Approved.');
  });

  it('rejects with the reason the seller will see', async () => {
    const k = await pendingKycSeller(t, 'Blurry Duka');
    expect(
      (await admin.post(`/admin/kyc/${k.submissionId}/reject`, { reason: 'photo is blurry' })).statusCode,
    ).toBe(303);
    expect(
      await one(sql`select status, rejection_reason from kyc_submissions where id = ${k.submissionId}`),
    ).toEqual({
      status: 'rejected',
      rejection_reason: 'photo is blurry',
    });
  });
});

describe('catalog', () => {
  it('shows a product with its images inert, verifies image and product through the catalog commands', async () => {
    const p = await submittedProduct(t, seller, cat, `Kanga ${EVIL}`);
    const queue = await admin.get('/admin/catalog');
    expect(queue.body).toContain(`/admin/catalog/products/${p.id}`);
    expectInert(queue.body);
    const page = await admin.get(`/admin/catalog/products/${p.id}`);
    expect(page.statusCode).toBe(200);
    expectInert(page.body);
    // The seller's shop name is shown too, escaped.
    expect(/class="seller-name">([^<]*)</.exec(page.body)![1]).toContain('Duka &lt;script&gt;');
    expect(page.body).toContain(`/admin/media/${p.image}`);

    expect(
      (await admin.post(`/admin/catalog/products/${p.id}/media/${p.image}/verify`, { reason: 'clear photo' }))
        .statusCode,
    ).toBe(303);
    const rejectNoReason = await admin.post(`/admin/catalog/products/${p.id}/reject`, { reason: ' ' });
    expect(rejectNoReason.statusCode).toBe(422);
    const ok = await admin.post(`/admin/catalog/products/${p.id}/verify`, { reason: 'looks right' });
    expect(ok.statusCode, ok.body).toBe(303);
    expect(await one(sql`select status from products where id = ${p.id}`)).toEqual({ status: 'verified' });
    const audit = await auditRows('product.verified', p.id);
    expect(audit).toEqual([{ actor_user_id: apiAdmin.userId, reason: 'looks right' }]);
  });

  it('adds a category and a brand; refuses an empty name with nothing written', async () => {
    expect(
      (await admin.post('/admin/catalog/categories', { name: 'Console shoes', parent_id: '' })).statusCode,
    ).toBe(303);
    expect(await one(sql`select count(*)::int as n from categories where name = 'Console shoes'`)).toEqual({
      n: 1,
    });
    expect(
      (await admin.post('/admin/catalog/categories', { name: 'Bad parent', parent_id: 'nope' })).statusCode,
    ).toBe(422);
    expect((await admin.post('/admin/catalog/brands', { name: '' })).statusCode).toBe(422);
  });
});

describe('promotions', () => {
  const form = {
    name: 'Console 10%',
    value_type: 'percentage',
    percent: '10',
    cap: '',
    amount: '',
    scope_type: 'all',
    scope_id: '',
    starts_at: '2026-11-25T08:00',
    ends_at: '2026-12-31T23:00',
    priority: '3',
    budget: '250000',
    per_buyer_limit: '',
    active: 'on',
  };

  it('creates one from the form (Dar es Salaam times, shillings to minor units), shows budget and burn, switches it off', async () => {
    const res = await admin.post('/admin/promotions', form);
    expect(res.statusCode, res.body).toBe(303);
    const row = await one<{
      id: string;
      budget_amount: number;
      percent_bp: number;
      starts_at: Date;
      active: boolean;
    }>(
      sql`select id, budget_amount::int as budget_amount, percent_bp, starts_at, active from promotions where name = 'Console 10%'`,
    );
    expect(row).toMatchObject({ budget_amount: 250_000_00, percent_bp: 1000, active: true });
    expect(new Date(row.starts_at).toISOString()).toBe('2026-11-25T05:00:00.000Z');
    const list = await admin.get('/admin/promotions');
    expect(list.body).toContain('TZS 250,000');
    const page = await admin.get(`/admin/promotions/${row.id}`);
    expect(/class="budget-left">([^<]*)</.exec(page.body)![1]).toBe('TZS 250,000');

    expect(
      (await admin.post(`/admin/promotions/${row.id}/edit`, { budget: '300000', reason: 'more room' }))
        .statusCode,
    ).toBe(303);
    expect(
      (await admin.post(`/admin/promotions/${row.id}/switch-off`, { reason: 'campaign over' })).statusCode,
    ).toBe(303);
    expect(
      await one(sql`select active, budget_amount::int as b from promotions where id = ${row.id}`),
    ).toEqual({ active: false, b: 300_000_00 });
    expect((await auditRows('promotion.updated', row.id)).map((r) => r.reason)).toEqual(
      expect.arrayContaining(['more room', 'campaign over']),
    );
  });

  it.each([
    ['budget', 'lots'],
    ['percent', '250'],
    ['ends_at', '2026-11-01T00:00'],
    ['name', ''],
  ])('refuses a bad %s (422) and writes nothing', async (field, value) => {
    const before = await one<{ n: number }>(sql`select count(*)::int as n from promotions`);
    const res = await admin.post('/admin/promotions', { ...form, name: `Bad ${field}`, [field]: value });
    expect(res.statusCode, res.body).toBe(422);
    expect(await one(sql`select count(*)::int as n from promotions`)).toEqual(before);
  });
});

describe('disputes', () => {
  it("shows both sides (the buyer's statement inert) and resolves a partial refund through the orders command", async () => {
    const p = await submittedProduct(t, seller, cat, 'Dispute radio');
    await t.app.services.catalog.products.reviewMedia(apiAdmin.userId, p.id, p.image, true);
    await t.app.services.catalog.products.act(apiAdmin.userId, p.id, 'verify');
    const { buyer, orderId } = await deliveredOrder(t, seller, p.skuIds[0]!);
    const disputeId = await disputeOf(t, buyer, orderId, `Broken ${EVIL}`);

    const page = await admin.get(`/admin/disputes/${disputeId}`);
    expect(page.statusCode).toBe(200);
    expectInert(page.body);
    expect(page.body).toMatch(/<h2>Buyer<\/h2>.*<img src="\/admin\/media\//s);

    const tooMuch = await admin.post(`/admin/disputes/${disputeId}/resolve`, {
      resolution: 'release_to_seller',
      amount: '5000',
      fault: 'none',
      reason: 'release with an amount',
    });
    expect(tooMuch.statusCode).toBe(422);
    const badAmount = await admin.post(`/admin/disputes/${disputeId}/resolve`, {
      resolution: 'partial_refund',
      amount: '50.5',
      fault: 'seller',
      reason: 'half',
    });
    expect(badAmount.statusCode).toBe(422);
    expect(await one(sql`select status from disputes where id = ${disputeId}`)).toEqual({ status: 'open' });

    const ok = await admin.post(`/admin/disputes/${disputeId}/resolve`, {
      resolution: 'partial_refund',
      amount: '5000',
      fault: 'seller',
      reason: 'one knob broken',
    });
    expect(ok.statusCode, ok.body).toBe(303);
    expect(
      await one(
        sql`select status, resolution, refund_amount::int as refund, resolution_note from disputes where id = ${disputeId}`,
      ),
    ).toEqual({
      status: 'resolved',
      resolution: 'partial_refund',
      refund: 5_000_00,
      resolution_note: 'one knob broken',
    });
    await t.app.services.jobs.drain();
    const refunds = await t.app.services.payments.service.disbursementsOf({ kind: 'refund', orderId });
    expect(refunds.map((r) => r.amount)).toEqual([5_000_00]);
    expect(await t.app.services.orders.service.reconcile()).toEqual([]);
  });
});

describe('four eyes on money', () => {
  it('holds a payout above the limit for a second admin: the requester cannot approve, the second executes it once', async () => {
    const p = await submittedProduct(t, seller, cat, 'Payout kitenge', 20_000_00);
    await t.app.services.catalog.products.reviewMedia(apiAdmin.userId, p.id, p.image, true);
    await t.app.services.catalog.products.act(apiAdmin.userId, p.id, 'verify');
    const { buyer, orderId } = await deliveredOrder(t, seller, p.skuIds[0]!);
    const confirm = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orders/${orderId}/confirm-receipt`,
      headers: buyer.auth,
      payload: {},
    });
    expect(confirm.statusCode, confirm.body).toBe(200);
    const phone = (await one<{ phone: string }>(sql`select phone from users where id = ${seller.userId}`))
      .phone;
    const payouts = () =>
      t.app.services.payments.service.disbursementsOf({ kind: 'payout', partyId: seller.userId });

    const asked = await admin.post('/admin/money/payouts', {
      party: 'seller',
      phone,
      reason: 'weekly payout',
    });
    expect(asked.statusCode, asked.body).toBe(303);
    expect(asked.headers.location).toBe('/admin/approvals?done=approval_requested');
    expect(await payouts()).toEqual([]);
    const approval = await one<{ id: string; amount: number; status: string }>(
      sql`select id, amount::int as amount, status from console_approvals where target_id = ${seller.userId}`,
    );
    expect(approval).toMatchObject({ status: 'pending' });
    expect(approval.amount).toBeGreaterThan(1_500_000);

    const mine = await admin.get('/admin/approvals');
    expect(mine.body).toContain('waiting for a second admin');
    const self = await admin.post(`/admin/approvals/${approval.id}/approve`, {});
    expect(self.statusCode).toBe(403);
    expect(await payouts()).toEqual([]);
    expect(await one(sql`select status from console_approvals where id = ${approval.id}`)).toEqual({
      status: 'pending',
    });

    const ok = await second.post(`/admin/approvals/${approval.id}/approve`, {});
    expect(ok.statusCode, ok.body).toBe(303);
    const paid = await payouts();
    expect(paid).toHaveLength(1);
    expect(paid[0]!.amount).toBe(approval.amount);
    expect(
      await one(sql`select status, decided_by from console_approvals where id = ${approval.id}`),
    ).toEqual({
      status: 'executed',
      decided_by: secondId,
    });
    const twice = await second.post(`/admin/approvals/${approval.id}/approve`, {});
    expect(twice.statusCode).toBe(409);
    expect(await payouts()).toHaveLength(1);
    // The payout's own audit row names the approving admin and carries the reason.
    const audit = await rowsOf(
      t,
      sql`select actor_user_id, reason from audit_events where action = 'payout.requested' and target_id = ${seller.userId}`,
    );
    expect(audit).toHaveLength(1);
    expect((audit[0] as { reason: string }).reason).toContain('weekly payout');
  });

  it('the table itself refuses a self-approval', async () => {
    await expect(
      rowsOf(
        t,
        sql`insert into console_approvals (id, kind, target_id, amount, reason, requested_by, requested_at, status, decided_by)
            values (gen_random_uuid(), 'payout', gen_random_uuid(), 1, 'x', ${apiAdmin.userId}, now(), 'executed', ${apiAdmin.userId})`,
      ),
    ).rejects.toThrow();
  });
});

describe('people', () => {
  it('finds a user by phone, bans and reinstates with a reason through governance (audited)', async () => {
    const buyer = await t.login('+255754930001');
    const found = await admin.get('/admin/people?phone=0754930001');
    expect(found.statusCode).toBe(200);
    expect(found.body).toContain(`/admin/people/${buyer.userId}`);
    expect((await admin.get('/admin/people?phone=not-a-phone')).statusCode).toBe(422);

    expect((await admin.post(`/admin/people/${buyer.userId}/ban`, { reason: '' })).statusCode).toBe(422);
    expect(await one(sql`select status from users where id = ${buyer.userId}`)).toEqual({ status: 'active' });
    expect((await admin.post(`/admin/people/${buyer.userId}/ban`, { reason: 'fraud ring' })).statusCode).toBe(
      303,
    );
    expect(await one(sql`select status from users where id = ${buyer.userId}`)).toEqual({ status: 'banned' });
    // The ban ends the user's API sessions too (identity's own rule).
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: buyer.auth })).statusCode).toBe(
      403,
    );
    const page = await admin.get(`/admin/people/${buyer.userId}`);
    expect(/class="user-status">([^<]*)</.exec(page.body)![1]).toContain('banned');
    expect(
      (await admin.post(`/admin/people/${buyer.userId}/reinstate`, { reason: 'cleared' })).statusCode,
    ).toBe(303);
    expect(await one(sql`select status from users where id = ${buyer.userId}`)).toEqual({ status: 'active' });
    expect((await auditRows('user.banned', buyer.userId)).map((r) => r.reason)).toEqual(['fraud ring']);
  });
});

describe('orders', () => {
  it('finds an order by buyer phone and status, shows its timeline, payments and ledger, and cancels it with a reason', async () => {
    // Below the four-eyes limit, so the cancellation runs at once (four-eyes.http.test.ts holds a dearer one).
    const p = await submittedProduct(t, seller, cat, 'Order lamp', 5_000_00);
    await t.app.services.catalog.products.reviewMedia(apiAdmin.userId, p.id, p.image, true);
    await t.app.services.catalog.products.act(apiAdmin.userId, p.id, 'verify');
    const { buyer, orderId } = await paidOrder(t, p.skuIds[0]!);
    const { phone } = await one<{ phone: string }>(sql`select phone from users where id = ${buyer.userId}`);

    const byBuyer = await admin.get(`/admin/orders?buyer=${encodeURIComponent(phone)}&status=paid`);
    expect(byBuyer.statusCode).toBe(200);
    expect(byBuyer.body).toContain(`/admin/orders/${orderId}`);
    const otherStatus = await admin.get(`/admin/orders?buyer=${encodeURIComponent(phone)}&status=completed`);
    expect(otherStatus.body).not.toContain(`/admin/orders/${orderId}`);
    expect((await admin.get(`/admin/orders?id=${orderId}`)).body).toContain(`/admin/orders/${orderId}`);
    expect((await admin.get('/admin/orders?status=nonsense')).statusCode).toBe(422);
    expect((await admin.get('/admin/orders?from=yesterday')).statusCode).toBe(422);
    const today = await admin.get('/admin/orders?from=2026-11-20&to=2026-12-31');
    expect(today.body).toContain(`/admin/orders/${orderId}`);

    const detail = await admin.get(`/admin/orders/${orderId}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toContain('ESCROW_HOLD');
    expect(/class="order-status">([^<]*)</.exec(detail.body)![1]).toBe('paid');

    expect((await admin.post(`/admin/orders/${orderId}/cancel`, { reason: '' })).statusCode).toBe(422);
    expect(
      (await admin.post(`/admin/orders/${orderId}/return-received`, { reason: 'nothing to return' }))
        .statusCode,
    ).toBe(409);
    const ok = await admin.post(`/admin/orders/${orderId}/cancel`, { reason: 'seller closed for Eid' });
    expect(ok.statusCode, ok.body).toBe(303);
    expect(await one(sql`select status from orders where id = ${orderId}`)).toEqual({ status: 'cancelled' });
    const event = await one<{ note: string; actor_role: string }>(
      sql`select note, actor_role from order_events where order_id = ${orderId} and event = 'cancel'`,
    );
    expect(event).toEqual({ note: 'seller closed for Eid', actor_role: 'admin' });
    expect(await t.app.services.orders.service.reconcile()).toEqual([]);
  });
});

describe('analytics', () => {
  it('shows unit economics first and the same figures the analytics module computes, with server-drawn charts', async () => {
    const res = await admin.get('/admin/analytics?from=2026-01-01&to=2026-12-31&grain=month');
    expect(res.statusCode).toBe(200);
    const body = res.body;
    const expected = await t.app.services.analytics.page({
      from: '2026-01-01',
      to: '2026-12-31',
      grain: 'month',
    });
    expect(body.indexOf('Unit economics')).toBeGreaterThan(-1);
    expect(body.indexOf('Unit economics')).toBeLessThan(body.indexOf('The marketplace'));
    // A figure's cell holds its number, as a link to its orders where it has them.
    const cell = (name: string) =>
      body.match(new RegExp(`data-figure="${name}">(.*?)</td>`))?.[1]?.replace(/<[^>]*>/g, '');
    expect(body).toMatch(
      /data-figure="orders"><a href="\/admin\/analytics\/orders\?[^"]*figure&#61;orders[^"]*" data-drill="orders">/,
    );
    expect(cell('orders')).toBe(String(expected.summary.totals.orders));
    expect(cell('contribution')).toContain(
      String(Math.trunc(Math.abs(expected.unit_economics.total.contribution) / 100)).replace(
        /\B(?=(\d{3})+(?!\d))/g,
        ',',
      ),
    );
    const charts = [...body.matchAll(/src="data:image\/svg\+xml;base64,([^"]+)"/g)].map((m) =>
      Buffer.from(m[1]!, 'base64').toString('utf8'),
    );
    expect(charts).toHaveLength(3);
    for (const svg of charts) expect(svg.trim().startsWith('<svg')).toBe(true);
    // Top tables and cohorts: the module's rows, in its order, the seller's name escaped.
    expect(expected.top.sellers.length).toBeGreaterThan(0);
    expect(body.match(/data-row="top-seller"/g)).toHaveLength(expected.top.sellers.length);
    expect(body.match(/data-row="top-product"/g)).toHaveLength(expected.top.products.length);
    expect(body.match(/data-row="cohort"/g)).toHaveLength(expected.cohorts.length);
    expect(body.indexOf('Top sellers')).toBeGreaterThan(body.indexOf('By period'));
    expectInert(body.slice(body.indexOf('Top sellers')));
    expect(body).not.toMatch(/<script(?![^>]*src=)/);
  });

  it('a filter the module refuses is shown on the page, never a 500', async () => {
    const res = await admin.get('/admin/analytics?from=2026-12-31&to=2026-01-01');
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.body).toContain('data-error=');
    const junk = await admin.get('/admin/analytics?grain=yearly&seller=not-a-uuid&from=yesterday');
    expect(junk.statusCode).toBe(200);
  });
});
