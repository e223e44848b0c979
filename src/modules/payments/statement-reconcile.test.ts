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
import type { Row } from './statement.fixtures.js';
import { csv } from './statement.fixtures.js';
import { darDay, formatReport, parseStatement, reconcileStatement } from './statement.js';

// M-Pesa statement reconciliation. Shared CSV helpers live in statement.fixtures.ts.

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
