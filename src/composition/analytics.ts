// Analytics' wiring: its settings slice from the config (tariffs parsed once, at start: a bad
// tariff stops the process with the variable's name) and the module over the database.
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import {
  type AnalyticsModule,
  type AnalyticsSettings,
  createAnalyticsModule,
  parseTariff,
} from '../modules/analytics/index.js';
import type { Clock } from '../shared/clock.js';

export interface AnalyticsServices {
  analytics: AnalyticsModule;
}

function tariff(name: 'PAYMENT_FEE_TARIFF_COLLECTION' | 'PAYMENT_FEE_TARIFF_DISBURSEMENT', raw: string) {
  try {
    return parseTariff(raw);
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
}

/** The settings every process computes the economics with (db:migrate's fold included). */
export function analyticsSettings(config: Config): AnalyticsSettings {
  return {
    riderFeeShareBp: config.RIDER_FEE_SHARE_BP,
    collectionTariff: tariff('PAYMENT_FEE_TARIFF_COLLECTION', config.PAYMENT_FEE_TARIFF_COLLECTION),
    disbursementTariff: tariff('PAYMENT_FEE_TARIFF_DISBURSEMENT', config.PAYMENT_FEE_TARIFF_DISBURSEMENT),
    smsCost: config.SMS_COST_MINOR,
    whatsappCost: config.WHATSAPP_COST_MINOR,
    currency: 'TZS',
  };
}

export function wireAnalytics(deps: { db: Database; config: Config; clock: Clock }): AnalyticsServices {
  return {
    analytics: createAnalyticsModule({
      db: deps.db,
      clock: deps.clock,
      settings: analyticsSettings(deps.config),
    }),
  };
}
