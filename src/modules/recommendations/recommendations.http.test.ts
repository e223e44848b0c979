import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { completedOrders } from '../../../test/support/completed-orders.js';
import {
  type Actor,
  category,
  nextPhone,
  verifiedProduct,
  verifiedSeller,
} from '../../../test/support/fixtures.js';
import { RECOMMENDATIONS_REFRESH } from './index.js';

// Flat delivery (no zones): the cold start, the incremental refresh, views and cart adds as
// signals, the job's schedule, and every kind of bad input.

let t: TestApp;
let admin: Actor;
let seller: Actor;
let food: string;
const p: Array<{ id: string; skuIds: string[] }> = [];
const SESSION = 'anon_session_0123456789';

async function get(url: string, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'GET', url, headers });
}
const ids = (body: { blocks: Array<{ kind: string; items: Array<{ product_id: string }> }> }, kind: string) =>
  body.blocks.find((b) => b.kind === kind)?.items.map((i) => i.product_id) ?? [];

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.loginAdmin('+255754320201');
  seller = await verifiedSeller(t, admin, 'Duka la Chakula');
  food = await category(t, admin, 'Chakula');
  for (let i = 0; i < 4; i++)
    p.push(
      await verifiedProduct(t, admin, seller, {
        categoryId: food,
        title: `Mchele ${i}`,
        variants: [{ seller_sku: `FOOD-${i}`, price: 3_000_00, stock: 9 }],
      }),
    );
});
afterAll(() => t.close());

describe('cold start', () => {
  it('nothing bought yet anywhere: the newest products of the shop stand in, with their category', async () => {
    const res = await get('/api/v1/recommendations?context=home', { 'accept-language': 'sw-TZ,sw;q=0.9' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.language).toBe('sw');
    expect(body.blocks.map((b: { kind: string }) => b.kind)).toEqual(['category_fallback']);
    expect(ids(body, 'category_fallback')).toEqual([...p].reverse().map((x) => x.id));
    expect(body.blocks[0].items[0].reason).toBe('Mpya katika Chakula');
    const en = (await get('/api/v1/recommendations?context=home')).json();
    expect(en.blocks[0].items[0].reason).toBe('New in Chakula');
  });
});

describe('the refresh job reads only what completed since its watermark', () => {
  it('folds new orders in once; a second run finds nothing; later orders add to the counts', async () => {
    const refresh = t.app.services.recommendations.refresh;
    const at = (daysAgo: number) => new Date(t.clock.now().getTime() - daysAgo * 86_400_000);
    const buyers = Array.from({ length: 4 }, () => randomUUID());
    await completedOrders(
      t.handle.db,
      buyers.slice(0, 3).map((b, i) => ({
        buyerId: b,
        sellerId: seller.userId,
        productIds: [p[0]!.id, p[1]!.id],
        at: at(3 - i),
      })),
    );
    expect(await refresh.refresh()).toBe(3);
    expect(await refresh.refresh()).toBe(0);
    const view = async () =>
      (await get(`/api/v1/recommendations?context=product:${p[0]!.id}&lang=en`)).json().blocks[0];
    expect(await view()).toMatchObject({
      kind: 'bought_together',
      items: [{ product_id: p[1]!.id, reason: 'Bought with Mchele 0 by 3 buyers' }],
    });
    // A fourth buyer, and a second order of an earlier buyer (not a new pair: counted once per buyer).
    await completedOrders(t.handle.db, [
      { buyerId: buyers[3]!, sellerId: seller.userId, productIds: [p[0]!.id, p[1]!.id], at: at(1) },
      { buyerId: buyers[0]!, sellerId: seller.userId, productIds: [p[1]!.id, p[0]!.id], at: at(0.5) },
      // Delivered but still inside its dispute window: not a purchase yet.
      {
        buyerId: randomUUID(),
        sellerId: seller.userId,
        productIds: [p[0]!.id, p[1]!.id],
        at: at(0.2),
        status: 'delivered',
      },
    ]);
    const before = await refresh.watermark();
    expect(await refresh.refresh()).toBe(2);
    expect((await refresh.watermark())!.at.getTime()).toBeGreaterThan(before!.at.getTime());
    expect((await view()).items[0].reason).toBe('Bought with Mchele 0 by 4 buyers');
    const rows = await t.handle.db.execute(sql`select buyers from rec_pairs where product_id = ${p[0]!.id}`);
    expect((rows as unknown as { rows: Array<{ buyers: number }> }).rows).toEqual([{ buyers: 4 }]);
  });

  it('the watermark keeps microseconds: an order completed mid-millisecond is read once, not on every run', async () => {
    const refresh = t.app.services.recommendations.refresh;
    await completedOrders(t.handle.db, [
      { buyerId: randomUUID(), sellerId: seller.userId, productIds: [p[3]!.id], at: t.clock.now() },
    ]);
    await t.handle.db.execute(
      sql`update orders set completed_at = completed_at + interval '123 microseconds' where completed_at = ${t.clock.now().toISOString()}::timestamptz`,
    );
    expect(await refresh.refresh()).toBe(1);
    expect(await refresh.refresh()).toBe(0);
  });

  it('runs as the recommendations.refresh job, which schedules its next run', async () => {
    await completedOrders(t.handle.db, [
      { buyerId: randomUUID(), sellerId: seller.userId, productIds: [p[2]!.id], at: t.clock.now() },
    ]);
    await t.app.services.recommendations.startSchedule();
    t.clock.advance(11 * 60_000);
    // Other modules' messages (a seller's KYC decision, say) may be due too: the refresh is one of them.
    const ran = await t.app.services.jobs.runDue();
    expect(ran.failed).toBe(0);
    const done = await t.handle.db.execute(
      sql`select count(*)::int as n from jobs where kind = ${RECOMMENDATIONS_REFRESH} and status = 'done'`,
    );
    expect((done as unknown as { rows: Array<{ n: number }> }).rows[0]!.n).toBe(1);
    expect(await t.app.services.recommendations.refresh.refresh()).toBe(0);
    const pending = await t.handle.db.execute(
      sql`select count(*)::int as n from jobs where kind = ${RECOMMENDATIONS_REFRESH} and status = 'pending'`,
    );
    expect((pending as unknown as { rows: Array<{ n: number }> }).rows[0]!.n).toBe(1);
  });
});

describe('signals', () => {
  it('views of an anonymous session come back as recently viewed, newest first, and are bounded', async () => {
    for (const x of [p[2]!, p[3]!]) {
      t.clock.advanceSeconds(1);
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/recommendations/views',
        headers: { 'x-kkoo-session': SESSION },
        payload: { product_id: x.id },
      });
      expect(res.statusCode, res.body).toBe(204);
    }
    const body = (await get('/api/v1/recommendations?context=home', { 'x-kkoo-session': SESSION })).json();
    expect(ids(body, 'recently_viewed')).toEqual([p[3]!.id, p[2]!.id]);
    expect(body.blocks.find((b: { kind: string }) => b.kind === 'recently_viewed').items[0].reason).toBe(
      'You viewed this recently',
    );
    // 60 more views (of ids that need not exist): only the newest 50 are kept.
    const signals = t.app.services.recommendations.signals;
    for (let i = 0; i < 60; i++) {
      t.clock.advanceSeconds(1);
      await signals.recordView(`s:${SESSION}`, randomUUID());
    }
    const kept = await t.handle.db.execute(
      sql`select count(*)::int as n from rec_views where viewer = ${`s:${SESSION}`}`,
    );
    expect((kept as unknown as { rows: Array<{ n: number }> }).rows[0]!.n).toBe(50);
  });

  it('a cart add is recorded in the add’s transaction and anchors the buyer’s home page', async () => {
    const buyer = await t.login(nextPhone());
    const add = await t.app.inject({
      method: 'POST',
      url: '/api/v1/cart/items',
      headers: buyer.auth,
      payload: { sku_id: p[0]!.skuIds[0], quantity: 1 },
    });
    expect(add.statusCode, add.body).toBe(200);
    const body = (await get('/api/v1/recommendations?context=home&lang=en', buyer.auth)).json();
    expect(ids(body, 'bought_together')).toEqual([p[1]!.id]);
    expect(ids(body, 'popular_near_you')).not.toContain(p[0]!.id);
    const cart = (await get('/api/v1/recommendations?context=cart', buyer.auth)).json();
    expect(ids(cart, 'bought_together')).toEqual([p[1]!.id]);
  });
});

