import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Actor, upload } from '../../../test/support/fixtures.js';
import { CAMPAIGN, type ReferralsTestApp, referralsTestApp } from '../../../test/support/referrals-app.js';
import { account } from '../ledger/index.js';

// Referrals end to end over HTTP: a referee's first order paid through the payment simulator and
// completed by the dispute-window timer (injected clock), the rewards in the ledger and the report,
// each fraud hold, caps and budget, the admin queue and clawback.

let h: ReferralsTestApp;
let t: ReferralsTestApp['t'];
let admin: Actor;
let seller: Actor;
let cheapSku: string;
let api: ReferralsTestApp['api'];
let setCampaign: ReferralsTestApp['setCampaign'];
let person: ReferralsTestApp['person'];
let codeOf: ReferralsTestApp['codeOf'];
let attribute: ReferralsTestApp['attribute'];
let checkout: ReferralsTestApp['checkout'];
let payWithSimulator: ReferralsTestApp['payWithSimulator'];
let deliver: ReferralsTestApp['deliver'];
let windowPasses: ReferralsTestApp['windowPasses'];
let firstOrder: ReferralsTestApp['firstOrder'];
let mine: ReferralsTestApp['mine'];
let report: ReferralsTestApp['report'];
let held: ReferralsTestApp['held'];
let credit: ReferralsTestApp['credit'];
let referralTransfers: ReferralsTestApp['referralTransfers'];
let pair: ReferralsTestApp['pair'];

beforeAll(async () => {
  h = await referralsTestApp();
  ({ t, admin, seller, cheapSku, api, setCampaign, person, codeOf, attribute, checkout } = h);
  ({
    payWithSimulator,
    deliver,
    windowPasses,
    firstOrder,
    mine,
    report,
    held,
    credit,
    referralTransfers,
    pair,
  } = h);
});
afterAll(() => t.close());

// Every scenario leaves the books reconciled, the referral burn included.
afterEach(async () => {
  expect(await t.app.services.orders.service.reconcile()).toEqual([]);
});

