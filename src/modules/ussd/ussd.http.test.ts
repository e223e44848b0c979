// The USSD callback as Africa's Talking posts it: form fields in, text/plain `CON …`/`END …` out.
import { type SQL, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type Actor,
  category,
  nextPhone,
  upload,
  verifiedProduct,
  verifiedSeller,
} from '../../../test/support/fixtures.js';
import { gsm7Length, isGsm7 } from './gsm7.js';

const TOKEN = 'UssdTestToken0123456789abcdefABCDEF';
const URL_OK = `/api/v1/ussd/callback/${TOKEN}`;
const HERE = { lat: -6.7735, lng: 39.2695 };

let t: TestApp;
let admin: Actor;
let seller: Actor;
let kanga: { id: string; skuIds: string[] };
let sessionSeq = 0;
const newSession = () => `ATUid_test_${Date.now().toString(36)}_${sessionSeq++}`;

beforeAll(async () => {
  t = await createTestApp({
    DISPUTE_WINDOW_HOURS: '48',
    USSD_CALLBACK_TOKEN: TOKEN,
    USSD_REQUESTS_PER_MINUTE: '200',
  });
  admin = await t.loginAdmin('+255754900001');
  seller = await verifiedSeller(t, admin, 'Mama Neema');
  const cat = await category(t, admin, 'USSD');
  kanga = await verifiedProduct(t, admin, seller, {
    categoryId: cat,
    variants: [{ seller_sku: 'U-KANGA', price: 10_000_00, stock: 500 }],
  });
});
afterAll(() => t.close());

const api = (method: 'GET' | 'POST', url: string, auth: Record<string, string>, payload?: object) =>
  t.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });

/** What the fake gateway posts: the whole session's input so far, joined by `*`. */
async function dial(sessionId: string, phoneNumber: string, text: string, url = URL_OK) {
  const res = await t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      sessionId,
      serviceCode: '*384*123#',
      phoneNumber,
      networkCode: '63902',
      text,
    }).toString(),
  });
  return res;
}

/** The reply, checked as every reply must be: 200, text/plain, CON or END, GSM-7, ≤ 182. */
async function screen(sessionId: string, phone: string, text: string) {
  const res = await dial(sessionId, phone, text);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  const m = /^(CON|END) ([\s\S]*)$/.exec(res.body);
  expect(m, res.body).not.toBeNull();
  const body = m![2]!;
  expect(isGsm7(body), body).toBe(true);
  expect(gsm7Length(body)!, body).toBeLessThanOrEqual(182);
  return { type: m![1] as 'CON' | 'END', text: body };
}

/** A buyer with one order of `qty` kangas taken all the way to `delivered` by the seller. */
async function deliveredOrder(buyer?: Actor & { addressId: string }, qty = 1) {
  const b =
    buyer ??
    (await (async () => {
      const me = await t.login(nextPhone());
      const addr = await api('POST', '/api/v1/me/addresses', me.auth, {
        label: 'Home',
        ward: 'Mikocheni',
        landmark: 'Blue gate',
        location: { lat: -6.76, lng: 39.24 },
      });
      return { ...me, addressId: addr.json().id as string };
    })());
  expect(
    (await api('POST', '/api/v1/cart/items', b.auth, { sku_id: kanga.skuIds[0], quantity: qty })).statusCode,
  ).toBe(200);
  const preview = (await api('GET', '/api/v1/cart', b.auth)).json();
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/orders/checkout',
    headers: { ...b.auth, 'idempotency-key': `ussd-${Math.random().toString(36).slice(2)}` },
    payload: { address_id: b.addressId, payer_phone: '0754 123 456', preview_token: preview.preview_token },
  });
  expect(res.statusCode, res.body).toBe(201);
  await t.app.services.orders.service.confirmPayment(res.json().checkout_id, `MPESA-${Math.random()}`);
  const id = res.json().orders[0].id as string;
  for (const step of ['accept', 'ready', 'pick-up'])
    expect((await api('POST', `/api/v1/seller/orders/${id}/${step}`, seller.auth)).statusCode).toBe(200);
  const code = (await api('GET', `/api/v1/orders/${id}`, b.auth)).json().delivery_code as string;
  const done = await api('POST', `/api/v1/seller/orders/${id}/deliver`, seller.auth, {
    code,
    location: HERE,
  });
  expect(done.json().status).toBe('delivered');
  return { buyer: b, id };
}