describe('sign-in takes over the anonymous session’s views', () => {
  /** Signs in over HTTP with extra headers (the app's anonymous session). */
  async function signIn(phone: string, headers: Record<string, string>) {
    const req = await t.app.inject({ method: 'POST', url: '/api/v1/auth/otp/request', payload: { phone } });
    expect(req.statusCode, req.body).toBe(202);
    const code = t.sms.lastCode(t.sms.sent.at(-1)!.to);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/otp/verify',
      headers,
      payload: { phone, code },
    });
    t.clock.advanceSeconds(61);
    return res;
  }
  const view = async (headers: Record<string, string>, productId: string) => {
    t.clock.advanceSeconds(1);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/recommendations/views',
      headers,
      payload: { product_id: productId },
    });
    expect(res.statusCode, res.body).toBe(204);
  };
  const recent = async (headers: Record<string, string>) =>
    ids((await get('/api/v1/recommendations?context=home&lang=en', headers)).json(), 'recently_viewed');
  const rows = async (viewer: string) => {
    const r = await t.handle.db.execute(
      sql`select count(*)::int as n from rec_views where viewer = ${viewer}`,
    );
    return (r as unknown as { rows: Array<{ n: number }> }).rows[0]!.n;
  };

  it('merged once, newest first, a product seen on both sides once; the session is emptied', async () => {
    const anon = { 'x-kkoo-session': 'anon_merge_session_0001' };
    const phone = nextPhone();
    const buyer = await t.login(phone);
    await view(buyer.auth, p[2]!.id);
    await view(anon, p[2]!.id); // seen again before signing in: one entry, the later time
    await view(anon, p[1]!.id);
    await view(anon, p[0]!.id);
    await view(buyer.auth, p[3]!.id); // on another device, signed in, after the anonymous views
    expect(await recent(anon)).toEqual([p[0]!.id, p[1]!.id, p[2]!.id]);

    const first = await signIn(phone, anon);
    expect(first.statusCode, first.body).toBe(200);
    expect(await recent(buyer.auth)).toEqual([p[3]!.id, p[0]!.id, p[1]!.id, p[2]!.id]);
    expect(await rows(`s:${anon['x-kkoo-session']}`)).toBe(0);
    expect(await recent(anon)).toEqual([]);

    // Idempotent: the same install signing in again changes nothing.
    expect((await signIn(phone, anon)).statusCode).toBe(200);
    expect(await recent(buyer.auth)).toEqual([p[3]!.id, p[0]!.id, p[1]!.id, p[2]!.id]);
    expect(await rows(`u:${buyer.userId}`)).toBe(4);

    // Another person signing in on the same install later inherits nothing.
    const other = await signIn(nextPhone(), anon);
    expect(other.statusCode, other.body).toBe(200);
    expect(await recent({ authorization: `Bearer ${other.json().token}` })).toEqual([]);
  });

  it('bounded: the account keeps only the newest 50 of both sides', async () => {
    const session = 'anon_merge_session_0002';
    const phone = nextPhone();
    const buyer = await t.login(phone);
    const signals = t.app.services.recommendations.signals;
    const newest: string[] = [];
    for (let i = 0; i < 50; i++) {
      t.clock.advanceSeconds(1);
      const [mine, theirs] = [randomUUID(), randomUUID()];
      await signals.recordView(`u:${buyer.userId}`, mine);
      t.clock.advanceSeconds(1);
      await signals.recordView(`s:${session}`, theirs);
      if (i >= 25) newest.push(mine, theirs);
    }
    expect((await signIn(phone, { 'x-kkoo-session': session })).statusCode).toBe(200);
    expect(await rows(`u:${buyer.userId}`)).toBe(50);
    const kept = await t.handle.db.execute(
      sql`select product_id from rec_views where viewer = ${`u:${buyer.userId}`}`,
    );
    const keptIds = (kept as unknown as { rows: Array<{ product_id: string }> }).rows.map(
      (r) => r.product_id,
    );
    expect(keptIds.sort()).toEqual([...newest].sort());
  });

  it('a malformed session header on sign-in is a 400 naming it, and the code is not spent', async () => {
    const phone = nextPhone();
    const bad = await signIn(phone, { 'x-kkoo-session': 'short' });
    expect(bad.statusCode, bad.body).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.body).toContain('x-kkoo-session');
    const code = t.sms.lastCode(t.sms.sent.at(-1)!.to);
    const good = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/otp/verify',
      payload: { phone, code },
    });
    expect(good.statusCode, good.body).toBe(200);
  });
});

