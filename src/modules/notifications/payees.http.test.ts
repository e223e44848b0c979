import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type Actor,
  category,
  demoZones,
  nextPhone,
  sellerAt,
  upload,
  verifiedProduct,
} from '../../../test/support/fixtures.js';
import { DAR_DEMO_ZONES } from '../../demo-zones.js';
import { ManualClock } from '../../shared/clock.js';
import { notificationMessages as m } from './schema.js';

// End to end through the API, the zone quotes and the payment simulator: what sellers and riders
// hear of their own standing and money. A seller's KYC rejected, with the admin's reason; a
// seller's payout the provider refused; a rider's payout of delivery-fee shares sent. Each once
// per channel, in the person's language, to that person alone, however often the jobs run again
// or the provider's callback is replayed.

const TOKEN = 'cbtoken0123456789abcdefghijklmnopqrstuv';
let t: TestApp;
let admin: Actor;
let cat: string;
let kariakoo: string;
const centre = (name: string) => DAR_DEMO_ZONES.find((z) => z.name === name)!.centre;

beforeAll(async () => {
  t = await createTestApp(
    {
      DELIVERY_QUOTES: 'zones',
      SIMULATOR_DELAY_MS: '5000',
      PAYMENT_FIRST_QUERY_SECONDS: '60',
      PAYMENT_CALLBACK_TOKEN: TOKEN,
      PAYMENT_PUSHES_PER_HOUR: '100000',
      // a rider's share of one delivery fee is a few thousand shillings
      PAYOUT_MINIMUM: '100000',
      NOTIFY_QUIET_HOURS: 'off',
    },
    // Wednesday 12:00 in Dar es Salaam, inside the zones' service hours.
    { clock: new ManualClock('2026-11-25T09:00:00Z') },
  );
  admin = await t.loginAdmin('+255754360001');
  kariakoo = (await demoZones(t, admin)).get('Kariakoo')!;
  cat = await category(t, admin, 'Wapokeaji');
}, 240_000);
afterAll(() => t.close());

type Auth = Record<string, string>;
const api = (method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, auth: Auth, payload?: object) =>
  t.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
async function elapse(seconds: number) {
  t.clock.advanceSeconds(seconds);
  await t.app.services.jobs.drain();
}
async function speaks(who: Actor, language: 'sw' | 'en') {
  const res = await api('PUT', '/api/v1/me/notification-preferences', who.auth, { language });
  expect(res.statusCode, res.body).toBe(200);
}

/** A new user who applies to sell, paid out to `payoutPhone`: their KYC submission, pending. */
async function applyToSell(payoutPhone: string, language: 'sw' | 'en') {
  const me = await t.login(nextPhone());
  await speaks(me, language);
  const profile = await api('POST', '/api/v1/me/seller-profile', me.auth, {
    shop_name: `Duka ${payoutPhone.slice(-3)}`,
    business_type: 'informal',
    ward: 'Kariakoo',
    landmark: 'Msimbazi St',
    payout_phone: payoutPhone,
    payout_wallet: 'mpesa',
  });
  expect(profile.statusCode, profile.body).toBe(201);
  return { seller: me, submissionId: await submitKyc(me) };
}
async function submitKyc(me: Actor): Promise<string> {
  const doc = await upload(t, me.auth, 'kyc_document');
  const sub = await api('POST', '/api/v1/me/kyc', me.auth, {
    id_type: 'nida',
    id_number: '19900101123456789012',
    document_media_ids: [doc],
  });
  expect(sub.statusCode, sub.body).toBe(201);
  return sub.json().id;
}

