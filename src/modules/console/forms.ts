// Reading the console's urlencoded forms and query strings: values are strings or absent; anything
// else (arrays from repeated keys) is treated as absent. Bad input is a 422 naming the field.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, unprocessable } from '../../shared/errors.js';
import { MONEY_UNIT } from '../../shared/money.js';
import { decodeCursor } from '../../shared/pagination.js';

export function formValue(request: FastifyRequest, name: string): string {
  const v = (request.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.trim() : '';
}

export function queryValue(request: FastifyRequest, name: string): string | undefined {
  const v = (request.query as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Every admin action needs a reason: it is written to the audit row with the change. */
export function requireReason(request: FastifyRequest): string {
  const reason = formValue(request, 'reason');
  if (reason.length < 3 || reason.length > 500)
    throw unprocessable('REASON_REQUIRED', 'reason', 'Give a reason (3 to 500 characters).');
  return reason;
}

const uuid = z.uuid();
/** A path id that is not a UUID names nothing: 404, like a missing row. */
export function idParam(request: FastifyRequest, name = 'id'): string {
  const v = (request.params as Record<string, string>)[name];
  if (!uuid.safeParse(v).success) throw new AppError('NOT_FOUND', 404, 'There is no such record.');
  return v!;
}

/** The page cursor of a list, or a 400 when it was tampered with. */
export function cursorOf(request: FastifyRequest) {
  return decodeCursor(queryValue(request, 'cursor'));
}

/** A whole-shilling amount typed by an admin, as integer minor units. */
export function shillingsToMinor(raw: string, field: string): number {
  if (!/^\d{1,12}$/.test(raw))
    throw unprocessable('INVALID_AMOUNT', field, `${field} must be a whole number of shillings.`);
  return Number(raw) * MONEY_UNIT;
}

export function pick<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T {
  return value && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

/** Where to go after an action: back to the list, with a fixed message key (never echoed text). */
export function doneUrl(path: string, key: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}done=${encodeURIComponent(key)}`;
}

export const DONE_MESSAGES: Record<string, string> = {
  approved: 'Approved.',
  rejected: 'Rejected.',
  verified: 'Verified.',
  saved: 'Saved.',
  created: 'Created.',
  switched_off: 'Switched off.',
  resolved: 'Dispute resolved.',
  payout_started: 'Payout started.',
  refund_retried: 'Refund queued again.',
  approval_requested: 'Above the four-eyes limit: waiting for a second admin’s approval.',
  approval_executed: 'Approved and executed.',
  approval_withdrawn: 'Request withdrawn.',
  session_revoked: 'Session revoked.',
  rider_assigned: 'Rider assigned.',
  clawed_back: 'Clawed back.',
  payout_resolved: 'Payout settled.',
  points_adjusted: 'Points adjusted.',
};

export function flashOf(request: FastifyRequest): string | null {
  const key = queryValue(request, 'done');
  return key ? (DONE_MESSAGES[key] ?? null) : null;
}

/** A required text field, trimmed, within the limits the API's schema sets for it. */
export function requireText(request: FastifyRequest, name: string, max: number): string {
  const v = formValue(request, name);
  if (v.length === 0 || v.length > max)
    throw unprocessable('INVALID_FIELD', name, `${name} is required (at most ${max} characters).`);
  return v;
}

/** An optional id field: empty is absent, anything else must be a UUID. */
export function optionalId(request: FastifyRequest, name: string): string | null {
  const v = formValue(request, name);
  if (!v) return null;
  if (!uuid.safeParse(v).success) throw unprocessable('INVALID_FIELD', name, `${name} is not a known id.`);
  return v;
}
