import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type ConsoleSession,
  consoleSignIn,
  deliveredOrder,
  paidOrder,
  rowsOf,
  submittedProduct,
} from '../../../test/support/console.js';
import { type Actor, category, verifiedSeller } from '../../../test/support/fixtures.js';

// Money beyond pay-now and retry: settling a payout only a provider callback reported failed (the
// payments module's resolvePayout: ledger reserve posted or voided, one audit row), every collection,
// and every callback received with its verdict (a forged one's body shown inert).

const TOKEN = 'cbtoken0123456789abcdefghijklmnopqrstuv';
const EVIL = '<script>alert(1)</script>"onmouseover=alert(2) x="';
let t: TestApp;
let admin: ConsoleSession;
let apiAdmin: Actor;
let seller: Actor;
let sku: string;

beforeAll(async () => {
  t = await createTestApp({
    FOUR_EYES_ABOVE_MINOR: '1000000000',
    PAYOUT_HOLD_HOURS_AFTER_PHONE_CHANGE: '0',
    PAYMENT_CALLBACK_TOKEN: TOKEN,
    CONSOLE_IDLE_MINUTES: '1440',
    CONSOLE_ABSOLUTE_HOURS: '168',
  });
  apiAdmin = await t.loginAdmin('+255754930001');
  admin = await consoleSignIn(t, '+255754930001');
  seller = await verifiedSeller(t, apiAdmin, 'Duka la Pesa');
  const cat = await category(t, apiAdmin, 'Money goods');
  const p = await submittedProduct(t, seller, cat, 'Payout kanga', 20_000_00);
  await t.app.services.catalog.products.reviewMedia(apiAdmin.userId, p.id, p.image, true);
  await t.app.services.catalog.products.act(apiAdmin.userId, p.id, 'verify');
  sku = p.skuIds[0]!;
});
afterAll(() => t.close());

const one = async <T>(q: ReturnType<typeof sql>) => (await rowsOf<T>(t, q))[0] as T;
const pay = () => t.app.services.payments.service;
const balance = async () =>
  (await t.app.inject({ method: 'GET', url: '/api/v1/seller/balance', headers: seller.auth })).json() as {
    available: number;
    in_payout: number;
  };

/** A completed sale, a payout run from the console, then a failure only the callback reported. */
async function payoutFailedByCallback() {
  const { buyer, orderId } = await deliveredOrder(t, seller, sku);
  const confirm = await t.app.inject({
    method: 'POST',
    url: `/api/v1/orders/${orderId}/confirm-receipt`,
    headers: buyer.auth,
    payload: {},
  });
  expect(confirm.statusCode, confirm.body).toBe(200);
  const phone = (await one<{ phone: string }>(sql`select phone from users where id = ${seller.userId}`))
    .phone;
  const run = await admin.post('/admin/money/payouts', { party: 'seller', phone, reason: 'weekly payout' });
  expect(run.statusCode, run.body).toBe(303);
  await t.app.services.jobs.drain();
  // Sent as far as we know; the provider's later callback says it failed.
  const latest = (await pay().disbursementsOf({ kind: 'payout', partyId: seller.userId }))[0]!;
  await pay().settleDisbursement(
    latest.id,
    {
      outcome: 'failed',
      providerRef: null,
      receipt: null,
      amount: null,
      msisdn: null,
      code: '2001',
      message: 'callback says failed',
    },
    'callback',
  );
  return latest;
}