/** Rows of a raw query (the typed client does not type `execute`). */
const rowsOf = async (q: SQL) =>
  ((await t.handle.db.execute(q)) as unknown as { rows: Array<Record<string, unknown>> }).rows;

const phoneOf = async (userId: string) => (await t.app.services.identity.profiles.loadUser(userId)).phone;

/** Everything an order left behind, with ids, times and the people replaced by their part. */
async function recordsOf(orderId: string) {
  const [o] = (await rowsOf(sql`select * from orders where id = ${orderId}`)) as Array<
    Record<string, unknown>
  >;
  const names = new Map<string, string>([
    [orderId, 'ORDER'],
    [String(o!.buyer_id), 'BUYER'],
    [String(o!.seller_id), 'SELLER'],
    [String(o!.checkout_id), 'CHECKOUT'],
  ]);
  const anon = (v: unknown): unknown => {
    if (typeof v === 'string') {
      let s = v;
      for (const [id, name] of names) s = s.replaceAll(id, name);
      return s;
    }
    if (Array.isArray(v)) return v.map(anon);
    if (v && typeof v === 'object' && !(v instanceof Date))
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, anon(x)]));
    return v;
  };
  const drop = (row: Record<string, unknown>, keys: string[]) =>
    anon(Object.fromEntries(Object.entries(row).filter(([k]) => !keys.includes(k))));
  const TIMES = [
    'created_at',
    'updated_at',
    'paid_at',
    'delivered_at',
    'dispute_window_ends_at',
    'completed_at',
    'accept_by',
    'ready_by',
    'opened_at',
  ];
  const events = await rowsOf(
    sql`select * from order_events where order_id = ${orderId} order by created_at, id`,
  );
  const transfers = await rowsOf(
    sql`select * from ledger_transfers where order_id = ${orderId} order by created_at, id`,
  );
  const audits = await rowsOf(
    sql`select * from audit_events where target_id = ${orderId} order by created_at, id`,
  );
  const disputes = (await rowsOf(sql`select * from disputes where order_id = ${orderId}`)) as Array<
    Record<string, unknown>
  >;
  return {
    order: drop(o!, ['id', 'checkout_id', 'delivery_code', 'handover_code', 'snapshot', ...TIMES]),
    events: events.map((e) => drop(e, ['id', 'latitude', 'longitude', ...TIMES])),
    transfers: transfers.map((x) => drop(x, ['id', 'key', 'pending_id', 'payment_id', ...TIMES])),
    audits: audits.map((a) => drop(a, ['id', ...TIMES])),
    disputes: disputes.map((d) => drop(d, ['id', ...TIMES])),
  };
}

