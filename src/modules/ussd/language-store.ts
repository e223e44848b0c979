// The buyer's language in this module's own table, until the notifications module owns it
// (branch h8: setLanguage/getLanguage). app.ts picks which one the port points at.
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { UssdLanguage, UssdLanguagePort } from './ports.js';
import { ussdLanguages } from './schema.js';

export function createUssdLanguageStore(deps: { db: Database; clock: Clock }): UssdLanguagePort {
  const { db, clock } = deps;
  return {
    async getLanguage(userId: string): Promise<UssdLanguage | null> {
      const [row] = await db.select().from(ussdLanguages).where(eq(ussdLanguages.userId, userId));
      return row?.language ?? null;
    },
    async setLanguage(userId: string, language: UssdLanguage): Promise<void> {
      await db
        .insert(ussdLanguages)
        .values({ userId, language, updatedAt: clock.now() })
        .onConflictDoUpdate({ target: ussdLanguages.userId, set: { language, updatedAt: clock.now() } });
    },
  };
}
