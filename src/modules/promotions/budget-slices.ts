// How a promotion's budget is split over its slices, and which slices pay or give back an amount.
// Pure: the service locks the rows and writes what these decide (architecture note 22).

/** Slices a new promotion's budget is split into: more than the checkouts one promotion sees at once. */
export const BUDGET_SLICES = 16;

export interface SliceState {
  slice: number;
  budget: number;
  burned: number;
  uses: number;
}

/** A new budget split evenly over `n` slices; the first slices take the remainder. */
export function splitBudget(total: number, n = BUDGET_SLICES): number[] {
  const base = Math.floor(total / n);
  const extra = total % n;
  return Array.from({ length: n }, (_, i) => base + (i < extra ? 1 : 0));
}

/**
 * Slice budgets for a changed total: each slice keeps what it has spent and the room left is split
 * evenly again. Null when the total is below what is already spent (the budget cannot go there).
 */
export function reslice(total: number, slices: SliceState[]): number[] | null {
  const spent = slices.reduce((a, s) => a + s.burned, 0);
  if (total < spent) return null;
  const room = splitBudget(total - spent, slices.length);
  return slices.map((s, i) => s.burned + room[i]!);
}

/**
 * Which slices pay `wanted`, taking each slice's room in slice order; null when all of them
 * together have less room than that.
 */
export function takeFrom(
  slices: SliceState[],
  wanted: number,
): Array<{ slice: number; amount: number }> | null {
  const out: Array<{ slice: number; amount: number }> = [];
  let left = wanted;
  for (const s of slices) {
    if (left === 0) break;
    const take = Math.min(left, s.budget - s.burned);
    if (take > 0) {
      out.push({ slice: s.slice, amount: take });
      left -= take;
    }
  }
  return left === 0 ? out : null;
}

/**
 * Which slices give back `amount` and `uses` of a reversed spend: a reversal need not return to
 * the slice that paid, only keep every slice's totals at or above zero while the promotion's
 * totals fall by exactly what was reversed. Throws if the slices hold less than that (the
 * counters and the burn rows disagree, which reconcile reports).
 */
export function giveBack(
  slices: SliceState[],
  amount: number,
  uses: number,
): Array<{ slice: number; amount: number; uses: number }> {
  const back = new Map<number, { slice: number; amount: number; uses: number }>();
  const entry = (slice: number) => {
    let e = back.get(slice);
    if (!e) {
      e = { slice, amount: 0, uses: 0 };
      back.set(slice, e);
    }
    return e;
  };
  let a = amount;
  let u = uses;
  for (const s of slices) {
    const take = Math.min(a, s.burned);
    if (take > 0) {
      entry(s.slice).amount += take;
      a -= take;
    }
    const use = Math.min(u, s.uses);
    if (use > 0) {
      entry(s.slice).uses += use;
      u -= use;
    }
  }
  if (a > 0 || u > 0)
    throw new Error(
      `promotion slices hold less than the reversal gives back (${a} of ${amount}, ${u} of ${uses} uses)`,
    );
  return [...back.values()].sort((x, y) => x.slice - y.slice);
}

/**
 * Where a checkout starts looking for a free slice: spread by its id, so concurrent checkouts of
 * one promotion try different slices first.
 */
export function preferredSlice(checkoutId: string, n = BUDGET_SLICES): number {
  return Number.parseInt(checkoutId.replace(/-/g, '').slice(-6), 16) % n;
}
