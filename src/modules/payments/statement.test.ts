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
import { randomIds } from '../../shared/ids.js';
import { paymentCollections, paymentDisbursements, paymentStatementLines } from './schema.js';
import {
  compareStatement,
  darDay,
  formatAmount,
  formatReport,
  type LedgerEntry,
  parseAmount,
  parseDarTime,
  parseStatement,
  reconcileStatement,
  StatementFormatError,
  type StatementLine,
  statementPeriod,
} from './statement.js';

const HEADER =
  'Receipt No.,Completion Time,Initiation Time,Details,Transaction Status,Paid In,Withdrawn,Balance,Balance Confirmed,Reason Type,Other Party Info,Linked Transaction ID,A/C No.,Currency';

interface Row {
  receipt: string;
  /** Dar es Salaam local time as the statement prints it, or an instant */
  at: string | Date;
  paidIn?: number;
  withdrawn?: number;
  status?: string;
  details?: string;
  other?: string;
}
const darLocal = (d: Date) =>
  new Date(d.getTime() + 3 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
const q = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
/** One statement row in M-Pesa's column order; amounts in minor units. */
function row(r: Row): string {
  const at = typeof r.at === 'string' ? r.at : darLocal(r.at);
  return [
    r.receipt,
    at,
    at,
    r.details ?? 'Customer Payment',
    r.status ?? 'Completed',
    r.paidIn ? formatAmount(r.paidIn) : '',
    r.withdrawn ? formatAmount(-r.withdrawn) : '',
    '1,000,000.00',
    'true',
    r.paidIn ? 'Pay Bill Online' : 'Business Payment',
    r.other ?? '255754123456 - JUMA',
    '',
    '',
    'TZS',
  ]
    .map(q)
    .join(',');
}
const csv = (...rows: Row[]) => [HEADER, ...rows.map(row)].join('\r\n');

function formatError(text: string): StatementFormatError {
  try {
    parseStatement(text);
  } catch (err) {
    expect(err).toBeInstanceOf(StatementFormatError);
    return err as StatementFormatError;
  }
  throw new Error('the statement was accepted');
}

describe('amounts and times', () => {
  it.each([
    ['1,500.00', 150_000],
    ['1500', 150_000],
    ['1,234,567.8', 123_456_780],
    ['0.05', 5],
    ['-20.50', -2_050],
    ['-0.00', 0],
    ['1,500.500', 150_050],
    ['', null],
    ['  ', null],
  ])('%j → %j minor units', (raw, minor) => {
    expect(parseAmount(raw)).toBe(minor);
  });

  it.each([
    ['1,500.005', /fraction of a cent/],
    ['0.001', /fraction of a cent/],
    ['1.5.0', /not an amount/],
    ['12,34.00', /not an amount/],
    ['TZS 100', /not an amount/],
    ['1e5', /not an amount/],
    ['abc', /not an amount/],
    ['99999999999999999', /too large/],
  ])('refuses %j', (raw, why) => {
    expect(() => parseAmount(raw)).toThrow(why);
  });

  it('reads Dar es Salaam local time (UTC+3) and stores UTC; refuses impossible dates', () => {
    expect(parseDarTime('2026-11-25 14:03:10').toISOString()).toBe('2026-11-25T11:03:10.000Z');
    expect(parseDarTime('2026-11-26 01:30').toISOString()).toBe('2026-11-25T22:30:00.000Z');
    expect(darDay(new Date('2026-11-25T22:30:00Z'))).toBe('2026-11-26');
    expect(darDay(new Date('2026-11-25T20:59:59Z'))).toBe('2026-11-25');
    expect(() => parseDarTime('2026-02-30 10:00:00')).toThrow(/not a valid date/);
    expect(() => parseDarTime('25/11/2026 10:00:00')).toThrow(/not a time like/);
  });
});

describe('parseStatement', () => {
  it('reads M-Pesa rows: money in positive, money out negative, times in UTC', () => {
    const lines = parseStatement(
      csv(
        { receipt: 'QKA1', at: '2026-11-25 14:03:10', paidIn: 1_500_00 },
        { receipt: 'QKA2', at: '2026-11-25 15:00:00', withdrawn: 20_000_00 },
      ),
    );
    expect(lines).toEqual([
      {
        line: 2,
        receipt: 'QKA1',
        completedAt: new Date('2026-11-25T11:03:10Z'),
        amount: 150_000,
        currency: 'TZS',
        status: 'Completed',
        details: 'Customer Payment',
        otherParty: '255754123456 - JUMA',
      },
      expect.objectContaining({ line: 3, receipt: 'QKA2', amount: -2_000_000 }),
    ]);
  });

  it('keeps quoted commas, quotes and line breaks inside fields', () => {
    const text = [
      HEADER,
      'QKB1,2026-11-25 10:00:00,,"Pay Bill from 255754123456, JUMA ""Mzee""",Completed,"1,500.00",,,,,"JUMA, Mzee",,,TZS',
      'QKB2,2026-11-25 10:05:00,,"two\nlines",Completed,"12,000.00",,,,,x,,,TZS',
      'QKB3,2026-11-25 10:06:00,,ok,Completed,"1,2x0.00",,,,,x,,,TZS',
    ].join('\n');
    const err = formatError(text);
    // QKB2 spans lines 3–4, so the bad row is line 5.
    expect(err.line).toBe(5);
    expect(formatError(text.replaceAll('\n', '\r\n')).line).toBe(5);
    const lines = parseStatement(text.split('\n').slice(0, 4).join('\n'));
    expect(lines[0]).toMatchObject({
      details: 'Pay Bill from 255754123456, JUMA "Mzee"',
      otherParty: 'JUMA, Mzee',
      amount: 150_000,
    });
    expect(lines[1]).toMatchObject({ line: 3, details: 'two\nlines', amount: 1_200_000 });
  });

  it('takes a UTF-8 BOM, CRLF, blank lines, trailing commas and the lines M-Pesa prints above the header', () => {
    const text =
      '\uFEFFOrganization Name,K\'KOO LTD\r\nStatement Period,"01 Nov 2026 - 30 Nov 2026"\r\n\r\n' +
      `${HEADER}\r\n${row({ receipt: 'QKC1', at: '2026-11-25 09:00:00', paidIn: 500_00 })}\r\n\r\n` +
      `${row({ receipt: 'QKC2', at: '2026-11-25 09:10:00', paidIn: 700_00 })},,\r\n\r\n\r\n,,,,\r\n`;
    const lines = parseStatement(text);
    expect(lines.map((l) => [l.line, l.receipt, l.amount])).toEqual([
      [5, 'QKC1', 50_000],
      [7, 'QKC2', 70_000],
    ]);
    // The BOM does not stick to the first header name when the header is the first line.
    expect(
      parseStatement(`\uFEFF${csv({ receipt: 'QKC3', at: '2026-11-25 09:00:00', paidIn: 1_00 })}`),
    ).toHaveLength(1);
    // …nor before a quoted first field, as spreadsheets that quote every field write it.
    const quoted = `\uFEFF${HEADER.split(',')
      .map((h) => `"${h}"`)
      .join(',')}\r\n${row({ receipt: 'QKC4', at: '2026-11-25 09:00:00', paidIn: 2_00 })}`;
    expect(parseStatement(quoted)).toEqual([
      expect.objectContaining({ line: 2, receipt: 'QKC4', amount: 200 }),
    ]);
  });

  it('names the line and the column of a bad amount, and refuses fractions of a cent', () => {
    const two = csv(
      { receipt: 'QKD1', at: '2026-11-25 09:00:00', paidIn: 1_00 },
      { receipt: 'QKD2', at: '2026-11-25 09:00:00', withdrawn: 1_00 },
    );
    const e1 = formatError(two.replace(',1.00,', ',lots,'));
    expect(e1.line).toBe(2);
    expect(e1.message).toMatch(/^line 2: Paid In: "lots" is not an amount/);
    const e2 = formatError(two.replace(',1.00,', ',"1,500.005",'));
    expect(e2.message).toMatch(/^line 2: Paid In: "1,500.005" has a fraction of a cent/);
    const e3 = formatError(two.replace(',-1.00,', ',-1.0x,'));
    expect(e3.message).toMatch(/^line 3: Withdrawn: "-1.0x" is not an amount/);
  });

  it('names a missing required column', () => {
    const noWithdrawn = HEADER.replace(',Withdrawn', '');
    const e = formatError(`${noWithdrawn}\r\nQKE1,2026-11-25 09:00:00,,x,Completed,1.00,,,,,,,TZS`);
    expect(e.message).toBe('line 1: missing required column "Withdrawn"');
    const e2 = formatError(
      `${HEADER.replace(',Transaction Status', '').replace('Completion Time,', '')}\r\n`,
    );
    expect(e2.message).toMatch(/missing required columns "Completion Time", "Transaction Status"/);
    expect(formatError('a,b,c\r\n1,2,3\r\n').message).toMatch(/"Receipt No\." is missing/);
    // Header names are matched without case or a trailing dot; Currency is optional (TZS).
    const loose =
      'receipt no,completion time,transaction status,paid in,withdrawn\nQKE2,2026-11-25 09:00:00,Completed,,5.00';
    expect(parseStatement(loose)).toEqual([
      expect.objectContaining({ receipt: 'QKE2', amount: -500, currency: 'TZS' }),
    ]);
  });

  it('refuses rows it cannot take, with their line', () => {
    const base = { at: '2026-11-25 09:00:00' };
    const cases: Array<[string, RegExp]> = [
      [
        row({ ...base, receipt: 'QKF1', paidIn: 1_00 }).replace(',,TZS', ',,TZS,extra'),
        /15 fields where the header has 14/,
      ],
      [
        row({ ...base, receipt: 'QKF2', paidIn: 1_00 }).replace(',,,TZS', ',TZS'),
        /12 fields where the header has 14/,
      ],
      [row({ ...base, receipt: 'QKF4' }), /a completed row moves money/],
      [
        row({ ...base, receipt: 'QKF5', paidIn: 1_00 }).replace('2026-11-25 09:00:00', '2026-11-31 09:00:00'),
        /Completion Time: .* not a valid date/,
      ],
      [row({ ...base, receipt: '', paidIn: 1_00 }), /Receipt No\. is empty/],
      [row({ ...base, receipt: 'QKF6', paidIn: 1_00, status: '' }), /Transaction Status is empty/],
      [
        row({ ...base, receipt: 'QKF7', paidIn: 1_00 }).replace(',TZS', ',shillings'),
        /Currency "SHILLINGS" is not a 3-letter code/,
      ],
      [row({ ...base, receipt: 'QKF8', paidIn: -1_00 }), /Paid In is negative/],
    ];
    for (const [r, why] of cases) {
      const e = formatError(`${HEADER}\r\n${row({ ...base, receipt: 'QKF0', paidIn: 1_00 })}\r\n${r}`);
      expect(e.line, r).toBe(3);
      expect(e.message, r).toMatch(why);
    }
    const both = formatError(`${HEADER}\r\nQKF9,2026-11-25 09:00:00,,x,Completed,1.00,2.00,,,,,,,TZS`);
    expect(both.message).toMatch(/line 2: both Paid In and Withdrawn are set/);
  });

  it('takes a not-completed row without an amount; one receipt twice is one row unless the rows differ', () => {
    const failed = { receipt: 'QKG1', at: '2026-11-25 09:00:00', status: 'Failed' };
    expect(parseStatement(csv(failed))).toEqual([expect.objectContaining({ amount: 0, status: 'Failed' })]);
    const paid = { receipt: 'QKG2', at: '2026-11-25 09:00:00', paidIn: 1_00 };
    expect(parseStatement(csv(paid, paid))).toHaveLength(1);
    const e = formatError(csv(paid, { ...paid, paidIn: 2_00 }));
    expect(e.message).toBe('line 3: Receipt No. QKG2 already appears on line 2 with different values');
  });

  it('says an unclosed quote is not a CSV it can read', () => {
    expect(formatError(`${HEADER}\r\nQKH1,"2026-11-25 09:00:00,,x\r\n`).message).toMatch(
      /not a readable CSV/,
    );
  });
});

// ---- comparison on hand-built data ---------------------------------------------------------------

const at = (dar: string) => parseDarTime(dar);
let lineNo = 1;
const sline = (receipt: string, dar: string, amount: number, status = 'Completed'): StatementLine => ({
  line: ++lineNo,
  receipt,
  completedAt: at(dar),
  amount,
  currency: 'TZS',
  status,
  details: null,
  otherParty: null,
});
const entry = (
  kind: LedgerEntry['kind'],
  id: string,
  receipt: string | null,
  amount: number,
  dar: string,
  ledgerAmount: number | null = amount,
): LedgerEntry => ({ kind, id, receipt, amount, currency: 'TZS', decidedAt: at(dar), ledgerAmount });

describe('compareStatement', () => {
  const period = { from: '2026-11-25', to: '2026-11-26' };

  it('a statement that matches the ledger has three empty lists on every day of its period', () => {
    const r = compareStatement({
      lines: [
        sline('R1', '2026-11-25 10:00:00', 1_000_00),
        sline('R2', '2026-11-26 11:00:00', -400_00),
        sline('R9', '2026-11-26 11:00:00', 0, 'Failed'),
      ],
      period,
      ledger: [
        entry('collection', 'c1', 'R1', 1_000_00, '2026-11-25 10:00:05'),
        entry('refund', 'd1', 'R2', -400_00, '2026-11-26 11:00:02'),
        // decided outside the period: not this statement's business
        entry('collection', 'c0', 'R0', 5_00, '2026-11-24 23:59:59'),
      ],
    });
    expect(r.matches).toBe(true);
    expect(r.days.map((d) => [d.day, d.statement])).toEqual([
      ['2026-11-25', { completed: 1, paidIn: 1_000_00, withdrawn: 0, ignored: 0 }],
      ['2026-11-26', { completed: 1, paidIn: 0, withdrawn: 400_00, ignored: 1 }],
    ]);
    expect(r.totals).toEqual({
      providerOnly: { count: 0, paidIn: 0, withdrawn: 0 },
      ledgerOnly: { count: 0, paidIn: 0, withdrawn: 0 },
      mismatches: { count: 0, difference: 0 },
    });
  });

  it('provider has, ledger lacks: unknown receipts in and out, and a record whose ledger transfer is missing', () => {
    const r = compareStatement({
      lines: [
        sline('U1', '2026-11-25 10:00:00', 2_500_00),
        sline('U2', '2026-11-25 12:00:00', -300_00),
        sline('R3', '2026-11-26 09:00:00', 700_00),
        sline('P1', '2026-11-26 09:30:00', -900_00),
      ],
      period,
      ledger: [
        entry('collection', 'c3', 'R3', 700_00, '2026-11-26 09:00:03', null),
        entry('payout', 'p1', 'P1', -900_00, '2026-11-26 09:30:01', null),
      ],
    });
    expect(r.matches).toBe(false);
    const [d25, d26] = r.days;
    expect(d25!.providerOnly).toEqual([
      expect.objectContaining({
        receipt: 'U1',
        amount: 2_500_00,
        record: null,
        reason: 'no succeeded collection has this receipt',
      }),
      expect.objectContaining({
        receipt: 'U2',
        amount: -300_00,
        reason: 'no succeeded refund or payout has this receipt',
      }),
    ]);
    expect(d25!.totals.providerOnly).toEqual({ count: 2, paidIn: 2_500_00, withdrawn: 300_00 });
    expect(d26!.providerOnly).toEqual([
      expect.objectContaining({
        receipt: 'R3',
        record: { kind: 'collection', id: 'c3' },
        reason: 'collection c3 succeeded but its COLLECTION ledger transfer is missing',
      }),
      expect.objectContaining({
        receipt: 'P1',
        reason: expect.stringMatching(/payout p1 .* PAYOUT \(posted\)/),
      }),
    ]);
    expect(r.days.flatMap((d) => [...d.ledgerOnly, ...d.mismatches])).toEqual([]);
    expect(r.totals.providerOnly).toEqual({ count: 4, paidIn: 3_200_00, withdrawn: 1_200_00 });
  });

  it('ledger has, provider lacks: by the day we decided it; a failed row or a receipt-less record does not count', () => {
    const r = compareStatement({
      lines: [sline('R1', '2026-11-25 10:00:00', 1_000_00), sline('R4', '2026-11-25 10:30:00', 0, 'Failed')],
      period,
      ledger: [
        entry('collection', 'c1', 'R1', 1_000_00, '2026-11-25 10:00:05'),
        entry('collection', 'c4', 'R4', 200_00, '2026-11-25 10:30:02'),
        entry('refund', 'd5', 'R5', -50_00, '2026-11-26 00:00:10'),
        entry('collection', 'c6', null, 80_00, '2026-11-26 23:59:59'),
        // on an earlier statement, the day before (crossed midnight): not missing
        entry('collection', 'c7', 'R7', 90_00, '2026-11-25 00:00:02'),
      ],
      knownElsewhere: new Set(['R7']),
    });
    const lists = r.days.map((d) => [d.day, d.ledgerOnly.map((l) => [l.id, l.amount, l.reason])]);
    expect(lists).toEqual([
      ['2026-11-25', [['c4', 200_00, 'its receipt is not on a completed row of the statement']]],
      [
        '2026-11-26',
        [
          ['d5', -50_00, 'its receipt is not on a completed row of the statement'],
          ['c6', 80_00, 'succeeded without a provider receipt'],
        ],
      ],
    ]);
    expect(r.totals.ledgerOnly).toEqual({ count: 3, paidIn: 280_00, withdrawn: 50_00 });
    expect(r.days.flatMap((d) => [...d.providerOnly, ...d.mismatches])).toEqual([]);
  });

  it('amount mismatches: same receipt, different amount or direction, on the statement row’s day', () => {
    const r = compareStatement({
      lines: [
        sline('R1', '2026-11-26 01:00:00', 1_100_00),
        sline('R2', '2026-11-26 02:00:00', 400_00),
        sline('R3', '2026-11-26 03:00:00', 30_00),
      ],
      period: statementPeriod([sline('X', '2026-11-26 00:00:00', 1)])!,
      ledger: [
        // decided the evening before in Dar (still UTC 25th): matched by receipt all the same
        entry('collection', 'c1', 'R1', 1_000_00, '2026-11-25 23:59:58'),
        entry('refund', 'd2', 'R2', -400_00, '2026-11-26 02:00:01'),
        entry('collection', 'c3', 'R3', 30_00, '2026-11-26 03:00:01'),
      ],
    });
    expect(r.days).toHaveLength(1);
    expect(r.days[0]!.mismatches).toEqual([
      expect.objectContaining({
        receipt: 'R1',
        kind: 'collection',
        id: 'c1',
        statementAmount: 1_100_00,
        ledgerAmount: 1_000_00,
        difference: 100_00,
      }),
      expect.objectContaining({
        receipt: 'R2',
        kind: 'refund',
        statementAmount: 400_00,
        ledgerAmount: -400_00,
        difference: 800_00,
      }),
    ]);
    expect(r.totals.mismatches).toEqual({ count: 2, difference: 900_00 });
    expect(r.totals.providerOnly.count + r.totals.ledgerOnly.count).toBe(0);
    expect(r.matches).toBe(false);
  });

  it('the period is the days the rows span, widened by --from/--to', () => {
    const lines = [sline('A', '2026-11-26 00:30:00', 1), sline('B', '2026-11-24 23:30:00', 1)];
    expect(statementPeriod(lines)).toEqual({ from: '2026-11-24', to: '2026-11-26' });
    expect(statementPeriod(lines, { to: '2026-11-30' })).toEqual({ from: '2026-11-24', to: '2026-11-30' });
    expect(statementPeriod([])).toBeNull();
    expect(
      compareStatement({ lines, period: statementPeriod(lines)!, ledger: [] }).days.map((d) => d.day),
    ).toEqual(['2026-11-24', '2026-11-25', '2026-11-26']);
  });
});

// ---- import and report against the database, with a payment made through the simulator ---------

const TOKEN = 'cbtoken0123456789abcdefghijklmnopqrstuv';
let t: TestApp;
let admin: Actor;
let seller: Actor;
let kanga: { id: string; skuIds: string[] };

describe('reconcileStatement with a simulator payment', () => {
  beforeAll(async () => {
    t = await createTestApp({
      DELIVERY_FEE: '300000',
      CHECKOUT_TTL_MINUTES: '30',
      SIMULATOR_DELAY_MS: '5000',
      PAYMENT_FIRST_QUERY_SECONDS: '60',
      PAYMENT_CALLBACK_TOKEN: TOKEN,
      PAYMENT_PUSHES_PER_HOUR: '100000',
    });
    admin = await t.loginAdmin('+255754320001');
    seller = await verifiedSeller(t, admin, 'Mama Taarifa');
    const cat = await category(t, admin, 'Statements');
    kanga = await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'S-KANGA', price: 10_000_00, stock: 50 }],
    });
  });
  afterAll(() => t.close());

  const api = (
    method: 'GET' | 'POST',
    url: string,
    auth: Record<string, string>,
    payload?: unknown,
    headers = {},
  ) =>
    t.app.inject({
      method,
      url,
      headers: { ...auth, ...headers },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  async function elapse(seconds: number) {
    t.clock.advanceSeconds(seconds);
    await t.app.services.jobs.drain();
  }
  let keys = 0;
  /** A checkout paid through the simulator: push, the simulator's callback, confirmed. */
  async function paidCheckout() {
    const b = await t.login(nextPhone());
    await api('POST', '/api/v1/cart/items', b.auth, { sku_id: kanga.skuIds[0], quantity: 1 });
    const addr = await api('POST', '/api/v1/me/addresses', b.auth, {
      label: 'Home',
      ward: 'Mikocheni',
      landmark: 'Blue gate',
    });
    const preview = (await api('GET', '/api/v1/cart', b.auth)).json();
    const res = await api(
      'POST',
      '/api/v1/orders/checkout',
      b.auth,
      { address_id: addr.json().id, payer_phone: '0754 123 456', preview_token: preview.preview_token },
      { 'idempotency-key': `statement-key-${keys++}` },
    );
    expect(res.statusCode, res.body).toBe(201);
    const checkout = res.json() as { checkout_id: string; total: number; orders: Array<{ id: string }> };
    expect(
      (await api('POST', `/api/v1/payments/checkouts/${checkout.checkout_id}/collections`, b.auth, {}))
        .statusCode,
    ).toBe(202);
    await elapse(5);
    const [c] = await t.handle.db
      .select()
      .from(paymentCollections)
      .where(eq(paymentCollections.checkoutId, checkout.checkout_id));
    expect(c).toMatchObject({ status: 'succeeded', receipt: expect.stringMatching(/^SIM/) });
    return { buyer: b, checkout, collection: c! };
  }

  const deps = () => ({
    db: t.handle.db,
    clock: t.clock,
    ids: randomIds,
    invariants: () => t.app.services.orders.service.reconcile(),
    ledgerMovements: (ids: string[]) => t.app.services.ledger.movementsOf(ids),
  });
  const reconcile = (text: string, opts: { from?: string; to?: string } = {}) =>
    reconcileStatement(deps(), { provider: 'simulator', lines: parseStatement(text), ...opts });

  it('clean, then each kind of difference, and importing twice stores each receipt once', async () => {
    const { collection: c } = await paidCheckout();
    // A second paid order that the seller rejects: its refund is money out, with its own receipt.
    const second = await paidCheckout();
    const rej = await api(
      'POST',
      `/api/v1/seller/orders/${second.checkout.orders[0]!.id}/reject`,
      seller.auth,
      {
        reason: 'out of stock',
      },
    );
    expect(rej.statusCode, rej.body).toBe(200);
    await t.app.services.jobs.drain();
    await elapse(5);
    const [refund] = await t.handle.db
      .select()
      .from(paymentDisbursements)
      .where(eq(paymentDisbursements.orderId, second.checkout.orders[0]!.id));
    expect(refund).toMatchObject({
      kind: 'refund',
      status: 'succeeded',
      receipt: expect.stringMatching(/^SIM/),
    });
    const d = refund!;

    const paid: Row = { receipt: c.receipt!, at: c.decidedAt!, paidIn: c.amount };
    const paid2: Row = {
      receipt: second.collection.receipt!,
      at: second.collection.decidedAt!,
      paidIn: second.collection.amount,
    };
    const sent: Row = {
      receipt: d.receipt!,
      at: d.decidedAt!,
      withdrawn: d.amount,
      details: 'Business Payment to 255754123456',
    };
    const day = darDay(c.decidedAt!);

    // 1. The statement has what the ledger has.
    const clean = await reconcile(csv(paid, paid2, sent));
    expect(clean.days.map((x) => x.day)).toEqual([day]);
    expect(clean.days[0]!.statement).toEqual({
      completed: 3,
      paidIn: c.amount + second.collection.amount,
      withdrawn: d.amount,
      ignored: 0,
    });
    expect(clean.invariants).toEqual([]);
    expect(clean.import).toMatchObject({ rows: 3, inserted: 3, alreadyImported: 0, conflicts: [] });
    expect(clean.clean).toBe(true);
    expect(formatReport(clean)).toMatch(/matches the ledger[\s\S]*Result: the statement matches the ledger/);

    // 2. Our collection is not on the provider's statement for that day.
    const dropped = await reconcile(
      csv(paid2, sent, { receipt: 'SIMFAILED1', at: c.decidedAt!, status: 'Failed' }),
    );
    expect(dropped.clean).toBe(false);
    expect(dropped.days[0]!.ledgerOnly).toEqual([
      expect.objectContaining({ kind: 'collection', id: c.id, receipt: c.receipt, amount: c.amount }),
    ]);
    expect(dropped.totals.providerOnly.count + dropped.totals.mismatches.count).toBe(0);
    expect(formatReport(dropped)).toMatch(/ledger has, provider lacks \(1: in [\d,.]+, out 0\.00\)/);
    // The same with a statement that has no row that day at all, checked by the period given.
    const none = await reconcile(csv(), { from: day, to: day });
    expect(none.days[0]!.ledgerOnly.map((x) => x.id).sort()).toEqual(
      [c.id, second.collection.id, d.id].sort(),
    );

    // 3. The provider has money the ledger does not know.
    const unknown = await reconcile(
      csv(paid, paid2, sent, { receipt: 'SIMUNKNOWN1', at: c.decidedAt!, paidIn: 5_000_00 }),
    );
    expect(unknown.days[0]!.providerOnly).toEqual([
      expect.objectContaining({ receipt: 'SIMUNKNOWN1', amount: 5_000_00, record: null }),
    ]);
    expect(unknown.days[0]!.ledgerOnly).toEqual([]);
    expect(unknown.import).toMatchObject({ rows: 4, inserted: 1, alreadyImported: 3, conflicts: [] });
    expect(formatReport(unknown)).toMatch(
      /provider has, ledger lacks \(1: in 5,000\.00, out 0\.00\):\n\s+\+5,000\.00 TZS {2}SIMUNKNOWN1/,
    );

    // 4. The same receipt for another amount: a mismatch, and the earlier import is kept as it was.
    const changed = await reconcile(csv({ ...paid, paidIn: c.amount + 100_00 }, paid2, sent));
    expect(changed.days[0]!.mismatches).toEqual([
      expect.objectContaining({
        receipt: c.receipt,
        id: c.id,
        statementAmount: c.amount + 100_00,
        ledgerAmount: c.amount,
        difference: 100_00,
      }),
    ]);
    expect(changed.import.conflicts).toEqual([
      expect.objectContaining({
        receipt: c.receipt,
        line: 2,
        differences: ['amount'],
        stored: expect.objectContaining({ amount: c.amount }),
      }),
    ]);
    const [stored] = await t.handle.db
      .select()
      .from(paymentStatementLines)
      .where(eq(paymentStatementLines.receipt, c.receipt!));
    expect(stored).toMatchObject({
      amount: c.amount,
      provider: 'simulator',
      status: 'Completed',
      completedAt: new Date(Math.floor(c.decidedAt!.getTime() / 1000) * 1000),
    });
    expect(formatReport(changed)).toMatch(/amount mismatches \(1, statement − ledger \+100\.00\)/);

    // 5. Importing a file twice adds nothing the second time.
    const count = async () => (await t.handle.db.select().from(paymentStatementLines)).length;
    const before = await count();
    const file = csv(paid, paid2, sent, { receipt: 'SIMTWICE1', at: c.decidedAt!, paidIn: 1_00 });
    const first = await reconcile(file);
    expect(first.import).toMatchObject({ inserted: 1, alreadyImported: 3 });
    expect(await count()).toBe(before + 1);
    const again = await reconcile(file);
    expect(again.import).toMatchObject({ inserted: 0, alreadyImported: 4, conflicts: [] });
    expect(await count()).toBe(before + 1);
    expect(again.days).toEqual(first.days);
  }, 60_000);

  it('a missing COLLECTION ledger transfer puts the money on the provider’s side', async () => {
    const { collection: c } = await paidCheckout();
    const row1: Row = { receipt: c.receipt!, at: c.decidedAt!, paidIn: c.amount };
    const r = await reconcileStatement(
      { ...deps(), ledgerMovements: async () => [] },
      { provider: 'simulator', lines: parseStatement(csv(row1)) },
    );
    expect(r.days[0]!.providerOnly).toEqual([
      expect.objectContaining({ receipt: c.receipt, record: { kind: 'collection', id: c.id } }),
    ]);
    // With the real ledger the same row matches (the day's other payments are simply not on this file).
    const real = await reconcile(csv(row1));
    expect(real.days[0]!.providerOnly).toEqual([]);
    expect(real.days[0]!.mismatches).toEqual([]);
    expect(real.days[0]!.ledgerOnly.map((x) => x.id)).not.toContain(c.id);
  }, 60_000);
});
