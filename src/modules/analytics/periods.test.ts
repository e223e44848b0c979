import { describe, expect, it } from 'vitest';
import { isoWeekOf, localDay, periodOf, periodsBetween, weeksBetween } from './periods.js';

describe('Dar es Salaam periods', () => {
  it('an order at 22:30 UTC belongs to the next local day (UTC+3)', () => {
    expect(localDay(new Date('2026-12-06T22:30:00Z'))).toBe('2026-12-07');
    expect(localDay(new Date('2026-12-06T20:59:59Z'))).toBe('2026-12-06');
    expect(localDay(new Date('2026-12-06T21:00:00Z'))).toBe('2026-12-07');
  });

  it('weeks start on Monday, local time; months on the 1st, local time', () => {
    // Sunday 2026-12-06 22:30 UTC is Monday 2026-12-07 01:30 in Dar: a new week
    expect(periodOf(new Date('2026-12-06T22:30:00Z'), 'week')).toBe('2026-12-07');
    expect(periodOf(new Date('2026-12-06T20:00:00Z'), 'week')).toBe('2026-11-30');
    expect(periodOf(new Date('2026-12-13T20:59:59Z'), 'week')).toBe('2026-12-07');
    expect(periodOf(new Date('2026-11-30T21:00:00Z'), 'month')).toBe('2026-12-01');
    expect(periodOf(new Date('2026-11-30T20:59:59Z'), 'month')).toBe('2026-11-01');
    expect(periodOf(new Date('2026-12-31T21:00:00Z'), 'day')).toBe('2027-01-01');
  });

  it('ISO weeks: the year is the Thursday’s, week 1 holds the first Thursday', () => {
    expect(isoWeekOf(new Date('2026-12-07T09:00:00Z'))).toBe('2026-W50');
    expect(isoWeekOf(new Date('2026-12-31T09:00:00Z'))).toBe('2026-W53');
    expect(isoWeekOf(new Date('2027-01-03T09:00:00Z'))).toBe('2026-W53');
    expect(isoWeekOf(new Date('2027-01-04T09:00:00Z'))).toBe('2027-W01');
    expect(isoWeekOf(new Date('2024-12-30T09:00:00Z'))).toBe('2025-W01');
    // Sunday evening UTC is already Monday in Dar: the next ISO week
    expect(isoWeekOf(new Date('2027-01-03T21:30:00Z'))).toBe('2027-W01');
  });

  it('weeks between two instants count Monday to Monday', () => {
    expect(weeksBetween(new Date('2026-12-07T06:00:00Z'), new Date('2026-12-13T06:00:00Z'))).toBe(0);
    expect(weeksBetween(new Date('2026-12-07T06:00:00Z'), new Date('2026-12-14T06:00:00Z'))).toBe(1);
    expect(weeksBetween(new Date('2026-12-07T06:00:00Z'), new Date('2027-01-05T06:00:00Z'))).toBe(4);
  });

  it('lists every period of a range, empty ones included', () => {
    expect(periodsBetween('2026-12-30', '2027-01-02', 'day')).toEqual([
      '2026-12-30',
      '2026-12-31',
      '2027-01-01',
      '2027-01-02',
    ]);
    expect(periodsBetween('2026-12-02', '2026-12-14', 'week')).toEqual([
      '2026-11-30',
      '2026-12-07',
      '2026-12-14',
    ]);
    expect(periodsBetween('2026-11-15', '2027-02-01', 'month')).toEqual([
      '2026-11-01',
      '2026-12-01',
      '2027-01-01',
      '2027-02-01',
    ]);
  });
});
