import type { AccountDisabledPort } from '../modules/identity/index.js';
import type { OrdersModule } from '../modules/orders/index.js';
import type { RidersModule } from '../modules/riders/index.js';
import { latePort } from './late.js';

/**
 * A ban or suspension reaches riders (uncollected jobs released) and orders (the seller's open
 * orders cancelled and refunded) inside the governance transaction. Identity is built before both,
 * so its port is bound once they exist.
 */
export function disabledAccountsPort() {
  const late = latePort<{ stop: AccountDisabledPort }>('riders and orders (for bans)');
  return {
    onAccountDisabled: ((tx, userId, why) => late.port.stop(tx, userId, why)) satisfies AccountDisabledPort,
    bind(riders: RidersModule['service'], orders: OrdersModule['service']) {
      late.bind({
        stop: async (tx, userId, why) => {
          await riders.accountDisabled(tx, userId, why);
          await orders.sellerDisabled(tx, userId, why);
        },
      });
    },
  };
}
