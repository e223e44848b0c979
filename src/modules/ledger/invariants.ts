// The ledger's own invariants, checked over the whole ledger (the CLI's `reconcile`, the admin
// route and the tests call them through LedgerService.checkInvariants).
import { and, eq, inArray, isNull, like, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Database } from '../../db/client.js';
import { account } from './model.js';
import { balanceOf } from './queries.js';
import { ledgerTransfers } from './schema.js';

/**
 * Invariants over the whole ledger, independent of any other module: every settlement matches
 * its pending transfer, nothing is settled twice, and no seller's payable balance is negative.
 * The orders module adds the order-level checks (settled escrow is zero, holds = open totals).
 */
export async function checkInvariants(tx: Database): Promise<string[]> {
  const problems: string[] = [];
  const p = alias(ledgerTransfers, 'p');
  const mismatched = await tx
    .select({ key: ledgerTransfers.key })
    .from(ledgerTransfers)
    .innerJoin(p, eq(p.id, ledgerTransfers.pendingId))
    .where(
      and(
        inArray(ledgerTransfers.phase, ['post', 'void']),
        or(
          sql`${p.amount} <> ${ledgerTransfers.amount}`,
          sql`${p.debitAccount} <> ${ledgerTransfers.debitAccount}`,
          sql`${p.creditAccount} <> ${ledgerTransfers.creditAccount}`,
          sql`${p.phase} <> 'pending'`,
        ),
      ),
    );
  for (const m of mismatched) problems.push(`settlement ${m.key} does not match its pending transfer`);
  const orphans = await tx
    .select({ key: ledgerTransfers.key })
    .from(ledgerTransfers)
    .where(and(inArray(ledgerTransfers.phase, ['post', 'void']), isNull(ledgerTransfers.pendingId)));
  for (const o of orphans) problems.push(`settlement ${o.key} names no pending transfer`);
  const sellers = await tx
    .selectDistinct({ acct: ledgerTransfers.creditAccount })
    .from(ledgerTransfers)
    .where(like(ledgerTransfers.creditAccount, 'seller:%:payable'));
  for (const s of sellers) {
    const b = await balanceOf(tx, s.acct);
    if (b.posted < 0) problems.push(`${s.acct} is negative (${b.posted})`);
    if (b.posted + b.pending < 0)
      problems.push(`${s.acct} has more reserved for payouts than it holds (${b.posted + b.pending})`);
  }
  const buyers = await tx
    .selectDistinct({ acct: ledgerTransfers.creditAccount })
    .from(ledgerTransfers)
    .where(like(ledgerTransfers.creditAccount, 'buyer:%:refunds_payable'));
  for (const b of buyers) {
    const bal = await balanceOf(tx, b.acct);
    if (bal.posted < 0) problems.push(`${b.acct} is negative: refunded more than owed (${bal.posted})`);
  }
  // Every collected shilling is either held for an order or owed back to the buyer.
  const clearing = await balanceOf(tx, account.providerClearing);
  if (clearing.posted + clearing.pending !== 0)
    problems.push(
      `${account.providerClearing} is ${clearing.posted + clearing.pending}: collected money neither held nor refunded`,
    );
  return problems;
}
