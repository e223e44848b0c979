// Attribution: a new user names who invited them, once, before their first checkout, never
// themselves. A code that is not one (or names nobody) is the same problem either way, so the
// answer says nothing about who exists.
import { eq } from 'drizzle-orm';
import { AppError, conflict, unprocessable } from '../../shared/errors.js';
import { normalizeReferralCode } from './codes.js';
import type { ReferralsDeps } from './ports.js';
import { attributionRefusal } from './rules.js';
import { referralCodes, referrals } from './schema.js';

export type Referral = typeof referrals.$inferSelect;

const unknownCode = () =>
  unprocessable('REFERRAL_CODE_UNKNOWN', 'code', 'This is not a referral code. Check it and try again.');

export function createAttribution(deps: ReferralsDeps) {
  const { db, clock, ids, audit, people } = deps;
  const self = {
    async attribute(refereeId: string, rawCode: string): Promise<Referral> {
      const code = normalizeReferralCode(rawCode);
      if (!code) throw unknownCode();
      return db.transaction(async (tx) => {
        const [owner] = await tx
          .select({ userId: referralCodes.userId })
          .from(referralCodes)
          .where(eq(referralCodes.code, code));
        if (!owner) throw unknownCode();
        const [existing] = await tx
          .select({ id: referrals.id })
          .from(referrals)
          .where(eq(referrals.refereeId, refereeId));
        const refusal = attributionRefusal({
          refereeId,
          referrerId: owner.userId,
          alreadyAttributed: Boolean(existing),
          hasCheckedOut: existing ? false : (await people.footprint(tx, refereeId)).checkouts > 0,
        });
        if (refusal === 'SELF_REFERRAL')
          throw unprocessable('SELF_REFERRAL', 'code', 'You cannot use your own referral code.');
        if (refusal === 'ALREADY_ATTRIBUTED')
          throw conflict('ALREADY_ATTRIBUTED', 'You have already been referred by someone.');
        if (refusal === 'ATTRIBUTION_CLOSED')
          throw conflict('ATTRIBUTION_CLOSED', 'A referral code can only be used before your first order.');
        const now = clock.now();
        const [row] = await tx
          .insert(referrals)
          .values({
            id: ids.newId(),
            referrerId: owner.userId,
            refereeId,
            code,
            state: 'attributed',
            attributedAt: now,
            currency: deps.settings.currency,
            updatedAt: now,
          })
          .onConflictDoNothing({ target: referrals.refereeId })
          .returning();
        // Two attributions at once: the unique index lets one through.
        if (!row) throw conflict('ALREADY_ATTRIBUTED', 'You have already been referred by someone.');
        await audit.record(tx, {
          actorUserId: refereeId,
          action: 'referral.attributed',
          targetType: 'referral',
          targetId: row.id,
          data: { referrerId: owner.userId, code },
        });
        return row;
      });
    },

    /** Refuses (422 REFERRAL_CODE_UNKNOWN) a code nobody holds; sign-in asks before spending the OTP. */
    async checkCode(rawCode: string): Promise<void> {
      const code = normalizeReferralCode(rawCode);
      if (!code) throw unknownCode();
      const [owner] = await db
        .select({ userId: referralCodes.userId })
        .from(referralCodes)
        .where(eq(referralCodes.code, code));
      if (!owner) throw unknownCode();
    },

    /** Who referred this user, if anyone (their own view). */
    async referralOf(refereeId: string): Promise<Referral | null> {
      const [row] = await db.select().from(referrals).where(eq(referrals.refereeId, refereeId));
      return row ?? null;
    },

    /**
     * Attribution named at sign-in (`referral_code` on otp/verify): the code was checked before the
     * OTP was spent, so a refusal now (oneself, already referred, already checked out) must not undo
     * a good sign-in; it is returned instead, as the problem code the endpoint would have given.
     */
    async attributeOnSignIn(refereeId: string, rawCode: string): Promise<string | null> {
      try {
        await self.attribute(refereeId, rawCode);
        return null;
      } catch (err) {
        if (err instanceof AppError && err.status < 500) return err.code;
        throw err;
      }
    },
  };
  return self;
}
