import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type ConsoleSession,
  consoleSignIn,
  paidOrder,
  rowsOf,
  submittedProduct,
} from '../../../test/support/console.js';
import { type Actor, category, nextPhone, verifiedSeller } from '../../../test/support/fixtures.js';
import { DAR_DEMO_ZONES } from '../../demo-zones.js';

// People: users found by name (display or shop name) as well as phone; a user's page lists their
// orders (as buyer and as seller) and their open sessions, and an API session is revoked with a
// reason through identity's command (audited), after which its token no longer works. And the
// order page's messages, read through the notifications module's admin search. And the Logistics
// screen: zones, fee table, service hours, the dispatch queue with each order's wait.

let t: TestApp;
let admin: ConsoleSession;
let apiAdmin: Actor;
let seller: Actor;

beforeAll(async () => {
  t = await createTestApp({ CONSOLE_IDLE_MINUTES: '1440', CONSOLE_ABSOLUTE_HOURS: '168' });
  apiAdmin = await t.loginAdmin('+255754940001');
  admin = await consoleSignIn(t, '+255754940001');
  seller = await verifiedSeller(t, apiAdmin, 'Mama Zawadi Vitenge');
});
afterAll(() => t.close());

const setName = (userId: string, name: string) =>
  rowsOf(t, sql`update users set display_name = ${name} where id = ${userId}`);

describe('finding people by name', () => {
  it('matches part of a display name or a shop name, case-insensitively; % and _ are taken literally', async () => {
    const amina = await t.login(nextPhone());
    await setName(amina.userId, 'Amina <b>Juma</b>');
    const other = await t.login(nextPhone());
    await setName(other.userId, 'Baraka 100% Mwinyi');

    const byName = await admin.get('/admin/people?name=aMiNa');
    expect(byName.statusCode).toBe(200);
    expect(byName.body).toContain(`/admin/people/${amina.userId}`);
    expect(byName.body).not.toContain(`/admin/people/${other.userId}`);
    expect(byName.body).toContain('Amina &lt;b&gt;Juma&lt;/b&gt;');

    const byShop = await admin.get(`/admin/people?name=${encodeURIComponent('zawadi vit')}`);
    expect(byShop.body).toContain(`/admin/people/${seller.userId}`);

    const percent = await admin.get(`/admin/people?name=${encodeURIComponent('0%')}`);
    expect(percent.body).toContain(`/admin/people/${other.userId}`);
    expect(percent.body).not.toContain(`/admin/people/${amina.userId}`);
    const wildcard = await admin.get(`/admin/people?name=${encodeURIComponent('%%')}`);
    expect(wildcard.body).not.toContain(`/admin/people/${amina.userId}`);
    expect((await admin.get(`/admin/people?name=${encodeURIComponent('__')}`)).body).not.toContain(
      `/admin/people/${amina.userId}`,
    );

    expect((await admin.get('/admin/people?name=a')).statusCode).toBe(422);
    // Name and phone together narrow the search.
    const { phone } = (
      await rowsOf<{ phone: string }>(t, sql`select phone from users where id = ${amina.userId}`)
    )[0]!;
    expect(
      (await admin.get(`/admin/people?name=Baraka&phone=${encodeURIComponent(phone)}`)).body,
    ).not.toContain(`/admin/people/${amina.userId}`);
  });
});

