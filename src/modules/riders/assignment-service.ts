// Rider assignment, joined from its use cases: offers (offers.ts), the dispatch queue and timers
// (dispatch.ts), and the rider's jobs (deliveries.ts), over the writes they share (assignment-store.ts).
import { type AssignmentServiceDeps, createAssignmentStore } from './assignment-store.js';
import { createDeliveryService } from './deliveries.js';
import { createDispatchService } from './dispatch.js';
import { createOfferService } from './offers.js';

export type {
  AssignmentServiceDeps,
  DispatchEntry,
  OfferNextResult,
  OrderAssignment,
  RiderOffer,
} from './assignment-store.js';

/** Offers, accept/decline, expiry, the dispatch queue, and the rider's jobs. */
export function createAssignmentService(deps: AssignmentServiceDeps) {
  const store = createAssignmentStore(deps);
  const dispatch = createDispatchService(deps, store);
  return {
    ...createOfferService(deps, store),
    ...dispatch,
    ...createDeliveryService(deps, store, dispatch.releaseOrder),
  };
}

export type AssignmentService = ReturnType<typeof createAssignmentService>;