describe('who may use it', () => {
  it('an unknown number gets one short END on how to shop, and nothing else', async () => {
    const s = newSession();
    for (const text of ['', '1', '2*1*1', '4*2']) {
      const r = await screen(s, '+255739999990', text);
      expect(r.type).toBe('END');
      expect(r.text).toMatch(/^K'KOO: Pakua app/);
    }
    const rows = await rowsOf(sql`select count(*)::int as n from ussd_sessions where session_id = ${s}`);
    expect(rows[0]).toEqual({ n: 0 });
  });

  it('a banned buyer is told exactly what a stranger is told', async () => {
    const b = await t.login(nextPhone());
    const phone = await phoneOf(b.userId);
    const stranger = await screen(newSession(), '+255739999991', '');
    const ban = await api('POST', `/api/v1/admin/users/${b.userId}/ban`, admin.auth, { reason: 'fraud' });
    expect(ban.statusCode, ban.body).toBe(200);
    expect(await screen(newSession(), phone, '')).toEqual(stranger);
  });

  it('a wrong token gets a 404 like the payment callbacks, before any body is read, and changes nothing', async () => {
    const o = await deliveredOrder();
    const phone = await phoneOf(o.buyer.userId);
    const s = newSession();
    for (const url of [
      '/api/v1/ussd/callback/UssdTestToken0123456789abcdefABCDEX',
      '/api/v1/ussd/callback/short',
      '/api/v1/ussd/callback/',
    ]) {
      const res = await dial(s, phone, '2*1*1', url);
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const json = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ussd/callback/nope',
      headers: { 'content-type': 'application/json' },
      payload: '{"not json',
    });
    expect(json.statusCode).toBe(404);
    expect((await api('GET', `/api/v1/orders/${o.id}`, o.buyer.auth)).json().status).toBe('delivered');
    const rows = await rowsOf(sql`select count(*)::int as n from ussd_sessions where session_id = ${s}`);
    expect(rows[0]).toEqual({ n: 0 });
  });

  it('malformed requests get a clean END with HTTP 200, never a 4xx or 5xx', async () => {
    const bodies: Array<{ headers: Record<string, string>; payload: string }> = [
      { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' },
      { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'sessionId=abc' },
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'sessionId=abc&phoneNumber=0754123456&text=',
      },
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'sessionId=a%00b&phoneNumber=%2B255754123456&text=',
      },
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `sessionId=abc&phoneNumber=%2B255754123456&text=${'1*'.repeat(3000)}`,
      },
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `sessionId=${'x'.repeat(300)}&phoneNumber=%2B255754123456&text=`,
      },
      { headers: { 'content-type': 'application/json' }, payload: '{"sessionId":"abc"}' },
      { headers: { 'content-type': 'text/plain' }, payload: 'hello' },
      { headers: {}, payload: '' },
    ];
    for (const b of bodies) {
      const res = await t.app.inject({ method: 'POST', url: URL_OK, ...b });
      expect(res.statusCode, `${b.payload.slice(0, 40)} → ${res.body}`).toBe(200);
      expect(res.body).toMatch(/^END Samahani, ombi halikueleweka/);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
    }
  });

  it('one phone making too many requests a minute is told to wait, with a 200 END', async () => {
    const phone = '+255739999992';
    const s = newSession();
    for (let i = 0; i < 200; i++) await dial(s, phone, '');
    const r = await screen(s, phone, '');
    expect(r).toEqual({ type: 'END', text: expect.stringMatching(/^Maombi mengi mno/) });
    // another phone is not held back, and the phone is free again a minute later
    expect((await screen(newSession(), '+255739999993', '')).text).toMatch(/^K'KOO: Pakua/);
    t.clock.advanceSeconds(61);
    expect((await screen(s, phone, '')).text).toMatch(/^K'KOO: Pakua/);
  });
});

