// Every module's tables, gathered for drizzle-kit and for the typed client. Modules never import
// each other's tables; they call each other's services.
export * from '../modules/analytics/schema.js';
export * from '../modules/audit/schema.js';
export * from '../modules/cart/schema.js';
export * from '../modules/catalog/schema.js';
export * from '../modules/console/schema.js';
export * from '../modules/identity/schema.js';
export * from '../modules/jobs/schema.js';
export * from '../modules/ledger/schema.js';
export * from '../modules/media/schema.js';
export * from '../modules/notifications/schema.js';
export * from '../modules/orders/schema.js';
export * from '../modules/payments/schema.js';
export * from '../modules/promotions/schema.js';
export * from '../modules/recommendations/schema.js';
export * from '../modules/referrals/schema.js';
export * from '../modules/riders/schema.js';
export * from '../modules/ussd/schema.js';
export * from '../modules/zones/schema.js';
