// Pure: buyers grouped by the ISO week (Dar es Salaam) of their first paid order, and how many of
// each cohort ordered again in each later week.
import type { OrderFact } from './model.js';
import { isoWeekOf, weeksBetween } from './periods.js';

export interface CohortRow {
  cohort: string;
  buyers: number;
  /** active[k]: buyers of the cohort with a paid order k weeks after their first week (active[0] = buyers) */
  active: number[];
}

/** Cohorts of the buyers whose first paid order ever falls inside the facts' range. */
export function cohortsOf(facts: readonly OrderFact[], rangeStart: Date): CohortRow[] {
  const weeksOf = new Map<string, { cohort: string; first: Date; weeks: Set<number> }>();
  for (const o of facts) {
    if (o.buyerFirstPaidAt.getTime() < rangeStart.getTime()) continue;
    let b = weeksOf.get(o.buyerId);
    if (!b) {
      b = { cohort: isoWeekOf(o.buyerFirstPaidAt), first: o.buyerFirstPaidAt, weeks: new Set() };
      weeksOf.set(o.buyerId, b);
    }
    b.weeks.add(weeksBetween(b.first, o.paidAt));
  }
  const rows = new Map<string, CohortRow>();
  for (const b of weeksOf.values()) {
    const row = rows.get(b.cohort) ?? { cohort: b.cohort, buyers: 0, active: [] };
    rows.set(b.cohort, row);
    row.buyers++;
    for (const k of b.weeks) {
      while (row.active.length <= k) row.active.push(0);
      row.active[k]! += 1;
    }
  }
  return [...rows.values()].sort((a, b) => a.cohort.localeCompare(b.cohort));
}

/** Cohort rows from SQL counts: `k` null is the cohort's buyers, else buyers active k weeks later. */
export function cohortsFromCounts(
  counts: ReadonlyArray<{ cohort: string; k: number | null; buyers: number }>,
): CohortRow[] {
  const rows = new Map<string, CohortRow>();
  for (const c of counts) {
    const row = rows.get(c.cohort) ?? { cohort: c.cohort, buyers: 0, active: [] };
    rows.set(c.cohort, row);
    if (c.k === null) row.buyers = c.buyers;
    else {
      while (row.active.length <= c.k) row.active.push(0);
      row.active[c.k] = c.buyers;
    }
  }
  return [...rows.values()].sort((a, b) => a.cohort.localeCompare(b.cohort));
}
