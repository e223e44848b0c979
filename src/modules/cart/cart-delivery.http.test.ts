import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type Actor,
  category,
  demoZones,
  nextPhone,
  sellerAt,
  verifiedProduct,
  verifiedSeller,
} from '../../../test/support/fixtures.js';
import { DAR_DEMO_ZONES, demoBand } from '../../demo-zones.js';

// GET /cart?address_id=: before paying, each seller order shows its delivery fee and promised time
// to the chosen address, from the same quote checkout freezes in the snapshot (zones), or the flat
// fee with no promise (flat). The clock starts on Tuesday 25 Nov 2026, 12:00 in Dar es Salaam.

const zone = (name: string) => DAR_DEMO_ZONES.find((z) => z.name === name)!.centre;
type Auth = { authorization: string };

async function addToCart(t: TestApp, auth: Auth, skuId: string, quantity = 1) {
  const r = await t.app.inject({
    method: 'POST',
    url: '/api/v1/cart/items',
    headers: auth,
    payload: { sku_id: skuId, quantity },
  });
  expect(r.statusCode, r.body).toBe(200);
}

async function addAddress(t: TestApp, auth: Auth, location: { lat: number; lng: number } | null) {
  const r = await t.app.inject({
    method: 'POST',
    url: '/api/v1/me/addresses',
    headers: auth,
    payload: { label: 'Home', ward: 'W', landmark: 'L', ...(location ? { location } : {}) },
  });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().id as string;
}

const preview = (t: TestApp, auth: Auth, query = '') =>
  t.app.inject({ method: 'GET', url: `/api/v1/cart${query}`, headers: auth });

const checkout = (t: TestApp, auth: Auth, addressId: string, previewToken: string) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/orders/checkout',
    headers: { ...auth, 'idempotency-key': `cart-delivery-${Math.random().toString(36).slice(2)}` },
    payload: { address_id: addressId, payer_phone: '0754 123 456', preview_token: previewToken },
  });

/** A verified seller with one product of `price`, optionally with a pickup location. */
async function sellerWithSku(
  t: TestApp,
  admin: Actor,
  name: string,
  price: number,
  location: { lat: number; lng: number } | null,
  stock = 50,
) {
  const seller = location ? await sellerAt(t, admin, name, location) : await verifiedSeller(t, admin, name);
  const cat = await category(t, admin, `${name} goods`);
  const p = await verifiedProduct(t, admin, seller, {
    categoryId: cat,
    variants: [{ seller_sku: `${name.replace(/\W/g, '').toUpperCase()}-1`, price, stock }],
  });
  return { seller, skuId: p.skuIds[0]! };
}

