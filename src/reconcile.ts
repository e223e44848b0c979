// The whole-ledger reconciliation: the ledger's own invariants, the promotions' counters, every
// order's escrow against its status, and the referral campaign's burn. It spans several modules, so it belongs to none of them:
// the CLI (`reconcile`, `reconcile-statement`) and GET /admin/ledger/reconcile run this one check.
import type { LedgerService } from './modules/ledger/index.js';
import type { PromotionsService } from './modules/promotions/index.js';

export interface ReconcileParts {
  ledger: Pick<LedgerService, 'checkInvariants'>;
  promotions: Pick<PromotionsService, 'checkCounters'>;
  orders: { escrowProblems(): Promise<string[]> };
  /** the referral campaign's burn against the ledger's referral expense */
  referrals?: { checkCounters(): Promise<string[]> };
}

/** Every problem found, in this order: ledger, promotions, orders; empty when the books hold. */
export async function reconcileLedger(parts: ReconcileParts): Promise<string[]> {
  return [
    ...(await parts.ledger.checkInvariants()),
    ...(await parts.promotions.checkCounters()),
    ...(await parts.orders.escrowProblems()),
    ...((await parts.referrals?.checkCounters()) ?? []),
  ];
}
