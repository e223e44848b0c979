import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type ConsoleSession,
  consoleSignIn,
  deliveredOrder,
  rowsOf,
  submittedProduct,
} from '../../../test/support/console.js';
import { type Actor, category, verifiedSeller } from '../../../test/support/fixtures.js';

// The ledger by account (Money → Ledger by account): an account's transfers, oldest first, paged,
// each row's signed amount and the running posted balance carried across pages, orders linked;
// what the page shows is checked against the ledger's own rows.

let t: TestApp;
let admin: ConsoleSession;
let apiAdmin: Actor;
let seller: Actor;
const orderIds: string[] = [];

beforeAll(async () => {
  t = await createTestApp({ CONSOLE_IDLE_MINUTES: '1440', CONSOLE_ABSOLUTE_HOURS: '168' });
  apiAdmin = await t.loginAdmin('+255754940001');
  admin = await consoleSignIn(t, '+255754940001');
  seller = await verifiedSeller(t, apiAdmin, 'Duka la Daftari');
  const cat = await category(t, apiAdmin, 'Ledger goods');
  const p = await submittedProduct(t, seller, cat, 'Ledger kanga', 12_500_00);
  await t.app.services.catalog.products.reviewMedia(apiAdmin.userId, p.id, p.image, true);
  await t.app.services.catalog.products.act(apiAdmin.userId, p.id, 'verify');
  for (let i = 0; i < 2; i++) {
    const { buyer, orderId } = await deliveredOrder(t, seller, p.skuIds[0]!);
    const confirm = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orders/${orderId}/confirm-receipt`,
      headers: buyer.auth,
      payload: {},
    });
    expect(confirm.statusCode, confirm.body).toBe(200);
    orderIds.push(orderId);
    t.clock.advanceSeconds(60);
  }
});
afterAll(() => t.close());

const acct = () => `seller:${seller.userId}:payable`;
const url = (account: string, extra = '') =>
  `/admin/money/ledger?account=${encodeURIComponent(account)}${extra}`;
/** Attribute values as the escaper writes them ('&' and '=' as entities). */
const attr = (s: string) => s.replaceAll('&', '&amp;').replaceAll('=', '&#61;');
const cells = (body: string, cls: string) =>
  [...body.matchAll(new RegExp(`class="num ${cls}">([^<]*)<`, 'g'))].map((m) => m[1]);

describe('ledger by account', () => {
  it('is linked from the Money screen and offers the platform accounts', async () => {
    expect((await admin.get('/admin/money')).body).toContain('href="/admin/money/ledger"');
    const picker = await admin.get('/admin/money/ledger');
    expect(picker.statusCode).toBe(200);
    expect(picker.body).toContain(`href="${attr(url('platform:delivery_fees'))}"`);
    expect(picker.body).toContain('name="account"');
  });

  it("pages a seller's transfers with signed amounts and a running balance that carries over pages", async () => {
    const ledger = await rowsOf<{
      id: string;
      amount: number;
      credit: string;
      phase: string;
      order_id: string;
    }>(
      t,
      sql`select id, amount::int as amount, credit_account as credit, phase, order_id from ledger_transfers
          where debit_account = ${acct()} or credit_account = ${acct()} order by created_at, id`,
    );
    expect(ledger.length).toBeGreaterThanOrEqual(2);
    const posted = ledger.filter((r) => r.phase === 'single' || r.phase === 'post');
    // Each sale credits the seller 12,500 (their full base price).
    expect(posted.map((r) => r.amount)).toEqual([12_500_00, 12_500_00]);

    const first = await admin.get(url(acct(), '&limit=1'));
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain(`data-transfer="${ledger[0]!.id}"`);
    expect(first.body).not.toContain(`data-transfer="${ledger[1]!.id}"`);
    expect(cells(first.body, 'amount')).toEqual(['TZS 12,500']);
    expect(cells(first.body, 'running')).toEqual(['TZS 12,500']);
    expect(first.body).toContain(`href="/admin/orders/${ledger[0]!.order_id}"`);
    expect(cells(first.body, 'balance-posted')).toEqual(['TZS 25,000']);

    const next = /href="(\/admin\/money\/ledger\?[^"]*cursor[^"]+)"/
      .exec(first.body)![1]!
      .replaceAll('&#61;', '=')
      .replaceAll('&amp;', '&');
    expect(next).toContain('limit=1');
    const second = await admin.get(next);
    expect(second.statusCode).toBe(200);
    expect(second.body).toContain(`data-transfer="${ledger[1]!.id}"`);
    expect(second.body).toContain('class="opening">TZS 12,500<');
    expect(cells(second.body, 'running')).toEqual(['TZS 25,000']);
    expect(second.body).toContain(`href="/admin/orders/${ledger[1]!.order_id}"`);
  });

  it('shows an outgoing transfer as negative and links the account on the other side', async () => {
    const escrow = `escrow:${orderIds[0]}`;
    const res = await admin.get(url(escrow));
    expect(res.statusCode).toBe(200);
    expect(cells(res.body, 'amount')).toContain('-TZS 12,500');
    expect(res.body).toContain(`href="${attr(url(acct()))}"`);
    // Everything that entered the escrow left it once the order completed.
    expect(cells(res.body, 'balance-posted')).toEqual(['TZS 0']);
  });

  it('is reachable from an order page, account by account', async () => {
    const res = await admin.get(`/admin/orders/${orderIds[0]}`);
    expect(res.body).toContain(`href="${attr(url(acct()))}"`);
  });

  it('says so for an account with no transfers, and refuses a malformed account (422) or cursor (400)', async () => {
    const none = await admin.get(url('seller:00000000-0000-4000-8000-000000000000:payable'));
    expect(none.statusCode).toBe(200);
    expect(none.body).toContain('No transfers on this account.');
    for (const bad of ['<script>', 'seller', `seller:${'x'.repeat(130)}`, 'a b:c']) {
      const res = await admin.get(url(bad));
      expect(res.statusCode, bad).toBe(422);
      expect(res.body).not.toContain('<script>');
    }
    expect((await admin.get(url(acct(), '&cursor=forged'))).statusCode).toBe(400);
  });
});