describe('done when: a referred buyer completes a first order through the simulator', () => {
  it('after the dispute window both rewards are in the ledger and the report', async () => {
    const before = await report();
    const referrer = await person();
    const { code, link } = (await api('GET', '/api/v1/me/referral-code', referrer.auth)).json();
    expect(code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTVWXYZ]{7}$/);
    expect(link).toBe(`https://kkoo.example/r/${code}`);
    // Asking again gives the same code.
    expect(await codeOf(referrer)).toBe(code);

    const referee = await person();
    const att = await attribute(referee, code.toLowerCase());
    expect(att.statusCode, att.body).toBe(201);
    expect(att.json()).toMatchObject({ state: 'attributed', reward: 0 });

    const co = await checkout(referee, '0754 777 001');
    await payWithSimulator(referee, co.checkout_id);
    const orderId = co.orders[0]!.id;
    expect((await api('GET', `/api/v1/orders/${orderId}`, referee.auth)).json().status).toBe('paid');
    await deliver(referee, orderId);
    // Delivered is not completed: nothing is earned while the buyer may still dispute.
    expect((await mine(referrer)).items[0].state).toBe('attributed');
    expect(await referralTransfers(orderId)).toEqual([]);

    await windowPasses();
    expect((await api('GET', `/api/v1/orders/${orderId}`, referee.auth)).json().status).toBe('completed');
    const transfers = await referralTransfers(orderId);
    expect(transfers.map((x) => [x.kind, x.debitAccount, x.creditAccount, x.amount]).sort()).toEqual(
      [
        ['REFERRAL_REWARD', account.referralExpense, account.referralCredit(referrer.userId), 3_000_00],
        ['REFERRAL_REWARD', account.referralExpense, account.referralCredit(referee.userId), 2_000_00],
      ].sort(),
    );
    // In the same transaction as the completion: the release and the rewards share the order.
    const release = (await t.app.services.ledger.transfersOf({ orderId })).find(
      (x) => x.kind === 'ESCROW_RELEASE',
    );
    expect(release).toBeDefined();
    expect(await credit(referrer.userId)).toBe(3_000_00);
    expect(await credit(referee.userId)).toBe(2_000_00);

    const m = await mine(referrer);
    expect(m.items).toEqual([expect.objectContaining({ state: 'rewarded', reward: 3_000_00 })]);
    expect(m.items[0].qualified_at).toMatch(/\+03:00$/);
    expect((await mine(referee)).referred_by).toMatchObject({ state: 'rewarded', reward: 2_000_00 });
    // Both are told, once each, in the buyer's language (Swahili by default).
    for (const who of [referrer, referee]) {
      const feed = (await api('GET', '/api/v1/me/notifications', who.auth)).json().items;
      const told = feed.filter((n: { template_key: string }) => n.template_key === 'buyer.referral_reward');
      expect(told).toHaveLength(1);
      expect(told[0].body).toContain(who === referrer ? '3,000' : '2,000');
    }

    const after = await report();
    expect(after.attributions - before.attributions).toBe(1);
    expect(after.qualified - before.qualified).toBe(1);
    expect(after.rewarded - before.rewarded).toBe(1);
    expect(after.cost - before.cost).toBe(5_000_00);
    expect(after.spent).toBe(after.cost);
    expect(after.cost_per_acquired_buyer).toBe(Math.floor(after.cost / after.rewarded));
    expect(await t.app.services.referrals.service.checkCounters()).toEqual([]);
  });

  it('the same flow with a shared paying phone is held, not paid', async () => {
    const referrer = await person();
    const referee = await person();
    expect((await attribute(referee, await codeOf(referrer))).statusCode).toBe(201);
    // The referee's order is paid from the referrer's M-Pesa.
    const co = await checkout(referee, referrer.phone);
    await payWithSimulator(referee, co.checkout_id);
    const orderId = co.orders[0]!.id;
    await deliver(referee, orderId);
    await windowPasses();
    expect((await api('GET', `/api/v1/orders/${orderId}`, referee.auth)).json().status).toBe('completed');

    expect(await referralTransfers(orderId)).toEqual([]);
    expect(await credit(referrer.userId)).toBe(0);
    expect((await mine(referrer)).items[0].state).toBe('held');
    const feed = (await api('GET', '/api/v1/me/notifications', referrer.auth)).json().items;
    expect(feed.filter((n: { template_key: string }) => n.template_key === 'buyer.referral_reward')).toEqual(
      [],
    );
    const queued = (await held()).find((r: { referee_id: string }) => r.referee_id === referee.userId);
    expect(queued).toMatchObject({ state: 'held', signals: ['SHARED_PAYING_PHONE'], order_id: orderId });
  });
});