describe('every menu path against the real route', () => {
  for (const language of ['sw', 'en'] as const)
    it(`walks every path (${language}): CON/END, 182 characters, GSM-7, an action within three screens`, async () => {
      const b = await deliveredOrder();
      await deliveredOrder(b.buyer);
      const phone = await phoneOf(b.buyer.userId);
      const store = t.app.services.notifications.service;
      await store.setLanguage(b.buyer.userId, language);
      const inputs = ['1', '2', '3', '4', '9', '0', '00'];
      let requests = 0;
      let ends = 0;
      // One session per first choice, as a caller would walk it: the gateway sends the whole path
      // each time, so one session serves every path below that choice.
      const sessions = new Map<string, string>();
      const go = async (path: string[]) => {
        const key = path[0] ?? '';
        if (!sessions.has(key)) sessions.set(key, newSession());
        const r = await screen(sessions.get(key)!, phone, path.join('*'));
        if (++requests % 150 === 0) t.clock.advanceSeconds(61);
        // The language screen's action switches it: put it back for the rest of the walk.
        if (key === '4' && r.type === 'END') await store.setLanguage(b.buyer.userId, language);
        if (r.type === 'END') {
          ends++;
          expect(path.length, path.join('*')).toBeLessThanOrEqual(3);
          return;
        }
        expect(r.text.length).toBeGreaterThan(0);
        // 0, 00 and a wrong choice show screens the walk reaches anyway: only choices go deeper.
        if (path.length < 3 && !['0', '00', '9'].includes(path.at(-1) ?? ''))
          for (const i of inputs) await go([...path, i]);
      };
      await go([]);
      expect(requests).toBeGreaterThan(100);
      expect(ends).toBeGreaterThan(0);
      const home = await screen(newSession(), phone, '');
      expect(home.text).toContain(language === 'sw' ? 'Oda zangu' : 'My orders');
    }, 60_000);

  it('Swahili first; English by choice, kept for the next session', async () => {
    const b = await t.login(nextPhone());
    const phone = await phoneOf(b.userId);
    expect((await screen(newSession(), phone, '')).text).toContain('1 Oda zangu');
    const s = newSession();
    expect((await screen(s, phone, '4')).text).toContain('1 Kiswahili\n2 English');
    expect(await screen(s, phone, '4*2')).toEqual({ type: 'END', text: 'Language: English.' });
    expect((await screen(newSession(), phone, '')).text).toContain('1 My orders');
    expect((await screen(newSession(), phone, '4*1')).text).toBe('Lugha: Kiswahili.');
  });

  it('my orders shows each order with its status; the list is fixed for the session', async () => {
    const o = await deliveredOrder();
    const phone = await phoneOf(o.buyer.userId);
    const s = newSession();
    const first = await screen(s, phone, '1');
    expect(first.text).toMatch(/^Oda zako:\n1 .+: Imefika\n0 Nyuma 00 Mwanzo$/);
    // Confirmed in the app meanwhile: this session still shows its first list, a new one the truth.
    expect((await api('POST', `/api/v1/orders/${o.id}/confirm-receipt`, o.buyer.auth)).statusCode).toBe(200);
    expect((await screen(s, phone, '1*0*1')).text).toBe(first.text);
    expect((await screen(newSession(), phone, '1')).text).toContain(': Imekamilika');
  });
});

