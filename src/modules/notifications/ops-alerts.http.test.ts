import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type Actor,
  category,
  nextPhone,
  verifiedProduct,
  verifiedSeller,
} from '../../../test/support/fixtures.js';
import { ManualClock } from '../../shared/clock.js';
import type { NotificationEvent } from './events.js';
import { CHECK_EVERY_MS } from './provider-watch.js';
import { notificationMessages as m } from './schema.js';
import { SmsError } from './sms.js';

// What operations hear of things going wrong out of sight: a payout still not sent
// PAYOUT_STUCK_MINUTES after it was requested (end to end through the API and the payment
// simulator), and a messaging provider failing more than NOTIFY_PROVIDER_ALERT_PERCENT of its
// messages. Each alert reaches every admin once (feed and SMS), however often its jobs run again.

const TOKEN = 'cbtoken0123456789abcdefghijklmnopqrstuv';
const STUCK_MINUTES = 90;
let t: TestApp;
let admin: Actor;
let cat: string;

beforeAll(async () => {
  t = await createTestApp(
    {
      DELIVERY_FEE: '300000',
      SIMULATOR_DELAY_MS: '5000',
      PAYMENT_FIRST_QUERY_SECONDS: '60',
      PAYMENT_CALLBACK_TOKEN: TOKEN,
      PAYMENT_PUSHES_PER_HOUR: '100000',
      PAYOUT_MINIMUM: '1000000',
      PAYOUT_STUCK_MINUTES: String(STUCK_MINUTES),
      REFUND_MAX_ATTEMPTS: '2',
      NOTIFY_QUIET_HOURS: 'off',
      NOTIFY_PROVIDER_ALERT_PERCENT: '50',
      NOTIFY_PROVIDER_ALERT_MIN_MESSAGES: '4',
      NOTIFY_PROVIDER_ALERT_WINDOW_MINUTES: '15',
    },
    // Wednesday 12:00 in Dar es Salaam: outside the quiet hours, so the SMS goes at once.
    { clock: new ManualClock('2026-11-25T09:00:00Z') },
  );
  admin = await t.loginAdmin('+255754330001');
  cat = await category(t, admin, 'Malipo');
}, 240_000);
afterAll(() => t.close());

const api = (method: 'GET' | 'POST', url: string, auth: Record<string, string>, payload?: object) =>
  t.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
async function elapse(seconds: number) {
  t.clock.advanceSeconds(seconds);
  await t.app.services.jobs.drain();
}

let sellers = 0;
/** A new seller's order, paid by a new buyer from `payerPhone`. */
async function paidOrder(payerPhone = '0754 123 456') {
  const seller = await verifiedSeller(t, admin, `Duka la Malipo ${++sellers}`);
  const kanga = await verifiedProduct(t, admin, seller, {
    categoryId: cat,
    variants: [{ seller_sku: `OPS-KANGA-${sellers}`, price: 10_000_00, stock: 100 }],
  });
  const buyer = await t.login(nextPhone());
  await api('POST', '/api/v1/cart/items', buyer.auth, { sku_id: kanga.skuIds[0]!, quantity: 1 });
  const addr = await api('POST', '/api/v1/me/addresses', buyer.auth, {
    label: 'Home',
    ward: 'Mikocheni',
    landmark: 'Blue gate',
  });
  const preview = (await api('GET', '/api/v1/cart', buyer.auth)).json();
  const co = await t.app.inject({
    method: 'POST',
    url: '/api/v1/orders/checkout',
    headers: { ...buyer.auth, 'idempotency-key': `ops-${crypto.randomUUID()}` },
    payload: { address_id: addr.json().id, payer_phone: payerPhone, preview_token: preview.preview_token },
  });
  expect(co.statusCode, co.body).toBe(201);
  const { checkout_id, orders } = co.json() as { checkout_id: string; orders: Array<{ id: string }> };
  await api('POST', `/api/v1/payments/checkouts/${checkout_id}/collections`, buyer.auth, {});
  await elapse(5);
  return { seller, buyer, orderId: orders[0]!.id };
}

/** A new seller whose sale was paid, delivered and confirmed: they have money to be paid out. */
async function sellerWithSale() {
  const { seller, buyer, orderId: id } = await paidOrder();
  for (const step of ['accept', 'ready', 'pick-up'])
    expect((await api('POST', `/api/v1/seller/orders/${id}/${step}`, seller.auth, {})).statusCode).toBe(200);
  const code = (await api('GET', `/api/v1/orders/${id}`, buyer.auth)).json().delivery_code;
  const del = await api('POST', `/api/v1/seller/orders/${id}/deliver`, seller.auth, {
    code,
    location: { lat: -6.77, lng: 39.27 },
  });
  expect(del.statusCode, del.body).toBe(200);
  expect((await api('POST', `/api/v1/orders/${id}/confirm-receipt`, buyer.auth, {})).statusCode).toBe(200);
  return seller;
}