describe('fraud signals through the whole path', () => {
  it('a referee delivered to the referrer’s ward and landmark is held', async () => {
    const referrer = await person({ ward: 'Sinza', landmark: 'Red kiosk' });
    const referee = await person({ ward: 'sinza', landmark: 'red  kiosk' });
    expect((await attribute(referee, await codeOf(referrer))).statusCode).toBe(201);
    await firstOrder(referee, '0754 777 101');
    await windowPasses();
    expect((await mine(referrer)).items[0]).toMatchObject({ state: 'held' });
    expect(
      (await held()).find((r: { referee_id: string }) => r.referee_id === referee.userId).signals,
    ).toEqual(['SHARED_ADDRESS']);
  });

  it('a referee delivered within the radius of the referrer’s place is held', async () => {
    const referrer = await person({
      ward: 'Msasani',
      landmark: 'Yellow door',
      location: { lat: -6.74, lng: 39.28 },
    });
    const referee = await person({
      ward: 'Msasani',
      landmark: 'Next street',
      location: { lat: -6.7402, lng: 39.28 },
    });
    expect((await attribute(referee, await codeOf(referrer))).statusCode).toBe(201);
    await firstOrder(referee, '0754 777 102');
    await windowPasses();
    expect(
      (await held()).find((r: { referee_id: string }) => r.referee_id === referee.userId).signals,
    ).toEqual(['NEARBY_ADDRESS']);
  });

  /** Signs in again over HTTP with the app's install id (and a referral code, if given). */
  async function signInOn(phone: string, device: string, body: object = {}) {
    const req = await api('POST', '/api/v1/auth/otp/request', {}, { phone });
    expect(req.statusCode, req.body).toBe(202);
    const code = t.sms.lastCode(t.sms.sent.at(-1)!.to);
    const res = await api(
      'POST',
      '/api/v1/auth/otp/verify',
      {},
      { phone, code, ...body },
      {
        'x-kkoo-device': device,
      },
    );
    t.clock.advanceSeconds(61);
    return res;
  }

  it('two accounts signed in on one device are held (SHARED_DEVICE); the id is stored hashed', async () => {
    const device = 'install-7f3a9c2e-shared-phone';
    const referrer = await person();
    const referee = await person();
    expect((await signInOn(referrer.phone, device)).statusCode).toBe(200);
    // The referee signs in on the referrer's phone, with the referrer's code.
    const signIn = await signInOn(referee.phone, device, { referral_code: await codeOf(referrer) });
    expect(signIn.statusCode, signIn.body).toBe(200);
    expect(signIn.json().referral).toEqual({ attributed: true, refusal: null });
    const orderId = await firstOrder(referee, '0754 777 104');
    await windowPasses();
    expect(await referralTransfers(orderId)).toEqual([]);
    expect(await credit(referrer.userId)).toBe(0);
    expect(
      (await held()).find((r: { referee_id: string }) => r.referee_id === referee.userId).signals,
    ).toEqual(['SHARED_DEVICE']);
    const stored = await t.handle.db.execute(
      sql`select distinct device_hash from sessions where user_id in (${referrer.userId}, ${referee.userId})
          and device_hash is not null`,
    );
    expect((stored as unknown as { rows: Array<{ device_hash: string }> }).rows).toEqual([
      { device_hash: createHash('sha256').update(`kkoo-device:${device}`).digest('hex') },
    ]);
  });

  it('two accounts on two devices are paid; a malformed device id is a 400 and spends no code', async () => {
    const referrer = await person();
    const referee = await person();
    expect((await attribute(referee, await codeOf(referrer))).statusCode).toBe(201);
    expect((await signInOn(referrer.phone, 'install-aaaaaaaaaaaaaaaa')).statusCode).toBe(200);
    expect((await signInOn(referee.phone, 'install-bbbbbbbbbbbbbbbb')).statusCode).toBe(200);
    await firstOrder(referee, '0754 777 105');
    await windowPasses();
    expect((await mine(referrer)).items[0]).toMatchObject({ state: 'rewarded' });

    for (const bad of ['short', 'x'.repeat(129), 'has spaces in it, sixteen+', 'ümlaut-ümlaut-ümlaut']) {
      const phone = referee.phone;
      expect((await api('POST', '/api/v1/auth/otp/request', {}, { phone })).statusCode).toBe(202);
      const code = t.sms.lastCode(t.sms.sent.at(-1)!.to);
      const res = await api('POST', '/api/v1/auth/otp/verify', {}, { phone, code }, { 'x-kkoo-device': bad });
      expect(res.statusCode, `${bad}: ${res.body}`).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toContain('x-kkoo-device');
      const good = await api('POST', '/api/v1/auth/otp/verify', {}, { phone, code });
      expect(good.statusCode, good.body).toBe(200);
      t.clock.advanceSeconds(61);
    }
  });

  it('the referrer who sold the referee’s order is held', async () => {
    const referee = await person();
    expect((await attribute(referee, await codeOf(seller))).statusCode).toBe(201);
    await firstOrder(referee, '0754 777 103');
    await windowPasses();
    expect(
      (await held()).find((r: { referee_id: string }) => r.referee_id === referee.userId).signals,
    ).toEqual(['REFERRER_IS_SELLER']);
  });

  it('a first order under the minimum ends the referral without a reward', async () => {
    const { referrer, referee } = await pair();
    await firstOrder(referee, '0754 777 104', cheapSku);
    await windowPasses();
    const r = (await mine(referrer)).items[0];
    expect(r).toMatchObject({ state: 'rejected', reward: 0 });
    // A later, bigger order does not reopen it: the first order decided.
    await firstOrder(referee, '0754 777 104');
    await windowPasses();
    expect((await mine(referrer)).items[0].state).toBe('rejected');
    expect(await credit(referrer.userId)).toBe(0);
  });

  it('a disputed first order earns nothing, even when the admin releases it to the seller', async () => {
    const { referrer, referee } = await pair();
    const orderId = await firstOrder(referee, '0754 777 105');
    const evidence = await upload(t, referee.auth, 'dispute_evidence');
    const opened = await api('POST', `/api/v1/orders/${orderId}/disputes`, referee.auth, {
      reason: 'wrong_item',
      description: 'Wrong colour',
      evidence_media_ids: [evidence],
    });
    expect(opened.statusCode, opened.body).toBe(201);
    const resolved = await api('POST', `/api/v1/admin/disputes/${opened.json().id}/resolve`, admin.auth, {
      resolution: 'release_to_seller',
      note: 'Colour as pictured',
    });
    expect(resolved.statusCode, resolved.body).toBe(200);
    expect((await mine(referrer)).items[0]).toMatchObject({ state: 'rejected' });
    expect(await referralTransfers(orderId)).toEqual([]);
  });

  it('a cancelled or refunded first order earns nothing and leaves the referral waiting for a real one', async () => {
    const { referrer, referee } = await pair();
    const co = await checkout(referee, '0754 777 106');
    const cancel = await api('POST', `/api/v1/orders/${co.orders[0]!.id}/cancel`, referee.auth, {});
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect((await mine(referrer)).items[0].state).toBe('attributed');
    // Paid, then cancelled and refunded: still nothing earned, still waiting.
    const paid = await checkout(referee, '0754 777 107');
    await t.app.services.orders.service.confirmPayment(paid.checkout_id, 'MPESA-REFUNDED');
    const refunded = await api('POST', `/api/v1/orders/${paid.orders[0]!.id}/cancel`, referee.auth, {});
    expect(refunded.statusCode, refunded.body).toBe(200);
    await windowPasses();
    expect((await mine(referrer)).items[0].state).toBe('attributed');
    expect(await referralTransfers(paid.orders[0]!.id)).toEqual([]);
    // The next order that completes is the first: it pays.
    await firstOrder(referee, '0754 777 108');
    await windowPasses();
    expect((await mine(referrer)).items[0].state).toBe('rewarded');
  });
});

