// What the USSD channel needs from the rest of the product. app.ts wires each port to the module
// that owns the data; nothing here knows another module's tables.
import type { Database } from '../../db/client.js';

export type UssdLanguage = 'sw' | 'en';
export const USSD_LANGUAGES = ['sw', 'en'] as const;

export const USSD_DISPUTE_REASONS = [
  'wrong_item',
  'damaged',
  'missing_items',
  'not_delivered',
  'counterfeit',
] as const;
export type UssdDisputeReason = (typeof USSD_DISPUTE_REASONS)[number];

/** One of the buyer's orders as a feature phone shows it. */
export interface UssdOrder {
  id: string;
  status: string;
  /** what the buyer paid for the goods and delivery, minor units */
  total: number;
  currency: string;
  /** the first line's title (free text: the menu makes it GSM-7) */
  title: string;
  /** number of lines beyond the first */
  moreLines: number;
  promisedBy: Date | null;
  disputeWindowEndsAt: Date | null;
}

/** The buyer who calls, as the orders module must see them for a buyer's command. */
export interface UssdActor {
  userId: string;
  role: 'buyer';
}

/** A domain command refused the action: the order module's stable error code. */
export class UssdRefused extends Error {
  constructor(
    readonly code: string,
    /** the order's status now, when known, to tell the caller why */
    readonly status?: string,
  ) {
    super(code);
    this.name = 'UssdRefused';
  }
}

export interface UssdOrdersPort {
  /** the buyer's latest orders, newest first */
  recentOfBuyer(buyerId: string, limit: number): Promise<UssdOrder[]>;
  /** the buyer's orders in `delivered` (waiting for a confirmation or a dispute), newest first */
  deliveredOfBuyer(buyerId: string, limit: number): Promise<UssdOrder[]>;
  /**
   * the app's confirm-receipt command; throws UssdRefused with the order module's code. `within`
   * runs in the order change's own transaction (the receipt is written with the change, or neither).
   */
  confirmReceipt(orderId: string, actor: UssdActor, within: (tx: Database) => Promise<void>): Promise<void>;
  /** the app's open-dispute command, with the statement as the evidence; throws UssdRefused; `within` as above */
  openDispute(
    orderId: string,
    actor: UssdActor,
    input: { reason: UssdDisputeReason; statement: string },
    within: (tx: Database) => Promise<void>,
  ): Promise<void>;
}

export interface UssdUsersPort {
  /** an active buyer with this E.164 phone, or null (unknown, banned, suspended, not a number) */
  findActiveBuyerByPhone(phone: string): Promise<{ userId: string; phone: string } | null>;
}

export interface UssdLanguagePort {
  getLanguage(userId: string): Promise<UssdLanguage | null>;
  setLanguage(userId: string, language: UssdLanguage): Promise<void>;
}

/** The receipt after a confirmation or a dispute goes through notifications, as a typed message. */
export type { UssdJobQueue as UssdReceiptsPort } from './jobs.js';
