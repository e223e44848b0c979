import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type Actor,
  category,
  nextPhone,
  verifiedProduct,
  verifiedSeller,
} from '../../../test/support/fixtures.js';
import { users } from '../../db/schema.js';

let t: TestApp;
let admin: Actor;
let s1: Actor;
let s2: Actor;
let fashion: string;
let kanga: { id: string; skuIds: string[] };
let shuka: { id: string; skuIds: string[] };
let radio: { id: string; skuIds: string[] };

beforeAll(async () => {
  t = await createTestApp({ CART_MAX_QUANTITY: '10' });
  admin = await t.loginAdmin('+255754500001');
  s1 = await verifiedSeller(t, admin, 'Mama Neema');
  s2 = await verifiedSeller(t, admin, 'Juma Electronics');
  fashion = await category(t, admin, 'Fashion');
  const electronics = await category(t, admin, 'Electronics');
  kanga = await verifiedProduct(t, admin, s1, {
    categoryId: fashion,
    title: 'Kanga',
    variants: [{ seller_sku: 'KANGA', price: 10_000_00, stock: 8 }],
  });
  shuka = await verifiedProduct(t, admin, s1, {
    categoryId: fashion,
    title: 'Shuka',
    variants: [{ seller_sku: 'SHUKA', price: 30_000_00, stock: 2 }],
  });
  radio = await verifiedProduct(t, admin, s2, {
    categoryId: electronics,
    title: 'Radio',
    variants: [{ seller_sku: 'RADIO', price: 50_000_00, stock: 5 }],
  });
});
afterAll(() => t.close());

const iso = (offsetH: number) => new Date(t.clock.now().getTime() + offsetH * 3600_000).toISOString();
const api = (
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  url: string,
  auth: Record<string, string>,
  payload?: object,
) => t.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });

async function buyer() {
  const b = await t.login(nextPhone());
  return b;
}

