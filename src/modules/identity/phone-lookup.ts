// For channels with no sign-in (USSD): who is the active buyer behind a phone number, if anyone.
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { normalizeMobile } from '../../shared/phone.js';
import { accountBlockedError } from './auth-service.js';
import { users } from './schema.js';

export function createPhoneLookup(deps: { db: Database; clock: Clock }) {
  return {
    /**
     * The user with this phone (normalised to E.164) when they are a buyer and not banned or
     * suspended right now; otherwise null, whatever the reason, so a caller learns nothing.
     */
    async findActiveBuyerByPhone(phone: string): Promise<{ userId: string; phone: string } | null> {
      const parsed = normalizeMobile(phone);
      if (!parsed.ok) return null;
      const [u] = await deps.db.select().from(users).where(eq(users.phone, parsed.e164));
      if (!u?.roles.includes('buyer') || accountBlockedError(u, deps.clock.now())) return null;
      return { userId: u.id, phone: u.phone };
    },
  };
}
