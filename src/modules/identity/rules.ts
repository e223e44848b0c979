// Pure identity rules: no I/O, unit-tested without a database.
import type { IdType, UserStatus } from './model.js';

export interface OtpLimits {
  resendCooldownSeconds: number;
  maxPerHour: number;
}

export type IssueDecision =
  | { ok: true }
  | { ok: false; code: 'OTP_COOLDOWN' | 'OTP_HOURLY_LIMIT'; retryAfterSeconds: number };

/**
 * May a new code be sent to this phone now? `recent` are the creation times of codes sent to it in
 * the last hour. The same answer for a known or an unknown phone: limits are per number, not per user.
 */
export function decideOtpIssue(recent: Date[], now: Date, limits: OtpLimits): IssueDecision {
  const times = recent.map((d) => d.getTime()).filter((t) => t > now.getTime() - 3_600_000);
  const latest = Math.max(...times, Number.NEGATIVE_INFINITY);
  const sinceLatest = now.getTime() - latest;
  if (sinceLatest < limits.resendCooldownSeconds * 1000) {
    return {
      ok: false,
      code: 'OTP_COOLDOWN',
      retryAfterSeconds: Math.ceil((limits.resendCooldownSeconds * 1000 - sinceLatest) / 1000),
    };
  }
  if (times.length >= limits.maxPerHour) {
    const oldest = Math.min(...times);
    return {
      ok: false,
      code: 'OTP_HOURLY_LIMIT',
      retryAfterSeconds: Math.max(1, Math.ceil((oldest + 3_600_000 - now.getTime()) / 1000)),
    };
  }
  return { ok: true };
}

/** A suspension with an end time lapses by itself; no job has to lift it. */
export function effectiveStatus(
  user: { status: UserStatus; suspendedUntil: Date | null },
  now: Date,
): UserStatus {
  if (user.status === 'suspended' && user.suspendedUntil && user.suspendedUntil.getTime() <= now.getTime())
    return 'active';
  return user.status;
}

export type IdNumberResult = { ok: true; value: string } | { ok: false; message: string };

/**
 * Normalise an identity document number. NIDA numbers are 20 digits (printed as
 * YYYYMMDD-XXXXX-XXXXX-XX); the others vary, so they are checked for a plausible shape only.
 */
export function normalizeIdNumber(type: IdType, raw: string): IdNumberResult {
  const compact = raw.trim().toUpperCase().replace(/[\s-]/g, '');
  switch (type) {
    case 'nida':
      return /^\d{20}$/.test(compact)
        ? { ok: true, value: compact }
        : { ok: false, message: 'A NIDA number has 20 digits (YYYYMMDD-XXXXX-XXXXX-XX).' };
    case 'passport':
      return /^[A-Z0-9]{6,12}$/.test(compact)
        ? { ok: true, value: compact }
        : { ok: false, message: 'A passport number has 6 to 12 letters and digits.' };
    case 'driving_licence':
      return /^[A-Z0-9]{8,15}$/.test(compact)
        ? { ok: true, value: compact }
        : { ok: false, message: 'A driving licence number has 8 to 15 letters and digits.' };
    case 'voter_id':
      return /^[A-Z0-9]{6,20}$/.test(compact)
        ? { ok: true, value: compact }
        : { ok: false, message: 'A voter ID number has 6 to 20 letters and digits.' };
  }
}