describe('cart basics', () => {
  it('persists per buyer, groups lines by seller, and adding a SKU again adds to its line', async () => {
    const b = await buyer();
    await api('POST', '/api/v1/cart/items', b.auth, { sku_id: kanga.skuIds[0], quantity: 1 });
    await api('POST', '/api/v1/cart/items', b.auth, { sku_id: radio.skuIds[0], quantity: 1 });
    const res = await api('POST', '/api/v1/cart/items', b.auth, { sku_id: kanga.skuIds[0], quantity: 2 });
    expect(res.statusCode).toBe(200);
    const cart = res.json();
    expect(cart.ready).toBe(true);
    expect(cart.sellers.map((s: { seller_id: string }) => s.seller_id).sort()).toEqual(
      [s1.userId, s2.userId].sort(),
    );
    const s1Lines = cart.sellers.find((s: { seller_id: string }) => s.seller_id === s1.userId).lines;
    expect(s1Lines).toEqual([
      expect.objectContaining({ sku_id: kanga.skuIds[0], quantity: 3, unit_price: 10_000_00, problem: null }),
    ]);
    expect(cart.totals).toMatchObject({ original: 80_000_00, final: 80_000_00, seller_amount: 80_000_00 });

    // Survives logout: a new session sees the same cart.
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: b.auth });
    const [{ phone }] = (await t.handle.db
      .select({ phone: users.phone })
      .from(users)
      .where(eq(users.id, b.userId))) as [{ phone: string }];
    const again = await t.login(phone);
    expect((await api('GET', '/api/v1/cart/', again.auth)).json().totals.original).toBe(80_000_00);
  });

  it('changes and removes lines, and empties the cart', async () => {
    const b = await buyer();
    await api('POST', '/api/v1/cart/items', b.auth, { sku_id: kanga.skuIds[0], quantity: 1 });
    await api('POST', '/api/v1/cart/items', b.auth, { sku_id: radio.skuIds[0], quantity: 1 });
    expect(
      (await api('PATCH', `/api/v1/cart/items/${kanga.skuIds[0]}`, b.auth, { quantity: 4 })).json().totals
        .original,
    ).toBe(90_000_00);
    expect(
      (await api('DELETE', `/api/v1/cart/items/${radio.skuIds[0]}`, b.auth)).json().totals.original,
    ).toBe(40_000_00);
    expect((await api('DELETE', `/api/v1/cart/items/${radio.skuIds[0]}`, b.auth)).statusCode).toBe(404);
    const empty = (await api('DELETE', '/api/v1/cart', b.auth)).json();
    expect(empty).toMatchObject({ sellers: [], ready: false, totals: { original: 0 } });
  });

  // The preview reads the cart row and its lines in one statement (a left join): no row, a row
  // without lines and a row with lines must each read as what they are.
  it('reads a never-used cart (no row) and an emptied one (a row, no lines) as empty carts', async () => {
    const b = await buyer();
    const never = await api('GET', '/api/v1/cart', b.auth);
    expect(never.statusCode).toBe(200);
    expect(never.json()).toMatchObject({ sellers: [], ready: false, code: null, totals: { original: 0 } });
    await api('POST', '/api/v1/cart/items', b.auth, { sku_id: kanga.skuIds[0], quantity: 1 });
    await api('DELETE', `/api/v1/cart/items/${kanga.skuIds[0]}`, b.auth);
    const emptied = (await api('GET', '/api/v1/cart', b.auth)).json();
    expect(emptied).toMatchObject({ sellers: [], ready: false, totals: { original: 0 } });
  });

  it.each([
    ['a zero quantity', { quantity: 0 }, 400, 'quantity'],
    ['a negative quantity', { quantity: -2 }, 400, 'quantity'],
    ['a fractional quantity', { quantity: 1.5 }, 400, 'quantity'],
    ['a quantity over the maximum', { quantity: 11 }, 400, 'quantity'],
    ['a quantity given as text', { quantity: '2' }, 400, 'quantity'],
    ['an unknown SKU', { sku_id: '01a211ef-3fcc-7542-96e2-9af11744c6a1' }, 422, 'sku_id'],
    ['a malformed SKU id', { sku_id: 'abc' }, 400, 'sku_id'],
  ])('refuses %s', async (_what, over, status, field) => {
    const b = await buyer();
    const res = await api('POST', '/api/v1/cart/items', b.auth, {
      sku_id: kanga.skuIds[0],
      quantity: 1,
      ...over,
    });
    expect(res.statusCode).toBe(status);
    expect(res.json().field).toBe(field);
  });

  it('refuses more than the stock, and more than the maximum across adds', async () => {
    const b = await buyer();
    const short = await api('POST', '/api/v1/cart/items', b.auth, { sku_id: shuka.skuIds[0], quantity: 3 });
    expect(short.statusCode).toBe(409);
    expect(short.json().code).toBe('INSUFFICIENT_STOCK');
    await api('POST', '/api/v1/cart/items', b.auth, { sku_id: kanga.skuIds[0], quantity: 6 });
    const over = await api('POST', '/api/v1/cart/items', b.auth, { sku_id: kanga.skuIds[0], quantity: 5 });
    expect(over.json().code).toBe('QUANTITY_LIMIT');
  });

  it('refuses a SKU of a product that is not verified', async () => {
    const b = await buyer();
    const draft = await t.app.inject({
      method: 'POST',
      url: '/api/v1/seller/products',
      headers: s1.auth,
      payload: {
        title: 'Draft',
        description: 'x',
        category_id: fashion,
        variants: [{ seller_sku: 'DRAFT-1', attributes: {}, price: 100, stock: 5 }],
      },
    });
    const res = await api('POST', '/api/v1/cart/items', b.auth, {
      sku_id: draft.json().variants[0].id,
      quantity: 1,
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('SKU_NOT_AVAILABLE');
  });

  it('flags, never drops, a line whose product was unpublished or whose stock is now short', async () => {
    const seller = await verifiedSeller(t, admin, 'Flaky');
    const p = await verifiedProduct(t, admin, seller, {
      categoryId: fashion,
      variants: [{ seller_sku: 'FLAKY', price: 5_000_00, stock: 5 }],
    });
    const q = await verifiedProduct(t, admin, seller, {
      categoryId: fashion,
      variants: [{ seller_sku: 'FLAKY-2', price: 7_000_00, stock: 5 }],
    });
    const b = await buyer();
    await api('POST', '/api/v1/cart/items', b.auth, { sku_id: p.skuIds[0], quantity: 1 });
    await api('POST', '/api/v1/cart/items', b.auth, { sku_id: q.skuIds[0], quantity: 4 });
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/products/${p.id}/suspend`,
      headers: admin.auth,
      payload: { reason: 'check' },
    });
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/seller/products/${q.id}/variants/${q.skuIds[0]}`,
      headers: seller.auth,
      payload: { stock: 2 },
    });
    const cart = (await api('GET', '/api/v1/cart', b.auth)).json();
    const lines = cart.sellers[0].lines;
    expect(lines.map((l: { problem: string | null }) => l.problem)).toEqual([
      'PRODUCT_NOT_AVAILABLE',
      'INSUFFICIENT_STOCK',
    ]);
    expect(cart.ready).toBe(false);
    expect(cart.totals.original).toBe(0);
    // Lowering the quantity fixes the short line.
    const fixed = (await api('PATCH', `/api/v1/cart/items/${q.skuIds[0]}`, b.auth, { quantity: 2 })).json();
    expect(fixed.sellers[0].lines[1]).toMatchObject({ problem: null, pricing: { final: 14_000_00 } });
  });

  it('a seller cannot buy their own products (the platform would fund the discount)', async () => {
    const res = await api('POST', '/api/v1/cart/items', s1.auth, { sku_id: kanga.skuIds[0], quantity: 1 });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'SELF_PURCHASE', field: 'sku_id' });
  });

  it('the preview token changes when what the buyer would pay changes, and only then', async () => {
    const b = await buyer();
    const first = (
      await api('POST', '/api/v1/cart/items', b.auth, { sku_id: radio.skuIds[0], quantity: 1 })
    ).json();
    expect((await api('GET', '/api/v1/cart', b.auth)).json().preview_token).toBe(first.preview_token);
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/seller/products/${radio.id}/variants/${radio.skuIds[0]}`,
      headers: s2.auth,
      payload: { price: 49_000_00 },
    });
    const after = (await api('GET', '/api/v1/cart', b.auth)).json();
    expect(after.preview_token).not.toBe(first.preview_token);
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/seller/products/${radio.id}/variants/${radio.skuIds[0]}`,
      headers: s2.auth,
      payload: { price: 50_000_00 },
    });
  });

  it('needs a signed-in buyer', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/cart' })).statusCode).toBe(401);
  });
});

