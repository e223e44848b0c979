// Pure: do the analytics money figures of a set of orders equal what the escrow ledger holds for
// exactly those orders? Each line names the figure, both sums and the difference.
import type { OrderEconomics } from './model.js';
import type { LedgerSums } from './queries.js';

export interface ReconcileLine {
  figure: string;
  analytics: number;
  ledger: number;
  /** the ledger rule compared against */
  rule: string;
}

export function reconcileFigures(econ: Iterable<OrderEconomics>, ledger: LedgerSums) {
  const sum = { gmv: 0, incentives: 0, take: 0, late: 0, absorbed: 0, refunds: 0 };
  for (const e of econ) {
    sum.gmv += e.gmv;
    // Referral rewards are paid by their own ledger kind once referrals exist, not by escrow funding.
    sum.incentives += e.promotion + e.code + e.loyalty;
    sum.take += e.take;
    sum.late += e.lateCompensation;
    sum.absorbed += e.absorbedRefunds;
    sum.refunds += e.refunds;
  }
  const lines: ReconcileLine[] = [
    { figure: 'gmv', analytics: sum.gmv, ledger: ledger.holds, rule: 'ESCROW_HOLD pending transfers' },
    {
      figure: 'incentives',
      analytics: sum.incentives,
      ledger: ledger.incentives,
      rule: 'INCENTIVE_FUNDING from platform:incentive_expense, less voided funding',
    },
    {
      figure: 'take',
      analytics: sum.take,
      ledger: ledger.take,
      rule: 'DELIVERY_FEE to platform:delivery_fees',
    },
    {
      figure: 'late_compensation',
      analytics: sum.late,
      ledger: ledger.lateCompensation,
      rule: 'COMPENSATION from platform:guarantee_expense, less what was recovered into it',
    },
    {
      figure: 'absorbed_refunds',
      analytics: sum.absorbed,
      ledger: ledger.absorbed,
      rule: 'RIDER_COMPENSATION from platform:dispute_expense',
    },
    {
      figure: 'refunds',
      analytics: sum.refunds,
      ledger: ledger.refunds,
      rule: 'REFUND to buyers, plus late compensation recovered from a refund',
    },
  ];
  const mismatches = lines.filter((l) => l.analytics !== l.ledger);
  return {
    ok: mismatches.length === 0,
    lines,
    problems: mismatches.map(
      (l) =>
        `${l.figure}: analytics ${l.analytics}, ledger ${l.ledger} (${l.rule}), off by ${l.analytics - l.ledger}`,
    ),
  };
}
