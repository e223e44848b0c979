import { AppError, type FieldProblem } from '../../shared/errors.js';
import { MONEY_UNIT } from '../../shared/money.js';
import { MAX_PROMISE_MINUTES } from './promise.js';

// The zone-to-zone table of delivery fee and promised duration. Pure rules; the service stores it.

/** The largest delivery fee accepted, in minor units (1,000,000 TZS): a guard against a typo's extra zeros. */
export const MAX_DELIVERY_FEE = 100_000_000;

export interface FeeRowInput {
  from_zone_id: string;
  to_zone_id: string;
  /** minor units, whole shillings */
  fee: number;
  duration_minutes: number;
}

export interface FeeRow {
  fromZoneId: string;
  toZoneId: string;
  fee: number;
  durationMinutes: number;
}

export interface ZoneRef {
  id: string;
  name: string;
  active: boolean;
}

export interface MissingPair {
  from_zone_id: string;
  from_zone: string;
  to_zone_id: string;
  to_zone: string;
}

/** Every ordered pair of active zones (same → same included) that `rows` lacks, in name order. */
export function missingPairs(
  rows: ReadonlyArray<Pick<FeeRow, 'fromZoneId' | 'toZoneId'>>,
  zones: readonly ZoneRef[],
): MissingPair[] {
  const have = new Set(rows.map((r) => `${r.fromZoneId}|${r.toZoneId}`));
  const active = zones.filter((z) => z.active).sort((a, b) => a.name.localeCompare(b.name));
  const out: MissingPair[] = [];
  for (const from of active) {
    for (const to of active) {
      if (!have.has(`${from.id}|${to.id}`)) {
        out.push({ from_zone_id: from.id, from_zone: from.name, to_zone_id: to.id, to_zone: to.name });
      }
    }
  }
  return out;
}

function refuse(code: string, detail: string, errors: FieldProblem[], extensions?: Record<string, unknown>) {
  return new AppError(code, 422, detail, {
    field: errors[0]?.field ?? 'fees',
    errors,
    ...(extensions ? { extensions } : {}),
  });
}

/**
 * Checks a whole fee table against the zones that exist and returns it as rows to store.
 * Refusals, each 422 and listing every offending row as `fees.<i>.<field>`:
 * `INVALID_DELIVERY_FEE` (not an integer, negative, above MAX_DELIVERY_FEE or not whole shillings),
 * `INVALID_DURATION` (not 1 … MAX_PROMISE_MINUTES whole minutes), `UNKNOWN_ZONE` (an id that is no
 * zone), `DUPLICATE_FEE_PAIR` (a pair given twice), then `FEE_TABLE_INCOMPLETE` (an ordered pair of
 * active zones without a row; the pairs are listed in `missing_pairs` and in `errors`). Rows for
 * inactive zones are allowed: they wait for the zone to be switched on.
 */
export function validateFeeTable(
  rows: readonly FeeRowInput[],
  zones: readonly ZoneRef[],
  field = 'fees',
): FeeRow[] {
  const money: FieldProblem[] = [];
  const durations: FieldProblem[] = [];
  rows.forEach((r, i) => {
    if (!Number.isSafeInteger(r.fee) || r.fee < 0 || r.fee > MAX_DELIVERY_FEE) {
      money.push({
        field: `${field}.${i}.fee`,
        code: 'INVALID_DELIVERY_FEE',
        message: `must be an integer count of minor units from 0 to ${MAX_DELIVERY_FEE}`,
      });
    } else if (r.fee % MONEY_UNIT !== 0) {
      money.push({
        field: `${field}.${i}.fee`,
        code: 'INVALID_DELIVERY_FEE',
        message: `must be whole shillings (a multiple of ${MONEY_UNIT} minor units): mobile money moves no cents`,
      });
    }
    if (
      !Number.isInteger(r.duration_minutes) ||
      r.duration_minutes < 1 ||
      r.duration_minutes > MAX_PROMISE_MINUTES
    ) {
      durations.push({
        field: `${field}.${i}.duration_minutes`,
        code: 'INVALID_DURATION',
        message: `must be whole minutes from 1 to ${MAX_PROMISE_MINUTES}`,
      });
    }
  });
  if (money.length) refuseWith('INVALID_DELIVERY_FEE', money);
  if (durations.length) refuseWith('INVALID_DURATION', durations);

  const known = new Map(zones.map((z) => [z.id, z]));
  const unknown: FieldProblem[] = [];
  rows.forEach((r, i) => {
    for (const key of ['from_zone_id', 'to_zone_id'] as const) {
      if (!known.has(r[key])) {
        unknown.push({
          field: `${field}.${i}.${key}`,
          code: 'UNKNOWN_ZONE',
          message: `no zone has the id ${r[key]}`,
        });
      }
    }
  });
  if (unknown.length) refuseWith('UNKNOWN_ZONE', unknown);

  const firstAt = new Map<string, number>();
  const duplicates: FieldProblem[] = [];
  rows.forEach((r, i) => {
    const key = `${r.from_zone_id}|${r.to_zone_id}`;
    const earlier = firstAt.get(key);
    if (earlier === undefined) firstAt.set(key, i);
    else {
      duplicates.push({
        field: `${field}.${i}`,
        code: 'DUPLICATE_FEE_PAIR',
        message: `${known.get(r.from_zone_id)!.name} → ${known.get(r.to_zone_id)!.name} is also ${field}.${earlier}`,
      });
    }
  });
  if (duplicates.length) refuseWith('DUPLICATE_FEE_PAIR', duplicates);

  const out: FeeRow[] = rows.map((r) => ({
    fromZoneId: r.from_zone_id,
    toZoneId: r.to_zone_id,
    fee: r.fee,
    durationMinutes: r.duration_minutes,
  }));
  const missing = missingPairs(out, zones);
  if (missing.length) {
    throw refuse(
      'FEE_TABLE_INCOMPLETE',
      `The table lacks ${missing.length} pair(s) of active zones, e.g. ${missing[0]!.from_zone} → ${missing[0]!.to_zone}: every ordered pair, same zone included, needs a fee and a duration.`,
      missing.map((m) => ({
        field,
        code: 'FEE_TABLE_INCOMPLETE',
        message: `missing ${m.from_zone} → ${m.to_zone} (${m.from_zone_id} → ${m.to_zone_id})`,
      })),
      { missing_pairs: missing },
    );
  }
  return out;
}

function refuseWith(code: string, errors: FieldProblem[]): never {
  const first = errors[0]!;
  throw refuse(
    code,
    `${first.field}: ${first.message}.${errors.length > 1 ? ` (${errors.length} problems)` : ''}`,
    errors,
  );
}