describe('settling a payout a callback reported failed', () => {
  it('offers the form on the failed payout and releases it back to available, audited once', async () => {
    const p = await payoutFailedByCallback();
    const held = await balance();
    expect(held.in_payout).toBe(p.amount);
    const list = await admin.get('/admin/money?kind=payout&status=failed');
    expect(list.body).toContain(`action="/admin/money/payouts/${p.id}/resolve"`);

    const url = `/admin/money/payouts/${p.id}/resolve`;
    // Refusals first: nothing may move.
    expect((await admin.post(url, { sent: 'no', reason: '' })).statusCode).toBe(422);
    expect((await admin.post(url, { sent: 'maybe', reason: 'statement checked' })).statusCode).toBe(422);
    expect(
      (await admin.post(url, { sent: 'no', receipt: 'R'.repeat(41), reason: 'statement checked' }))
        .statusCode,
    ).toBe(422);
    expect(
      (await admin.post(url, { sent: 'no', reason: 'statement checked' }, { csrf: null })).statusCode,
    ).toBe(403);
    expect(await balance()).toEqual(held);
    const audits = () =>
      rowsOf<{ reason: string }>(
        t,
        sql`select reason from audit_events where action in ('payout.released', 'payout.confirmed_sent') and data->>'disbursement_id' = ${p.id}`,
      );
    expect(await audits()).toEqual([]);

    const ok = await admin.post(url, { sent: 'no', reason: 'not on the M-Pesa statement' });
    expect(ok.statusCode, ok.body).toBe(303);
    expect(ok.headers.location).toBe('/admin/money?kind=payout&done=payout_resolved');
    expect(await balance()).toMatchObject({ available: held.available + p.amount, in_payout: 0 });
    expect(await audits()).toEqual([{ reason: 'not on the M-Pesa statement' }]);
    // Settled: a second settlement is refused (409) and changes nothing.
    const again = await admin.post(url, { sent: 'yes', receipt: 'QWE123', reason: 'twice' });
    expect(again.statusCode).toBe(409);
    expect(await audits()).toHaveLength(1);
    expect(await t.app.services.orders.service.reconcile()).toEqual([]);
  });

  it('settles one as sent with its receipt (the reserve posted, paid out)', async () => {
    const p = await payoutFailedByCallback();
    const ok = await admin.post(`/admin/money/payouts/${p.id}/resolve`, {
      sent: 'yes',
      receipt: 'SBX42KX',
      reason: 'on the statement after all',
    });
    expect(ok.statusCode, ok.body).toBe(303);
    expect(await one(sql`select status, receipt from payment_disbursements where id = ${p.id}`)).toEqual({
      status: 'succeeded',
      receipt: 'SBX42KX',
    });
    expect((await balance()).in_payout).toBe(0);
    expect(
      await rowsOf(
        t,
        sql`select reason from audit_events where action = 'payout.confirmed_sent' and data->>'disbursement_id' = ${p.id}`,
      ),
    ).toEqual([{ reason: 'on the statement after all' }]);
    expect(await t.app.services.orders.service.reconcile()).toEqual([]);
  });

  it('refuses an unknown payout (404) and a payout that holds no reserve (409)', async () => {
    expect(
      (
        await admin.post('/admin/money/payouts/0b0f8f43-8c1e-4f8e-9b55-0a3c2b1d4e5f/resolve', {
          sent: 'no',
          reason: 'ghost',
        })
      ).statusCode,
    ).toBe(404);
    const [done] = await pay().disbursementsOf({ kind: 'payout', status: 'succeeded' });
    expect(
      (await admin.post(`/admin/money/payouts/${done!.id}/resolve`, { sent: 'no', reason: 'wrong one' }))
        .statusCode,
    ).toBe(409);
  });
});

describe('collections and callbacks', () => {
  it('lists every collection, filtered by status, as the payments module holds them', async () => {
    const { buyer, orderId } = await paidOrder(t, sku);
    // The order was paid as the provider's callback would confirm it (no push): one failed push is
    // recorded beside it as the payments module would, its provider message user-facing text.
    const now = t.clock.now().toISOString();
    await rowsOf(
      t,
      sql`insert into payment_collections (id, reference, checkout_id, buyer_id, provider, msisdn, amount, currency, status, result_message, created_at, updated_at)
          select gen_random_uuid(), md5(random()::text), checkout_id, ${buyer.userId}, 'simulator', '+255754123456', 100000, 'TZS', 'failed', ${EVIL}, ${now}, ${now}
          from orders where id = ${orderId}`,
    );
    const res = await admin.get('/admin/money/collections');
    expect(res.body).not.toContain('<script>alert(1)');
    expect(res.statusCode).toBe(200);
    const all = await pay().collectionsList({});
    expect(all.length).toBeGreaterThan(0);
    for (const c of all.slice(0, 5)) expect(res.body).toContain(`data-collection="${c.id}"`);
    expect(res.body.match(/data-collection="/g)).toHaveLength(all.length);
    const failed = await admin.get('/admin/money/collections?status=failed');
    const n = (await pay().collectionsList({ status: 'failed' })).length;
    expect(failed.body.match(/data-collection="/g) ?? []).toHaveLength(n);
    // An unknown filter is no filter, never a 500.
    expect((await admin.get('/admin/money/collections?status=%3Cx%3E')).statusCode).toBe(200);
  });

  it('lists the callbacks with their verdicts; a malformed one is shown with its body inert', async () => {
    const forged = await t.app.inject({
      method: 'POST',
      url: `/api/v1/payments/callbacks/simulator/collection/${TOKEN}`,
      payload: { note: EVIL },
    });
    expect(forged.statusCode).toBeLessThan(500);
    const res = await admin.get('/admin/money/callbacks?verdict=malformed');
    expect(res.statusCode).toBe(200);
    const stored = await pay().callbacksList({ verdict: 'malformed' });
    expect(stored.length).toBeGreaterThan(0);
    expect(res.body.match(/data-callback="/g)).toHaveLength(stored.length);
    expect(res.body).not.toContain('<script>alert(1)');
    expect(res.body).not.toMatch(/"onmouseover=/);
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const everything = await admin.get('/admin/money/callbacks');
    expect(everything.body).toContain('malformed');
  });
});
