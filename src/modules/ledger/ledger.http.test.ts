import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { ledgerTransfers } from './schema.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

let n = 0;
const order = (over: Partial<{ baseAmount: number; finalAmount: number; deliveryFee: number }> = {}) => {
  const hex = (n++).toString(16).padStart(12, '0');
  return {
    id: `01a211ef-3fcc-7542-96e2-${hex}`,
    checkoutId: `01a211ef-3fcc-7542-96e3-${hex}`,
    buyerId: '01a211ef-3fcc-7542-96e4-000000000001',
    sellerId: '01a211ef-3fcc-7542-96e5-000000000001',
    currency: 'TZS',
    baseAmount: 10_000,
    finalAmount: 9_000,
    deliveryFee: 500,
    ...over,
  };
};
const ledger = () => t.app.services.ledger;
const tx = <T>(fn: (db: typeof t.handle.db) => Promise<T>) => t.handle.db.transaction(fn);
/** What the payments module does on a confirmed payment: the money arrives, then escrow holds it. */
const holdPaid = async (db: typeof t.handle.db, o: ReturnType<typeof order>) => {
  await ledger().recordCollection(db, {
    key: o.id,
    collectionId: null,
    checkoutId: o.checkoutId,
    amount: o.finalAmount + o.deliveryFee,
    currency: o.currency,
  });
  await ledger().holdEscrow(db, o);
};

describe('escrow ledger', () => {
  it('holds the full base plus fee (buyer payment + platform funding), then releases the base to the seller', async () => {
    const o = order();
    await tx((db) => holdPaid(db, o));
    expect(await ledger().balance(`escrow:${o.id}`)).toEqual({ posted: 0, pending: 10_500 });
    await tx((db) => ledger().releaseEscrow(db, o));
    expect(await ledger().balance(`escrow:${o.id}`)).toEqual({ posted: 0, pending: 0 });
    expect((await ledger().balance(`seller:${o.sellerId}:payable`)).posted).toBeGreaterThanOrEqual(10_000);
    expect((await ledger().balance('platform:incentive_expense')).posted).toBeLessThanOrEqual(-1_000);
  });

  it('settles a hold at most once: a refund after a release is refused, a repeated release is a no-op', async () => {
    const o = order();
    await tx((db) => holdPaid(db, o));
    await tx((db) => ledger().releaseEscrow(db, o));
    await tx((db) => ledger().releaseEscrow(db, o));
    await expect(tx((db) => ledger().refundEscrow(db, o))).rejects.toMatchObject({
      code: 'ESCROW_ALREADY_SETTLED',
    });
    const rows = await ledger().transfersOf({ orderId: o.id });
    expect(rows.filter((r) => r.kind === 'ESCROW_RELEASE')).toHaveLength(1);
  });

  it('a refund voids the hold and owes the buyer what they paid', async () => {
    const o = order();
    await tx((db) => holdPaid(db, o));
    await tx((db) => ledger().refundEscrow(db, o));
    expect(await ledger().balance(`escrow:${o.id}`)).toEqual({ posted: 0, pending: 0 });
    const refund = (await ledger().transfersOf({ orderId: o.id })).find((r) => r.kind === 'REFUND')!;
    expect(refund).toMatchObject({ amount: 9_500, creditAccount: `buyer:${o.buyerId}:refunds_payable` });
  });

  it('the invariant check catches a settlement that does not match its pending transfer', async () => {
    expect(await ledger().checkInvariants()).toEqual([]);
    const o = order();
    await tx((db) => holdPaid(db, o));
    const [hold] = (await ledger().transfersOf({ orderId: o.id })).filter(
      (r) => r.phase === 'pending' && r.kind === 'ESCROW_HOLD',
    );
    await t.handle.db.insert(ledgerTransfers).values({
      ...hold!,
      id: '01a211ef-3fcc-7542-96e6-000000000001',
      key: 'forged-post',
      phase: 'post',
      pendingId: hold!.id,
      amount: hold!.amount + 1,
    });
    // The forged post also un-balances clearing by the extra unit: both are reported.
    expect(await ledger().checkInvariants()).toEqual([
      expect.stringContaining('forged-post does not match'),
      expect.stringContaining('provider:clearing is -1'),
    ]);
  });

  it('the invariant check catches collected money that is neither held nor owed back', async () => {
    const before = await ledger().checkInvariants();
    await tx((db) =>
      ledger().recordCollection(db, {
        key: 'stray',
        collectionId: null,
        checkoutId: '01a211ef-3fcc-7542-96e3-0000000000ff',
        amount: 700,
        currency: 'TZS',
      }),
    );
    const after = await ledger().checkInvariants();
    expect(after.filter((p) => !before.includes(p))).toEqual([
      expect.stringMatching(/provider:clearing is \d+: collected money neither held nor refunded/),
    ]);
  });
});
