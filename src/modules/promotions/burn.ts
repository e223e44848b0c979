// Pure: a promotion's burn per Dar es Salaam day and how many days its budget lasts at that pace.

export interface DayBurn {
  /** local day, YYYY-MM-DD */
  day: string;
  /** money burned that day (not reversed), minor units */
  amount: number;
}

/** Days averaged for the pace: the last week of the chart (fewer if the promotion is younger). */
export const PACE_DAYS = 7;

/**
 * Whole days until the budget left is spent at the average daily burn of the last `PACE_DAYS`
 * days of `perDay` (every day of the chart, zeros included, oldest first), rounded up; 0 when
 * nothing is left; null when nothing was burned in those days (no pace to project from).
 */
export function daysToExhaustion(budgetLeft: number, perDay: readonly DayBurn[]): number | null {
  if (budgetLeft <= 0) return 0;
  const recent = perDay.slice(-PACE_DAYS);
  const burned = recent.reduce((sum, d) => sum + d.amount, 0);
  if (recent.length === 0 || burned <= 0) return null;
  // budgetLeft / (burned / days), rounded up, in integers.
  return Math.ceil((budgetLeft * recent.length) / burned);
}