describe('incentive preview', () => {
  it('shows per line the promotion applied, then the code, then points; the seller keeps the full base price', async () => {
    const promo = await api('POST', '/api/v1/admin/promotions', admin.auth, {
      name: 'Fashion Friday',
      value: { type: 'percentage', percent_bp: 1000 },
      scope: { type: 'category', id: fashion },
      starts_at: iso(-1),
      ends_at: iso(24),
      priority: 1,
      budget_amount: 1_000_000_00,
      active: true,
    });
    expect(promo.statusCode).toBe(201);
    const code = await api('POST', '/api/v1/admin/discount-codes', admin.auth, {
      code: 'karibu 5k',
      value: { type: 'fixed', amount: 5_000_00 },
      min_order_amount: 20_000_00,
      starts_at: iso(-1),
      ends_at: iso(24),
      active: true,
    });
    expect(code.json().code).toBe('KARIBU5K');
    const b = await buyer();
    await api('POST', `/api/v1/admin/loyalty/${b.userId}/adjust`, admin.auth, {
      points: 5000,
      reason: 'welcome bonus',
    });
    await api('POST', '/api/v1/cart/items', b.auth, { sku_id: kanga.skuIds[0], quantity: 2 });
    await api('POST', '/api/v1/cart/items', b.auth, { sku_id: radio.skuIds[0], quantity: 1 });
    await api('PUT', '/api/v1/cart/code', b.auth, { code: ' Karibu5k ' });
    const cart = (await api('PUT', '/api/v1/cart/loyalty', b.auth, { points: 1000 })).json();

    const kangaLine = cart.sellers.find((s: { seller_id: string }) => s.seller_id === s1.userId).lines[0];
    expect(kangaLine.pricing.promotion).toMatchObject({
      id: promo.json().id,
      name: 'Fashion Friday',
      amount: 2_000_00,
    });
    // original 70 000; promotion 2 000 → 68 000; code 5 000 → 63 000; 1000 points × TZS 1 = 1 000 → 62 000
    expect(cart.totals).toEqual({
      original: 70_000_00,
      promotion_discount: 2_000_00,
      code_discount: 5_000_00,
      loyalty_discount: 1_000_00,
      discount_total: 8_000_00,
      final: 62_000_00,
      seller_amount: 70_000_00,
      platform_funded: 8_000_00,
    });
    expect(cart.code).toEqual({ code: 'KARIBU5K', applied: true, amount: 5_000_00 });
    expect(cart.loyalty).toEqual({ requested_points: 1000, points_used: 1000, amount: 1_000_00 });
    for (const s of cart.sellers) expect(s.totals.final).toBe(s.totals.original - s.totals.discount_total);
    expect(cart.sellers.reduce((a: number, s: { totals: { final: number } }) => a + s.totals.final, 0)).toBe(
      62_000_00,
    );
  });

  it('explains each incentive not applied: minimum not met, expired, not started, budget exhausted, per-buyer limit', async () => {
    const mk = (name: string, over: object) =>
      api('POST', '/api/v1/admin/promotions', admin.auth, {
        name,
        value: { type: 'fixed', amount: 100_00 },
        scope: { type: 'sku', id: shuka.skuIds[0] },
        starts_at: iso(-2),
        ends_at: iso(24),
        priority: 0,
        budget_amount: 1_000_00,
        active: true,
        ...over,
      });
    const expired = (await mk('Old', { ends_at: iso(-1) })).json().id;
    const future = (await mk('Soon', { starts_at: iso(2) })).json().id;
    const winner = (await mk('Winner', { priority: 5 })).json().id;
    const loser = (await mk('Loser', { priority: 1 })).json().id;
    await api('POST', '/api/v1/admin/discount-codes', admin.auth, {
      code: 'BIGSPEND',
      value: { type: 'percentage', percent_bp: 500 },
      min_order_amount: 1_000_000_00,
      starts_at: iso(-1),
      ends_at: iso(24),
      active: true,
    });
    const b = await buyer();
    await api('POST', '/api/v1/cart/items', b.auth, { sku_id: shuka.skuIds[0], quantity: 1 });
    const cart = (await api('PUT', '/api/v1/cart/code', b.auth, { code: 'bigspend' })).json();
    const reasons = Object.fromEntries(
      cart.not_applied
        .filter((n: { kind: string }) => n.kind === 'promotion')
        .map((n: { id: string; reason: string }) => [n.id, n.reason]),
    );
    expect(reasons[expired]).toBe('EXPIRED');
    expect(reasons[future]).toBe('NOT_STARTED');
    expect(reasons[loser]).toBe('OUTRANKED');
    expect(cart.sellers[0].lines[0].pricing.promotion.id).toBe(winner);
    expect(cart.code).toEqual({ code: 'BIGSPEND', applied: false, amount: 0 });
    expect(cart.not_applied).toContainEqual(
      expect.objectContaining({ kind: 'code', reason: 'MINIMUM_NOT_MET' }),
    );
  });

  it('an unknown code is refused; removing the code and points restores the price', async () => {
    const b = await buyer();
    await api('POST', '/api/v1/cart/items', b.auth, { sku_id: radio.skuIds[0], quantity: 1 });
    const unknown = await api('PUT', '/api/v1/cart/code', b.auth, { code: 'NOPE-NOPE' });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json()).toMatchObject({ code: 'CODE_NOT_FOUND', field: 'code' });
    const cart = (await api('DELETE', '/api/v1/cart/code', b.auth)).json();
    expect(cart.code).toBeNull();
    expect((await api('PUT', '/api/v1/cart/loyalty', b.auth, { points: -5 })).statusCode).toBe(400);
  });

  // The pricing input reads the code even when there are no lines to price (no candidate promotions
  // are read then): an attempt to read both in one statement sent only for carts with lines lost it.
  it('a code kept on an empty cart is still known, and promotions are weighed once there are lines', async () => {
    const ended = (
      await api('POST', '/api/v1/admin/promotions', admin.auth, {
        name: 'Ended, for everything',
        value: { type: 'fixed', amount: 100_00 },
        scope: { type: 'all' },
        starts_at: iso(-5),
        ends_at: iso(-1),
        priority: 0,
        budget_amount: 1_000_00,
        active: true,
      })
    ).json().id;
    await api('POST', '/api/v1/admin/discount-codes', admin.auth, {
      code: 'EMPTYCART',
      value: { type: 'fixed', amount: 1_000_00 },
      min_order_amount: 1_00,
      starts_at: iso(-1),
      ends_at: iso(24),
      active: true,
    });
    const b = await buyer();
    const empty = (await api('PUT', '/api/v1/cart/code', b.auth, { code: 'emptycart' })).json();
    expect(empty.code).toEqual({ code: 'EMPTYCART', applied: false, amount: 0 });
    expect(empty.not_applied).toEqual([expect.objectContaining({ kind: 'code', reason: 'MINIMUM_NOT_MET' })]);
    const read = (await api('GET', '/api/v1/cart', b.auth)).json();
    expect(read.not_applied).toEqual(empty.not_applied);

    await api('POST', '/api/v1/cart/items', b.auth, { sku_id: radio.skuIds[0], quantity: 1 });
    const full = (await api('GET', '/api/v1/cart', b.auth)).json();
    expect(full.code).toEqual({ code: 'EMPTYCART', applied: true, amount: 1_000_00 });
    expect(full.not_applied).toContainEqual(
      expect.objectContaining({ kind: 'promotion', id: ended, reason: 'EXPIRED' }),
    );
  });
});

