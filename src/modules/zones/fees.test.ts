import { describe, expect, it } from 'vitest';
import { DAR_DEMO_ZONES, demoFeeTable } from '../../demo-zones.js';
import type { AppError } from '../../shared/errors.js';
import { type FeeRowInput, missingPairs, validateFeeTable, type ZoneRef } from './fees.js';

const id = (n: number) => `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`;
const zones: ZoneRef[] = DAR_DEMO_ZONES.map((z, i) => ({ id: id(i + 1), name: z.name, active: true }));
const ids = new Map(zones.map((z) => [z.name, z.id]));
const table = () => demoFeeTable(ids);

function refusal(rows: FeeRowInput[], zs: ZoneRef[] = zones): AppError {
  try {
    validateFeeTable(rows, zs);
  } catch (e) {
    return e as AppError;
  }
  throw new Error('not refused');
}

describe('the zone-to-zone fee table', () => {
  it('the demo table has every ordered pair of the five zones, same zone 2 h, across the city up to 5 h', () => {
    const rows = validateFeeTable(table(), zones);
    expect(rows).toHaveLength(25);
    const of = (a: string, b: string) =>
      rows.find((r) => r.fromZoneId === ids.get(a) && r.toZoneId === ids.get(b))!;
    expect(of('Kariakoo', 'Kariakoo')).toMatchObject({ fee: 200_000, durationMinutes: 120 });
    expect(of('Kinondoni', 'Mikocheni')).toMatchObject({ fee: 300_000, durationMinutes: 180 });
    expect(of('Mbezi', 'Kigamboni')).toMatchObject({ fee: 600_000, durationMinutes: 300 });
    expect(of('Kigamboni', 'Mbezi')).toEqual({
      ...of('Mbezi', 'Kigamboni'),
      fromZoneId: ids.get('Kigamboni'),
      toZoneId: ids.get('Mbezi'),
    });
  });

  it('refuses a table with a missing pair (422 FEE_TABLE_INCOMPLETE) and lists every missing pair', () => {
    const rows = table().filter(
      (r) =>
        !(r.from_zone_id === ids.get('Mbezi') && r.to_zone_id === ids.get('Kariakoo')) &&
        !(r.from_zone_id === ids.get('Kigamboni') && r.to_zone_id === ids.get('Kigamboni')),
    );
    const err = refusal(rows);
    expect(err).toMatchObject({ code: 'FEE_TABLE_INCOMPLETE', status: 422, extra: { field: 'fees' } });
    expect(err.extra.extensions?.missing_pairs).toEqual([
      {
        from_zone_id: ids.get('Kigamboni'),
        from_zone: 'Kigamboni',
        to_zone_id: ids.get('Kigamboni'),
        to_zone: 'Kigamboni',
      },
      {
        from_zone_id: ids.get('Mbezi'),
        from_zone: 'Mbezi',
        to_zone_id: ids.get('Kariakoo'),
        to_zone: 'Kariakoo',
      },
    ]);
    expect(err.extra.errors?.map((e) => e.message)).toEqual([
      expect.stringContaining('Kigamboni → Kigamboni'),
      expect.stringContaining('Mbezi → Kariakoo'),
    ]);
    expect(refusal([]).extra.errors).toHaveLength(25);
  });

  it('refuses a pair given twice, naming the repeat and the first', () => {
    const rows = table();
    const err = refusal([...rows, { ...rows[3]!, fee: 900_000 }]);
    expect(err).toMatchObject({ code: 'DUPLICATE_FEE_PAIR', status: 422, extra: { field: 'fees.25' } });
    expect(err.extra.errors?.[0]?.message).toContain('fees.3');
  });

  it('refuses an unknown zone id, on the field that holds it', () => {
    const rows = table();
    rows[7] = { ...rows[7]!, to_zone_id: id(99) };
    expect(refusal(rows)).toMatchObject({
      code: 'UNKNOWN_ZONE',
      status: 422,
      extra: { field: 'fees.7.to_zone_id' },
    });
  });

  it('refuses fees in cents, negative or absurd fees, and durations out of range, listing each row', () => {
    const rows = table();
    rows[0] = { ...rows[0]!, fee: 200_050 };
    rows[4] = { ...rows[4]!, fee: -100 };
    rows[5] = { ...rows[5]!, fee: 1.5 };
    const err = refusal(rows);
    expect(err).toMatchObject({ code: 'INVALID_DELIVERY_FEE', status: 422, extra: { field: 'fees.0.fee' } });
    expect(err.extra.errors?.map((e) => e.field)).toEqual(['fees.0.fee', 'fees.4.fee', 'fees.5.fee']);
    expect(err.extra.errors?.[0]?.message).toContain('whole shillings');
    expect(refusal([{ ...table()[0]!, fee: 1e12 }, ...table().slice(1)]).code).toBe('INVALID_DELIVERY_FEE');

    const long = table();
    long[2] = { ...long[2]!, duration_minutes: 0 };
    long[3] = { ...long[3]!, duration_minutes: 7 * 24 * 60 + 1 };
    long[4] = { ...long[4]!, duration_minutes: 90.5 };
    expect(refusal(long).extra.errors?.map((e) => e.field)).toEqual([
      'fees.2.duration_minutes',
      'fees.3.duration_minutes',
      'fees.4.duration_minutes',
    ]);
  });

  it('a free delivery (fee 0) is allowed', () => {
    expect(
      validateFeeTable(
        table().map((r) => ({ ...r, fee: 0 })),
        zones,
      ),
    ).toHaveLength(25);
  });

  it('inactive zones need no row but may have one', () => {
    const someOff = zones.map((z) => (z.name === 'Kigamboni' ? { ...z, active: false } : z));
    const kig = ids.get('Kigamboni');
    const without = table().filter((r) => r.from_zone_id !== kig && r.to_zone_id !== kig);
    expect(validateFeeTable(without, someOff)).toHaveLength(16);
    expect(validateFeeTable(table(), someOff)).toHaveLength(25);
    expect(missingPairs([], someOff)).toHaveLength(16);
    expect(validateFeeTable([], [])).toEqual([]);
  });
});
