import type { Database } from '../../db/client.js';

/**
 * What notifications needs to know about people, implemented by identity (its contacts.ts) and
 * handed over by the composition. A port rather than an import: identity sends its OTP codes
 * through this module's SMS port, so importing identity here would close a loop.
 */
export interface PeoplePort {
  /** The phones and account states of the given users (unknown ids are simply absent). */
  contactsOf(
    db: Database,
    userIds: readonly string[],
  ): Promise<Array<{ userId: string; phone: string; status: 'active' | 'suspended' | 'banned' }>>;
  /** Every active admin: operations messages go to all of them. */
  activeAdminIds(db: Database): Promise<string[]>;
  /** The user who owns an E.164 phone number, if any. */
  userIdByPhone(db: Database, phone: string): Promise<string | null>;
  /** The first word of a user's display name, or null (the rider a buyer is told of). */
  firstNameOf(db: Database, userId: string): Promise<string | null>;
}
