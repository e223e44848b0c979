// Four eyes for money: a payout or refund retry above the configured amount is recorded as a
// pending approval (audited in the same transaction); a different admin approves it, which claims
// the row (pending → executing, never by its requester) and runs the payments command exactly once.
import { and, asc, desc, eq, ne } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, conflict, notFound } from '../../shared/errors.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { AuditService } from '../audit/index.js';
import type { LedgerService } from '../ledger/index.js';
import type { PaymentsService } from '../payments/index.js';
import { consoleApprovals } from './schema.js';

export type Approval = typeof consoleApprovals.$inferSelect;
export type PayoutParty = 'seller' | 'rider';

/** Pure: does this amount need a second admin? (Strictly above the configured limit.) */
export const needsSecondAdmin = (amount: number, aboveMinor: number) => amount > aboveMinor;

export const payableAccount = (party: PayoutParty, partyId: string) => `${party}:${partyId}:payable`;

export function createConsoleApprovals(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: Pick<AuditService, 'record'>;
  payments: Pick<PaymentsService, 'requestPayout' | 'retryRefund' | 'disbursementsOf'>;
  ledger: Pick<LedgerService, 'payableSummary'>;
  fourEyesAboveMinor: number;
}) {
  const { db, clock, ids, audit, payments, ledger } = deps;

  async function available(party: PayoutParty, partyId: string) {
    return (await ledger.payableSummary(payableAccount(party, partyId), 'ESCROW_RELEASE')).available;
  }

  async function execute(a: Approval, approverId: string) {
    const by = `${a.reason} (four eyes: requested by ${a.requestedBy}, approved by ${approverId})`;
    if (a.kind === 'payout') {
      const party = a.party ?? 'seller';
      // What is paid is what is available now: never more than the amount the second admin saw.
      const now = await available(party, a.targetId);
      if (now > a.amount)
        throw conflict('AMOUNT_CHANGED', 'The balance grew since the request; ask for a new approval.');
      const d = await payments.requestPayout(a.targetId, { userId: approverId, reason: by }, party);
      return d.id;
    }
    const d = await payments.retryRefund(a.targetId, approverId, by);
    return d.id;
  }

  return {
    needsApproval: (amount: number) => needsSecondAdmin(amount, deps.fourEyesAboveMinor),
    available,

    async request(input: {
      kind: Approval['kind'];
      targetId: string;
      party: PayoutParty | null;
      amount: number;
      reason: string;
      requestedBy: string;
    }) {
      return db.transaction(async (tx) => {
        const id = ids.newId();
        const [row] = await tx
          .insert(consoleApprovals)
          .values({ id, ...input, requestedAt: clock.now(), status: 'pending' })
          .returning();
        await audit.record(tx, {
          actorUserId: input.requestedBy,
          action: 'approval.requested',
          targetType: input.kind === 'payout' ? 'user' : 'disbursement',
          targetId: input.targetId,
          reason: input.reason,
          data: { approval_id: id, kind: input.kind, amount: input.amount, party: input.party },
        });
        return row!;
      });
    },

    list(status: Approval['status']) {
      return db
        .select()
        .from(consoleApprovals)
        .where(eq(consoleApprovals.status, status))
        .orderBy(
          status === 'pending' ? asc(consoleApprovals.requestedAt) : desc(consoleApprovals.requestedAt),
        )
        .limit(200);
    },

    /** A second admin approves: claims the row once, then runs the command; its outcome is kept. */
    async approve(approvalId: string, approverId: string) {
      const [claimed] = await db
        .update(consoleApprovals)
        .set({ status: 'executing', decidedBy: approverId, decidedAt: clock.now() })
        .where(
          and(
            eq(consoleApprovals.id, approvalId),
            eq(consoleApprovals.status, 'pending'),
            ne(consoleApprovals.requestedBy, approverId),
          ),
        )
        .returning();
      if (!claimed) {
        const [row] = await db.select().from(consoleApprovals).where(eq(consoleApprovals.id, approvalId));
        if (!row) throw notFound('Approval');
        if (row.requestedBy === approverId)
          throw new AppError(
            'SELF_APPROVAL_FORBIDDEN',
            403,
            'A second admin must approve this; you asked for it.',
          );
        throw conflict('APPROVAL_DECIDED', `This approval is already ${row.status}.`);
      }
      try {
        const outcome = await execute(claimed, approverId);
        await db
          .update(consoleApprovals)
          .set({ status: 'executed', outcome })
          .where(eq(consoleApprovals.id, approvalId));
        return { ...claimed, status: 'executed' as const, outcome };
      } catch (err) {
        await db
          .update(consoleApprovals)
          .set({ status: 'failed', outcome: (err as Error).message.slice(0, 500) })
          .where(eq(consoleApprovals.id, approvalId));
        throw err;
      }
    },
  };
}

export type ConsoleApprovals = ReturnType<typeof createConsoleApprovals>;
