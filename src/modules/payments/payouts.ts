// Seller and rider payouts: who may be paid and how much (reserved in the ledger first), the
// scheduled run, and an admin's settlement of a payout whose failure only a callback reported.
import { and, eq, inArray, sql } from 'drizzle-orm';
import { isUniqueViolation } from '../../db/columns.js';
import { conflict, notFound, unprocessable } from '../../shared/errors.js';
import { HOUR, MINUTE } from '../../shared/time.js';
import { account } from '../ledger/index.js';
import type { Disbursement, PaymentsContext, PayoutParty } from './context.js';
import type { Disbursements } from './disbursements.js';
import { referenceOf } from './model.js';
import { paymentDisbursements } from './schema.js';

export function createPayouts(ctx: PaymentsContext, sends: Pick<Disbursements, 'enqueueSend'>) {
  const { db, clock, ids, audit, ledger, provider, s, log, jobs } = ctx;
  const { enqueueSend } = sends;

  const api = {
    /**
     * Pay a seller's available balance to their payout number: only active, KYC-verified sellers,
     * above the minimum, not soon after the payout number changed, one payout in flight at a time.
     */
    async requestPayout(
      sellerId: string,
      by: { userId: string | null; reason: string },
      party: PayoutParty = 'seller',
    ) {
      return db.transaction(async (tx) => {
        // One payout decision per party at a time: two requests racing see each other's payout.
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`payout:${sellerId}`}))`);
        const destinationOf = party === 'seller' ? ctx.payoutDestination : ctx.riderPayoutDestination;
        if (!destinationOf) throw notFound('Rider');
        const dest = await destinationOf(sellerId, tx);
        const payable = party === 'seller' ? account.sellerPayable(sellerId) : account.riderPayable(sellerId);
        if (
          dest.changedAt &&
          clock.now().getTime() < dest.changedAt.getTime() + s.payoutHoldHoursAfterPhoneChange * HOUR
        ) {
          throw conflict(
            'PAYOUT_ON_HOLD',
            `The payout number changed recently; payouts resume ${s.payoutHoldHoursAfterPhoneChange} h after the change.`,
          );
        }
        const [inFlight] = await tx
          .select({ id: paymentDisbursements.id })
          .from(paymentDisbursements)
          .where(
            and(
              eq(paymentDisbursements.kind, 'payout'),
              eq(paymentDisbursements.partyId, sellerId),
              inArray(paymentDisbursements.status, ['queued', 'sending']),
            ),
          );
        if (inFlight) throw conflict('PAYOUT_IN_FLIGHT', 'A payout to this seller is already on its way.');
        const bal = await ledger.balance(payable, tx);
        const available = bal.posted + bal.pending;
        if (available < s.payoutMinimum)
          throw unprocessable(
            'BELOW_PAYOUT_MINIMUM',
            'amount',
            `Available ${available} is below the payout minimum of ${s.payoutMinimum}.`,
          );
        const id = ids.newId();
        let row: Disbursement;
        try {
          [row] = (await tx
            .insert(paymentDisbursements)
            .values({
              id,
              purposeKey: `payout:${id}`,
              kind: 'payout',
              partyId: sellerId,
              provider: provider.name,
              msisdn: dest.phone,
              amount: available,
              currency: provider.currency,
              reason: by.reason.slice(0, 200),
              status: 'queued',
              reference: referenceOf(id),
              nextAttemptAt: clock.now(),
              requestedBy: by.userId,
              createdAt: clock.now(),
              updatedAt: clock.now(),
            })
            .returning()) as [Disbursement];
        } catch (err) {
          if (isUniqueViolation(err))
            throw conflict('PAYOUT_IN_FLIGHT', 'A payout to this seller is already on its way.');
          throw err;
        }
        await ledger.reservePayout(tx, {
          disbursementId: id,
          account: payable,
          amount: available,
          currency: provider.currency,
        });
        await audit.record(tx, {
          actorUserId: by.userId,
          action: 'payout.requested',
          targetType: 'user',
          targetId: sellerId,
          reason: by.reason,
          data: { disbursement_id: id, amount: available, party },
        });
        await enqueueSend(tx, row);
        // Operations hear of a payout that is not sent in time, whatever held it up.
        await jobs.enqueue(tx, {
          kind: 'payments.check_payout_stuck',
          payload: { id },
          runAt: new Date(clock.now().getTime() + s.payoutStuckMinutes * MINUTE),
          dedupeKey: `payments.check_payout_stuck:${id}`,
        });
        return row;
      });
    },

    /**
     * PAYOUT_STUCK_MINUTES after a payout was requested: still queued or sending (the provider has not
     * answered), or failed with its money held for an admin (only a callback said it failed), it is
     * stuck and operations are told (`payment.payout_stuck`), once per payout.
     */
    async checkPayoutStuck(id: string) {
      await db.transaction(async (tx) => {
        const [d] = await tx.select().from(paymentDisbursements).where(eq(paymentDisbursements.id, id));
        if (d?.kind !== 'payout' || d.status === 'succeeded') return;
        const inFlight = d.status === 'queued' || d.status === 'sending';
        if (!inFlight && !(await ledger.payoutReserved(d.id, tx))) return;
        await jobs.enqueue(tx, {
          kind: 'payment.payout_stuck',
          payload: {
            disbursementId: d.id,
            partyId: d.partyId,
            amount: d.amount,
            since: d.createdAt.toISOString(),
          },
          dedupeKey: `payment.payout_stuck:${d.id}`,
        });
      });
    },

    /** The scheduled payout run: every seller above the minimum who can be paid is paid; the rest are skipped, with the reason logged. */
    async runPayouts() {
      let started = 0;
      for (const party of ['seller', 'rider'] as const) {
        for (const partyId of await ledger.payablesWithAvailable(party, s.payoutMinimum)) {
          try {
            await api.requestPayout(partyId, { userId: null, reason: 'scheduled payout' }, party);
            started++;
          } catch (err) {
            log.info({ partyId, party, reason: (err as Error).message }, 'scheduled payout skipped');
          }
        }
      }
      return started;
    },

    /**
     * A payout whose failure only a callback reported keeps its reserve. An admin who checked the
     * provider's statement settles it: not sent (the reserve returns to available) or sent.
     */
    async resolvePayout(
      id: string,
      adminId: string,
      input: { sent: boolean; reason: string; receipt?: string | undefined },
    ) {
      return db.transaction(async (tx) => {
        const [d] = await tx
          .select()
          .from(paymentDisbursements)
          .where(eq(paymentDisbursements.id, id))
          .for('update');
        if (d?.kind !== 'payout') throw notFound('Payout');
        const reserved = await ledger.payoutReserved(d.id, tx);
        if (d.status !== 'failed' || !reserved)
          throw conflict('INVALID_TRANSITION', `This payout is ${d.status} and holds no reserve to settle.`);
        await ledger.settlePayout(tx, d.id, input.sent ? 'post' : 'void');
        const [u] = await tx
          .update(paymentDisbursements)
          .set({
            status: input.sent ? 'succeeded' : 'failed',
            receipt: input.receipt ?? d.receipt,
            decidedAt: clock.now(),
            updatedAt: clock.now(),
          })
          .where(eq(paymentDisbursements.id, id))
          .returning();
        await audit.record(tx, {
          actorUserId: adminId,
          action: input.sent ? 'payout.confirmed_sent' : 'payout.released',
          targetType: 'user',
          targetId: d.partyId,
          reason: input.reason,
          data: { disbursement_id: d.id, receipt: input.receipt ?? null },
        });
        return u!;
      });
    },
  };
  return api;
}
