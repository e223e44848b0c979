import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { MINUTE } from '../../shared/time.js';
import {
  type DayHours,
  DEFAULT_SERVICE_HOURS,
  formatClock,
  isOpenAt,
  nextOpening,
  parseClock,
  parseServiceHours,
  promise,
  type WeeklyHours,
} from './promise.js';

// Week of 2026-11-22: Sunday 22, Monday 23, Tuesday 24, Wednesday 25, … Saturday 28, Sunday 29, Monday 30.
const local = (s: string) => new Date(`${s}+03:00`);
const hours = (open: string, close: string): DayHours => ({
  open: parseClock(open)!,
  close: parseClock(close, true)!,
});
const EVERY_DAY = (open: string, close: string): WeeklyHours =>
  Array.from({ length: 7 }, () => hours(open, close));
const ONLY = (weekday: number, h: DayHours): WeeklyHours =>
  Array.from({ length: 7 }, (_, i) => (i === weekday ? h : null));
const at = (now: string, durationMinutes: number, h: WeeklyHours = DEFAULT_SERVICE_HOURS) =>
  promise({ now: local(now), durationMinutes, hours: h });

describe('promise(): the clock runs only while deliveries run', () => {
  it('inside hours: now plus the duration', () => {
    expect(at('2026-11-25T10:00', 120)).toEqual(local('2026-11-25T12:00'));
    expect(at('2026-11-25T10:17:30', 45)).toEqual(local('2026-11-25T11:02:30'));
  });

  it('across closing: the rest goes on at the next opening (the example of the issue)', () => {
    // Tuesday 19:00, 2 h, open 08–20: 1 h on Tuesday, 1 h on Wednesday from 08:00.
    expect(at('2026-11-24T19:00', 120)).toEqual(local('2026-11-25T09:00'));
  });

  it('overnight: asked after closing or before opening, the work starts at the opening', () => {
    expect(at('2026-11-24T22:00', 120)).toEqual(local('2026-11-25T10:00'));
    expect(at('2026-11-25T02:30', 120)).toEqual(local('2026-11-25T10:00'));
    expect(at('2026-11-25T07:59', 1)).toEqual(local('2026-11-25T08:01'));
  });

  it('weekend: Sunday is closed by default, so Saturday evening goes on on Monday', () => {
    expect(at('2026-11-28T19:00', 120)).toEqual(local('2026-11-30T09:00'));
    expect(at('2026-11-29T12:00', 60)).toEqual(local('2026-11-30T09:00'));
    // Saturday after closing: past the closed Sunday, to Monday.
    expect(at('2026-11-28T20:30', 30)).toEqual(local('2026-11-30T08:30'));
  });

  it('a duration longer than a whole day of service spans several days', () => {
    // One hour a day, every day: 5 hours is five days.
    expect(at('2026-11-23T09:00', 300, EVERY_DAY('09:00', '10:00'))).toEqual(local('2026-11-27T10:00'));
    // 13 h of service from Saturday 10:00 with Sunday closed: 10 h Saturday, 3 h Monday.
    expect(at('2026-11-28T10:00', 13 * 60)).toEqual(local('2026-11-30T11:00'));
    // Open only on Wednesdays 12:00–13:00: 120 min from 12:30 is 30 + 60 + 30 over three Wednesdays.
    expect(at('2026-11-25T12:30', 120, ONLY(3, hours('12:00', '13:00')))).toEqual(local('2026-12-09T12:30'));
  });

  it('every day closed: no promise can be made', () => {
    const closed: WeeklyHours = Array.from({ length: 7 }, () => null);
    let err: unknown;
    try {
      at('2026-11-25T10:00', 60, closed);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'NO_SERVICE_HOURS', status: 409 });
  });

  it('boundaries: opening is open, closing is closed, a duration may end exactly at closing', () => {
    expect(at('2026-11-23T08:00', 60)).toEqual(local('2026-11-23T09:00'));
    expect(at('2026-11-23T20:00', 60)).toEqual(local('2026-11-24T09:00'));
    expect(at('2026-11-23T18:00', 120)).toEqual(local('2026-11-23T20:00'));
    expect(at('2026-11-23T18:00', 121)).toEqual(local('2026-11-24T08:01'));
    // One millisecond before closing counts as one millisecond of service.
    expect(at('2026-11-23T19:59:59.999', 1).getTime()).toBe(local('2026-11-24T08:01').getTime() - 1);
  });

  it('a day closing at 24:00 runs on into a next day opening at 00:00 without a gap', () => {
    const h: WeeklyHours = [null, hours('20:00', '24:00'), hours('00:00', '02:00'), null, null, null, null];
    expect(at('2026-11-23T23:00', 120, h)).toEqual(local('2026-11-24T01:00'));
  });

  it('weekdays are those of Dar es Salaam, not of UTC (local day starts 21:00 UTC the day before)', () => {
    // Sunday 22:00 UTC is Monday 01:00 in Dar es Salaam: open when only Monday is open.
    const mondayAllDay = ONLY(1, hours('00:00', '24:00'));
    const p = promise({ now: new Date('2026-11-22T22:00:00Z'), durationMinutes: 60, hours: mondayAllDay });
    expect(p.toISOString()).toBe('2026-11-22T23:00:00.000Z');
    // Friday 05:30 UTC is 08:30 local: already open, so 60 min ends 09:30 local = 06:30 UTC.
    expect(
      promise({
        now: new Date('2026-11-27T05:30:00Z'),
        durationMinutes: 60,
        hours: DEFAULT_SERVICE_HOURS,
      }).toISOString(),
    ).toBe('2026-11-27T06:30:00.000Z');
    // Saturday 17:30 UTC is 20:30 local: closed (not 17:30 open), so Monday 08:00 local = 05:00 UTC.
    expect(
      promise({
        now: new Date('2026-11-28T17:30:00Z'),
        durationMinutes: 0,
        hours: DEFAULT_SERVICE_HOURS,
      }).toISOString(),
    ).toBe('2026-11-30T05:00:00.000Z');
  });

  it('refuses a duration that is not whole minutes and hours that are not seven valid days', () => {
    expect(() => at('2026-11-25T10:00', -1)).toThrow(/durationMinutes/);
    expect(() => at('2026-11-25T10:00', 1.5)).toThrow(/durationMinutes/);
    expect(() => at('2026-11-25T10:00', 10, [hours('08:00', '20:00')])).toThrow(/7 days/);
    expect(() =>
      at(
        '2026-11-25T10:00',
        10,
        EVERY_DAY('08:00', '20:00').map(() => ({ open: 600, close: 500 })),
      ),
    ).toThrow(/invalid service hours/);
  });

  it('agrees with counting open minutes one by one (property)', () => {
    const day = fc.oneof(
      fc.constant(null),
      fc
        .tuple(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 1, max: 1440 }))
        .filter(([a, b]) => a < b)
        .map(([open, close]) => ({ open, close })),
    );
    const week = fc.array(day, { minLength: 7, maxLength: 7 }).filter((w) => w.some((d) => d !== null));
    const start = fc
      .integer({ min: 0, max: 14 * 24 * 60 })
      .map((m) => new Date(local('2026-11-22T00:00').getTime() + m * MINUTE));
    fc.assert(
      fc.property(week, start, fc.integer({ min: 1, max: 600 }), (w, now, duration) => {
        // The reference: walk minute by minute, counting the minutes in which deliveries run.
        let t = now.getTime();
        let left = duration;
        for (;;) {
          if (isOpenAt(new Date(t), w)) left--;
          t += MINUTE;
          if (left === 0) break;
        }
        expect(promise({ now, durationMinutes: duration, hours: w }).getTime()).toBe(t);
      }),
      { numRuns: 300 },
    );
  });
});

