import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAR_DEMO_ZONES } from '../../src/demo-zones.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { deliveredOrder, disputeOf, pendingKycSeller, rowsOf, submittedProduct } from '../support/console.js';
import { type Actor, category, verifiedSeller } from '../support/fixtures.js';

// The admin console in a real browser (Debian's Chromium, driven by playwright-core) against the
// app listening on 127.0.0.1: sign in by OTP, then the operator's main jobs, each checked on the
// page and in the database. Screenshots of the main pages go to .test-output/screenshots/.

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = '.test-output/screenshots';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.log(`[browser tests] skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

const ADMIN = '+255754920001';
const SECOND = '+255754920002';

describe.skipIf(!hasChromium)('the admin console in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let apiAdmin: Actor;
  let seller: Actor;
  let cat: string;
  const cspViolations: string[] = [];

  const one = async <T>(q: ReturnType<typeof sql>) => (await rowsOf<T>(t, q))[0] as T;
  const shot = (name: string, p: Page = page) =>
    p.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

  async function signIn(p: Page, phone: string) {
    await p.goto(`${base}/admin`);
    expect(new URL(p.url()).pathname).toBe('/admin/sign-in');
    await p.fill('input[name=phone]', phone);
    await p.click('button[type=submit]');
    await p.waitForSelector('input[name=code]');
    const e164 = t.sms.sent.at(-1)!.to;
    await p.fill('input[name=code]', t.sms.lastCode(e164));
    await p.click('button[type=submit]');
    await p.waitForSelector('h1:has-text("What needs attention")');
    t.clock.advanceSeconds(61);
  }

  async function newPage(c: BrowserContext) {
    const p = await c.newPage();
    p.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    return p;
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestApp({
      FOUR_EYES_ABOVE_MINOR: '1500000',
      PAYOUT_HOLD_HOURS_AFTER_PHONE_CHANGE: '0',
      CONSOLE_IDLE_MINUTES: '1440',
      CONSOLE_ABSOLUTE_HOURS: '168',
    });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    apiAdmin = await t.loginAdmin(ADMIN);
    await t.app.services.identity.governance.createAdmin(SECOND);
    seller = await verifiedSeller(t, apiAdmin, 'Mama Browser');
    cat = await category(t, apiAdmin, 'Browser goods');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    ctx = await browser.newContext();
    page = await newPage(ctx);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('signs in by OTP and lands on the queues', async () => {
    await signIn(page, ADMIN);
    expect(await page.locator('tr[data-queue]').count()).toBe(8);
    const cookie = (await ctx.cookies()).find((c) => c.name === 'kkoo_console')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
    await shot('home');
  }, 60_000);

  it('works the KYC queue: the document shows, the seller is verified', async () => {
    const k = await pendingKycSeller(t, 'Duka la Browser');
    await page.goto(`${base}/admin/kyc`);
    await page.click('a:has-text("Duka la Browser")');
    const img = page.locator('.docs img');
    await img.waitFor();
    expect(
      await img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth),
    ).toBeGreaterThan(0);
    await shot('kyc-submission');
    await page.locator('form[action$="/approve"] input[name=reason]').fill('ID matches');
    await page.click('button:has-text("Verify seller")');
    await page.waitForSelector('.flash:has-text("Approved.")');
    expect(await one(sql`select status from kyc_submissions where id = ${k.submissionId}`)).toEqual({
      status: 'verified',
    });
  }, 60_000);

  it('verifies a product and its image', async () => {
    const p = await submittedProduct(t, seller, cat, 'Browser kitenge');
    await page.goto(`${base}/admin/catalog`);
    await page.click('a:has-text("Browser kitenge")');
    await shot('product-review');
    await page.click('button:has-text("Verify image")');
    await page.waitForSelector('.flash:has-text("Verified.")');
    await page
      .locator('form[action$="/verify"]:has(button:has-text("Verify product")) input[name=reason]')
      .fill('all good');
    await page.click('button:has-text("Verify product")');
    await page.waitForSelector('.flash:has-text("Verified.")');
    expect(await one(sql`select status from products where id = ${p.id}`)).toEqual({ status: 'verified' });
    expect(await one(sql`select status from product_media where media_id = ${p.image}`)).toEqual({
      status: 'verified',
    });
  }, 60_000);

  it('creates a promotion', async () => {
    await page.goto(`${base}/admin/promotions`);
    await page.fill('input[name=name]', 'Browser week');
    await page.fill('input[name=percent]', '15');
    await page.fill('input[name=starts_at]', '2026-11-25T08:00');
    await page.fill('input[name=ends_at]', '2026-12-02T08:00');
    await page.fill('input[name=budget]', '100000');
    await page.click('button:has-text("Create promotion")');
    await page.waitForSelector('.flash:has-text("Created.")');
    expect(await page.textContent('.budget-left')).toBe('TZS 100,000');
    await page.goto(`${base}/admin/promotions`);
    await shot('promotions');
    expect(
      await one(
        sql`select percent_bp, budget_amount::int as budget, active from promotions where name = 'Browser week'`,
      ),
    ).toEqual({ percent_bp: 1500, budget: 100_000_00, active: true });
  }, 60_000);

  it('resolves a dispute with a partial refund', async () => {
    const p = await submittedProduct(t, seller, cat, 'Browser radio');
    await t.app.services.catalog.products.reviewMedia(apiAdmin.userId, p.id, p.image, true);
    await t.app.services.catalog.products.act(apiAdmin.userId, p.id, 'verify');
    const { buyer, orderId } = await deliveredOrder(t, seller, p.skuIds[0]!);
    const disputeId = await disputeOf(t, buyer, orderId, 'The dial came off');
    await page.goto(`${base}/admin/disputes`);
    await page.click(`a[href="/admin/disputes/${disputeId}"]`);
    await page.waitForSelector('text=The dial came off');
    await shot('dispute');
    await page.selectOption('select[name=resolution]', 'partial_refund');
    await page.fill('input[name=amount]', '4000');
    await page.selectOption('select[name=fault]', 'seller');
    await page.fill('form[action$="/resolve"] input[name=reason]', 'dial repair cost');
    await page.click('button:has-text("Resolve")');
    await page.waitForSelector('.flash:has-text("Dispute resolved.")');
    expect(await page.textContent('main')).toContain('partial_refund');
    expect(
      await one(
        sql`select status, resolution, refund_amount::int as refund from disputes where id = ${disputeId}`,
      ),
    ).toEqual({ status: 'resolved', resolution: 'partial_refund', refund: 4_000_00 });
  }, 90_000);

  it('runs a payout that needs a second admin, who approves it in another browser', async () => {
    const p = await submittedProduct(t, seller, cat, 'Browser payout', 20_000_00);
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
    const { phone } = await one<{ phone: string }>(sql`select phone from users where id = ${seller.userId}`);

    await page.goto(`${base}/admin/money`);
    await shot('money');
    await page.fill('input[name=phone]', phone);
    await page.fill('form[action="/admin/money/payouts"] input[name=reason]', 'weekly run');
    await page.click('button:has-text("Pay available balance")');
    await page.waitForSelector('text=waiting for a second admin');
    const payouts = () =>
      t.app.services.payments.service.disbursementsOf({ kind: 'payout', partyId: seller.userId });
    expect(await payouts()).toEqual([]);
    expect(await page.locator('button:has-text("Approve and execute")').count()).toBe(0);

    const other = await browser.newContext();
    const p2 = await newPage(other);
    await signIn(p2, SECOND);
    await p2.goto(`${base}/admin/approvals`);
    await shot('approvals', p2);
    await p2.click('button:has-text("Approve and execute")');
    await p2.waitForSelector('.flash:has-text("Approved and executed.")');
    const paid = await payouts();
    expect(paid).toHaveLength(1);
    expect(await one(sql`select status from console_approvals where target_id = ${seller.userId}`)).toEqual({
      status: 'executed',
    });
    await other.close();
  }, 90_000);

  it('holds a full dispute refund above the limit until a second admin approves it in another browser', async () => {
    const p = await submittedProduct(t, seller, cat, 'Browser fridge', 20_000_00);
    await t.app.services.catalog.products.reviewMedia(apiAdmin.userId, p.id, p.image, true);
    await t.app.services.catalog.products.act(apiAdmin.userId, p.id, 'verify');
    const { buyer, orderId } = await deliveredOrder(t, seller, p.skuIds[0]!);
    const disputeId = await disputeOf(t, buyer, orderId, 'It does not cool');
    await page.goto(`${base}/admin/disputes/${disputeId}`);
    await page.selectOption('select[name=resolution]', 'full_refund');
    await page.selectOption('select[name=fault]', 'seller');
    await page.fill('form[action$="/resolve"] input[name=reason]', 'fridge dead on arrival');
    await page.click('button:has-text("Resolve")');
    await page.waitForSelector('.flash:has-text("second admin")');
    expect(await page.locator(`a[href="/admin/disputes/${disputeId}"]`).count()).toBe(1);
    expect(await page.locator('button:has-text("Approve and execute")').count()).toBe(0);
    expect(await one(sql`select status from disputes where id = ${disputeId}`)).toEqual({ status: 'open' });
    await page.goto(`${base}/admin/disputes/${disputeId}`);
    await page.waitForSelector('.waiting:has-text("second admin")');

    const other = await browser.newContext();
    const p2 = await newPage(other);
    await signIn(p2, SECOND);
    await p2.goto(`${base}/admin/approvals`);
    await p2.click(`tr:has(a[href="/admin/disputes/${disputeId}"]) button:has-text("Approve and execute")`);
    await p2.waitForSelector('.flash:has-text("Approved and executed.")');
    expect(await one(sql`select status, resolution from disputes where id = ${disputeId}`)).toEqual({
      status: 'resolved',
      resolution: 'full_refund',
    });
    expect(await one(sql`select status from console_approvals where target_id = ${disputeId}`)).toEqual({
      status: 'executed',
    });
    await other.close();
  }, 90_000);

  it('reads the analytics page: unit economics first, figures as the ledger-reconciled module has them, charts drawn', async () => {
    // The default period: the last 30 days in Dar es Salaam.
    await page.goto(`${base}/admin/analytics`);
    await page.waitForSelector('h2:has-text("Unit economics")');
    const expected = await t.app.services.analytics.page({});
    expect(expected.summary.totals.orders).toBeGreaterThan(0);
    expect(await page.locator('[data-figure=orders]').textContent()).toBe(
      String(expected.summary.totals.orders),
    );
    const widths = await page
      .locator('img.chart')
      .evaluateAll((els) => els.map((el) => (el as unknown as { naturalWidth: number }).naturalWidth));
    expect(widths).toHaveLength(3);
    for (const w of widths) expect(w).toBeGreaterThan(0);
    // The figures reconcile with the escrow ledger for the same orders.
    const rec = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/analytics/reconciliation',
      headers: apiAdmin.auth,
    });
    expect(rec.statusCode, rec.body).toBe(200);
    await shot('analytics');
  }, 60_000);

  it('opens a figure to its orders, and draws the zones on the Logistics map', async () => {
    await page.goto(`${base}/admin/analytics`);
    await page.click('[data-figure=orders] a[data-drill=orders]');
    await page.waitForSelector('h1:has-text("Analytics: orders")');
    const expected = await t.app.services.analytics.service.orders({ figure: 'orders', limit: 50 });
    const shown = await page
      .locator('tr[data-order]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-order')));
    expect(shown).toEqual(expected.items.map((i) => i.fact.id));
    await shot('analytics-orders');
    for (const z of DAR_DEMO_ZONES)
      await t.app.services.zones.service.createZone(apiAdmin.userId, {
        name: z.name,
        polygon: z.polygon,
        reason: 'launch',
      });
    await page.goto(`${base}/admin/logistics`);
    const map = page.locator('img[alt="Delivery zones drawn from their cells"]');
    await map.waitFor();
    const size = await map.evaluate((el) => {
      const img = el as unknown as { naturalWidth: number; naturalHeight: number };
      return [img.naturalWidth, img.naturalHeight];
    });
    expect(size[0]).toBeGreaterThan(0);
    expect(size[1]).toBeGreaterThan(0);
    expect(await page.locator('tr[data-zone]').count()).toBe(DAR_DEMO_ZONES.length);
    await shot('logistics');
  }, 60_000);

  it('raised no Content-Security-Policy violation on any page', () => {
    expect(cspViolations).toEqual([]);
  });
});
