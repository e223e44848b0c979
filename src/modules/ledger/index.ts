// The escrow ledger's public face: double-entry, append-only, two-phase transfers.
export { account, TRANSFER_KINDS, type TransferKind } from './model.js';
export { createLedgerService, type EscrowOrder, type LedgerService, type Transfer } from './service.js';
