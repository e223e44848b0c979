// Pure: what a mobile-money send costs by the configured tariff, and a checkout's one collection
// fee shared out over its orders so the shares add up to the fee exactly.
import type { TariffBand } from './model.js';

/**
 * The fee for moving `amount` under `tariff`: the first band whose `up_to` covers the amount,
 * `fixed + ceil(amount × bp / 10 000)`. Rounded up: a cost estimate never flatters the margin.
 * An amount above every band uses the last band.
 */
export function tariffFee(tariff: readonly TariffBand[], amount: number): number {
  if (amount <= 0 || tariff.length === 0) return 0;
  const band = tariff.find((b) => b.up_to === null || amount <= b.up_to) ?? tariff[tariff.length - 1]!;
  return band.fixed + Math.ceil((amount * band.bp) / 10_000);
}

/**
 * One order's share of its checkout's collection fee: in proportion to what the buyer paid for
 * it, rounded down; the checkout's first order (by id) also takes what rounding left over.
 */
export function collectionShare(fee: number, totals: readonly number[], index: number): number {
  const sum = totals.reduce((a, b) => a + b, 0);
  if (fee <= 0 || sum <= 0 || index < 0 || index >= totals.length) return 0;
  const shares = totals.map((t) => Math.floor((fee * t) / sum));
  const remainder = fee - shares.reduce((a, b) => a + b, 0);
  return shares[index]! + (index === 0 ? remainder : 0);
}

/** A tariff read from configuration (JSON): bands in ascending order, integers, the last may be open. */
export function parseTariff(raw: string): TariffBand[] {
  const bands = JSON.parse(raw) as unknown;
  if (!Array.isArray(bands) || bands.length === 0) throw new Error('a tariff is a non-empty array of bands');
  let last = 0;
  return bands.map((b: unknown, i) => {
    const { up_to, fixed, bp } = (b ?? {}) as Record<string, unknown>;
    const int = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    if (!(up_to === null || int(up_to)) || !int(fixed) || !int(bp) || (bp as number) > 10_000)
      throw new Error(`tariff band ${i}: up_to (integer or null), fixed and bp (0..10000) are integers`);
    if (up_to === null && i !== bands.length - 1) throw new Error('only the last tariff band may be open');
    if (up_to !== null && (up_to as number) <= last && i > 0) throw new Error('tariff bands ascend');
    last = (up_to as number | null) ?? last;
    return { up_to: up_to as number | null, fixed: fixed as number, bp: bp as number };
  });
}