describe('DELIVERY_QUOTES=zones: the preview shows what checkout will charge and promise', () => {
  let t: TestApp;
  let admin: Actor;
  let kariakoo: { seller: Actor; skuId: string };
  let mbezi: { seller: Actor; skuId: string };

  beforeAll(async () => {
    t = await createTestApp({ DELIVERY_QUOTES: 'zones' });
    admin = await t.loginAdmin('+255754330001');
    const _ids = await demoZones(t, admin);
    kariakoo = await sellerWithSku(t, admin, 'Kariakoo Duka', 10_000_00, zone('Kariakoo'));
    mbezi = await sellerWithSku(t, admin, 'Mbezi Duka', 4_000_00, zone('Mbezi'));
  });
  afterAll(() => t.close());

  it('two seller orders to Mikocheni: each fee and promise from the table; checkout charges and freezes exactly that', async () => {
    const b = await t.login(nextPhone());
    await addToCart(t, b.auth, kariakoo.skuId, 2);
    await addToCart(t, b.auth, mbezi.skuId);
    const home = await addAddress(t, b.auth, zone('Mikocheni'));

    const plain = await preview(t, b.auth);
    expect(plain.statusCode).toBe(200);
    expect(plain.json().delivery).toBeNull();
    expect(plain.json().sellers.map((s: { delivery: unknown }) => s.delivery)).toEqual([null, null]);

    const res = await preview(t, b.auth, `?address_id=${home}`);
    expect(res.statusCode, res.body).toBe(200);
    const cart = res.json();
    // The token fingerprints the goods, not the delivery: the same with or without an address.
    expect(cart.preview_token).toBe(plain.json().preview_token);
    const now = t.clock.now().getTime();
    const bySeller = new Map(cart.sellers.map((s: { seller_id: string }) => [s.seller_id, s]));
    const expected = [
      [kariakoo.seller.userId, 'Kariakoo'],
      [mbezi.seller.userId, 'Mbezi'],
    ] as const;
    let fees = 0;
    for (const [sellerId, from] of expected) {
      const s = bySeller.get(sellerId) as {
        totals: { final: number };
        delivery: Record<string, unknown> & { promised_by: string; promised_by_local: string };
      };
      const band = demoBand(from, 'Mikocheni');
      expect(s.delivery).toMatchObject({
        fee: band.fee,
        from_zone: from,
        to_zone: 'Mikocheni',
        duration_minutes: band.duration_minutes,
        total: s.totals.final + band.fee,
      });
      // UTC as the snapshot keeps it, and the same instant in Dar es Salaam time.
      expect(s.delivery.promised_by).toMatch(/Z$/);
      expect(new Date(s.delivery.promised_by).getTime()).toBe(now + band.duration_minutes * 60_000);
      expect(s.delivery.promised_by_local).toMatch(/\+03:00$/);
      expect(new Date(s.delivery.promised_by_local).getTime()).toBe(
        new Date(s.delivery.promised_by).getTime(),
      );
      fees += band.fee;
    }
    expect(cart.delivery).toEqual({
      address_id: home,
      quotes: 'zones',
      fee_total: fees,
      total: cart.totals.final + fees,
    });
    expect(cart.totals.final).toBe(2 * 10_000_00 + 4_000_00);

    const co = await checkout(t, b.auth, home, cart.preview_token);
    expect(co.statusCode, co.body).toBe(201);
    expect(co.json().total).toBe(cart.delivery.total);
    for (const o of co.json().orders) {
      const shown = (bySeller.get(o.seller_id) as { delivery: Record<string, unknown> }).delivery;
      expect(o.delivery_fee).toBe(shown.fee);
      expect(o.snapshot.delivery).toEqual({
        fee: shown.fee,
        promised_by: shown.promised_by,
        from_zone: shown.from_zone,
        to_zone: shown.to_zone,
        duration_minutes: shown.duration_minutes,
      });
      expect(o.promised_by).toBe(shown.promised_by_local);
    }
  });

  it('the promise moves with the clock while the token stays: checkout re-quotes at its own time', async () => {
    const b = await t.login(nextPhone());
    await addToCart(t, b.auth, kariakoo.skuId);
    const home = await addAddress(t, b.auth, zone('Kariakoo'));
    const first = (await preview(t, b.auth, `?address_id=${home}`)).json();
    t.clock.advanceSeconds(10 * 60);
    const later = (await preview(t, b.auth, `?address_id=${home}`)).json();
    expect(later.preview_token).toBe(first.preview_token);
    expect(
      new Date(later.sellers[0].delivery.promised_by).getTime() -
        new Date(first.sellers[0].delivery.promised_by).getTime(),
    ).toBe(10 * 60_000);
    const co = await checkout(t, b.auth, home, first.preview_token);
    expect(co.statusCode, co.body).toBe(201);
    expect(co.json().orders[0].snapshot.delivery.promised_by).toBe(later.sellers[0].delivery.promised_by);
  });

  it('an address outside every zone, or without a place, gets checkout’s clear refusal', async () => {
    const b = await t.login(nextPhone());
    await addToCart(t, b.auth, kariakoo.skuId);
    const outside = await addAddress(t, b.auth, { lat: -6.1, lng: 39.3 });
    const r = await preview(t, b.auth, `?address_id=${outside}`);
    expect([r.statusCode, r.json().code, r.json().field]).toEqual([
      422,
      'ADDRESS_OUTSIDE_ZONES',
      'address_id',
    ]);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    const nowhere = await addAddress(t, b.auth, null);
    const n = await preview(t, b.auth, `?address_id=${nowhere}`);
    expect([n.statusCode, n.json().code, n.json().field]).toEqual([
      422,
      'ADDRESS_LOCATION_REQUIRED',
      'address_id',
    ]);
    // The same refusals checkout gives for the same address.
    const token = (await preview(t, b.auth)).json().preview_token;
    const co = await checkout(t, b.auth, outside, token);
    expect([co.statusCode, co.json().code]).toEqual([422, 'ADDRESS_OUTSIDE_ZONES']);
  });

  it('a seller with no pickup point: 409 SELLER_LOCATION_MISSING, unless their items cannot be bought anyway', async () => {
    const nowhere = await sellerWithSku(t, admin, 'Nowhere Duka', 2_000_00, null, 1);
    const b = await t.login(nextPhone());
    await addToCart(t, b.auth, kariakoo.skuId);
    await addToCart(t, b.auth, nowhere.skuId);
    const home = await addAddress(t, b.auth, zone('Kinondoni'));
    const r = await preview(t, b.auth, `?address_id=${home}`);
    expect([r.statusCode, r.json().code]).toEqual([409, 'SELLER_LOCATION_MISSING']);
    // Once their only item is out of stock, that seller makes no order: nothing to quote for them.
    await t.handle.db.execute(sql`update product_variants set stock = 0 where id = ${nowhere.skuId}::uuid`);
    const ok = await preview(t, b.auth, `?address_id=${home}`);
    expect(ok.statusCode, ok.body).toBe(200);
    const groups = new Map(
      ok.json().sellers.map((s: { seller_id: string; delivery: unknown }) => [s.seller_id, s.delivery]),
    );
    expect(groups.get(nowhere.seller.userId)).toBeNull();
    expect(groups.get(kariakoo.seller.userId)).toMatchObject({ from_zone: 'Kariakoo', to_zone: 'Kinondoni' });
    expect(ok.json().ready).toBe(false);
  });

  it('bad input: not a uuid, another buyer’s address, an unknown parameter, no sign-in, no buyer role', async () => {
    const b = await t.login(nextPhone());
    await addToCart(t, b.auth, kariakoo.skuId);
    const notUuid = await preview(t, b.auth, '?address_id=home');
    expect([notUuid.statusCode, notUuid.json().code, notUuid.json().field]).toEqual([
      400,
      'VALIDATION_FAILED',
      'address_id',
    ]);
    const empty = await preview(t, b.auth, '?address_id=');
    expect([empty.statusCode, empty.json().field]).toEqual([400, 'address_id']);
    const twice = await preview(
      t,
      b.auth,
      `?address_id=${crypto.randomUUID()}&address_id=${crypto.randomUUID()}`,
    );
    expect([twice.statusCode, twice.json().field]).toEqual([400, 'address_id']);
    const extra = await preview(t, b.auth, '?address=1');
    expect(extra.statusCode).toBe(400);

    // Someone else's address is a 404, like an address that does not exist: nothing to enumerate.
    const other = await t.login(nextPhone());
    const theirs = await addAddress(t, other.auth, zone('Mikocheni'));
    const foreign = await preview(t, b.auth, `?address_id=${theirs}`);
    const missing = await preview(t, b.auth, `?address_id=${crypto.randomUUID()}`);
    expect([foreign.statusCode, foreign.json().code]).toEqual([404, missing.json().code]);
    expect(missing.statusCode).toBe(404);
    expect(foreign.json().detail).toBe(missing.json().detail);

    expect((await t.app.inject({ method: 'GET', url: `/api/v1/cart?address_id=${theirs}` })).statusCode).toBe(
      401,
    );
    // A user whose roles no longer include buyer (e.g. a rider-only account) cannot preview.
    const riderOnly = await t.login(nextPhone());
    await t.handle.db.execute(
      sql`update users set roles = array['rider']::text[] where id = ${riderOnly.userId}::uuid`,
    );
    const forbidden = await preview(t, riderOnly.auth, `?address_id=${theirs}`);
    expect([forbidden.statusCode, forbidden.json().code]).toEqual([403, 'FORBIDDEN_ROLE']);
  });
});