async function requestPayout(seller: Actor) {
  const res = await api('POST', '/api/v1/admin/payments/payouts', admin.auth, {
    seller_id: seller.userId,
    reason: 'weekly',
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; amount: number };
}

const stuckAlerts = (payoutId: string) =>
  t.handle.db
    .select()
    .from(m)
    .where(and(eq(m.templateKey, 'ops.payout_stuck'), eq(m.eventId, `payout-stuck:${payoutId}`)));
const feedTitles = async (who: Actor) =>
  (await api('GET', '/api/v1/me/notifications', who.auth))
    .json()
    .items.map((i: { title: string; body: string }) => i);

describe('a payout stuck', () => {
  it('a payout the provider has not answered PAYOUT_STUCK_MINUTES after it was requested: every admin hears it once, in the feed and by SMS', async () => {
    const seller = await sellerWithSale();
    const payout = await requestPayout(seller);
    // The provider takes the send but never decides it: no callback comes and status queries keep
    // answering "pending".
    await t.app.services.jobs.drain();
    const reference = payout.id.replaceAll('-', '');
    await t.handle.db.execute(
      `update payment_simulator_txns set decides_at = '2027-06-01T00:00:00Z' where reference = '${reference}'`,
    );
    await t.handle.db.execute(
      `delete from jobs where kind = 'payments.simulator_callback' and payload::text like '%${reference}%'`,
    );
    await elapse((STUCK_MINUTES - 1) * 60);
    expect(await stuckAlerts(payout.id)).toEqual([]);
    await elapse(2 * 60);

    const rows = await stuckAlerts(payout.id);
    expect(
      rows
        .filter((r) => r.recipientId === admin.userId)
        .map((r) => r.channel)
        .sort(),
    ).toEqual(['in_app', 'sms']);
    // Every recipient is an admin; the seller is not told of operations' alerts.
    expect(rows.some((r) => r.recipientId === seller.userId)).toBe(false);
    const ref = `P-${payout.id.replaceAll('-', '').slice(0, 8).toUpperCase()}`;
    const mine = (await feedTitles(admin)).filter((i: { title: string }) => i.title === 'Malipo yamekwama');
    expect(mine).toHaveLength(1);
    expect(mine[0].body).toContain(ref);
    expect(mine[0].body).toContain(`TZS ${(payout.amount / 100).toLocaleString('en-US')}`);
    const sms = t.sms.sent.filter((s) => s.message.includes(ref));
    expect(sms).toHaveLength(1);
    expect(sms[0]!.to).toBe('+255754330001');

    // Every job runs again, as after a worker died before recording them: nothing new.
    await t.handle.db.execute(
      `update jobs set status = 'pending', run_at = '${t.clock.now().toISOString()}', attempts = 0
        where kind in ('payments.check_payout_stuck', 'payment.payout_stuck', 'notifications.send')`,
    );
    await elapse(60);
    expect(await stuckAlerts(payout.id)).toHaveLength(rows.length);
    expect(t.sms.sent.filter((s) => s.message.includes(ref))).toHaveLength(1);
  });

  it('a payout sent in time raises no alert when its check comes due', async () => {
    const seller = await sellerWithSale();
    const payout = await requestPayout(seller);
    await t.app.services.jobs.drain();
    await elapse(5);
    expect((await t.app.services.payments.service.disbursement(payout.id))!.status).toBe('succeeded');
    await elapse((STUCK_MINUTES + 1) * 60);
    expect(await stuckAlerts(payout.id)).toEqual([]);
  });

  it('a payout whose failure only a callback reported keeps its money held: stuck, operations hear it', async () => {
    const seller = await sellerWithSale();
    const payout = await requestPayout(seller);
    await t.app.services.jobs.drain();
    await t.app.services.payments.service.settleDisbursement(
      payout.id,
      {
        outcome: 'failed',
        providerRef: null,
        receipt: null,
        amount: null,
        msisdn: null,
        code: '2001',
        message: 'callback said failed',
      },
      'callback',
    );
    await elapse((STUCK_MINUTES + 1) * 60);
    expect((await stuckAlerts(payout.id)).map((r) => r.channel).sort()).toEqual(['in_app', 'sms']);
  });
});

describe('a refund that failed after its last attempt', () => {
  it('the buyer hears once that it is late; every admin hears once that it failed for good', async () => {
    const { seller, buyer, orderId } = await paidOrder('0754 555 321');
    const rej = await api('POST', `/api/v1/seller/orders/${orderId}/reject`, seller.auth, {
      reason: 'out of stock',
    });
    expect(rej.statusCode, rej.body).toBe(200);
    /** the provider refuses every send to the paying phone that is not decided yet */
    const refuseSends = () =>
      t.handle.db.execute(
        `update payment_simulator_txns set outcome = 'insufficient_funds'
          where kind = 'disbursement' and msisdn = '+255754555321' and decides_at > '${t.clock.now().toISOString()}'`,
      );
    await t.app.services.jobs.drain();
    await refuseSends();
    await elapse(5); // attempt 1 of REFUND_MAX_ATTEMPTS (2) refused: tried again later
    await elapse(600);
    await refuseSends();
    await elapse(5); // attempt 2 refused: given up, waits for an admin
    const [d] = await t.app.services.payments.service.disbursementsOf({ orderId });
    expect(d).toMatchObject({ status: 'failed', attempts: 2 });

    const of = (template: string) =>
      t.handle.db
        .select()
        .from(m)
        .where(and(eq(m.templateKey, template), eq(m.orderId, orderId)));
    const delayed = await of('buyer.refund_delayed');
    expect(delayed.map((r) => [r.recipientId === buyer.userId, r.channel]).sort()).toEqual([
      [true, 'in_app'],
      [true, 'sms'],
    ]);
    const failed = await of('ops.refund_failed');
    expect(
      failed
        .filter((r) => r.recipientId === admin.userId)
        .map((r) => r.channel)
        .sort(),
    ).toEqual(['in_app', 'sms']);
    expect(failed.some((r) => r.recipientId === buyer.userId)).toBe(false);
    expect(failed[0]!.body).toContain('insufficient');

    await t.handle.db.execute(
      `update jobs set status = 'pending', run_at = '${t.clock.now().toISOString()}', attempts = 0
        where kind in ('payment.disbursement_failed', 'notifications.send')`,
    );
    await t.app.services.jobs.drain();
    expect(await of('buyer.refund_delayed')).toHaveLength(delayed.length);
    expect(await of('ops.refund_failed')).toHaveLength(failed.length);
  });
});

describe('a messaging provider failing', () => {
  let buyers: Actor[] = [];
  let n = 0;
  /** one "order ready" message to each of these buyers, through notify() as its producer calls it */
  async function tell(who: Actor[]) {
    for (const b of who) {
      const event: NotificationEvent = {
        type: 'order.ready',
        id: `provider-watch-${++n}`,
        order_id: crypto.randomUUID(),
        buyer_id: b.userId,
      };
      await t.handle.db.transaction((tx) => t.app.services.notifications.service.notify(tx, event));
    }
    await t.app.services.jobs.drain();
  }
  const failingAlerts = async () =>
    (await feedTitles(admin)).filter((i: { title: string }) => i.title === 'Mtoa huduma anashindwa');
  const failing = new SmsError('REJECTED', 'the provider refused the message', false, 403);

  beforeAll(async () => {
    buyers = [];
    for (let i = 0; i < 6; i++) buyers.push(await t.login(nextPhone()));
    // Earlier tests' messages leave the window.
    await elapse(3600);
  });

  it('a failure share under NOTIFY_PROVIDER_ALERT_PERCENT raises nothing', async () => {
    const before = (await failingAlerts()).length;
    await tell(buyers.slice(0, 4));
    t.sms.failWith = failing;
    try {
      await tell(buyers.slice(4, 5)); // 1 failed of 5: 20 %
    } finally {
      t.sms.failWith = null;
    }
    expect(await failingAlerts()).toHaveLength(before);
  });

  it('crossing it alerts every admin once per window, naming the provider and the rate; more failures and reruns add nothing', async () => {
    await elapse(20 * 60); // a fresh window
    const before = (await failingAlerts()).length;
    await tell(buyers.slice(0, 2));
    t.sms.failWith = failing;
    try {
      await tell(buyers.slice(2, 3)); // 1 failed of 3: too few to judge
      expect(await failingAlerts()).toHaveLength(before);
      // Counted at most every CHECK_EVERY_MS per channel: a failure sooner is not counted.
      t.clock.advanceSeconds(CHECK_EVERY_MS / 1000 - 1);
      await tell(buyers.slice(3, 4)); // 2 failed of 4, not counted yet
      expect(await failingAlerts()).toHaveLength(before);
      t.clock.advanceSeconds(1);
      await tell(buyers.slice(4, 5)); // 3 failed of 5: 60 %
      const alerts = await failingAlerts();
      expect(alerts).toHaveLength(before + 1);
      expect(alerts[0].body).toBe("K'KOO OPS: Mtoa huduma recording anashindwa 60.0% ya maombi.");
      t.clock.advanceSeconds(CHECK_EVERY_MS / 1000);
      await tell(buyers.slice(5, 6)); // counted again, same window: no second alert
      await t.handle.db.execute(
        `update jobs set status = 'pending', run_at = '${t.clock.now().toISOString()}', attempts = 0
          where kind = 'notifications.send'`,
      );
      await t.app.services.jobs.drain();
      expect(await failingAlerts()).toHaveLength(before + 1);
      // every active admin, in the feed and by SMS (that SMS fails too: the feed still has it)
      const rows = await t.handle.db
        .select()
        .from(m)
        .where(and(eq(m.templateKey, 'ops.provider_failing'), eq(m.recipientId, admin.userId)));
      expect(rows.map((r) => r.channel).sort()).toEqual(['in_app', 'sms']);
    } finally {
      t.sms.failWith = null;
    }
  });
});
