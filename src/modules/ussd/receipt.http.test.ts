import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import {
  type Actor,
  category,
  nextPhone,
  verifiedProduct,
  verifiedSeller,
} from '../../../test/support/fixtures.js';

// A USSD confirmation and its receipt commit together: the receipt job is written in the order
// change's own transaction. When the receipt cannot be written, the order does not move either, the
// caller is told to try again, and the retry does both, once.

const TOKEN = 'UssdReceiptToken0123456789abcdefABCD';
let t: TestApp;
let admin: Actor;
let seller: Actor;
let kanga: { id: string; skuIds: string[] };

beforeAll(async () => {
  t = await createTestApp({ USSD_CALLBACK_TOKEN: TOKEN, USSD_REQUESTS_PER_MINUTE: '200' });
  admin = await t.loginAdmin('+255754910001');
  seller = await verifiedSeller(t, admin, 'Mama Risiti');
  const cat = await category(t, admin, 'Risiti');
  kanga = await verifiedProduct(t, admin, seller, {
    categoryId: cat,
    variants: [{ seller_sku: 'R-KANGA', price: 10_000_00, stock: 50 }],
  });
});
afterAll(() => t.close());

const api = (method: 'GET' | 'POST', url: string, auth: Record<string, string>, payload?: object) =>
  t.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });

const dial = async (sessionId: string, phoneNumber: string, text: string) => {
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/ussd/callback/${TOKEN}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      sessionId,
      serviceCode: '*384*123#',
      phoneNumber,
      networkCode: '63902',
      text,
    }).toString(),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.body;
};

async function deliveredOrder() {
  const phone = nextPhone();
  const buyer = await t.login(phone);
  const addr = await api('POST', '/api/v1/me/addresses', buyer.auth, {
    label: 'Home',
    ward: 'Mikocheni',
    landmark: 'Blue gate',
  });
  await api('POST', '/api/v1/cart/items', buyer.auth, { sku_id: kanga.skuIds[0]!, quantity: 1 });
  const preview = (await api('GET', '/api/v1/cart', buyer.auth)).json();
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/orders/checkout',
    headers: { ...buyer.auth, 'idempotency-key': `rc-${crypto.randomUUID()}` },
    payload: {
      address_id: addr.json().id,
      payer_phone: '0754 123 456',
      preview_token: preview.preview_token,
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  await t.app.services.orders.service.confirmPayment(res.json().checkout_id, `MPESA-${crypto.randomUUID()}`);
  const id = res.json().orders[0].id as string;
  for (const step of ['accept', 'ready', 'pick-up'])
    expect((await api('POST', `/api/v1/seller/orders/${id}/${step}`, seller.auth)).statusCode).toBe(200);
  const code = (await api('GET', `/api/v1/orders/${id}`, buyer.auth)).json().delivery_code as string;
  const done = await api('POST', `/api/v1/seller/orders/${id}/deliver`, seller.auth, {
    code,
    location: { lat: -6.7735, lng: 39.2695 },
  });
  expect(done.json().status).toBe('delivered');
  return { buyer, id, phone: (await t.app.services.identity.profiles.loadUser(buyer.userId)).phone };
}

const statusOf = async (buyer: Actor, id: string) =>
  (await api('GET', `/api/v1/orders/${id}`, buyer.auth)).json().status as string;
const receiptJobs = async (id: string) =>
  (
    (await t.handle.db.execute(
      `select count(*)::int as n from jobs where kind = 'ussd.action_taken' and payload->>'orderId' = '${id}'`,
    )) as unknown as { rows: Array<{ n: number }> }
  ).rows[0]!.n;

describe('a USSD confirmation and its receipt', () => {
  it('commit together: a receipt that cannot be written leaves the order delivered; the retry does both, once', async () => {
    const { buyer, id, phone } = await deliveredOrder();
    // The jobs table refuses the receipt (as a failing database would, after the order's own writes).
    await t.handle.db.execute(`
      create or replace function refuse_ussd_receipt() returns trigger language plpgsql as $$
      begin
        if new.kind = 'ussd.action_taken' then raise exception 'receipt refused by the test'; end if;
        return new;
      end $$`);
    await t.handle.db.execute(
      'create trigger refuse_ussd_receipt before insert on jobs for each row execute function refuse_ussd_receipt()',
    );
    const s = `ATUid_receipt_${crypto.randomUUID()}`;
    try {
      await dial(s, phone, '');
      await dial(s, phone, '2');
      await dial(s, phone, '2*1');
      expect(await dial(s, phone, '2*1*1')).not.toMatch(/Umethibitisha kupokea/);
      // Neither the order's change nor its receipt happened.
      expect(await statusOf(buyer, id)).toBe('delivered');
      expect(await receiptJobs(id)).toBe(0);
    } finally {
      await t.handle.db.execute('drop trigger refuse_ussd_receipt on jobs');
      await t.handle.db.execute('drop function refuse_ussd_receipt()');
    }
    // The gateway replays the request: now both happen, once, however often it is replayed again.
    expect(await dial(s, phone, '2*1*1')).toMatch(/^END Asante! Umethibitisha kupokea/);
    expect(await dial(s, phone, '2*1*1')).toMatch(/^END Asante! Umethibitisha kupokea/);
    expect(await statusOf(buyer, id)).toBe('completed');
    expect(await receiptJobs(id)).toBe(1);
  });
});
