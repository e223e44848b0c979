// The admin queue: a held reward is approved (paid, if the budget has room) or rejected, with a
// reason, audited. A referral that is not held any more is a 409, never a second payment.
import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { conflict, notFound } from '../../shared/errors.js';
import type { Referral } from './attribution.js';
import type { Pay } from './payout.js';
import type { ReferralsDeps } from './ports.js';
import { referrals } from './schema.js';

export async function lockReferral(tx: Database, id: string): Promise<Referral> {
  const [r] = await tx.select().from(referrals).where(eq(referrals.id, id)).for('update');
  if (!r) throw notFound('Referral');
  return r;
}

const notHeld = (r: Referral) =>
  conflict('REFERRAL_NOT_HELD', `This referral is ${r.state}; only a held referral can be decided.`);

export function createReview(deps: ReferralsDeps, pay: Pay) {
  const { db, clock, audit } = deps;
  return {
    async approve(adminId: string, id: string, reason: string): Promise<Referral> {
      return db.transaction(async (tx) => {
        const r = await lockReferral(tx, id);
        if (r.state !== 'held') throw notHeld(r);
        if (!(await pay(tx, r, 'held', { decidedBy: adminId, reason })))
          throw conflict(
            'BUDGET_EXHAUSTED',
            'The referral budget has no room for this reward; raise it first.',
          );
        await audit.record(tx, {
          actorUserId: adminId,
          action: 'referral.approved',
          targetType: 'referral',
          targetId: id,
          reason,
          data: { signals: r.signals, amount: r.referrerReward + r.refereeReward },
        });
        return lockReferral(tx, id);
      });
    },

    async reject(adminId: string, id: string, reason: string): Promise<Referral> {
      return db.transaction(async (tx) => {
        const r = await lockReferral(tx, id);
        if (r.state !== 'held') throw notHeld(r);
        const [row] = await tx
          .update(referrals)
          .set({ state: 'rejected', reason, decidedBy: adminId, updatedAt: clock.now() })
          .where(and(eq(referrals.id, id), eq(referrals.state, 'held')))
          .returning();
        await audit.record(tx, {
          actorUserId: adminId,
          action: 'referral.rejected',
          targetType: 'referral',
          targetId: id,
          reason,
          data: { signals: r.signals },
        });
        return row!;
      });
    },
  };
}