describe('promotion administration', () => {
  const valid = () => ({
    name: 'Admin test',
    value: { type: 'percentage', percent_bp: 1500, cap_amount: 5_000_00 },
    scope: { type: 'all' },
    starts_at: iso(0),
    ends_at: iso(48),
    priority: 0,
    budget_amount: 100_000_00,
    per_buyer_limit: 2,
    active: true,
  });

  it('only admins create or change promotions and codes; every change is audited', async () => {
    const b = await buyer();
    expect((await api('POST', '/api/v1/admin/promotions', b.auth, valid())).json().code).toBe(
      'FORBIDDEN_ROLE',
    );
    expect((await api('POST', '/api/v1/admin/promotions', s1.auth, valid())).statusCode).toBe(403);
    expect((await api('GET', '/api/v1/admin/discount-codes', b.auth)).statusCode).toBe(403);
    const p = (await api('POST', '/api/v1/admin/promotions', admin.auth, valid())).json();
    expect(
      (await api('PATCH', `/api/v1/admin/promotions/${p.id}`, admin.auth, { active: false })).json().field,
    ).toBe('reason');
    expect(
      (await api('PATCH', `/api/v1/admin/promotions/${p.id}`, admin.auth, { reason: 'nothing' })).statusCode,
    ).toBe(400);
    const changed = await api('PATCH', `/api/v1/admin/promotions/${p.id}`, admin.auth, {
      active: false,
      priority: 3,
      reason: 'budget review',
    });
    expect(changed.json()).toMatchObject({ active: false, priority: 3 });
    const trail = (
      await api('GET', `/api/v1/admin/audit-events?target_type=promotion&target_id=${p.id}`, admin.auth)
    ).json();
    expect(trail.items.map((e: { action: string }) => e.action)).toEqual([
      'promotion.updated',
      'promotion.created',
    ]);
    expect(trail.items[0]).toMatchObject({
      reason: 'budget review',
      data: { changes: { active: false, priority: 3 } },
    });
  });

  it.each([
    [
      'an end before the start',
      { starts_at: '2026-12-02T00:00:00Z', ends_at: '2026-12-01T00:00:00Z' },
      422,
      'INVALID_WINDOW',
    ],
    [
      'a percentage over 100%',
      { value: { type: 'percentage', percent_bp: 10001 } },
      400,
      'VALIDATION_FAILED',
    ],
    ['a fractional amount', { value: { type: 'fixed', amount: 10.5 } }, 400, 'VALIDATION_FAILED'],
    ['an amount with cents', { value: { type: 'fixed', amount: 1_050 } }, 400, 'VALIDATION_FAILED'],
    ['a budget with cents', { budget_amount: 1_000_050 }, 400, 'VALIDATION_FAILED'],
    ['a zero budget', { budget_amount: 0 }, 400, 'VALIDATION_FAILED'],
    ['an unknown scope', { scope: { type: 'city', id: 'x' } }, 400, 'VALIDATION_FAILED'],
    ['a time without offset', { starts_at: '2026-12-01 10:00' }, 400, 'VALIDATION_FAILED'],
    ['the year 0000', { starts_at: '0000-01-01T00:00:00Z' }, 400, 'VALIDATION_FAILED'],
    ['a per-buyer limit beyond reason', { per_buyer_limit: 3_000_000_000 }, 400, 'VALIDATION_FAILED'],
    [
      'a scope that names nothing',
      { scope: { type: 'category', id: '01a211ef-3fcc-7542-96e2-9af11744c6a1' } },
      422,
      'SCOPE_NOT_FOUND',
    ],
  ])('refuses %s', async (_what, over, status, code) => {
    const res = await api('POST', '/api/v1/admin/promotions', admin.auth, { ...valid(), ...over });
    expect(res.statusCode).toBe(status);
    expect(res.json().code).toBe(code);
  });

  it('refuses a patch that puts the end before the start', async () => {
    const p = (await api('POST', '/api/v1/admin/promotions', admin.auth, valid())).json();
    const res = await api('PATCH', `/api/v1/admin/promotions/${p.id}`, admin.auth, {
      ends_at: iso(-100),
      reason: 'shorten',
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'INVALID_WINDOW', field: 'ends_at' });
  });

  it('codes are unique ignoring case and spaces, and refuse odd characters', async () => {
    const body = {
      code: 'Jambo10',
      value: { type: 'fixed', amount: 1_000_00 },
      min_order_amount: 0,
      starts_at: iso(0),
      ends_at: iso(10),
      active: true,
    };
    expect((await api('POST', '/api/v1/admin/discount-codes', admin.auth, body)).statusCode).toBe(201);
    const dup = await api('POST', '/api/v1/admin/discount-codes', admin.auth, {
      ...body,
      code: ' jambo 10 ',
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ code: 'CODE_EXISTS', field: 'code' });
    expect(
      (await api('POST', '/api/v1/admin/discount-codes', admin.auth, { ...body, code: 'bad!code' })).json()
        .field,
    ).toBe('code');
  });

  it('loyalty adjustments need a reason, a known user and never go below zero', async () => {
    const b = await buyer();
    expect(
      (await api('POST', `/api/v1/admin/loyalty/${b.userId}/adjust`, admin.auth, { points: 10 })).json()
        .field,
    ).toBe('reason');
    expect(
      (
        await api('POST', `/api/v1/admin/loyalty/${b.userId}/adjust`, admin.auth, { points: -1, reason: 'x' })
      ).json().code,
    ).toBe('INSUFFICIENT_POINTS');
    expect(
      (
        await api('POST', '/api/v1/admin/loyalty/01a211ef-3fcc-7542-96e2-9af11744c6a1/adjust', admin.auth, {
          points: 1,
          reason: 'x',
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (
        await api('POST', `/api/v1/admin/loyalty/${b.userId}/adjust`, admin.auth, {
          points: 300,
          reason: 'goodwill',
        })
      ).json().balance,
    ).toBe(300);
    const mine = (await api('GET', '/api/v1/me/loyalty', b.auth)).json();
    expect(mine).toMatchObject({
      balance: 300,
      entries: [{ kind: 'adjust', points: 300, reason: 'goodwill' }],
    });
  });
});
