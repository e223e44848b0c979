import { AppError, type FieldProblem } from '../../shared/errors.js';
import { DAY, MINUTE } from '../../shared/time.js';

// Service hours and the promised delivery time. Pure: `now` is an input, nothing is read.
//
// Dar es Salaam keeps East Africa Time, UTC+03:00 all year (no daylight saving), so local time is
// UTC plus a fixed three hours; a local day starts at 21:00 UTC the day before.

export const DAR_TIMEZONE = 'Africa/Dar_es_Salaam' as const;
const OFFSET_MS = 3 * 60 * MINUTE;

/** The longest promised duration a fee table may hold: one week. */
export const MAX_PROMISE_MINUTES = 7 * 24 * 60;

/** Opening hours of one day in minutes after local midnight: `open` inclusive, `close` exclusive. */
export interface DayHours {
  open: number;
  close: number;
}

/** Indexed by weekday, 0 = Sunday … 6 = Saturday; `null` is a closed day. Always 7 entries. */
export type WeeklyHours = ReadonlyArray<DayHours | null>;

export const WEEKDAY_NAMES = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
] as const;

/** Monday to Saturday 08:00–20:00, Sunday closed: what applies until an admin sets hours. */
export const DEFAULT_SERVICE_HOURS: WeeklyHours = [
  null,
  ...Array.from({ length: 6 }, () => ({ open: 8 * 60, close: 20 * 60 })),
];

const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** "08:30" → 510. "24:00" is accepted only where `allowMidnightEnd` (a closing time: the end of the day). */
export function parseClock(value: string, allowMidnightEnd = false): number | null {
  if (allowMidnightEnd && value === '24:00') return 24 * 60;
  const m = CLOCK.exec(value);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

/** 510 → "08:30"; 1440 → "24:00". */
export function formatClock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

export interface DayHoursInput {
  weekday: number;
  /** "HH:MM" local time, or null with `close` null for a closed day */
  open: string | null;
  close: string | null;
}

/**
 * Turns the seven days an admin sends into WeeklyHours, or refuses (422 `INVALID_SERVICE_HOURS`,
 * every offending day listed as `days.<i>.<field>`): each weekday 0–6 exactly once, both times or
 * neither, open before close, times "HH:MM" (a day may close at "24:00").
 */
export function parseServiceHours(days: readonly DayHoursInput[], field = 'days'): WeeklyHours {
  const errors: FieldProblem[] = [];
  const out: Array<DayHours | null> = Array.from({ length: 7 }, () => null);
  const seen = new Set<number>();
  const add = (f: string, message: string) =>
    errors.push({ field: f, code: 'INVALID_SERVICE_HOURS', message });
  days.forEach((d, i) => {
    const at = `${field}.${i}`;
    if (!Number.isInteger(d.weekday) || d.weekday < 0 || d.weekday > 6) {
      add(`${at}.weekday`, 'must be 0 (Sunday) to 6 (Saturday)');
      return;
    }
    if (seen.has(d.weekday)) {
      add(`${at}.weekday`, `${WEEKDAY_NAMES[d.weekday]} is given twice`);
      return;
    }
    seen.add(d.weekday);
    if (d.open === null && d.close === null) {
      out[d.weekday] = null;
      return;
    }
    if (d.open === null || d.close === null) {
      add(
        `${at}.${d.open === null ? 'open' : 'close'}`,
        'give both open and close, or neither for a closed day',
      );
      return;
    }
    const open = parseClock(d.open);
    const close = parseClock(d.close, true);
    if (open === null) add(`${at}.open`, 'must be a local time "HH:MM" from 00:00 to 23:59');
    if (close === null) add(`${at}.close`, 'must be a local time "HH:MM" from 00:01 to 24:00');
    if (open === null || close === null) return;
    if (close <= open) {
      add(`${at}.close`, 'must be after open (hours past midnight are not supported: split them)');
      return;
    }
    out[d.weekday] = { open, close };
  });
  WEEKDAY_NAMES.forEach((name, weekday) => {
    if (!seen.has(weekday)) add(field, `${name} (weekday ${weekday}) is missing: send all seven days`);
  });
  if (errors.length) {
    const first = errors[0]!;
    throw new AppError('INVALID_SERVICE_HOURS', 422, `${first.field}: ${first.message}.`, {
      field: first.field,
      errors,
    });
  }
  return out;
}

function checkHours(hours: WeeklyHours) {
  if (hours.length !== 7) throw new Error(`service hours need 7 days, got ${hours.length}`);
  for (const h of hours) {
    if (
      h &&
      !(
        Number.isInteger(h.open) &&
        Number.isInteger(h.close) &&
        0 <= h.open &&
        h.open < h.close &&
        h.close <= 1440
      )
    ) {
      throw new Error(`invalid service hours ${JSON.stringify(h)}`);
    }
  }
  if (hours.every((h) => h === null)) {
    throw new AppError(
      'NO_SERVICE_HOURS',
      409,
      'Deliveries are closed on every day of the week, so no delivery time can be promised.',
    );
  }
}

/** The local weekday (0 = Sunday) of a local-time millisecond count. 1970-01-01 was a Thursday. */
const weekdayOf = (localMs: number) => (((Math.floor(localMs / DAY) + 4) % 7) + 7) % 7;

/**
 * When a delivery that needs `durationMinutes` of service time, asked for at `now`, is promised to
 * arrive. The clock runs only while the service is open (`[open, close)` local time): outside hours
 * the work starts at the next opening; what does not fit before closing goes on at the next
 * opening, days later if need be. A duration that ends exactly at closing time ends that day.
 *
 * Example: Tuesday 19:00 local, 120 min, open 08:00–20:00 → 60 min on Tuesday, 60 on Wednesday
 * from 08:00 → Wednesday 09:00 local (06:00 UTC).
 *
 * Throws 409 `NO_SERVICE_HOURS` when every day is closed.
 */
export function promise(input: { now: Date; durationMinutes: number; hours: WeeklyHours }): Date {
  const { now, durationMinutes, hours } = input;
  if (Number.isNaN(now.getTime())) throw new Error('now is not a valid date');
  if (!Number.isInteger(durationMinutes) || durationMinutes < 0) {
    throw new Error(`durationMinutes must be a whole number of minutes >= 0, got ${durationMinutes}`);
  }
  checkHours(hours);
  let t = now.getTime() + OFFSET_MS; // local wall-clock time, as milliseconds
  let remaining = durationMinutes * MINUTE;
  // Each pass looks at one local day; there is an open day every week, so this ends.
  for (;;) {
    const dayStart = Math.floor(t / DAY) * DAY;
    const h = hours[weekdayOf(t)];
    if (h) {
      const open = dayStart + h.open * MINUTE;
      const close = dayStart + h.close * MINUTE;
      if (t < open) t = open;
      if (t < close) {
        if (remaining <= close - t) return new Date(t + remaining - OFFSET_MS);
        remaining -= close - t;
      }
    }
    t = dayStart + DAY;
  }
}

/** Whether deliveries are running at `now`. */
export function isOpenAt(now: Date, hours: WeeklyHours): boolean {
  const t = now.getTime() + OFFSET_MS;
  const h = hours[weekdayOf(t)];
  if (!h) return false;
  const minute = Math.floor((t - Math.floor(t / DAY) * DAY) / MINUTE);
  return h.open <= minute && minute < h.close;
}

/** The instant the service clock next runs: `now` itself when open, else the next opening. */
export function nextOpening(now: Date, hours: WeeklyHours): Date {
  return promise({ now, durationMinutes: 0, hours });
}
