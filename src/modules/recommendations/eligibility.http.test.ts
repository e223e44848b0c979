import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { completedOrders } from '../../../test/support/completed-orders.js';
import {
  type Actor,
  category,
  demoZones,
  nextPhone,
  sellerAt,
  verifiedProduct,
} from '../../../test/support/fixtures.js';
import { DAR_DEMO_ZONES } from '../../demo-zones.js';

// With DELIVERY_QUOTES=zones: a buyer with history sees every block with its reason, and each
// condition of "sellable and deliverable" is broken in turn: the item it concerns disappears at
// once (no refresh in between), while an untouched item stays.

let t: TestApp;
let admin: Actor;
let buyer: Actor;
let home: string;
const zone = (name: string) => DAR_DEMO_ZONES.find((z) => z.name === name)!.centre;
const OUTSIDE = { lat: -6.1, lng: 39.3 };
const p: Record<string, { id: string; skuIds: string[] }> = {};
const sellers: Record<string, Actor> = {};

async function recs(query: string, auth: Actor | null = buyer) {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/v1/recommendations?${query}`,
    headers: auth ? auth.auth : {},
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as {
    language: string;
    blocks: Array<{ kind: string; items: Array<{ product_id: string; reason: string; title: string }> }>;
  };
}
const block = (r: Awaited<ReturnType<typeof recs>>, kind: string) =>
  r.blocks.find((b) => b.kind === kind)?.items ?? [];
const ids = (items: Array<{ product_id: string }>) => items.map((i) => i.product_id);
const together = async () => ids(block(await recs(`context=product:${p.anchor!.id}`), 'bought_together'));

beforeAll(async () => {
  t = await createTestApp({ DELIVERY_QUOTES: 'zones' });
  admin = await t.loginAdmin('+255754320101');
  await demoZones(t, admin);
  for (const name of ['main', 'banned', 'moving'])
    sellers[name] = await sellerAt(t, admin, `Duka ${name}`, zone('Kariakoo'));
  const soap = await category(t, admin, 'Sabuni');
  const phones = await category(t, admin, 'Simu');
  const make = async (key: string, seller: string, categoryId: string, title: string) => {
    p[key] = await verifiedProduct(t, admin, sellers[seller]!, {
      categoryId,
      title,
      variants: [{ seller_sku: `REC-${key}`, price: 2_000_00, stock: 5 }],
    });
  };
  await make('anchor', 'main', soap, 'Sabuni ya Mche');
  await make('stock', 'main', soap, 'Sabuni ya Maji');
  await make('unverified', 'main', soap, 'Dawa ya Meno');
  await make('cart', 'main', soap, 'Mswaki');
  await make('plain', 'main', soap, 'Taulo');
  await make('banned', 'banned', phones, 'Simu Janja');
  await make('moving', 'moving', phones, 'Chaja');

  buyer = await t.login(nextPhone());
  const addr = await t.app.inject({
    method: 'POST',
    url: '/api/v1/me/addresses',
    headers: buyer.auth,
    payload: {
      label: 'Home',
      ward: 'Mikocheni',
      landmark: 'Shule',
      location: zone('Mikocheni'),
      is_default: true,
    },
  });
  expect(addr.statusCode, addr.body).toBe(201);
  home = addr.json().id;

  // Four other buyers bought the anchor twice and every other product once, delivered to
  // Mikocheni; our buyer bought the anchor twice (soap: bought again and again, so consumable).
  const day = 86_400_000;
  const now = t.clock.now().getTime();
  const others = Array.from({ length: 4 }, () => randomUUID());
  const all = Object.values(p).map((x) => x.id);
  await completedOrders(t.handle.db, [
    ...others.flatMap((b, i) => [
      {
        buyerId: b,
        sellerId: sellers.main!.userId,
        productIds: all,
        at: new Date(now - (10 + i) * day),
        zone: 'Mikocheni',
      },
      {
        buyerId: b,
        sellerId: sellers.main!.userId,
        productIds: [p.anchor!.id],
        at: new Date(now - 2 * day),
        zone: 'Mikocheni',
      },
    ]),
    {
      buyerId: buyer.userId,
      sellerId: sellers.main!.userId,
      productIds: [p.anchor!.id],
      at: new Date(now - 20 * day),
    },
    {
      buyerId: buyer.userId,
      sellerId: sellers.main!.userId,
      productIds: [p.anchor!.id],
      at: new Date(now - 5 * day),
    },
  ]);
  expect(await t.app.services.recommendations.refresh.refresh()).toBe(10);
});
afterAll(() => t.close());

describe('a buyer with history', () => {
  it('home: buy again, bought together, popular near you, each item with its reason in English', async () => {
    const r = await recs('context=home&lang=en');
    expect(r.language).toBe('en');
    expect(block(r, 'buy_again')).toEqual([
      expect.objectContaining({ product_id: p.anchor!.id, reason: 'You bought this 2 times' }),
    ]);
    const bt = block(r, 'bought_together');
    expect(ids(bt).sort()).toEqual(
      Object.entries(p)
        .filter(([k]) => k !== 'anchor')
        .map(([, v]) => v.id)
        .sort(),
    );
    expect(bt[0]!.reason).toBe('Bought with Sabuni ya Mche by 4 buyers');
    const popular = block(r, 'popular_near_you');
    expect(popular.length).toBeGreaterThan(0);
    expect(popular.every((i) => i.reason === 'Popular in Mikocheni')).toBe(true);
    expect(r.blocks.map((b) => b.kind)).not.toContain('category_fallback');
  });

  it('the same in Swahili, the buyer’s language unless lang says otherwise', async () => {
    const r = await recs('context=home');
    expect(r.language).toBe('sw');
    expect(block(r, 'buy_again')[0]!.reason).toBe('Umenunua hii mara 2');
    expect(block(r, 'bought_together')[0]!.reason).toBe('Hununuliwa pamoja na Sabuni ya Mche na wanunuzi 4');
    expect(block(r, 'popular_near_you')[0]!.reason).toBe('Maarufu Mikocheni');
  });

  it('product context: the product itself is never recommended on its own page', async () => {
    const r = await recs(`context=product:${p.anchor!.id}`);
    for (const b of r.blocks) expect(ids(b.items)).not.toContain(p.anchor!.id);
  });
});

describe('a new buyer', () => {
  it('signed in, no history, no address: what is popular in the city, from sellers inside a zone', async () => {
    const fresh = await t.login(nextPhone());
    const r = await recs('context=home&lang=en', fresh);
    expect(r.blocks.map((b) => b.kind)).toEqual(['popular_near_you']);
    expect(block(r, 'popular_near_you')[0]!.reason).toBe('Popular in Dar es Salaam');
  });
});

describe('every item shown is sellable and deliverable; breaking each condition hides its item at once', () => {
  it('out of stock', async () => {
    expect(await together()).toContain(p.stock!.id);
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/seller/products/${p.stock!.id}/variants/${p.stock!.skuIds[0]}`,
      headers: sellers.main!.auth,
      payload: { stock: 0 },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await together()).not.toContain(p.stock!.id);
    expect(await together()).toContain(p.plain!.id);
  });

  it('product no longer verified (suspended by an admin)', async () => {
    expect(await together()).toContain(p.unverified!.id);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/products/${p.unverified!.id}/suspend`,
      headers: admin.auth,
      payload: { reason: 'counterfeit report' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await together()).not.toContain(p.unverified!.id);
  });

  it('seller banned', async () => {
    expect(await together()).toContain(p.banned!.id);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/users/${sellers.banned!.userId}/ban`,
      headers: admin.auth,
      payload: { reason: 'fraud' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await together()).not.toContain(p.banned!.id);
  });

  it('seller’s pickup point moved outside every zone', async () => {
    expect(await together()).toContain(p.moving!.id);
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/me/seller-profile',
      headers: sellers.moving!.auth,
      payload: { location: OUTSIDE },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await together()).not.toContain(p.moving!.id);
  });

  it('already in the buyer’s cart: left out of every block', async () => {
    expect(await together()).toContain(p.cart!.id);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/cart/items',
      headers: buyer.auth,
      payload: { sku_id: p.cart!.skuIds[0], quantity: 1 },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await together()).not.toContain(p.cart!.id);
    for (const ctx of ['home', 'cart', `product:${p.anchor!.id}`])
      for (const b of (await recs(`context=${ctx}`)).blocks) expect(ids(b.items)).not.toContain(p.cart!.id);
  });

  it('the buyer’s default address outside every zone: nothing can be delivered, nothing is shown', async () => {
    expect(await together()).toContain(p.plain!.id);
    const away = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/addresses',
      headers: buyer.auth,
      payload: {
        label: 'Shamba',
        ward: 'Bagamoyo',
        landmark: 'Msikiti',
        location: OUTSIDE,
        is_default: true,
      },
    });
    expect(away.statusCode, away.body).toBe(201);
    expect(await together()).toEqual([]);
    const back = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/me/addresses/${home}`,
      headers: buyer.auth,
      payload: { is_default: true },
    });
    expect(back.statusCode, back.body).toBe(200);
    expect(await together()).toContain(p.plain!.id);
  });

  it('no service hours at all: no promise can be made, nothing is shown', async () => {
    const closed = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/admin/service-hours',
      headers: admin.auth,
      payload: {
        days: Array.from({ length: 7 }, (_, weekday) => ({ weekday, open: null, close: null })),
        reason: 'holiday',
      },
    });
    expect(closed.statusCode, closed.body).toBe(200);
    expect(await together()).toEqual([]);
    const anonymous = await recs('context=home', null);
    expect(anonymous.blocks).toEqual([]);
  });
});
