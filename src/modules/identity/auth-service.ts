import { and, desc, eq, gt, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, unprocessable } from '../../shared/errors.js';
import type { IdGenerator } from '../../shared/ids.js';
import { maskPhone, normalizeMobile } from '../../shared/phone.js';
import { constantTimeEqual, keyedHash, randomDigits, randomToken, sha256Hex } from '../../shared/secrets.js';
import { DAY, HOUR } from '../../shared/time.js';
import type { AuditService } from '../audit/index.js';
import { SmsError, type SmsSender } from '../notifications/index.js';
import type { Role } from './model.js';
import { decideOtpIssue, effectiveStatus } from './rules.js';
import { otpChallenges, sessions, users } from './schema.js';

export interface AuthSettings {
  otpSecret: string;
  otpTtlSeconds: number;
  otpMaxAttempts: number;
  resendCooldownSeconds: number;
  maxPerHour: number;
  sessionTtlDays: number;
}

export interface AuthContext {
  userId: string;
  sessionId: string;
  phone: string;
  roles: Role[];
}

interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export type User = typeof users.$inferSelect;

/**
 * What other modules do when someone signs in, inside the sign-in's transaction (a failure rolls
 * the sign-in back, so a retried sign-in does it again): recommendations take over the views of
 * the anonymous session the app sent.
 */
export type SignInHook = (
  tx: Database,
  signIn: { userId: string; anonymousSession: string | null },
) => Promise<void>;

/**
 * The device the app says it runs on, as stored: a SHA-256 of the app's opaque install id, never
 * the id itself (it is a per-install random value, not a hardware id; the hash only keeps the raw
 * value out of the database and the logs). The referral rules compare these between accounts.
 */
export const deviceHash = (deviceId: string) => sha256Hex(`kkoo-device:${deviceId}`);

const TOKEN_PREFIX = 'kks_';
const OTP_DIGITS = 6;
/** Stands in for a challenge that does not exist, so that path runs the same statements and hashing. */
const NO_CHALLENGE_ID = '00000000-0000-0000-0000-000000000000';
const DECOY_HASH = '0'.repeat(64);

/**
 * The one reply for every code that cannot be used, whatever the reason (never asked, wrong,
 * expired, already used): its words must not tell the reasons apart.
 */
const otpRefused = () =>
  new AppError(
    'OTP_INVALID',
    400,
    'The code is not correct or no longer valid; check it or ask for a new one.',
    {
      field: 'code',
    },
  );

/** Turns raw input into E.164 or a 422 naming the field: the single place phone input is judged. */
export function requireMobile(input: string, field: string): string {
  const parsed = normalizeMobile(input);
  if (!parsed.ok) {
    const why = {
      NOT_A_NUMBER: 'is not a phone number',
      COUNTRY_NOT_SUPPORTED: 'is not an East African number',
      NOT_MOBILE: 'is not a mobile number',
    }[parsed.reason];
    throw unprocessable('INVALID_PHONE', field, `${field} ${why}.`);
  }
  return parsed.e164;
}

export function accountBlockedError(
  user: Pick<User, 'status' | 'suspendedUntil' | 'statusReason'>,
  now: Date,
) {
  const status = effectiveStatus(user, now);
  if (status === 'banned') return new AppError('ACCOUNT_BANNED', 403, 'This account is banned.');
  if (status === 'suspended') {
    const until = user.suspendedUntil ? ` until ${user.suspendedUntil.toISOString()}` : '';
    return new AppError('ACCOUNT_SUSPENDED', 403, `This account is suspended${until}.`);
  }
  return null;
}