describe('DELIVERY_QUOTES=flat: the flat fee per seller order, no promise', () => {
  let t: TestApp;
  let admin: Actor;

  beforeAll(async () => {
    t = await createTestApp({ DELIVERY_QUOTES: 'flat', DELIVERY_FEE: '250000' });
    admin = await t.loginAdmin('+255754330002');
  });
  afterAll(() => t.close());

  it('shows DELIVERY_FEE per seller order (no place needed) and the total checkout then asks for', async () => {
    const a = await sellerWithSku(t, admin, 'Flat One', 3_000_00, null);
    const c = await sellerWithSku(t, admin, 'Flat Two', 7_000_00, null);
    const b = await t.login(nextPhone());
    await addToCart(t, b.auth, a.skuId);
    await addToCart(t, b.auth, c.skuId, 3);
    const home = await addAddress(t, b.auth, null);
    const res = await preview(t, b.auth, `?address_id=${home}`);
    expect(res.statusCode, res.body).toBe(200);
    const cart = res.json();
    for (const s of cart.sellers) {
      expect(s.delivery).toEqual({
        fee: 2_500_00,
        promised_by: null,
        promised_by_local: null,
        from_zone: null,
        to_zone: null,
        duration_minutes: null,
        total: s.totals.final + 2_500_00,
      });
    }
    expect(cart.delivery).toEqual({
      address_id: home,
      quotes: 'flat',
      fee_total: 2 * 2_500_00,
      total: 3_000_00 + 3 * 7_000_00 + 2 * 2_500_00,
    });
    const co = await checkout(t, b.auth, home, cart.preview_token);
    expect(co.statusCode, co.body).toBe(201);
    expect(co.json().total).toBe(cart.delivery.total);
    expect(co.json().orders.map((o: { promised_by: unknown }) => o.promised_by)).toEqual([null, null]);
  });

  it('another buyer’s address is still a 404, and an empty cart quotes nothing', async () => {
    const b = await t.login(nextPhone());
    const other = await t.login(nextPhone());
    const theirs = await addAddress(t, other.auth, null);
    const r = await preview(t, b.auth, `?address_id=${theirs}`);
    expect([r.statusCode, r.json().code]).toEqual([404, 'NOT_FOUND']);
    const mine = await addAddress(t, b.auth, null);
    const empty = await preview(t, b.auth, `?address_id=${mine}`);
    expect(empty.statusCode).toBe(200);
    expect(empty.json().delivery).toEqual({ address_id: mine, quotes: 'flat', fee_total: 0, total: 0 });
  });
});