describe('isOpenAt() and nextOpening()', () => {
  it('tell whether deliveries run and when they next do', () => {
    expect(isOpenAt(local('2026-11-23T08:00'), DEFAULT_SERVICE_HOURS)).toBe(true);
    expect(isOpenAt(local('2026-11-23T19:59'), DEFAULT_SERVICE_HOURS)).toBe(true);
    expect(isOpenAt(local('2026-11-23T20:00'), DEFAULT_SERVICE_HOURS)).toBe(false);
    expect(isOpenAt(local('2026-11-22T12:00'), DEFAULT_SERVICE_HOURS)).toBe(false);
    expect(nextOpening(local('2026-11-23T12:00'), DEFAULT_SERVICE_HOURS)).toEqual(local('2026-11-23T12:00'));
    expect(nextOpening(local('2026-11-22T12:00'), DEFAULT_SERVICE_HOURS)).toEqual(local('2026-11-23T08:00'));
    // Closing time is already closed: the next opening is the next morning.
    expect(nextOpening(local('2026-11-23T20:00'), DEFAULT_SERVICE_HOURS)).toEqual(local('2026-11-24T08:00'));
    expect(nextOpening(local('2026-11-23T19:59:59'), DEFAULT_SERVICE_HOURS)).toEqual(
      local('2026-11-23T19:59:59'),
    );
  });
});

