// Analytics and unit economics: read-only figures over orders, payments, notifications and the
// ledger, every money figure computed by the pure rules here and reconciled with the ledger.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { AnalyticsSettings } from './model.js';
import { analyticsPage } from './page.js';
import { analyticsAdminRoutes } from './routes.js';
import { createAnalyticsService } from './service.js';

export { renderChart, type SeriesChart } from './chart.js';
export { DRILL_FIGURES, type DrillFigure } from './drill.js';
export { parseTariff, tariffFee } from './fees.js';
export type { AnalyticsSettings, OrderEconomics, OrderFact, TariffBand } from './model.js';
export { analyticsPage } from './page.js';
export { localDay, localDayStart } from './periods.js';
/** Fold the log of changed orders into the facts table now (every read does it first anyway). */
export { FOLD_SLICE, refreshFacts } from './queries.js';
export type { AnalyticsQuery, AnalyticsService } from './service.js';
export {
  cohortsCsv,
  ordersCsv,
  summaryCsv,
  topProductsCsv,
  topSellersCsv,
  unitEconomicsCsv,
} from './tables.js';
export { UNIT_GROUPS, type UnitGroup } from './unit-economics.js';

export function createAnalyticsModule(deps: { db: Database; clock: Clock; settings: AnalyticsSettings }) {
  const service = createAnalyticsService(deps);
  return {
    service,
    /** the settings the economics are computed with (every process must share them: docs/analytics.md) */
    settings: deps.settings,
    /** figures and SVG charts of the console's analytics page, unit economics first */
    page: (query: Parameters<typeof analyticsPage>[1]) => analyticsPage(service, query),
    adminRoutes: analyticsAdminRoutes({ analytics: service }),
  };
}
export type AnalyticsModule = ReturnType<typeof createAnalyticsModule>;