export function createAuthService(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  sms: SmsSender;
  audit: AuditService;
  settings: AuthSettings;
  log: Logger;
  onSignedIn?: SignInHook | undefined;
}) {
  const { db, clock, ids, sms, audit, settings: s, log } = deps;
  const codeHash = (challengeId: string, phone: string, code: string) =>
    keyedHash(s.otpSecret, challengeId, phone, code);

  // Every signed-in request runs this: prepared once (built once, and planned once per connection).
  const sessionByTokenHash = db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.tokenHash, sql.placeholder('hash')))
    .prepare('auth_session_by_token_hash');

  return {
    /**
     * Send a login code. The reply never says whether the phone belongs to a user; limits are per
     * phone (cooldown, hourly cap) and, in the route, per IP.
     */
    async requestOtp(input: { phone: string; ip: string }) {
      const phone = requireMobile(input.phone, 'phone');
      const now = clock.now();
      const code = randomDigits(OTP_DIGITS);
      const challengeId = ids.newId();

      await db.transaction(async (tx) => {
        // Serialise requests for one phone so two at once cannot both slip under the limits.
        await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`otp:${phone}`}, 0))`);
        const recent = await tx
          .select({ createdAt: otpChallenges.createdAt })
          .from(otpChallenges)
          .where(
            and(eq(otpChallenges.phone, phone), gt(otpChallenges.createdAt, new Date(now.getTime() - HOUR))),
          );
        const decision = decideOtpIssue(
          recent.map((r) => r.createdAt),
          now,
          { resendCooldownSeconds: s.resendCooldownSeconds, maxPerHour: s.maxPerHour },
        );
        if (!decision.ok) {
          const detail =
            decision.code === 'OTP_COOLDOWN'
              ? `A code was sent moments ago; ask again in ${decision.retryAfterSeconds} s.`
              : `Too many codes for this number this hour; try again in ${decision.retryAfterSeconds} s.`;
          throw new AppError(decision.code, 429, detail, {
            field: 'phone',
            headers: { 'retry-after': String(decision.retryAfterSeconds) },
          });
        }
        await tx.insert(otpChallenges).values({
          id: challengeId,
          phone,
          codeHash: codeHash(challengeId, phone, code),
          createdAt: now,
          expiresAt: new Date(now.getTime() + s.otpTtlSeconds * 1000),
          requestIp: input.ip,
        });
      });

      const minutes = Math.round(s.otpTtlSeconds / 60);
      try {
        await sms.send(
          phone,
          `K'KOO: your code is ${code}. It expires in ${minutes} min. Never share it. / Nambari yako ni ${code}. Usimpe mtu.`,
        );
      } catch (err) {
        // An SMS that never left does not count against the buyer's limits.
        await db.delete(otpChallenges).where(eq(otpChallenges.id, challengeId));
        log.warn(
          {
            phone: maskPhone(phone),
            reason: err instanceof SmsError ? err.reason : 'UNKNOWN',
            err: (err as Error).message,
          },
          'OTP SMS failed',
        );
        throw new AppError(
          'SMS_UNAVAILABLE',
          503,
          'We could not send the code just now; please try again shortly.',
          {
            headers: { 'retry-after': '30' },
          },
        );
      }
      return { expiresInSeconds: s.otpTtlSeconds, resendAfterSeconds: s.resendCooldownSeconds };
    },

    /**
     * Exchange a code for a session. Each try spends one attempt before the code is compared.
     *
     * A phone that never asked, a code already used, an expired code and a wrong code all get the
     * same reply (code, status and words) after the same queries and the same hashing: anything
     * else tells a stranger which phones have signed in before. Only a live code whose tries are
     * spent says so (the limited-tries rule), and the caller can only reach that by asking for it.
     */
    async verifyOtp(input: {
      phone: string;
      code: string;
      ip: string;
      userAgent?: string | undefined;
      /** the app's install id (X-Kkoo-Device), stored hashed on the session */
      deviceId?: string | undefined;
      /** the anonymous session the app browsed under before signing in (X-Kkoo-Session) */
      anonymousSession?: string | undefined;
    }) {
      const phone = requireMobile(input.phone, 'phone');
      const now = clock.now();
      const [latest] = await db
        .select()
        .from(otpChallenges)
        .where(eq(otpChallenges.phone, phone))
        .orderBy(desc(otpChallenges.createdAt))
        .limit(1);
      // No challenge: the same statements run against an id that matches nothing, and the code is
      // hashed and compared against a decoy, so the path costs what a real one costs.
      const challengeId = latest?.id ?? NO_CHALLENGE_ID;
      const expectedHash = latest?.codeHash ?? DECOY_HASH;

      // Claim an attempt atomically: concurrent guesses each take one, and never more than the maximum.
      const [claimed] = await db
        .update(otpChallenges)
        .set({ attempts: sql`${otpChallenges.attempts} + 1` })
        .where(
          and(
            eq(otpChallenges.id, challengeId),
            isNull(otpChallenges.consumedAt),
            lt(otpChallenges.attempts, s.otpMaxAttempts),
            gt(otpChallenges.expiresAt, now),
          ),
        )
        .returning({ attempts: otpChallenges.attempts });
      // Read the row as it is now on every path: a concurrent verify may have used or spent it since.
      const [current] = await db
        .select({
          attempts: otpChallenges.attempts,
          consumedAt: otpChallenges.consumedAt,
          expiresAt: otpChallenges.expiresAt,
        })
        .from(otpChallenges)
        .where(eq(otpChallenges.id, challengeId));
      const matches = constantTimeEqual(codeHash(challengeId, phone, input.code), expectedHash);

      const live = current && !current.consumedAt && current.expiresAt.getTime() > now.getTime();
      if (live && current.attempts >= s.otpMaxAttempts && !(claimed && matches)) {
        throw new AppError('OTP_TOO_MANY_ATTEMPTS', 429, 'Too many wrong tries; ask for a new code.', {
          field: 'code',
        });
      }
      if (!claimed || !matches) throw otpRefused();

      const token = `${TOKEN_PREFIX}${randomToken(32)}`;
      const result = await db.transaction(async (tx) => {
        // Exactly one verify consumes the code, however many arrive at once.
        const [consumed] = await tx
          .update(otpChallenges)
          .set({ consumedAt: now })
          .where(and(eq(otpChallenges.id, challengeId), isNull(otpChallenges.consumedAt)))
          .returning({ id: otpChallenges.id });
        if (!consumed) throw otpRefused();

        const [created] = await tx
          .insert(users)
          .values({ id: ids.newId(), phone, roles: ['buyer'], createdAt: now, updatedAt: now })
          .onConflictDoNothing({ target: users.phone })
          .returning();
        // FOR SHARE: a ban or suspension running now either finishes first (and we see it) or
        // waits for this session to exist (and revokes it). No session slips between the two.
        const [user] = await tx.select().from(users).where(eq(users.phone, phone)).for('share');
        if (!user) throw new Error(`user ${phone} vanished during sign-in`);
        if (created) {
          await audit.record(tx, {
            actorUserId: user.id,
            action: 'user.created',
            targetType: 'user',
            targetId: user.id,
            data: { via: 'otp' },
          });
        }
        const blocked = accountBlockedError(user, now);
        if (blocked) throw blocked;

        const sessionId = ids.newId();
        const expiresAt = new Date(now.getTime() + s.sessionTtlDays * DAY);
        await tx.insert(sessions).values({
          id: sessionId,
          userId: user.id,
          tokenHash: sha256Hex(token),
          createdAt: now,
          expiresAt,
          userAgent: input.userAgent?.slice(0, 300) ?? null,
          ip: input.ip,
          deviceHash: input.deviceId ? deviceHash(input.deviceId) : null,
        });
        await deps.onSignedIn?.(tx, { userId: user.id, anonymousSession: input.anonymousSession ?? null });
        return { user, sessionId, expiresAt, isNewUser: Boolean(created) };
      });
      log.info({ userId: result.user.id, sessionId: result.sessionId, newUser: result.isNewUser }, 'login');
      return { token, ...result };
    },

    /**
     * Delete codes that can never be used again (spent or expired). Rows younger than an hour stay,
     * whatever their state: the per-phone hourly cap and resend cooldown are counted from them.
     */
    async purgeSpentCodes(): Promise<number> {
      const now = clock.now();
      const keepSince = new Date(now.getTime() - Math.max(HOUR, s.otpTtlSeconds * 1000));
      const rows = await db
        .delete(otpChallenges)
        .where(
          and(
            lt(otpChallenges.createdAt, keepSince),
            or(isNotNull(otpChallenges.consumedAt), lt(otpChallenges.expiresAt, now)),
          ),
        )
        .returning({ id: otpChallenges.id });
      return rows.length;
    },

    /**
     * Forget the codes of `phone` that were already used, so they no longer count toward its resend
     * cooldown and hourly cap. For tools that sign in on a person's behalf (demo:seed): that person
     * must be able to ask for their own code at once. Unused codes stay.
     */
    async forgetUsedCodes(phone: string): Promise<void> {
      await db
        .delete(otpChallenges)
        .where(
          and(eq(otpChallenges.phone, requireMobile(phone, 'phone')), isNotNull(otpChallenges.consumedAt)),
        );
    },

    /** Resolve a bearer token to who is calling, or the precise reason it cannot be used. */
    async authenticate(token: string): Promise<AuthContext> {
      const now = clock.now();
      const [row] = await sessionByTokenHash.execute({ hash: sha256Hex(token) });
      if (!row)
        throw new AppError('INVALID_TOKEN', 401, 'The session token is not valid.', {
          headers: { 'www-authenticate': 'Bearer' },
        });
      const blocked = accountBlockedError(row.user, now);
      if (blocked) throw blocked;
      if (row.session.revokedAt) {
        throw new AppError('SESSION_REVOKED', 401, 'This session has ended; sign in again.', {
          headers: { 'www-authenticate': 'Bearer' },
        });
      }
      if (row.session.expiresAt.getTime() <= now.getTime()) {
        throw new AppError('SESSION_EXPIRED', 401, 'This session has expired; sign in again.', {
          headers: { 'www-authenticate': 'Bearer' },
        });
      }
      return { userId: row.user.id, sessionId: row.session.id, phone: row.user.phone, roles: row.user.roles };
    },

    async logout(sessionId: string) {
      await db
        .update(sessions)
        .set({ revokedAt: clock.now(), revokedReason: 'logout' })
        .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
    },

    /** End every live session of a user (ban, suspension), inside the caller's transaction. */
    async revokeAllSessions(tx: Database, userId: string, reason: string) {
      await tx
        .update(sessions)
        .set({ revokedAt: clock.now(), revokedReason: reason })
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)));
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