describe('confirm and dispute are the app’s own commands', () => {
  it('confirming by USSD leaves exactly the order, ledger and audit records the app’s confirm-receipt leaves, and sends an SMS receipt', async () => {
    const viaApp = await deliveredOrder();
    const viaUssd = await deliveredOrder();
    expect(
      (await api('POST', `/api/v1/orders/${viaApp.id}/confirm-receipt`, viaApp.buyer.auth)).statusCode,
    ).toBe(200);
    const phone = await phoneOf(viaUssd.buyer.userId);
    const s = newSession();
    expect((await screen(s, phone, '')).type).toBe('CON');
    expect((await screen(s, phone, '2')).text).toMatch(/^Chagua oda uliyopokea:\n1 .+ TZS 13,000\n0 Nyuma/);
    expect((await screen(s, phone, '2*1')).text).toMatch(/^Thibitisha umepokea .+\(TZS 13,000\)/);
    await t.app.services.jobs.drain(); // the messages of the delivery before it
    const sentBefore = t.sms.sent.length;
    const done = await screen(s, phone, '2*1*1');
    expect(done.type).toBe('END');
    expect(done.text).toMatch(/^Asante! Umethibitisha kupokea/);
    const a = await recordsOf(viaApp.id);
    const u = await recordsOf(viaUssd.id);
    expect(u.order).toMatchObject({ status: 'completed' });
    expect(u).toEqual(a);
    // Not an empty comparison: the release, its events and its audit are there on both sides.
    expect(a.transfers).toContainEqual(expect.objectContaining({ phase: 'post', order_id: 'ORDER' }));
    expect(a.events.at(-1)).toMatchObject({
      event: 'confirm_receipt',
      to_status: 'completed',
      actor_role: 'buyer',
    });
    expect(a.audits.at(-1)).toMatchObject({ action: 'order.completed', actor_user_id: 'BUYER' });
    // The receipt goes through notifications, as the buyer's message, once.
    await t.app.services.jobs.drain();
    await t.app.services.jobs.drain();
    expect(t.sms.sent.slice(sentBefore).filter((m) => /Umethibitisha kupokea/.test(m.message))).toEqual([
      { to: phone, message: expect.stringMatching(/^K'KOO: Umethibitisha kupokea .+ \(TZS 13,000\)/) },
    ]);
    expect(await t.app.services.orders.service.reconcile()).toEqual([]);
  });

  it('disputing by USSD leaves the app’s records (the statement stands in for a photo) and holds the escrow', async () => {
    const viaApp = await deliveredOrder();
    const viaUssd = await deliveredOrder();
    const photo = await upload(t, viaApp.buyer.auth, 'dispute_evidence');
    const opened = await api('POST', `/api/v1/orders/${viaApp.id}/disputes`, viaApp.buyer.auth, {
      reason: 'damaged',
      description: 'Buyer reported by USSD: Damaged.',
      evidence_media_ids: [photo],
    });
    expect(opened.statusCode, opened.body).toBe(201);
    const phone = await phoneOf(viaUssd.buyer.userId);
    const s = newSession();
    expect((await screen(s, phone, '3')).text).toMatch(/^Oda ipi ina tatizo\?\n1 /);
    expect((await screen(s, phone, '3*1')).text).toContain('2 Imeharibika');
    const done = await screen(s, phone, '3*1*2');
    expect(done.text).toMatch(/^Tatizo la .+ limeripotiwa/);
    const a = await recordsOf(viaApp.id);
    const u = await recordsOf(viaUssd.id);
    // The only difference: the app's dispute names its photo, the USSD one has none.
    const noMedia = (r: typeof a) => ({
      ...r,
      events: r.events.map((e) => {
        const ev = e as { evidence?: { media?: unknown } | null };
        return ev.evidence?.media ? { ...ev, evidence: { ...ev.evidence, media: 'MEDIA' } } : e;
      }),
    });
    expect(noMedia(u)).toEqual(noMedia(a));
    expect(u.order).toMatchObject({ status: 'disputed' });
    expect(u.disputes).toEqual([
      expect.objectContaining({
        reason: 'damaged',
        description: 'Buyer reported by USSD: Damaged.',
        status: 'open',
      }),
    ]);
    await t.app.services.jobs.drain();
    expect(
      t.sms.sent.filter((m) => m.to === phone && /^K'KOO: Tumepokea tatizo/.test(m.message)),
    ).toHaveLength(1);
    expect(await t.app.services.orders.service.reconcile()).toEqual([]);
  });

  it('a replayed request confirms once and opens one dispute, and answers as the first time', async () => {
    const one = await deliveredOrder();
    const phone = await phoneOf(one.buyer.userId);
    const s = newSession();
    const first = await screen(s, phone, '2*1*1');
    await t.app.services.jobs.drain();
    const sms = t.sms.sent.length;
    const replay = await screen(s, phone, '2*1*1');
    expect(replay).toEqual(first);
    // Another action on the same order in the same session is not run either.
    expect((await screen(s, phone, '3*1*2')).text).not.toMatch(/limeripotiwa/);
    await t.app.services.jobs.drain();
    expect(t.sms.sent.length).toBe(sms);
    expect(t.sms.sent.filter((m) => m.to === phone && /Umethibitisha kupokea/.test(m.message))).toHaveLength(
      1,
    );
    const r = await recordsOf(one.id);
    expect(r.events.filter((e) => (e as { event: string }).event === 'confirm_receipt')).toHaveLength(1);
    expect(r.disputes).toEqual([]);

    const two = await deliveredOrder();
    const phone2 = await phoneOf(two.buyer.userId);
    const s2 = newSession();
    const d1 = await screen(s2, phone2, '3*1*1');
    const d2 = await screen(s2, phone2, '3*1*1');
    expect(d2).toEqual(d1);
    const r2 = await recordsOf(two.id);
    expect(r2.disputes).toHaveLength(1);
    expect(r2.events.filter((e) => (e as { event: string }).event === 'open_dispute')).toHaveLength(1);
    const claims = await rowsOf(sql`select count(*)::int as n from ussd_actions where session_id = ${s2}`);
    expect(claims[0]).toEqual({ n: 1 });
  });

  it('another phone cannot act on a session (or an order) that is not its own', async () => {
    const o = await deliveredOrder();
    const owner = await phoneOf(o.buyer.userId);
    const other = await t.login(nextPhone());
    const otherPhone = await phoneOf(other.userId);
    const s = newSession();
    expect((await screen(s, owner, '2')).text).toMatch(/^Chagua oda/);
    // The other phone presents the owner's session id: it gets nothing, and nothing changes.
    const hijack = await screen(s, otherPhone, '2*1*1');
    expect(hijack.type).toBe('END');
    expect(hijack.text).toMatch(/^Samahani, ombi halikueleweka/);
    // And in its own session, the other phone has no order to confirm.
    expect((await screen(newSession(), otherPhone, '2')).text).toMatch(/^Huna oda iliyofika/);
    expect((await screen(newSession(), otherPhone, '2*1*1')).text).toMatch(/Chaguo batili/);
    expect((await recordsOf(o.id)).order).toMatchObject({ status: 'delivered' });
  });

  it('refused in a wrong state: confirmed in the app while the session was open', async () => {
    const o = await deliveredOrder();
    const phone = await phoneOf(o.buyer.userId);
    const s = newSession();
    expect((await screen(s, phone, '2*1')).type).toBe('CON');
    expect((await api('POST', `/api/v1/orders/${o.id}/confirm-receipt`, o.buyer.auth)).statusCode).toBe(200);
    const before = await recordsOf(o.id);
    const sms = t.sms.sent.length;
    const r = await screen(s, phone, '2*1*1');
    expect(r).toEqual({
      type: 'END',
      text: expect.stringMatching(/^Haiwezekani sasa: .+ ni "Imekamilika"\.$/),
    });
    expect((await screen(newSession(), phone, '3')).text).toMatch(/^Huna oda inayoweza kuripotiwa/);
    expect(await recordsOf(o.id)).toEqual(before);
    expect(t.sms.sent.length).toBe(sms);
  });

  it('refused once the dispute window has closed, even in a session opened before', async () => {
    const o = await deliveredOrder();
    const phone = await phoneOf(o.buyer.userId);
    const s = newSession();
    expect((await screen(s, phone, '3*1')).text).toContain('1 Bidhaa tofauti');
    t.clock.advanceSeconds(48 * 3600 + 60);
    const before = await recordsOf(o.id);
    const r = await screen(s, phone, '3*1*4');
    expect(r).toEqual({
      type: 'END',
      text: expect.stringMatching(/^Muda wa kuripoti tatizo la .+ umepita\.$/),
    });
    expect(await recordsOf(o.id)).toEqual(before);
    expect(before.order).toMatchObject({ status: 'delivered' });
    expect(before.disputes).toEqual([]);
    // A new session does not offer it at all.
    expect((await screen(newSession(), phone, '3')).text).toMatch(/^Huna oda inayoweza kuripotiwa/);
    await t.app.services.jobs.drain();
  });
});

describe('logs', () => {
  it('the secret path token never reaches a log line', async () => {
    const { maskCallbackToken } = await import('../../app.js');
    expect(maskCallbackToken(`/api/v1/ussd/callback/${TOKEN}`)).toBe('/api/v1/ussd/callback/***');
    expect(maskCallbackToken(`/api/v1/ussd/callback/${TOKEN}?x=1`)).toBe('/api/v1/ussd/callback/***?x=1');
  });
});

describe('address checks', () => {
  it('with an allow-list, another address gets a 403 like the payment callbacks, and the gateway gets its screen', async () => {
    const t2 = await createTestApp(
      { USSD_CALLBACK_TOKEN: TOKEN, USSD_ALLOWED_IPS: '10.0.0.7' },
      { handle: t.handle },
    );
    try {
      const post = (remoteAddress: string) =>
        t2.app.inject({
          method: 'POST',
          url: URL_OK,
          remoteAddress,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'sessionId=ip1&phoneNumber=%2B255739999994&text=',
        });
      const refused = await post('10.0.0.8');
      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe('CALLBACK_FORBIDDEN');
      const ok = await post('10.0.0.7');
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toMatch(/^END K'KOO: Pakua/);
    } finally {
      await t2.close();
    }
  });
});
