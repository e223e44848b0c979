import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { type ConsoleSession, consoleSignIn, rowsOf } from '../../../test/support/console.js';
import {
  type Actor,
  category,
  nextPhone,
  verifiedProduct,
  verifiedSeller,
} from '../../../test/support/fixtures.js';
import { STATEMENT_MAX_BYTES } from './money-statement.js';

// Money: a provider statement uploaded on the console runs the cli's parse + reconcile and shows the
// report; the upload's CSRF token is its first field and is checked before anything else is read.

const TOKEN = 'cbtoken0123456789abcdefghijklmnopqrstuv';
let t: TestApp;
let admin: ConsoleSession;
let apiAdmin: Actor;
let sku: string;

beforeAll(async () => {
  t = await createTestApp({
    DELIVERY_FEE: '300000',
    SIMULATOR_DELAY_MS: '5000',
    PAYMENT_FIRST_QUERY_SECONDS: '60',
    PAYMENT_CALLBACK_TOKEN: TOKEN,
    PAYMENT_PUSHES_PER_HOUR: '100000',
    CONSOLE_IDLE_MINUTES: '1440',
    CONSOLE_ABSOLUTE_HOURS: '168',
  });
  apiAdmin = await t.loginAdmin('+255754940001');
  admin = await consoleSignIn(t, '+255754940001');
  const seller = await verifiedSeller(t, apiAdmin, 'Mama Taarifa');
  const cat = await category(t, apiAdmin, 'Statements');
  const p = await verifiedProduct(t, apiAdmin, seller, {
    categoryId: cat,
    variants: [{ seller_sku: 'S-KANGA', price: 10_000_00, stock: 50 }],
  });
  sku = p.skuIds[0]!;
});
afterAll(() => t.close());

// M-Pesa's statement columns (docs/statement-format.md); built here, since a test reaches another
// module only through its index (the payments tests' statement.fixtures.ts is theirs).
const HEADER =
  'Receipt No.,Completion Time,Initiation Time,Details,Transaction Status,Paid In,Withdrawn,Balance,Balance Confirmed,Reason Type,Other Party Info,Linked Transaction ID,A/C No.,Currency';
const shillings = (minor: number) =>
  `${Math.trunc(minor / 100).toLocaleString('en-US')}.${String(minor % 100).padStart(2, '0')}`;
/** One completed money-in row at a Dar es Salaam local time (UTC+3). */
function csv(r: { receipt: string; at: Date; paidIn: number; other?: string }) {
  const at = new Date(r.at.getTime() + 3 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
  const other = r.other ?? '255754123456 - JUMA';
  const line = [
    r.receipt,
    at,
    at,
    'Customer Payment',
    'Completed',
    `"${shillings(r.paidIn)}"`,
    '',
    '"1,000,000.00"',
    'true',
    'Pay Bill Online',
    other,
    '',
    '',
    'TZS',
  ];
  return `${HEADER}\r\n${line.join(',')}`;
}

const api = (method: 'GET' | 'POST', url: string, auth: object, payload?: object, headers: object = {}) =>
  t.app.inject({ method, url, headers: { ...auth, ...headers }, ...(payload ? { payload } : {}) });

/** A checkout paid through the simulator (push, its callback): a succeeded collection with a receipt. */
async function paidCollection() {
  const b = await t.login(nextPhone());
  await api('POST', '/api/v1/cart/items', b.auth, { sku_id: sku, quantity: 1 });
  const addr = await api('POST', '/api/v1/me/addresses', b.auth, {
    label: 'Home',
    ward: 'Mikocheni',
    landmark: 'Blue gate',
  });
  const preview = (await api('GET', '/api/v1/cart', b.auth)).json();
  const co = await api(
    'POST',
    '/api/v1/orders/checkout',
    b.auth,
    { address_id: addr.json().id, payer_phone: '0754 123 456', preview_token: preview.preview_token },
    { 'idempotency-key': `stmt-${nextPhone()}` },
  );
  expect(co.statusCode, co.body).toBe(201);
  const checkoutId = co.json().checkout_id as string;
  const push = await api('POST', `/api/v1/payments/checkouts/${checkoutId}/collections`, b.auth, {});
  expect(push.statusCode, push.body).toBe(202);
  t.clock.advanceSeconds(5);
  await t.app.services.jobs.drain();
  const [c] = await rowsOf<{ receipt: string; amount: number; decided_at: Date | string }>(
    t,
    sql`select receipt, amount, decided_at from payment_collections where checkout_id = ${checkoutId} and status = 'succeeded'`,
  );
  expect(c?.receipt).toMatch(/^SIM/);
  return { buyer: b, receipt: c!.receipt, amount: Number(c!.amount), at: new Date(c!.decided_at) };
}

/** A multipart form in the given field order (a browser sends the form's fields in document order). */
function multipart(parts: Array<[string, string] | ['file', string, Buffer | string]>) {
  const boundary = '----kkooStatementBoundary';
  const chunks: Buffer[] = [];
  for (const p of parts) {
    if (p.length === 3)
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${p[0]}"; filename="${p[1]}"\r\nContent-Type: text/csv\r\n\r\n`,
        ),
        Buffer.from(p[2]),
        Buffer.from('\r\n'),
      );
    else
      chunks.push(
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p[0]}"\r\n\r\n${p[1]}\r\n`),
      );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