describe('bad input', () => {
  it.each([
    ['context=bogus', 'INVALID_CONTEXT'],
    ['context=product:not-a-uuid', 'INVALID_CONTEXT'],
    ['context=product:', 'INVALID_CONTEXT'],
    ['context=HOME', 'INVALID_CONTEXT'],
  ])('%s → 400 %s on the context field', async (query, code) => {
    const res = await get(`/api/v1/recommendations?${query}`);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json()).toMatchObject({ code, field: 'context' });
  });

  it('missing context, an unknown parameter, a bad language, a context too long → 400', async () => {
    for (const q of ['', 'context=home&x=1', 'context=home&lang=fr', `context=${'a'.repeat(61)}`]) {
      const res = await get(`/api/v1/recommendations?${q}`);
      expect(res.statusCode, `${q}: ${res.body}`).toBe(400);
    }
  });

  it('a product that does not exist → 404', async () => {
    const res = await get(`/api/v1/recommendations?context=product:${randomUUID()}`);
    expect(res.statusCode, res.body).toBe(404);
  });

  it('a bad or expired token is a 401, never a silent anonymous answer', async () => {
    const res = await get('/api/v1/recommendations?context=home', {
      authorization: 'Bearer not-a-real-token-123',
    });
    expect(res.statusCode, res.body).toBe(401);
  });

  it('views: no session and no sign-in, a malformed session id, a bad product id → 400', async () => {
    const post = (headers: Record<string, string>, payload: unknown) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/recommendations/views',
        headers,
        payload: payload as object,
      });
    const none = await post({}, { product_id: p[0]!.id });
    expect(none.statusCode).toBe(400);
    expect(none.json()).toMatchObject({ code: 'SESSION_REQUIRED', field: 'x-kkoo-session' });
    expect((await post({ 'x-kkoo-session': 'short' }, { product_id: p[0]!.id })).statusCode).toBe(400);
    expect((await post({ 'x-kkoo-session': SESSION }, { product_id: 'nope' })).statusCode).toBe(400);
    expect((await post({ 'x-kkoo-session': SESSION }, {})).statusCode).toBe(400);
    expect((await post({ 'x-kkoo-session': SESSION }, { product_id: p[0]!.id, extra: 1 })).statusCode).toBe(
      400,
    );
  });
});
