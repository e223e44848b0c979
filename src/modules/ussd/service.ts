// The USSD use case: one request of a session in, one screen out. Reads the caller and their
// orders through ports, asks the pure menu what to show, runs at most one action, idempotently.
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { type MenuAction, type MenuContext, menu } from './menu.js';
import { outcomeScreen, type UssdOutcome } from './outcome.js';
import { createPhoneLimiter } from './phone-limiter.js';
import {
  type UssdLanguagePort,
  type UssdOrder,
  type UssdOrdersPort,
  type UssdReceiptsPort,
  UssdRefused,
  type UssdUsersPort,
} from './ports.js';
import { type StoredUssdOrder, ussdActions, ussdSessions } from './schema.js';
import { MALFORMED, RATE_LIMITED, TEXTS, UNKNOWN_CALLER } from './texts.js';

export interface UssdReply {
  type: 'CON' | 'END';
  text: string;
}

/** What Africa's Talking posts (PROTOCOLS.md §3.3); anything else is a malformed request. */
export const ussdRequestSchema = z.object({
  sessionId: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/),
  serviceCode: z.string().max(40).optional(),
  phoneNumber: z.string().regex(/^\+[1-9]\d{7,14}$/),
  networkCode: z.string().max(20).optional(),
  text: z.string().max(200).default(''),
});
export type UssdRequest = z.infer<typeof ussdRequestSchema>;

export interface UssdSettings {
  /** how many of the caller's latest orders "my orders" shows */
  recentOrders: number;
  /** requests one phone may make a minute */
  requestsPerMinute: number;
}

const RECENT_MAX = 4;
const DELIVERED_MAX = 10;

const stored = (o: UssdOrder): StoredUssdOrder => ({
  ...o,
  promisedBy: o.promisedBy?.toISOString() ?? null,
  disputeWindowEndsAt: o.disputeWindowEndsAt?.toISOString() ?? null,
});
const revived = (o: StoredUssdOrder): UssdOrder => ({
  ...o,
  promisedBy: o.promisedBy ? new Date(o.promisedBy) : null,
  disputeWindowEndsAt: o.disputeWindowEndsAt ? new Date(o.disputeWindowEndsAt) : null,
});

