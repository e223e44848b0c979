// The payments service: one object composed of its use cases, each in its own file —
// collections (pushes), disbursements (sends and refunds), payouts, callbacks, queries and the
// sweep. Callers see the same service as before; nothing here decides anything.
import { createCallbacks } from './callbacks.js';
import { createCollections } from './collections.js';
import { createPaymentsContext, type PaymentsServiceDeps } from './context.js';
import { createDisbursements } from './disbursements.js';
import { createPayouts } from './payouts.js';
import { createPaymentQueries } from './queries.js';
import { createSweep } from './sweep.js';

export type {
  CheckoutPort,
  Collection,
  Disbursement,
  PaymentsServiceDeps,
  PayoutDestinationPort,
  PayoutParty,
} from './context.js';

export type { PaymentsServiceSettings } from './settings.js';

export function createPaymentsService(deps: PaymentsServiceDeps) {
  const ctx = createPaymentsContext(deps);
  const disbursements = createDisbursements(ctx);
  const collections = createCollections(ctx, disbursements);
  const payouts = createPayouts(ctx, disbursements);
  const callbacks = createCallbacks(ctx, { ...collections, ...disbursements });
  // Queuing a refund or a send is internal: collections and payouts do it inside their own transactions.
  const { createRefund, enqueueSend, ...disbursementUseCases } = disbursements;
  return {
    provider: ctx.provider,
    callbackUrl: ctx.callbackUrl,
    ...collections,
    ...disbursementUseCases,
    ...payouts,
    ...callbacks,
    ...createPaymentQueries(ctx),
    ...createSweep(ctx, { ...collections, ...disbursements }),
  };
}

export type PaymentsService = ReturnType<typeof createPaymentsService>;