describe("a user's page", () => {
  it('lists their orders as buyer and as seller, and their open sessions', async () => {
    const cat = await category(t, apiAdmin, 'People goods');
    const p = await submittedProduct(t, seller, cat, 'People lamp', 5_000_00);
    await t.app.services.catalog.products.reviewMedia(apiAdmin.userId, p.id, p.image, true);
    await t.app.services.catalog.products.act(apiAdmin.userId, p.id, 'verify');
    const { buyer, orderId } = await paidOrder(t, p.skuIds[0]!);

    const buyerPage = await admin.get(`/admin/people/${buyer.userId}`);
    expect(buyerPage.statusCode).toBe(200);
    expect(buyerPage.body).toMatch(new RegExp(`<tr data-order="${orderId}">.*?<td>buyer</td><td>paid</td>`));
    const sellerPage = await admin.get(`/admin/people/${seller.userId}`);
    expect(sellerPage.body).toMatch(new RegExp(`<tr data-order="${orderId}">.*?<td>seller</td>`));

    const [session] = await rowsOf<{ id: string }>(
      t,
      sql`select id from sessions where user_id = ${buyer.userId} and revoked_at is null`,
    );
    expect(buyerPage.body).toContain(`data-session="${session!.id}"`);
    // The admin's own page shows their console session too.
    expect((await admin.get(`/admin/people/${apiAdmin.userId}`)).body).toContain('data-console-session=');
  });

  it('revokes one API session with a reason: audited, its token refused; bad input changes nothing', async () => {
    const buyer = await t.login(nextPhone());
    const other = await t.login(nextPhone());
    const sessionOf = async (userId: string) =>
      (
        await rowsOf<{ id: string; revoked_at: Date | null }>(
          t,
          sql`select id, revoked_at from sessions where user_id = ${userId} order by created_at desc limit 1`,
        )
      )[0]!;
    const s = await sessionOf(buyer.userId);
    const otherSession = await sessionOf(other.userId);
    const url = `/admin/people/${buyer.userId}/sessions/${s.id}/revoke`;

    expect((await admin.post(url, { reason: 'lost phone' }, { csrf: null })).statusCode).toBe(403);
    expect((await admin.post(url, { reason: '' })).statusCode).toBe(422);
    // Another user's session through this user's page: not theirs, so not found.
    expect(
      (
        await admin.post(`/admin/people/${buyer.userId}/sessions/${otherSession.id}/revoke`, {
          reason: 'wrong',
        })
      ).statusCode,
    ).toBe(404);
    expect((await sessionOf(buyer.userId)).revoked_at).toBeNull();
    expect((await sessionOf(other.userId)).revoked_at).toBeNull();

    const ok = await admin.post(url, { reason: 'lost phone' });
    expect(ok.statusCode, ok.body).toBe(303);
    expect(ok.headers.location).toBe(`/admin/people/${buyer.userId}?done=session_revoked`);
    expect((await sessionOf(buyer.userId)).revoked_at).not.toBeNull();
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: buyer.auth })).statusCode).toBe(
      401,
    );
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: other.auth })).statusCode).toBe(
      200,
    );
    expect(
      await rowsOf(
        t,
        sql`select actor_user_id, reason from audit_events where action = 'session.revoked' and target_id = ${buyer.userId}`,
      ),
    ).toEqual([{ actor_user_id: apiAdmin.userId, reason: 'lost phone' }]);
    expect((await admin.get(`/admin/people/${buyer.userId}`)).body).not.toContain(`data-session="${s.id}"`);
    expect((await admin.post(url, { reason: 'again' })).statusCode).toBe(409);
  });
});

describe("an order's messages", () => {
  it('lists every message sent about the order, as the admin API shows them: title, status, phone masked, no body', async () => {
    const cat = await category(t, apiAdmin, 'Message goods');
    const p = await submittedProduct(t, seller, cat, 'Message radio', 5_000_00);
    await t.app.services.catalog.products.reviewMedia(apiAdmin.userId, p.id, p.image, true);
    await t.app.services.catalog.products.act(apiAdmin.userId, p.id, 'verify');
    const { orderId, buyer } = await paidOrder(t, p.skuIds[0]!);
    await t.app.services.jobs.drain();
    const sent = await rowsOf<{
      id: string;
      title: string;
      body: string;
      address: string | null;
      recipient_id: string;
    }>(
      t,
      sql`select id, title, body, address, recipient_id from notification_messages where order_id = ${orderId}`,
    );
    expect(sent.length).toBeGreaterThan(0);
    const page = await admin.get(`/admin/orders/${orderId}`);
    expect(page.statusCode).toBe(200);
    const section = page.body.slice(
      page.body.indexOf('<h2>Messages sent</h2>'),
      page.body.indexOf('<h2>Ledger transfers</h2>'),
    );
    for (const m of sent) {
      expect(section).toContain(`data-message="${m.id}"`);
      if (m.address) expect(section).not.toContain(m.address);
    }
    const { phone } = (
      await rowsOf<{ phone: string }>(t, sql`select phone from users where id = ${buyer.userId}`)
    )[0]!;
    expect(section).not.toContain(phone);
    expect(section).toContain(`href="/admin/people/${buyer.userId}">buyer</a>`);
    // No message text beyond its title: the delivery code in the buyer's SMS stays out of the console.
    for (const m of sent.filter((x) => x.body.length > 0 && !x.title.includes(x.body)))
      expect(section).not.toContain(m.body);

    const none = await paidOrder(t, p.skuIds[0]!);
    expect((await admin.get(`/admin/orders/${none.orderId}`)).body).toContain(
      'No messages about this order.',
    );
  });
});