export function createUssdService(deps: {
  db: Database;
  clock: Clock;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  orders: UssdOrdersPort;
  users: UssdUsersPort;
  language: UssdLanguagePort;
  receipts: UssdReceiptsPort;
  settings: UssdSettings;
}) {
  const { db, clock, log } = deps;
  const limiter = createPhoneLimiter(clock, deps.settings.requestsPerMinute);
  const end = (text: string): UssdReply => ({ type: 'END', text });

  /** The session's fixed order lists: written on its first request, read on every later one. */
  async function sessionOf(sessionId: string, phone: string, userId: string) {
    const [found] = await db.select().from(ussdSessions).where(eq(ussdSessions.sessionId, sessionId));
    if (found) return found;
    const recent = await deps.orders.recentOfBuyer(userId, Math.min(deps.settings.recentOrders, RECENT_MAX));
    const delivered = await deps.orders.deliveredOfBuyer(userId, DELIVERED_MAX);
    await db
      .insert(ussdSessions)
      .values({
        sessionId,
        phone,
        userId,
        orders: { recent: recent.map(stored), delivered: delivered.map(stored) },
        createdAt: clock.now(),
      })
      .onConflictDoNothing();
    // A replay racing the first request: whichever insert won is the session's list.
    const [row] = await db.select().from(ussdSessions).where(eq(ussdSessions.sessionId, sessionId));
    return row!;
  }

  /** Runs an order action once per (session, order); a replay is told what the first attempt was told. */
  async function onOrderOnce(
    sessionId: string,
    action: Extract<MenuAction, { kind: 'confirm_receipt' | 'open_dispute' }>,
    run: () => Promise<UssdOutcome>,
    language: 'sw' | 'en',
  ): Promise<string> {
    const claimed = await db
      .insert(ussdActions)
      .values({
        sessionId,
        orderId: action.order.id,
        action: action.kind,
        reply: null,
        createdAt: clock.now(),
      })
      .onConflictDoNothing()
      .returning({ orderId: ussdActions.orderId });
    const key = and(eq(ussdActions.sessionId, sessionId), eq(ussdActions.orderId, action.order.id));
    if (claimed.length === 0) {
      const [first] = await db.select().from(ussdActions).where(key);
      if (first?.action !== action.kind) return outcomeScreen(language, { kind: 'already_done' });
      return first.reply ?? outcomeScreen(language, { kind: 'in_progress' });
    }
    let outcome: UssdOutcome;
    try {
      outcome = await run();
    } catch (err) {
      // Not an answer of the order's rules: give the claim back so the caller can try again.
      log.error({ err, sessionId, orderId: action.order.id }, 'USSD action failed');
      await db.delete(ussdActions).where(key);
      return outcomeScreen(language, { kind: 'failed' });
    }
    const reply = outcomeScreen(language, outcome);
    await db.update(ussdActions).set({ reply }).where(key);
    return reply;
  }

  /** The order module's refusal as the caller should read it; anything else is rethrown. */
  function refusal(err: unknown, order: UssdOrder): UssdOutcome {
    if (!(err instanceof UssdRefused)) throw err;
    if (err.code === 'DISPUTE_WINDOW_CLOSED') return { kind: 'window_closed', order };
    return { kind: 'not_now', order, status: err.status ?? order.status };
  }

  /**
   * The receipt, sent by notifications: one per (session, order) however often the telco replays
   * the request (the dedupe key here and the event id there are both built from the pair). Written
   * in the order change's transaction: a change without its receipt never commits.
   */
  async function receipt(
    tx: Database,
    ctx: { sessionId: string; userId: string },
    order: UssdOrder,
    action: 'confirmed' | 'disputed',
    reason: string | null,
  ) {
    await deps.receipts.enqueue(tx, {
      kind: 'ussd.action_taken',
      payload: {
        sessionId: ctx.sessionId,
        orderId: order.id,
        buyerId: ctx.userId,
        action,
        amount: order.total,
        reason,
      },
      dedupeKey: `ussd.action_taken:${ctx.sessionId}:${order.id}`,
    });
  }

  async function act(
    action: MenuAction,
    ctx: { sessionId: string; userId: string; phone: string; language: 'sw' | 'en' },
  ): Promise<string> {
    const actor = { userId: ctx.userId, role: 'buyer' as const };
    switch (action.kind) {
      case 'set_language':
        await deps.language.setLanguage(ctx.userId, action.language);
        return outcomeScreen(action.language, { kind: 'language_set', language: action.language });
      case 'confirm_receipt':
        return onOrderOnce(
          ctx.sessionId,
          action,
          async () => {
            try {
              await deps.orders.confirmReceipt(action.order.id, actor, (tx) =>
                receipt(tx, ctx, action.order, 'confirmed', null),
              );
            } catch (err) {
              return refusal(err, action.order);
            }
            return { kind: 'confirmed', order: action.order };
          },
          ctx.language,
        );
      case 'open_dispute':
        return onOrderOnce(
          ctx.sessionId,
          action,
          async () => {
            // The statement is kept in the app's language-neutral words: support reads it, not the caller.
            const statement = TEXTS.en.statement(TEXTS.en.reasons[action.reason]);
            try {
              await deps.orders.openDispute(
                action.order.id,
                actor,
                { reason: action.reason, statement },
                (tx) =>
                  receipt(tx, ctx, action.order, 'disputed', TEXTS[ctx.language].reasons[action.reason]),
              );
            } catch (err) {
              return refusal(err, action.order);
            }
            return { kind: 'disputed', order: action.order };
          },
          ctx.language,
        );
    }
  }

  return {
    /**
     * One request of a session. Never throws: a malformed request, an unknown caller, too many
     * requests or a failure inside all end the session with a screen (a non-2xx reply would drop
     * it with nothing said).
     */
    async handle(body: unknown): Promise<UssdReply> {
      const parsed = ussdRequestSchema.safeParse(body);
      if (!parsed.success) return end(MALFORMED);
      const q = parsed.data;
      if (!limiter.allow(q.phoneNumber)) return end(RATE_LIMITED);
      try {
        const caller = await deps.users.findActiveBuyerByPhone(q.phoneNumber);
        if (!caller) return end(UNKNOWN_CALLER);
        const session = await sessionOf(q.sessionId, caller.phone, caller.userId);
        // A session id is the telco's; a second phone presenting it gets nothing of the first's.
        if (session.phone !== caller.phone) return end(MALFORMED);
        const language = (await deps.language.getLanguage(caller.userId)) ?? 'sw';
        const ctx: MenuContext = {
          language,
          recent: session.orders.recent.map(revived),
          delivered: session.orders.delivered.map(revived),
          takenAt: session.createdAt,
        };
        const screen = menu(q.text, ctx);
        if (!screen.action) return { type: screen.type, text: screen.text };
        return end(
          await act(screen.action, {
            sessionId: q.sessionId,
            userId: caller.userId,
            phone: caller.phone,
            language,
          }),
        );
      } catch (err) {
        log.error({ err, sessionId: q.sessionId }, 'USSD request failed');
        return end(TEXTS.sw.failed);
      }
    },
  };
}

export type UssdService = ReturnType<typeof createUssdService>;
