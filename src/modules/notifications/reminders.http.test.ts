import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type Actor,
  category,
  demoZones,
  nextPhone,
  verifiedProduct,
  verifiedSeller,
} from '../../../test/support/fixtures.js';
import { ManualClock } from '../../shared/clock.js';
import { notificationMessages as m } from './schema.js';

// Through the whole app: the producers added for issue #14's second round write their messages in
// the causing transaction and notifications tells each person once, however often the jobs rerun:
// the seller's accept reminder (not after acceptance or cancellation), the no-show notice with the
// seller's real strikes, a product's and a rider's verification or rejection.

let t: TestApp;
let admin: Actor;
let seller: Actor;
let product: { id: string; skuIds: string[] };
let zone = '';
let categoryId = '';

beforeAll(async () => {
  t = await createTestApp(
    {
      SELLER_ACCEPT_MINUTES: '30',
      SELLER_REMINDER_MINUTES: '10',
      SIMULATOR_DELAY_MS: '5000',
      PAYMENT_FIRST_QUERY_SECONDS: '600',
      PAYMENT_PUSHES_PER_HOUR: '100000',
      DELIVERY_FEE: '300000',
    },
    // Wednesday 12:00 in Dar es Salaam: outside the quiet hours.
    { clock: new ManualClock('2026-11-25T09:00:00Z') },
  );
  admin = await t.loginAdmin('+255754330001');
  seller = await verifiedSeller(t, admin, 'Duka la Kumbusho');
  const cat = await category(t, admin, 'Kumbusho');
  categoryId = cat;
  product = await verifiedProduct(t, admin, seller, {
    title: 'Kanga ya Kumbusho',
    categoryId: cat,
    variants: [{ seller_sku: 'R-KANGA', price: 10_000_00, stock: 50 }],
  });
  zone = [...(await demoZones(t, admin)).values()][0]!;
}, 240_000);

afterAll(async () => {
  await t.close();
});

const api = (method: 'GET' | 'POST' | 'PUT', url: string, auth: Record<string, string>, payload?: object) =>
  t.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });

const rowsOf = (userId: string, template: string) =>
  t.handle.db
    .select()
    .from(m)
    .where(and(eq(m.recipientId, userId), eq(m.templateKey, template)));

/** Every message job, and the ones that produce messages, run again as after a dead worker. */
async function rerunJobs(kinds: string[]) {
  await t.handle.db.execute(
    `update jobs set status = 'pending', run_at = '${t.clock.now().toISOString()}', attempts = 0
      where kind in (${kinds.map((k) => `'${k}'`).join(', ')})`,
  );
  await t.app.services.jobs.drain();
}

let n = 0;
/** A buyer's paid order of the seller's product (cart, checkout, simulator payment). */
async function paidOrder(): Promise<{ id: string; buyer: Actor }> {
  const phone = nextPhone();
  const buyer = await t.login(phone);
  await api('POST', '/api/v1/cart/items', buyer.auth, { sku_id: product.skuIds[0]!, quantity: 1 });
  const addr = await api('POST', '/api/v1/me/addresses', buyer.auth, {
    label: 'Home',
    ward: 'Mikocheni',
    landmark: 'Green gate',
  });
  const preview = (await api('GET', '/api/v1/cart', buyer.auth)).json();
  const co = await t.app.inject({
    method: 'POST',
    url: '/api/v1/orders/checkout',
    headers: { ...buyer.auth, 'idempotency-key': `reminder-${n++}` },
    payload: { address_id: addr.json().id, payer_phone: phone, preview_token: preview.preview_token },
  });
  expect(co.statusCode, co.body).toBe(201);
  const checkout = co.json() as { checkout_id: string; orders: Array<{ id: string }> };
  const push = await api(
    'POST',
    `/api/v1/payments/checkouts/${checkout.checkout_id}/collections`,
    buyer.auth,
    {},
  );
  expect(push.statusCode, push.body).toBe(202);
  t.clock.advanceSeconds(5);
  await t.app.services.jobs.drain();
  const id = checkout.orders[0]!.id;
  expect((await api('GET', `/api/v1/orders/${id}`, buyer.auth)).json().status).toBe('paid');
  return { id, buyer };
}

