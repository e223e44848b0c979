// The reconciler's safety net: re-ask every movement whose own chain of checks may have broken.
import { and, eq, gte, inArray, lte } from 'drizzle-orm';
import { HOUR, MINUTE } from '../../shared/time.js';
import type { Collections } from './collections.js';
import { type PaymentsContext, PENDING_STATES, SWEEP_STEP } from './context.js';
import type { Disbursements } from './disbursements.js';
import { GIVEN_UP } from './model.js';
import { paymentCollections, paymentDisbursements } from './schema.js';

export function createSweep(
  ctx: Pick<PaymentsContext, 'db' | 'clock'>,
  checks: Pick<Collections, 'checkCollection'> & Pick<Disbursements, 'checkDisbursement'>,
) {
  const { db, clock } = ctx;
  const { checkCollection, checkDisbursement } = checks;
  return {
    /**
     * The safety net behind the per-row checks (a chain broken by a crash, a given-up push whose
     * money may still turn up, a send stuck unknown): query each again. Runs on a schedule.
     */
    async sweep() {
      const now = clock.now().getTime();
      const recentGiveUps = await db
        .select({ id: paymentCollections.id })
        .from(paymentCollections)
        .where(
          and(
            eq(paymentCollections.status, 'timeout'),
            eq(paymentCollections.resultCode, GIVEN_UP),
            gte(paymentCollections.createdAt, new Date(now - 7 * 24 * HOUR)),
          ),
        )
        .limit(500);
      const open = await db
        .select({ id: paymentCollections.id })
        .from(paymentCollections)
        .where(
          and(
            inArray(paymentCollections.status, PENDING_STATES),
            lte(paymentCollections.updatedAt, new Date(now - 30 * MINUTE)),
          ),
        )
        .limit(500);
      const sending = await db
        .select({ id: paymentDisbursements.id })
        .from(paymentDisbursements)
        .where(
          and(
            eq(paymentDisbursements.status, 'sending'),
            lte(paymentDisbursements.updatedAt, new Date(now - 30 * MINUTE)),
          ),
        )
        .limit(500);
      // A high step number: a fresh chain at the longest backoff, deduplicated per attempt.
      for (const c of [...recentGiveUps, ...open]) await checkCollection(c.id, SWEEP_STEP);
      for (const d of sending) await checkDisbursement(d.id, SWEEP_STEP, 0);
      return { collections: recentGiveUps.length + open.length, sends: sending.length };
    },
  };
}
