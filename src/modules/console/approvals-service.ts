// Four eyes for money: a payout, a refund retry, a dispute refund (full or partial) or an order
// cancellation that refunds, above the configured amount, is recorded as a pending approval
// (audited in the same transaction); a different admin approves it, which claims the row
// (pending → executing, never by its requester) and runs the owning module's command exactly once.
// Its requester may withdraw it while it is pending; one subject has at most one open request.
import { and, asc, desc, eq, inArray, ne } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { isUniqueViolation } from '../../db/columns.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, conflict, notFound } from '../../shared/errors.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { AuditService } from '../audit/index.js';
import type { LedgerService } from '../ledger/index.js';
import type { OrdersService } from '../orders/index.js';
import type { PaymentsService } from '../payments/index.js';
import { type ApprovalDetails, consoleApprovals, OPEN_APPROVAL_STATUSES } from './schema.js';

export type Approval = typeof consoleApprovals.$inferSelect;
export type PayoutParty = 'seller' | 'rider';

/** Pure: does this amount need a second admin? (Strictly above the configured limit.) */
export const needsSecondAdmin = (amount: number, aboveMinor: number) => amount > aboveMinor;

export const payableAccount = (party: PayoutParty, partyId: string) => `${party}:${partyId}:payable`;

/** What the audit row of a request names as its target. */
const TARGET_TYPES: Record<Approval['kind'], string> = {
  payout: 'user',
  refund_retry: 'disbursement',
  dispute_refund: 'dispute',
  order_refund: 'order',
};

export function createConsoleApprovals(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: Pick<AuditService, 'record'>;
  payments: Pick<PaymentsService, 'requestPayout' | 'retryRefund' | 'disbursementsOf'>;
  orders: Pick<OrdersService, 'resolveDispute' | 'act'>;
  ledger: Pick<LedgerService, 'payableSummary'>;
  fourEyesAboveMinor: number;
}) {
  const { db, clock, ids, audit, payments, orders, ledger } = deps;

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
    if (a.kind === 'dispute_refund') {
      const d = a.details;
      if (!d || !('resolution' in d)) throw new Error(`approval ${a.id} has no dispute details`);
      const resolved = await orders.resolveDispute(a.targetId, approverId, {
        resolution: d.resolution,
        amount: d.amount,
        fault: d.fault,
        note: by,
      });
      return `${resolved.resolution} ${resolved.refundAmount ?? 0}`;
    }
    if (a.kind === 'order_refund') {
      const d = a.details;
      if (!d || !('event' in d)) throw new Error(`approval ${a.id} has no order details`);
      const o = await orders.act(a.targetId, d.event, { userId: approverId, role: 'admin' }, by);
      return o.status;
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
      details?: ApprovalDetails | null;
    }) {
      try {
        return await db.transaction(async (tx) => {
          const id = ids.newId();
          const [row] = await tx
            .insert(consoleApprovals)
            .values({
              id,
              ...input,
              details: input.details ?? null,
              requestedAt: clock.now(),
              status: 'pending',
            })
            .returning();
          await audit.record(tx, {
            actorUserId: input.requestedBy,
            action: 'approval.requested',
            targetType: TARGET_TYPES[input.kind],
            targetId: input.targetId,
            reason: input.reason,
            data: {
              approval_id: id,
              kind: input.kind,
              amount: input.amount,
              party: input.party,
              ...(input.details ? { details: input.details } : {}),
            },
          });
          return row!;
        });
      } catch (err) {
        // The partial unique index: this subject already has an open request (nothing was written).
        if (isUniqueViolation(err))
          throw conflict(
            'APPROVAL_ALREADY_OPEN',
            'This already waits for a second admin; approve or withdraw that request first.',
          );
        throw err;
      }
    },

    /** The open request about this subject, if any (to show "waiting for approval" on its page). */
    async openFor(kind: Approval['kind'], targetId: string) {
      const [row] = await db
        .select()
        .from(consoleApprovals)
        .where(
          and(
            eq(consoleApprovals.kind, kind),
            eq(consoleApprovals.targetId, targetId),
            inArray(consoleApprovals.status, [...OPEN_APPROVAL_STATUSES]),
          ),
        )
        .limit(1);
      return row ?? null;
    },

    /** Its requester takes a pending request back (audited with the reason, in the same transaction). */
    async withdraw(approvalId: string, adminId: string, reason: string) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(consoleApprovals)
          .set({ status: 'withdrawn', decidedAt: clock.now(), outcome: `withdrawn: ${reason}`.slice(0, 500) })
          .where(
            and(
              eq(consoleApprovals.id, approvalId),
              eq(consoleApprovals.status, 'pending'),
              eq(consoleApprovals.requestedBy, adminId),
            ),
          )
          .returning();
        if (!row) {
          const [found] = await tx.select().from(consoleApprovals).where(eq(consoleApprovals.id, approvalId));
          if (!found) throw notFound('Approval');
          if (found.requestedBy !== adminId)
            throw new AppError('NOT_YOUR_REQUEST', 403, 'Only the admin who asked for it can withdraw it.');
          throw conflict('APPROVAL_DECIDED', `This approval is already ${found.status}.`);
        }
        await audit.record(tx, {
          actorUserId: adminId,
          action: 'approval.withdrawn',
          targetType: TARGET_TYPES[row.kind],
          targetId: row.targetId,
          reason,
          data: { approval_id: row.id, kind: row.kind, amount: row.amount },
        });
        return row;
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
