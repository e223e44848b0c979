// The four-eyes gate the payments and orders admin APIs are given: declared by the composition root,
// bound by the console's wiring once its approvals exist (composition/console.ts).
import type { OrdersFourEyes } from '../modules/orders/index.js';
import type { PaymentsFourEyes } from '../modules/payments/index.js';

export type FourEyesGate = PaymentsFourEyes & OrdersFourEyes;
