// A user's referral code and share link, made the first time they are asked for.
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { isUniqueViolation } from '../../db/columns.js';
import { newReferralCode, shareLink } from './codes.js';
import type { ReferralsDeps } from './ports.js';
import { referralCodes } from './schema.js';

const MAX_TRIES = 8;

export function createMyCode(deps: ReferralsDeps) {
  const { db, clock } = deps;

  /** The user's code; a collision with another user's code (30^7 space) just draws again. */
  async function codeOf(userId: string, tx: Database = db): Promise<string> {
    for (let i = 0; i < MAX_TRIES; i++) {
      const [have] = await tx.select().from(referralCodes).where(eq(referralCodes.userId, userId));
      if (have) return have.code;
      // A savepoint: a collision must not abort the caller's transaction.
      const made = await tx
        .transaction(async (sp) => {
          const [row] = await sp
            .insert(referralCodes)
            .values({ userId, code: newReferralCode(), createdAt: clock.now() })
            .onConflictDoNothing({ target: referralCodes.userId })
            .returning();
          return row?.code ?? null;
        })
        .catch((err) => {
          if (isUniqueViolation(err)) return null;
          throw err;
        });
      if (made) return made;
    }
    throw new Error('referrals: could not draw a free referral code');
  }

  return {
    codeOf,
    async myCode(userId: string) {
      const code = await codeOf(userId);
      return { code, link: shareLink(deps.settings.linkBaseUrl, code) };
    },
  };
}
