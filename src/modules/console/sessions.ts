// Console sessions: created after an admin's OTP sign-in, found by the hash of the cookie's token,
// ended by sign-out, by the idle or absolute limit (read from the injected clock), or at once when
// the account is banned, suspended or loses the admin role (checked on every request by the guard).
import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import { constantTimeEqual, keyedHash, randomToken, sha256Hex } from '../../shared/secrets.js';
import { HOUR, MINUTE } from '../../shared/time.js';
import { consoleSessions } from './schema.js';

export interface ConsoleSessionSettings {
  idleMinutes: number;
  absoluteHours: number;
  /** Keys the CSRF tokens (a server secret from config). */
  secret: string;
}

export type SessionLookup =
  | { ok: true; sessionId: string; userId: string; csrf: string }
  | { ok: false; reason: 'unknown' | 'revoked' | 'idle' | 'expired' };

/** Pure: is a session row still usable at `now`? */
export function sessionVerdict(
  row: { revokedAt: Date | null; lastSeenAt: Date; expiresAt: Date },
  now: Date,
  idleMinutes: number,
): 'ok' | 'revoked' | 'idle' | 'expired' {
  if (row.revokedAt) return 'revoked';
  if (now.getTime() >= row.expiresAt.getTime()) return 'expired';
  if (now.getTime() - row.lastSeenAt.getTime() >= idleMinutes * MINUTE) return 'idle';
  return 'ok';
}

export function createConsoleSessions(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  settings: ConsoleSessionSettings;
}) {
  const { db, clock, ids, settings: s } = deps;
  // The synchronizer token of a session: derived from its id with the server secret, so it is
  // stable for the session's life, differs between sessions, and needs no storage.
  const csrfOf = (sessionId: string) => keyedHash(s.secret, 'console-csrf', sessionId);

  return {
    async create(userId: string) {
      const now = clock.now();
      const token = randomToken(32);
      const id = ids.newId();
      await db.insert(consoleSessions).values({
        id,
        userId,
        tokenHash: sha256Hex(token),
        createdAt: now,
        lastSeenAt: now,
        expiresAt: new Date(now.getTime() + s.absoluteHours * HOUR),
      });
      return { token, sessionId: id };
    },

    /** Finds the session and, when it is live, marks this request as its latest activity. */
    async resolve(token: string): Promise<SessionLookup> {
      const now = clock.now();
      const [row] = await db
        .select()
        .from(consoleSessions)
        .where(eq(consoleSessions.tokenHash, sha256Hex(token)));
      if (!row) return { ok: false, reason: 'unknown' };
      const verdict = sessionVerdict(row, now, s.idleMinutes);
      if (verdict !== 'ok') {
        if (verdict !== 'revoked')
          await this.revoke(row.id, verdict === 'idle' ? 'idle_timeout' : 'absolute_timeout');
        return { ok: false, reason: verdict };
      }
      await db.update(consoleSessions).set({ lastSeenAt: now }).where(eq(consoleSessions.id, row.id));
      return { ok: true, sessionId: row.id, userId: row.userId, csrf: csrfOf(row.id) };
    },

    async revoke(sessionId: string, reason: string) {
      await db
        .update(consoleSessions)
        .set({ revokedAt: clock.now(), revokedReason: reason })
        .where(and(eq(consoleSessions.id, sessionId), isNull(consoleSessions.revokedAt)));
    },

    /** A user's console sessions still open (not revoked, before their absolute limit), newest first. */
    async activeOf(userId: string) {
      return db
        .select({
          id: consoleSessions.id,
          createdAt: consoleSessions.createdAt,
          lastSeenAt: consoleSessions.lastSeenAt,
          expiresAt: consoleSessions.expiresAt,
        })
        .from(consoleSessions)
        .where(
          and(
            eq(consoleSessions.userId, userId),
            isNull(consoleSessions.revokedAt),
            gt(consoleSessions.expiresAt, clock.now()),
          ),
        )
        .orderBy(desc(consoleSessions.lastSeenAt))
        .limit(50);
    },

    checkCsrf(sessionId: string, given: unknown): boolean {
      return typeof given === 'string' && constantTimeEqual(given, csrfOf(sessionId));
    },

    /** Before sign-in there is no session: the form token is keyed to a random pre-session cookie. */
    preCsrfOf: (preToken: string) => keyedHash(s.secret, 'console-pre-csrf', preToken),
    checkPreCsrf(preToken: string | undefined, given: unknown): boolean {
      if (!preToken || typeof given !== 'string') return false;
      return constantTimeEqual(given, keyedHash(s.secret, 'console-pre-csrf', preToken));
    },
  };
}

export type ConsoleSessions = ReturnType<typeof createConsoleSessions>;