let skus = 0;
/** One kanga of `seller`'s (picked up at Kariakoo) bought by a new buyer, delivered to Mikocheni, paid. */
async function paidOrder(seller: Actor) {
  const skuId = (
    await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: `PY-${++skus}`, price: 10_000_00, stock: 10 }],
    })
  ).skuIds[0]!;
  const buyer = await t.login(nextPhone());
  await api('POST', '/api/v1/cart/items', buyer.auth, { sku_id: skuId, quantity: 1 });
  const addr = await api('POST', '/api/v1/me/addresses', buyer.auth, {
    label: 'Home',
    ward: 'Mikocheni',
    landmark: 'Blue gate',
    location: centre('Mikocheni'),
  });
  const preview = (await api('GET', '/api/v1/cart', buyer.auth)).json();
  const co = await t.app.inject({
    method: 'POST',
    url: '/api/v1/orders/checkout',
    headers: { ...buyer.auth, 'idempotency-key': `py-${crypto.randomUUID()}` },
    payload: {
      address_id: addr.json().id,
      payer_phone: '0754 123 456',
      preview_token: preview.preview_token,
    },
  });
  expect(co.statusCode, co.body).toBe(201);
  const push = await api(
    'POST',
    `/api/v1/payments/checkouts/${co.json().checkout_id}/collections`,
    buyer.auth,
    {},
  );
  expect(push.statusCode, push.body).toBe(202);
  await elapse(5);
  const orderId = co.json().orders[0].id as string;
  return { buyer, orderId };
}

const rowsOf = (userId: string, template: string) =>
  t.handle.db
    .select()
    .from(m)
    .where(and(eq(m.recipientId, userId), eq(m.templateKey, template)));
/**
 * The rows of one event (by its id's prefix, so a producer that re-ids a replay is still caught):
 * every one must be for `userId`; their templates and channels.
 */
async function channelsOfEvent(eventId: string, userId: string) {
  const rows = await t.handle.db
    .select()
    .from(m)
    .where(like(m.eventId, `${eventId}%`));
  expect(rows.every((r) => r.recipientId === userId)).toBe(true);
  return rows.map((r) => `${r.templateKey}:${r.channel}`).sort();
}
const smsSent = (phone: string, text: string) =>
  t.sms.sent.filter((s) => s.to === phone && s.message.includes(text));
/**
 * Jobs of these kinds run again, as after a worker died before recording them. Due on the test's
 * clock, not the database's: `now()` is the wall clock, later than the ManualClock's date.
 */
async function rerun(kinds: string[]) {
  await t.handle.db.execute(
    `update jobs set status = 'pending', run_at = '${t.clock.now().toISOString()}', attempts = 0
      where kind in (${kinds.map((k) => `'${k}'`).join(', ')})`,
  );
  await t.app.services.jobs.drain();
}
const masked = (phone: string) => `${phone.slice(0, 5)}*****${phone.slice(-3)}`;
const tzs = (minor: number) => `TZS ${(minor / 100).toLocaleString('en-US')}`;

describe("a seller's KYC rejected", () => {
  it('the seller hears the reason once, in English; approving the next submission is its own message', async () => {
    const { seller, submissionId } = await applyToSell('0754 000 998', 'en');
    const rej = await api('POST', `/api/v1/admin/kyc/${submissionId}/reject`, admin.auth, {
      reason: 'Photo is blurred',
    });
    expect(rej.statusCode, rej.body).toBe(200);
    await t.app.services.jobs.drain();

    expect(await channelsOfEvent(`kyc:${submissionId}`, seller.userId)).toEqual([
      'seller.kyc_rejected:in_app',
      'seller.kyc_rejected:sms',
    ]);
    const text = "K'KOO: Your identity documents were not accepted: Photo is blurred. Please submit again.";
    const [sms] = (await rowsOf(seller.userId, 'seller.kyc_rejected')).filter((r) => r.channel === 'sms');
    expect(sms!.body).toBe(text);
    // The SMS went, once, to the number the seller signed in with.
    expect(t.sms.sent.filter((s) => s.message === text)).toEqual([{ to: sms!.address, message: text }]);
    const feed = (await api('GET', '/api/v1/me/notifications', seller.auth)).json();
    expect(feed.items.filter((i: { title: string }) => i.title === 'Identity not accepted')).toEqual([
      expect.objectContaining({ body: text }),
    ]);
    expect(await rowsOf(seller.userId, 'seller.kyc_verified')).toEqual([]);

    await rerun(['kyc.decided', 'notifications.send']);
    expect(await rowsOf(seller.userId, 'seller.kyc_rejected')).toHaveLength(2);
    expect(t.sms.sent.filter((s) => s.message === text)).toHaveLength(1);

    // The seller submits again and is approved: told as verified, the rejection not repeated.
    const second = await submitKyc(seller);
    expect((await api('POST', `/api/v1/admin/kyc/${second}/approve`, admin.auth, {})).statusCode).toBe(200);
    await t.app.services.jobs.drain();
    expect(await channelsOfEvent(`kyc:${second}`, seller.userId)).toEqual([
      'seller.kyc_verified:in_app',
      'seller.kyc_verified:sms',
    ]);
    expect(await rowsOf(seller.userId, 'seller.kyc_rejected')).toHaveLength(2);
  });
});

