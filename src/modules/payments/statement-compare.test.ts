import { describe, expect, it } from 'vitest';
import {
  compareStatement,
  type LedgerEntry,
  parseDarTime,
  type StatementLine,
  statementPeriod,
} from './statement.js';

// M-Pesa statement reconciliation. Shared CSV helpers live in statement.fixtures.ts.

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
