import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type ConsoleSession,
  consoleSignIn,
  deliveredOrder,
  disputeOf,
  rowsOf,
  submittedProduct,
} from '../../../test/support/console.js';
import { type Actor, category, verifiedSeller } from '../../../test/support/fixtures.js';
import { metresApart, metresText, pointOf } from './places.js';

// The dispute page shows the GPS the order's own records hold, each on its side: the delivery
// address on the buyer's, the delivery proof on the seller's / rider's, with how far apart they are;
// a plain map link for each (no script: the console's CSP), and "no location recorded" for none.

const EVIL = '<script>alert(1)</script>"onmouseover=alert(2) x="';
let t: TestApp;
let admin: ConsoleSession;
let apiAdmin: Actor;
let seller: Actor;
let cat: string;

beforeAll(async () => {
  t = await createTestApp({ CONSOLE_IDLE_MINUTES: '1440', CONSOLE_ABSOLUTE_HOURS: '168' });
  apiAdmin = await t.loginAdmin('+255754970001');
  admin = await consoleSignIn(t, '+255754970001');
  seller = await verifiedSeller(t, apiAdmin, 'Places Duka');
  cat = await category(t, apiAdmin, 'Places goods');
});
afterAll(() => t.close());

async function dispute(title: string) {
  const p = await submittedProduct(t, seller, cat, title);
  await t.app.services.catalog.products.reviewMedia(apiAdmin.userId, p.id, p.image, true);
  await t.app.services.catalog.products.act(apiAdmin.userId, p.id, 'verify');
  const { buyer, orderId } = await deliveredOrder(t, seller, p.skuIds[0]!);
  return { orderId, disputeId: await disputeOf(t, buyer, orderId, 'Not what I ordered') };
}

/** One side's section of the page. */
const sideOf = (body: string, heading: string) =>
  body.match(new RegExp(`<section><h2>${heading}</h2>(.*?)</section>`, 's'))?.[1] ?? '';
/** The map links of some markup, as a browser reads the attribute. */
const mapLinks = (markup: string) =>
  [...markup.matchAll(/href="(https:\/\/www\.openstreetmap\.org\/[^"]*)"/g)].map((m) =>
    m[1]!.replaceAll('&#61;', '=').replaceAll('&amp;', '&'),
  );

describe('dispute page: where', () => {
  it('shows the delivery proof on the seller side and the address on the buyer side, with map links and the distance', async () => {
    const { disputeId } = await dispute('Places radio');
    const page = await admin.get(`/admin/disputes/${disputeId}`);
    expect(page.statusCode).toBe(200);
    const buyer = sideOf(page.body, 'Buyer');
    const other = sideOf(page.body, 'Seller / rider');

    expect(buyer).toContain('-6.76, 39.24');
    expect(mapLinks(buyer)).toEqual([
      'https://www.openstreetmap.org/?mlat=-6.76&mlon=39.24#map=18/-6.76/39.24',
    ]);
    expect(other).toMatch(/data-event="deliver".*-6\.77, 39\.27/s);
    expect(mapLinks(other)).toEqual([
      'https://www.openstreetmap.org/?mlat=-6.77&mlon=39.27#map=18/-6.77/39.27',
    ]);
    // 0.01° of latitude and 0.03° of longitude apart near Dar es Salaam: about 3.5 km.
    expect(other).toContain('<span class="distance">3,494 m</span> from the address');
    expect(page.body).not.toContain('no location recorded');
    // A link, nothing the CSP would block: no frame, no tile image, no script of its own.
    expect(page.body).not.toMatch(
      /<iframe|tile\.openstreetmap|<script(?! src="\/admin\/assets\/htmx\.min\.js")/,
    );
  });

  it('says "no location recorded" (no link) when the records hold none, and shows the address text inert', async () => {
    const { orderId, disputeId } = await dispute('Places lamp');
    // Records from before GPS was required: the deliver step and the address without a point.
    await rowsOf(
      t,
      sql`update order_events set latitude = null, longitude = null where order_id = ${orderId}`,
    );
    await rowsOf(
      t,
      sql`update orders set snapshot = jsonb_set(jsonb_set(snapshot, '{delivery_address,location}', 'null'::jsonb), '{delivery_address,landmark}', to_jsonb(${EVIL}::text)) where id = ${orderId}`,
    );
    const page = await admin.get(`/admin/disputes/${disputeId}`);
    expect(page.statusCode).toBe(200);
    const buyer = sideOf(page.body, 'Buyer');
    const other = sideOf(page.body, 'Seller / rider');
    expect(buyer).toContain('no location recorded');
    expect(other).toMatch(/data-event="deliver".*no location recorded/s);
    expect(mapLinks(page.body)).toEqual([]);
    expect(page.body).not.toContain('class="distance"');
    expect(page.body).not.toContain('<script>alert(1)');
    expect(page.body).not.toMatch(/"onmouseover=/);
    expect(buyer).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover&#61;alert(2)');
  });
});

describe('places', () => {
  it('takes only real, in-range coordinates as a point', () => {
    expect(pointOf(-6.77, 39.27)).toEqual({ lat: -6.77, lng: 39.27 });
    for (const [lat, lng] of [
      [null, 39.27],
      [-6.77, undefined],
      [Number.NaN, 39.27],
      [91, 39.27],
      [-6.77, 181],
    ] as const)
      expect(pointOf(lat, lng)).toBeNull();
  });

  it('measures metres apart only when both points are known', () => {
    const a = { lat: -6.77, lng: 39.27 };
    expect(metresText(metresApart(a, { lat: -6.76, lng: 39.24 })!)).toBe('3,494 m');
    expect(metresApart(a, a)).toBe(0);
    expect(metresApart(a, null)).toBeNull();
  });
});