describe("a seller's payout refused by the provider", () => {
  it('the seller hears it failed, with the amount and the reason, once, however often the callback comes', async () => {
    // The simulator refuses a send to a number ending 903 for insufficient funds.
    const { seller, submissionId } = await applyToSell('0754 000 903', 'sw');
    expect((await api('POST', `/api/v1/admin/kyc/${submissionId}/approve`, admin.auth, {})).statusCode).toBe(
      200,
    );
    const located = await api('PATCH', '/api/v1/me/seller-profile', seller.auth, {
      location: centre('Kariakoo'),
    });
    expect(located.statusCode, located.body).toBe(200);
    const { buyer, orderId } = await paidOrder(seller);
    for (const step of ['accept', 'ready', 'pick-up'])
      expect(
        (await api('POST', `/api/v1/seller/orders/${orderId}/${step}`, seller.auth, {})).statusCode,
      ).toBe(200);
    const code = (await api('GET', `/api/v1/orders/${orderId}`, buyer.auth)).json().delivery_code;
    const del = await api('POST', `/api/v1/seller/orders/${orderId}/deliver`, seller.auth, {
      code,
      location: centre('Mikocheni'),
    });
    expect(del.statusCode, del.body).toBe(200);
    expect((await api('POST', `/api/v1/orders/${orderId}/confirm-receipt`, buyer.auth, {})).statusCode).toBe(
      200,
    );

    const payout = await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
      seller_id: seller.userId,
      reason: 'weekly',
    });
    expect(payout.statusCode, payout.body).toBe(201);
    const { id, amount } = payout.json() as { id: string; amount: number };
    await t.app.services.jobs.drain();
    await elapse(5); // the provider's answer: refused
    await elapse(60);
    expect((await t.app.services.payments.service.disbursement(id))!.status).toBe('failed');

    const event = `disbursement:${id}`;
    expect(await channelsOfEvent(event, seller.userId)).toEqual([
      'payee.payout_failed:in_app',
      'payee.payout_failed:sms',
    ]);
    const [sms] = (await rowsOf(seller.userId, 'payee.payout_failed')).filter((r) => r.channel === 'sms');
    // The provider's English reason becomes a short Swahili phrase; a refused payout is not resent
    // by itself, so the text says the money stays in the balance.
    expect(sms!.body).toBe(
      `K'KOO: Malipo yako ya ${tzs(amount)} hayakufanikiwa (salio halitoshi). Pesa inabaki kwenye salio lako la K'KOO; hakikisha namba yako ya malipo kwenye programu.`,
    );
    expect(smsSent(sms!.address!, 'hayakufanikiwa')).toHaveLength(1);
    expect(await rowsOf(seller.userId, 'payee.payout_sent')).toEqual([]);

    // The provider replays its callback; then the failure's message and the sends run again.
    const callbacks = (await api('GET', '/api/v1/admin/payments/callbacks', admin.auth)).json().items;
    const original = callbacks.find((c: { disbursement_id: string | null }) => c.disbursement_id === id);
    expect(original, JSON.stringify(callbacks)).toBeDefined();
    const replay = await t.app.inject({
      method: 'POST',
      url: `/api/v1/payments/callbacks/simulator/disbursement/${TOKEN}`,
      payload: original.body,
    });
    expect(replay.statusCode).toBe(200);
    await t.app.services.jobs.drain();
    await rerun(['payments.verify_disbursement', 'payment.disbursement_failed', 'notifications.send']);
    expect(await channelsOfEvent(event, seller.userId)).toHaveLength(2);
    expect(smsSent(sms!.address!, 'hayakufanikiwa')).toHaveLength(1);
  });
});