describe("the seller's reminder before the accept-by deadline, and the no-show notice", () => {
  it('reminds once per unaccepted order; none for an accepted or cancelled one; the no-show says the real strikes', async () => {
    const waiting = await paidOrder();
    const paidAt = t.clock.now().getTime();
    const accepted = await paidOrder();
    const cancelled = await paidOrder();
    expect((await api('POST', `/api/v1/seller/orders/${accepted.id}/accept`, seller.auth)).statusCode).toBe(
      200,
    );
    const cancel = await api('POST', `/api/v1/orders/${cancelled.id}/cancel`, cancelled.buyer.auth);
    expect(cancel.statusCode, cancel.body).toBe(200);
    // The seller's reply shows accept_by in Dar es Salaam time; the reminder names the same instant.
    const acceptBy = (await api('GET', `/api/v1/seller/orders/${waiting.id}`, seller.auth)).json()
      .accept_by as string;
    const [, date, hhmm] = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)/.exec(acceptBy)!;
    const [y, mo, d] = date!.split('-');

    const reminders = async (orderId: string) =>
      (await rowsOf(seller.userId, 'seller.accept_reminder')).filter((r) => r.orderId === orderId);
    // Not yet: 19 minutes after payment, the reminder (10 minutes before a 30-minute deadline) waits.
    t.clock.set(new Date(paidAt + 19 * 60_000));
    await t.app.services.jobs.drain();
    expect(await reminders(waiting.id)).toEqual([]);
    t.clock.advanceSeconds(60);
    await t.app.services.jobs.drain();
    const first = (await reminders(waiting.id)).map((r) => r.channel).sort();
    expect(first).toEqual(['in_app', 'sms']);
    expect((await reminders(waiting.id))[0]!.body).toContain(`kabla ya ${hhmm} ${d}/${mo}/${y}`);
    expect(await reminders(accepted.id)).toEqual([]);
    expect(await reminders(cancelled.id)).toEqual([]);
    // The timer and its message run again: still one reminder.
    await rerunJobs(['orders.remind_seller', 'order.accept_deadline_approached', 'notifications.send']);
    expect((await reminders(waiting.id)).map((r) => r.channel).sort()).toEqual(first);

    // The deadline passes: the waiting order is cancelled for the no-show, the seller's first strike
    // after the buyer's cancellation (which counts none).
    t.clock.advanceSeconds(11 * 60);
    await t.app.services.jobs.drain();
    const noShow = (await rowsOf(seller.userId, 'seller.order_auto_cancelled')).filter(
      (r) => r.orderId === waiting.id,
    );
    expect(noShow.map((r) => r.channel).sort()).toEqual(['in_app', 'sms']);
    expect(noShow[0]!.body).toContain('Sasa una makosa 1.');

    // A second no-show of the same seller says 2.
    const again = await paidOrder();
    t.clock.advanceSeconds(31 * 60);
    await t.app.services.jobs.drain();
    const second = (await rowsOf(seller.userId, 'seller.order_auto_cancelled')).filter(
      (r) => r.orderId === again.id,
    );
    expect(second.map((r) => r.channel).sort()).toEqual(['in_app', 'sms']);
    expect(second[0]!.body).toContain('Sasa una makosa 2.');
    await rerunJobs(['order.status_changed', 'notifications.send']);
    expect((await rowsOf(seller.userId, 'seller.order_auto_cancelled')).length).toBe(4);
  });
});

describe('a product decision reaches its seller', () => {
  it('verified once (the set-up verified one), and rejected with the reason', async () => {
    const verified = await rowsOf(seller.userId, 'seller.product_verified');
    expect(verified.map((r) => r.channel).sort()).toEqual(['in_app', 'sms']);
    expect(verified[0]!.body).toContain('Kanga ya Kumbusho');

    const created = await api('POST', '/api/v1/seller/products', seller.auth, {
      title: 'Kikoi cha Pwani',
      description: 'cotton',
      category_id: categoryId,
      brand_id: null,
      specs: {},
      variants: [{ seller_sku: 'R-KIKOI', price: 5_000_00, stock: 3, attributes: { colour: 'red' } }],
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    expect((await api('POST', `/api/v1/seller/products/${id}/submit`, seller.auth)).statusCode).toBe(200);
    const rejected = await api('POST', `/api/v1/admin/products/${id}/reject`, admin.auth, {
      reason: 'photos missing',
    });
    expect(rejected.statusCode, rejected.body).toBe(200);
    await t.app.services.jobs.drain();
    await rerunJobs(['product.decided', 'notifications.send']);
    const rows = await rowsOf(seller.userId, 'seller.product_rejected');
    expect(rows.map((r) => r.channel).sort()).toEqual(['in_app', 'sms']);
    expect(rows[0]!.body).toContain('Kikoi cha Pwani haikukubaliwa: photos missing');
    expect((await rowsOf(seller.userId, 'seller.product_verified')).length).toBe(2);
  });
});

describe("a rider's application decided", () => {
  it('verified and rejected (with the reason) are each told once', async () => {
    const apply = async () => {
      const rider = await t.login(nextPhone());
      const res = await api('POST', '/api/v1/rider/profile', rider.auth, {
        vehicle: 'boda_boda',
        plate: `MC ${100 + n++} ABC`,
        home_zone_id: zone,
      });
      expect(res.statusCode, res.body).toBe(200);
      return rider;
    };
    const good = await apply();
    const bad = await apply();
    expect((await api('POST', `/api/v1/admin/riders/${good.userId}/verify`, admin.auth, {})).statusCode).toBe(
      200,
    );
    const rej = await api('POST', `/api/v1/admin/riders/${bad.userId}/reject`, admin.auth, {
      reason: 'licence expired',
    });
    expect(rej.statusCode, rej.body).toBe(200);
    await t.app.services.jobs.drain();
    await rerunJobs(['rider.decided', 'notifications.send']);
    expect((await rowsOf(good.userId, 'rider.verified')).map((r) => r.channel).sort()).toEqual([
      'in_app',
      'sms',
    ]);
    const rejected = await rowsOf(bad.userId, 'rider.rejected');
    expect(rejected.map((r) => r.channel).sort()).toEqual(['in_app', 'sms']);
    expect(rejected[0]!.body).toContain('licence expired');
    expect(await rowsOf(bad.userId, 'rider.verified')).toEqual([]);
  });
});