describe('caps and budget', () => {
  it('a referrer over the daily cap is held; the next Dar es Salaam day pays again', async () => {
    await setCampaign({ per_referrer_daily_cap: 1 });
    try {
      const referrer = await person();
      const code = await codeOf(referrer);
      const a = await person();
      const b = await person();
      expect((await attribute(a, code)).statusCode).toBe(201);
      expect((await attribute(b, code)).statusCode).toBe(201);
      await firstOrder(a, '0754 777 201');
      await firstOrder(b, '0754 777 202');
      await windowPasses();
      const states = (await mine(referrer)).items.map((r: { state: string }) => r.state).sort();
      expect(states).toEqual(['held', 'rewarded']);
      const h = (await held()).find((r: { referrer_id: string }) => r.referrer_id === referrer.userId);
      expect(h.signals).toEqual(['DAILY_CAP']);
    } finally {
      await setCampaign({});
    }
  });

  it('an exhausted budget holds the reward (BUDGET_EXHAUSTED); approval needs room, then pays once', async () => {
    const spent = (await api('GET', '/api/v1/admin/referrals/campaign', admin.auth)).json().spent_amount;
    // Room for exactly one pair of rewards.
    await setCampaign({ budget_amount: spent + 5_000_00 });
    const p1 = await pair();
    const p2 = await pair();
    await firstOrder(p1.referee, '0754 777 301');
    await firstOrder(p2.referee, '0754 777 302');
    await windowPasses();
    const c = (await api('GET', '/api/v1/admin/referrals/campaign', admin.auth)).json();
    expect(c.spent_amount).toBe(c.budget_amount);
    // Both complete in one run of the timers, in either order: one is paid, the other held.
    const states = [(await mine(p1.referrer)).items[0].state, (await mine(p2.referrer)).items[0].state];
    expect([...states].sort()).toEqual(['held', 'rewarded']);
    const late = states[0] === 'held' ? p1 : p2;
    const h = (await held()).find((r: { referrer_id: string }) => r.referrer_id === late.referrer.userId);
    expect(h.signals).toEqual(['BUDGET_EXHAUSTED']);

    const refused = await api('POST', `/api/v1/admin/referrals/${h.id}/approve`, admin.auth, {
      reason: 'ok',
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('BUDGET_EXHAUSTED');
    // Lowering the budget below what is spent is refused.
    const below = await api('PUT', '/api/v1/admin/referrals/campaign', admin.auth, {
      ...CAMPAIGN,
      budget_amount: c.spent_amount - 1_000_00,
      reason: 'cut',
    });
    expect(below.statusCode).toBe(409);
    expect(below.json().code).toBe('BUDGET_BELOW_SPENT');

    await setCampaign({ budget_amount: c.budget_amount + 5_000_00 });
    const ok = await api('POST', `/api/v1/admin/referrals/${h.id}/approve`, admin.auth, {
      reason: 'Real friends',
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ state: 'rewarded', reason: 'Real friends' });
    expect(await credit(late.referrer.userId)).toBe(3_000_00);
    const again = await api('POST', `/api/v1/admin/referrals/${h.id}/approve`, admin.auth, {
      reason: 'again',
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('REFERRAL_NOT_HELD');
    expect(await credit(late.referrer.userId)).toBe(3_000_00);
    await setCampaign({});
  });
});

describe('admin queue and clawback', () => {
  async function heldReferral() {
    const referrer = await person();
    const referee = await person();
    expect((await attribute(referee, await codeOf(referrer))).statusCode).toBe(201);
    await firstOrder(referee, referrer.phone);
    await windowPasses();
    return (await held()).find((r: { referee_id: string }) => r.referee_id === referee.userId) as {
      id: string;
    };
  }

  it('reject with a reason is final and audited', async () => {
    const h = await heldReferral();
    const r = await api('POST', `/api/v1/admin/referrals/${h.id}/reject`, admin.auth, {
      reason: 'Same household',
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({
      state: 'rejected',
      reason: 'Same household',
      signals: ['SHARED_PAYING_PHONE'],
    });
    const approve = await api('POST', `/api/v1/admin/referrals/${h.id}/approve`, admin.auth, { reason: 'x' });
    expect(approve.json().code).toBe('REFERRAL_NOT_HELD');
    const rows = await t.handle.db.execute(
      `select action, reason from audit_events where target_id = '${h.id}' order by created_at`,
    );
    const list = (rows as unknown as { rows: Array<{ action: string; reason: string }> }).rows;
    expect(list.map((x) => x.action)).toEqual(['referral.attributed', 'referral.held', 'referral.rejected']);
    expect(list.at(-1)!.reason).toBe('Same household');
  });

  it('clawback is a visible negative adjustment, exactly once', async () => {
    const { referrer, referee } = await pair();
    const orderId = await firstOrder(referee, '0754 777 401');
    await windowPasses();
    const id = (await mine(referrer)).items[0].id;
    const before = await report();
    const claw = () =>
      api('POST', `/api/v1/admin/referrals/${id}/claw-back`, admin.auth, { reason: 'Fake account' });
    const [a, b] = await Promise.all([claw(), claw()]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect((await claw()).json()).toMatchObject({ state: 'clawed_back', reason: 'Fake account' });
    const tr = await referralTransfers(orderId);
    expect(
      tr
        .filter((x) => x.kind === 'REFERRAL_CLAWBACK')
        .map((x) => [x.debitAccount, x.amount])
        .sort(),
    ).toEqual(
      [
        [account.referralCredit(referrer.userId), 3_000_00],
        [account.referralCredit(referee.userId), 2_000_00],
      ].sort(),
    );
    expect(await credit(referrer.userId)).toBe(0);
    expect(await credit(referee.userId)).toBe(0);
    const after = await report();
    expect(before.cost - after.cost).toBe(5_000_00);
    expect(after.clawed_back - before.clawed_back).toBe(1);
    expect((await mine(referrer)).items[0].state).toBe('clawed_back');
    expect(await t.app.services.referrals.service.checkCounters()).toEqual([]);
  });

  it('only a paid reward can be clawed back', async () => {
    const h = await heldReferral();
    const r = await api('POST', `/api/v1/admin/referrals/${h.id}/claw-back`, admin.auth, { reason: 'x' });
    expect(r.statusCode).toBe(409);
    expect(r.json().code).toBe('REFERRAL_NOT_REWARDED');
  });
});