describe('service hours as an admin sends them', () => {
  const week = (over: Record<number, { open: string | null; close: string | null }> = {}) =>
    Array.from({ length: 7 }, (_, weekday) => ({
      weekday,
      ...(over[weekday] ?? (weekday === 0 ? { open: null, close: null } : { open: '08:00', close: '20:00' })),
    }));

  it('seven days, Sunday closed, parse to the defaults', () => {
    expect(parseServiceHours(week())).toEqual(DEFAULT_SERVICE_HOURS);
    expect(parseServiceHours(week({ 6: { open: '09:30', close: '24:00' } }))[6]).toEqual({
      open: 570,
      close: 1440,
    });
  });

  const refusal = (days: Parameters<typeof parseServiceHours>[0]) => {
    try {
      parseServiceHours(days);
    } catch (e) {
      return e as AppError;
    }
    throw new Error('not refused');
  };

  it('refuses a missing day, a day given twice, half a window, a bad time and close before open', () => {
    expect(refusal(week().slice(0, 6)).extra.errors).toEqual([
      expect.objectContaining({ field: 'days', message: expect.stringContaining('Saturday') }),
    ]);
    const twice = refusal([...week(), { weekday: 3, open: '08:00', close: '20:00' }]);
    expect(twice).toMatchObject({
      code: 'INVALID_SERVICE_HOURS',
      status: 422,
      extra: { field: 'days.7.weekday' },
    });
    expect(refusal(week({ 2: { open: '08:00', close: null } })).extra.field).toBe('days.2.close');
    expect(refusal(week({ 2: { open: '8:00', close: '20:00' } })).extra.field).toBe('days.2.open');
    expect(refusal(week({ 2: { open: '24:00', close: '24:00' } })).extra.field).toBe('days.2.open');
    expect(refusal(week({ 2: { open: '08:00', close: '25:00' } })).extra.field).toBe('days.2.close');
    expect(refusal(week({ 2: { open: '20:00', close: '08:00' } })).extra.field).toBe('days.2.close');
    expect(refusal(week({ 2: { open: '08:00', close: '08:00' } })).extra.field).toBe('days.2.close');
    expect(
      refusal([...week().slice(0, 6), { weekday: 7, open: null, close: null }]).extra.errors,
    ).toHaveLength(2);
  });

  it('formats and parses local clock times', () => {
    expect(parseClock('00:00')).toBe(0);
    expect(parseClock('23:59')).toBe(1439);
    expect(parseClock('24:00')).toBeNull();
    expect(parseClock('24:00', true)).toBe(1440);
    expect(parseClock('7:00')).toBeNull();
    expect(formatClock(510)).toBe('08:30');
    expect(formatClock(1440)).toBe('24:00');
  });
});
