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

// A rider's scorecard (People → Riders → a rider): verification state with verify/reject while
// pending, online now, and over the last 30 days jobs by how they ended, on-time deliveries (the
// orders module's rule) and offers missed. The history is written straight into the riders' and
// orders' tables by SQL so every count is known by hand, including rows outside the window.

const EVIL = '<script>alert(1)</script>"onmouseover=alert(2) x="';
const DAY_MS = 86_400_000;
let t: TestApp;
let admin: ConsoleSession;
let apiAdmin: Actor;
let rider: Actor;
let zoneId: string;

beforeAll(async () => {
  t = await createTestApp({ CONSOLE_IDLE_MINUTES: '1440', CONSOLE_ABSOLUTE_HOURS: '168' });
  apiAdmin = await t.loginAdmin('+255754950001');
  admin = await consoleSignIn(t, '+255754950001');
  const z = DAR_DEMO_ZONES[0]!;
  zoneId = (await t.app.services.zones.service.createZone(apiAdmin.userId, { ...z, reason: 'launch' })).id;
  rider = await t.login(nextPhone());
  const applied = await t.app.inject({
    method: 'POST',
    url: '/api/v1/rider/profile',
    headers: rider.auth,
    payload: { vehicle: 'boda_boda', plate: 'MC 777 XYZ', home_zone_id: zoneId },
  });
  expect(applied.statusCode, applied.body).toBeLessThan(300);
  await rowsOf(t, sql`update users set display_name = ${`Juma ${EVIL}`} where id = ${rider.userId}`);
});
afterAll(() => t.close());

const uuid = () => crypto.randomUUID();
const ago = (days: number) => new Date(t.clock.now().getTime() - days * DAY_MS).toISOString();
const score = (body: string, name: string) => new RegExp(`data-score="${name}">([^<]*)<`).exec(body)?.[1];

describe('the rider scorecard', () => {
  it('shows a pending rider with verify and reject forms, offline, escaped, linked from the riders list', async () => {
    const list = await admin.get('/admin/riders?status=pending');
    expect(list.body).toContain(`href="/admin/riders/${rider.userId}"`);
    const res = await admin.get(`/admin/riders/${rider.userId}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('class="rider-status">pending<');
    expect(res.body).toContain('class="rider-presence">offline');
    expect(res.body).toContain(`action="/admin/riders/${rider.userId}/verify"`);
    expect(res.body).toContain(`action="/admin/riders/${rider.userId}/reject"`);
    expect(res.body).not.toContain('<script>alert(1)');
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover&#61;alert(2)');
    expect(score(res.body, 'jobs')).toBe('0');
    expect(score(res.body, 'on-time-rate')).toBe('—');
    expect((await admin.get(`/admin/people/${rider.userId}`)).body).toContain(
      `href="/admin/riders/${rider.userId}"`,
    );
  });

  it('counts jobs, deliveries, on time, failures and no-shows of the last 30 days only, and shows on_delivery', async () => {
    const verify = await admin.post(`/admin/riders/${rider.userId}/verify`, { reason: 'papers checked' });
    expect(verify.statusCode).toBe(303);
    const r = rider.userId;
    // Jobs: delivered ×2, failed_attempt, returned, released, assigned (in hand) — plus one delivered 40 days ago.
    for (const [status, days] of [
      ['delivered', 2],
      ['delivered', 3],
      ['failed_attempt', 4],
      ['returned', 5],
      ['released', 6],
      ['assigned', 0],
      ['delivered', 40],
    ] as const)
      await rowsOf(
        t,
        sql`insert into order_assignments (order_id, rider_id, status, assigned_at, updated_at)
            values (${uuid()}, ${r}, ${status}, ${ago(days)}::timestamptz, ${ago(days)}::timestamptz)`,
      );
    // Offers: accepted ×2, declined, expired ×2 (no-shows) — plus one expired 31 days ago.
    for (const [status, days] of [
      ['accepted', 2],
      ['accepted', 3],
      ['declined', 4],
      ['expired', 5],
      ['expired', 6],
      ['expired', 31],
    ] as const)
      await rowsOf(
        t,
        sql`insert into rider_offers (id, order_id, rider_id, status, distance_m, offered_at, expires_at)
            values (${uuid()}, ${uuid()}, ${r}, ${status}, 900, ${ago(days)}::timestamptz, ${ago(days)}::timestamptz)`,
      );
    await rowsOf(t, sql`update rider_profiles set availability = 'available' where user_id = ${r}`);
    // On time: three delivered orders carried by this rider in the window (one late), one long ago.
    const seller = await verifiedSeller(t, apiAdmin, 'Duka la Boda');
    const cat = await category(t, apiAdmin, 'Rider goods');
    const p = await submittedProduct(t, seller, cat, 'Rider crate', 5_000_00);
    await t.app.services.catalog.products.reviewMedia(apiAdmin.userId, p.id, p.image, true);
    await t.app.services.catalog.products.act(apiAdmin.userId, p.id, 'verify');
    for (const [late, days] of [
      [false, 1],
      [false, 2],
      [true, 3],
      [false, 45],
    ] as const) {
      const { orderId } = await paidOrder(t, p.skuIds[0]!);
      await rowsOf(
        t,
        sql`update orders set rider_id = ${r}, delivered_at = ${ago(days)}::timestamptz, delivered_late = ${late}
            where id = ${orderId}`,
      );
    }

    const res = await admin.get(`/admin/riders/${r}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('class="rider-status">verified');
    expect(res.body).not.toContain(`action="/admin/riders/${r}/verify"`);
    // Holding a job: on_delivery whatever the switch says.
    expect(res.body).toContain('class="rider-presence">on_delivery');
    expect({
      jobs: score(res.body, 'jobs'),
      delivered: score(res.body, 'delivered'),
      failed: score(res.body, 'failed'),
      released: score(res.body, 'released'),
      inHand: score(res.body, 'in-hand'),
      onTime: score(res.body, 'on-time'),
      late: score(res.body, 'late'),
      rate: score(res.body, 'on-time-rate'),
      offers: score(res.body, 'offers'),
      accepted: score(res.body, 'accepted'),
      declined: score(res.body, 'declined'),
      noShows: score(res.body, 'no-shows'),
    }).toEqual({
      jobs: '6',
      delivered: '2',
      failed: '2',
      released: '1',
      inHand: '1',
      onTime: '2',
      late: '1',
      rate: '66.6%',
      offers: '5',
      accepted: '2',
      declined: '1',
      noShows: '2',
    });
  });

  it('answers 404 for a user who never applied as a rider, or a malformed id', async () => {
    expect((await admin.get(`/admin/riders/${apiAdmin.userId}`)).statusCode).toBe(404);
    expect((await admin.get('/admin/riders/nope')).statusCode).toBe(404);
  });

  it('refuses a rider session (403)', async () => {
    const phone = nextPhone();
    await t.app.services.identity.governance.createAdmin(phone);
    const s = await consoleSignIn(t, phone);
    await rowsOf(t, sql`update users set roles = '{buyer,rider}'::text[] where phone = ${phone}`);
    expect((await s.get(`/admin/riders/${rider.userId}`)).statusCode).toBe(403);
  });
});