describe("a rider's payout sent", () => {
  it("the rider hears the amount and their masked number once, in English; the order's seller hears nothing of it", async () => {
    const seller = await sellerAt(t, admin, 'Duka la Mpanda', centre('Kariakoo'));
    const riderPhone = nextPhone();
    const rider = await t.login(riderPhone);
    await speaks(rider, 'en');
    const applied = await api('POST', '/api/v1/rider/profile', rider.auth, {
      vehicle: 'boda_boda',
      plate: 'MC 456 PYE',
      home_zone_id: kariakoo,
    });
    expect(applied.statusCode, applied.body).toBe(200);
    expect(
      (await api('POST', `/api/v1/admin/riders/${rider.userId}/verify`, admin.auth, {})).statusCode,
    ).toBe(200);

    const { buyer, orderId } = await paidOrder(seller);
    for (const step of ['accept', 'ready'])
      expect(
        (await api('POST', `/api/v1/seller/orders/${orderId}/${step}`, seller.auth, {})).statusCode,
      ).toBe(200);
    const assigned = await api('POST', `/api/v1/admin/dispatch/${orderId}/assign`, admin.auth, {
      rider_id: rider.userId,
      reason: 'test dispatch',
    });
    expect(assigned.statusCode, assigned.body).toBe(200);
    const handover = (await api('GET', `/api/v1/seller/orders/${orderId}`, seller.auth)).json().handover_code;
    const picked = await api('POST', `/api/v1/rider/jobs/${orderId}/pick-up`, rider.auth, {
      handover_code: handover,
    });
    expect(picked.statusCode, picked.body).toBe(200);
    expect((await api('POST', '/api/v1/rider/online', rider.auth)).statusCode).toBe(200);
    const ping = await api('POST', '/api/v1/rider/pings', rider.auth, centre('Mikocheni'));
    expect(ping.statusCode, ping.body).toBe(200);
    const code = (await api('GET', `/api/v1/orders/${orderId}`, buyer.auth)).json().delivery_code;
    const delivered = await api('POST', `/api/v1/rider/jobs/${orderId}/deliver`, rider.auth, { code });
    expect(delivered.statusCode, delivered.body).toBe(200);
    expect((await api('POST', `/api/v1/orders/${orderId}/confirm-receipt`, buyer.auth, {})).statusCode).toBe(
      200,
    );
    const share = (await api('GET', '/api/v1/rider/earnings', rider.auth)).json().available as number;
    expect(share).toBeGreaterThan(0);

    const payout = await api('POST', '/api/v1/admin/payments/rider-payouts', admin.auth, {
      rider_id: rider.userId,
      reason: 'weekly',
    });
    expect(payout.statusCode, payout.body).toBe(201);
    const id = payout.json().id as string;
    expect(payout.json().amount).toBe(share);
    await t.app.services.jobs.drain();
    await elapse(5);
    await elapse(60);
    expect((await t.app.services.payments.service.disbursement(id))!.status).toBe('succeeded');

    const event = `disbursement:${id}`;
    expect(await channelsOfEvent(event, rider.userId)).toEqual([
      'payee.payout_sent:in_app',
      'payee.payout_sent:sms',
    ]);
    const text = `K'KOO: Payout sent: ${tzs(share)} to ${masked(riderPhone)}.`;
    const [sms] = (await rowsOf(rider.userId, 'payee.payout_sent')).filter((r) => r.channel === 'sms');
    expect(sms!.body).toBe(text);
    expect(smsSent(riderPhone, 'Payout sent')).toEqual([{ to: riderPhone, message: text }]);
    const feed = (await api('GET', '/api/v1/me/notifications', rider.auth)).json();
    expect(feed.items.filter((i: { title: string }) => i.title === 'Payout sent')).toEqual([
      expect.objectContaining({ body: text }),
    ]);
    expect(await rowsOf(seller.userId, 'payee.payout_sent')).toEqual([]);

    const callbacks = (await api('GET', '/api/v1/admin/payments/callbacks', admin.auth)).json().items;
    const original = callbacks.find((c: { disbursement_id: string | null }) => c.disbursement_id === id);
    expect(original, JSON.stringify(callbacks)).toBeDefined();
    const replay = await t.app.inject({
      method: 'POST',
      url: `/api/v1/payments/callbacks/simulator/disbursement/${TOKEN}`,
      payload: original.body,
    });
    expect(replay.statusCode).toBe(200);
    await t.app.services.jobs.drain();
    await rerun(['payments.verify_disbursement', 'payment.disbursement_sent', 'notifications.send']);
    expect(await channelsOfEvent(event, rider.userId)).toHaveLength(2);
    expect(smsSent(riderPhone, 'Payout sent')).toHaveLength(1);
  });
});
