import { describe, expect, it } from 'vitest';
import { reconcileLedger } from './reconcile.js';

describe('the whole-ledger reconciliation', () => {
  it("reports every module's problems, ledger first, then promotions, then orders' escrow", async () => {
    const problems = await reconcileLedger({
      ledger: { checkInvariants: async () => ['transfer t1 posted twice'] },
      promotions: { checkCounters: async () => ['promotion p1 slices add up to 9, budget 10'] },
      orders: { escrowProblems: async () => ['order o1 (completed) still holds 5 in escrow'] },
    });
    expect(problems).toEqual([
      'transfer t1 posted twice',
      'promotion p1 slices add up to 9, budget 10',
      'order o1 (completed) still holds 5 in escrow',
    ]);
  });

  it('is empty only when every part holds', async () => {
    const clean = {
      checkInvariants: async () => [],
      checkCounters: async () => [],
      escrowProblems: async () => [],
    };
    expect(await reconcileLedger({ ledger: clean, promotions: clean, orders: clean })).toEqual([]);
    expect(
      await reconcileLedger({
        ledger: clean,
        promotions: clean,
        orders: { escrowProblems: async () => ['order o2 (paid) holds 0, expected 100'] },
      }),
    ).toHaveLength(1);
  });
});