function upload(
  statement: string | Buffer,
  opts: { csrf?: string | null; provider?: string; reason?: string; headers?: object; cookie?: boolean } = {},
) {
  const fields: Array<[string, string] | ['file', string, Buffer | string]> = [];
  const token = opts.csrf === undefined ? admin.csrf : opts.csrf;
  if (token !== null) fields.push(['_csrf', token]);
  fields.push(['file', 'statement.csv', statement]);
  fields.push(['provider', opts.provider ?? 'simulator']);
  fields.push(['from', '']);
  fields.push(['to', '']);
  fields.push(['reason', opts.reason ?? 'monthly statement check']);
  const body = multipart(fields);
  return t.app.inject({
    method: 'POST',
    url: '/admin/money/statement',
    headers: {
      ...(opts.cookie === false ? {} : { cookie: `kkoo_console=${admin.cookie}` }),
      'content-type': body.contentType,
      ...opts.headers,
    },
    payload: body.payload,
  });
}

const storedLines = async () =>
  Number((await rowsOf<{ n: number }>(t, sql`select count(*)::int as n from payment_statement_lines`))[0]!.n);

describe('the statement import on the Money screen', () => {
  let first: Awaited<ReturnType<typeof paidCollection>>;

  it('offers the form (CSRF token first) and links it from Money', async () => {
    const money = await admin.get('/admin/money');
    expect(money.body).toContain('href="/admin/money/statement"');
    const form = await admin.get('/admin/money/statement');
    expect(form.statusCode).toBe(200);
    expect(form.body).toMatch(/enctype="multipart\/form-data"[^>]*>\s*<input type="hidden" name="_csrf"/);
    expect(form.body).toContain('<option value="vodacom_tz">');
  });

  it('shows a statement of our collection as matched, and records one audit row', async () => {
    first = await paidCollection();
    const res = await upload(csv({ receipt: first.receipt, at: first.at, paidIn: first.amount }));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('The statement matches our records');
    expect(res.body).toContain('matches the ledger');
    expect(res.body).toMatch(/class="imported">1: 1 new, 0 already imported/);
    expect(res.body).toMatch(/class="num total-provider-only">0:/);
    expect(res.body).not.toContain('class="provider-only"');
    const audit = await rowsOf<{ reason: string; data: Record<string, unknown> }>(
      t,
      sql`select reason, data from audit_events where action = 'statement.reconciled'`,
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      reason: 'monthly statement check',
      data: { provider: 'simulator', rows: 1, inserted: 1, conflicts: 0 },
    });
  });

  it('lists a line we have no record of, and ours that the statement lacks', async () => {
    const res = await upload(
      csv({ receipt: 'QZX0UNKNOWN', at: first.at, paidIn: 7_500_00, other: '255754999888 - ASHA' }),
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('The statement and our records differ');
    expect(res.body).toMatch(/<tr class="provider-only">.*QZX0UNKNOWN.*TZS 7,500/s);
    // The matched collection is on the same day but not in this file: ours, not on the statement.
    expect(res.body).toMatch(new RegExp(`<tr class="ledger-only">.*${first.receipt}`, 's'));
    expect(res.body).toMatch(/class="num total-provider-only">1:/);
  });

  it('refuses a malformed CSV with a 422 naming the line, storing nothing', async () => {
    const before = await storedLines();
    const bad = `${HEADER}\r\nQZX1BAD,2026-11-25 10:00:00,2026-11-25 10:00:00,Pay,Completed,12x.00,,0,true,,,,,TZS`;
    const res = await upload(bad);
    expect(res.statusCode, res.body).toBe(422);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('line 2');
    expect(await storedLines()).toBe(before);
  });

  it('refuses an unknown provider and a missing reason (422)', async () => {
    const good = csv({ receipt: first.receipt, at: first.at, paidIn: first.amount });
    const p = await upload(good, { provider: 'mpesa_ke' });
    expect(p.statusCode, p.body).toBe(422);
    expect(p.body).toContain('provider must be one of');
    const r = await upload(good, { reason: '' });
    expect(r.statusCode, r.body).toBe(422);
  });

  it('refuses a statement over the size limit with a 413 page, not a 500', async () => {
    const before = await storedLines();
    const res = await upload(Buffer.alloc(STATEMENT_MAX_BYTES + 1024, 'a'));
    expect(res.statusCode, res.body).toBe(413);
    expect(res.headers['content-type']).toContain('text/html');
    expect(await storedLines()).toBe(before);
  });

  it('refuses an upload without the CSRF token, or with another one (403), reading nothing', async () => {
    const before = await storedLines();
    const good = csv({ receipt: 'QZX2NOCSRF', at: first.at, paidIn: 1_000_00 });
    for (const csrf of [null, 'f'.repeat(64)]) {
      const res = await upload(good, { csrf });
      expect(res.statusCode, res.body).toBe(403);
    }
    // Not multipart: the guard itself checks the form, as for every console post.
    const urlencoded = await admin.post('/admin/money/statement', { reason: 'x' }, { csrf: null });
    expect(urlencoded.statusCode).toBe(403);
    expect(await storedLines()).toBe(before);
  });

  it('is for admins: a buyer is told no, an anonymous visitor is sent to sign in', async () => {
    const good = csv({ receipt: 'QZX3ANON', at: first.at, paidIn: 1_000_00 });
    const buyer = await upload(good, { cookie: false, headers: first.buyer.auth });
    expect(buyer.statusCode).toBe(403);
    const anon = await upload(good, { cookie: false });
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toBe('/admin/sign-in');
    expect((await t.app.inject({ method: 'GET', url: '/admin/money/statement' })).statusCode).toBe(303);
  });
});