describe('logistics', () => {
  it('shows the zones, the fee table and its missing pairs, the hours, and the orders waiting for a rider with their wait', async () => {
    const cat = await category(t, apiAdmin, 'Logistics goods');
    const p = await submittedProduct(t, seller, cat, 'Logistics crate', 5_000_00);
    await t.app.services.catalog.products.reviewMedia(apiAdmin.userId, p.id, p.image, true);
    await t.app.services.catalog.products.act(apiAdmin.userId, p.id, 'verify');
    const { orderId, api } = await paidOrder(t, p.skuIds[0]!);
    for (const step of ['accept', 'ready'])
      expect(
        (await api('POST', `/api/v1/seller/orders/${orderId}/${step}`, seller.auth, {})).statusCode,
      ).toBe(200);
    const notReady = await paidOrder(t, p.skuIds[0]!);
    // Zones after the orders (their checkout used the flat fee); the second zone is added after the
    // fee table, so the table lacks its pairs.
    const zones = t.app.services.zones.service;
    const [a, b] = DAR_DEMO_ZONES;
    const za = await zones.createZone(apiAdmin.userId, {
      name: `${a!.name} <i>`,
      polygon: a!.polygon,
      reason: 'launch',
    });
    await zones.replaceFees(apiAdmin.userId, {
      fees: [{ from_zone_id: za.id, to_zone_id: za.id, fee: 2_500_00, duration_minutes: 45 }],
      reason: 'launch',
    });
    const zb = await zones.createZone(apiAdmin.userId, {
      name: b!.name,
      polygon: b!.polygon,
      reason: 'launch',
    });
    t.clock.advanceSeconds(25 * 60);

    const res = await admin.get('/admin/logistics');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`data-zone="${za.id}"`);
    expect(res.body).toContain(`data-zone="${zb.id}"`);
    expect(res.body).toContain('&lt;i&gt;');
    expect(res.body).toContain('TZS 2,500');
    // The pairs with no fee are named (Kariakoo → the second zone, and back, and the second to itself).
    expect(res.body).toMatch(/Missing pairs[^<]*/);
    expect(res.body).toContain(`${b!.name} → ${b!.name}`);
    const row = new RegExp(`<tr data-dispatch="${orderId}">.*?class="num wait">([^<]*)<`).exec(res.body);
    // 25 minutes, plus the minute or so the second checkout's sign-in moved the test clock.
    expect(row?.[1]).toMatch(/^2[56] min$/);
    expect(res.body).not.toContain(`data-dispatch="${notReady.orderId}"`);
    expect(res.body).toMatch(/<td>Monday<\/td><td>(\d\d:\d\d–\d\d:\d\d|closed)<\/td>/);
    // The map: one server-drawn SVG (an <img>, so no script runs and the CSP holds), one shape per
    // zone, drawn from the cells the database holds for it (a hexagon outline of N cells has at most
    // 6N corners), the name escaped inside the SVG too.
    const img =
      /<img class="chart" alt="Delivery zones drawn from their cells" src="data:image\/svg\+xml;base64,([^"]+)">/.exec(
        res.body,
      );
    expect(img).not.toBeNull();
    const svg = Buffer.from(img![1]!, 'base64').toString('utf8');
    expect(svg.match(/<g data-zone="/g)).toHaveLength(2);
    expect(svg).toContain('&lt;i&gt;');
    expect(svg).not.toContain('<i>');
    const cellCounts = await rowsOf<{ zone_id: string; n: number }>(
      t,
      sql`select zone_id, count(*)::int as n from zone_cells where zone_id in (${za.id}, ${zb.id}) group by zone_id`,
    );
    expect(cellCounts).toHaveLength(2);
    for (const { zone_id, n } of cellCounts) {
      expect(res.body).toContain(`<tr data-zone="${zone_id}"><td>`);
      expect(new RegExp(`<tr data-zone="${zone_id}">.*?<td class="num">${n}</td>`).test(res.body)).toBe(true);
      const group = new RegExp(`<g data-zone="${zone_id}">.*?</g>`).exec(svg)![0];
      const corners = [...group.matchAll(/[ML]-?[\d.]+ -?[\d.]+/g)].length;
      expect(corners).toBeGreaterThanOrEqual(6);
      expect(corners).toBeLessThanOrEqual(6 * Number(n) + 1);
    }
    // Assign a rider by hand from the dispatch queue: the riders module's command, audited.
    expect(res.body).toContain('<span class="muted">no verified rider</span>');
    const rider = await t.login(nextPhone());
    const applied = await t.app.inject({
      method: 'POST',
      url: '/api/v1/rider/profile',
      headers: rider.auth,
      payload: { vehicle: 'boda_boda', plate: 'MC 123 ABC', home_zone_id: za.id },
    });
    expect(applied.statusCode, applied.body).toBeLessThan(300);
    await t.app.services.riders.service.verify(apiAdmin.userId, rider.userId, 'papers checked');
    const withForm = await admin.get('/admin/logistics');
    expect(withForm.body).toContain(`action="/admin/dispatch/${orderId}/assign"`);
    expect(withForm.body).toContain(`<option value="${rider.userId}">`);
    const url = `/admin/dispatch/${orderId}/assign`;
    const riderOf = async () =>
      (
        await rowsOf<{ rider_id: string }>(
          t,
          sql`select rider_id from order_assignments where order_id = ${orderId} and status = 'assigned'`,
        )
      )[0]?.rider_id ?? null;
    const dispatchCount = async () =>
      Number(
        /class="num count">(\d+)</.exec(
          /<tr data-queue="dispatch">(.*?)<\/tr>/s.exec((await admin.get('/admin')).body)![1]!,
        )![1],
      );
    const waitingBefore = await dispatchCount();
    expect(waitingBefore).toBeGreaterThanOrEqual(1);
    // No CSRF token, no reason, not a rider, a stranger: refused, nothing changes.
    expect(
      (await admin.post(url, { rider_id: rider.userId, reason: 'nearest' }, { csrf: null })).statusCode,
    ).toBe(403);
    expect((await admin.post(url, { rider_id: rider.userId, reason: '' })).statusCode).toBe(422);
    expect((await admin.post(url, { rider_id: 'x', reason: 'nearest' })).statusCode).toBe(422);
    expect((await admin.post(url, { rider_id: seller.userId, reason: 'nearest' })).statusCode).toBe(404);
    expect(await riderOf()).toBeNull();
    const done = await admin.post(url, { rider_id: rider.userId, reason: 'nearest <b>rider</b>' });
    expect(done.statusCode, done.body).toBe(303);
    expect(done.headers.location).toBe('/admin/logistics?done=rider_assigned');
    expect(await riderOf()).toBe(rider.userId);
    const audits = await rowsOf<{ actor_user_id: string; reason: string }>(
      t,
      sql`select actor_user_id, reason from audit_events where action = 'order.rider_assigned' and target_id = ${orderId}`,
    );
    expect(audits).toEqual([{ actor_user_id: apiAdmin.userId, reason: 'nearest <b>rider</b>' }]);
    const after = await admin.get('/admin/logistics?done=rider_assigned');
    expect(after.body).toContain('Rider assigned.');
    // Taken by a rider but not yet collected (orders.rider_id is still empty): it no longer waits,
    // neither in the Logistics queue nor in the home page's count.
    expect(after.body).not.toContain(`<tr data-dispatch="${orderId}">`);
    expect(await dispatchCount()).toBe(waitingBefore - 1);
    // A second assignment is refused by the riders module; the first stands.
    expect((await admin.post(url, { rider_id: rider.userId, reason: 'again' })).statusCode).toBe(409);
    expect(await riderOf()).toBe(rider.userId);

    // No order with a promise was delivered in these 30 days: the on-time table says so.
    expect(res.body).toContain('On time by zone');
    expect(res.body).toContain('No order with a promised time was delivered in this range.');
  });
});
