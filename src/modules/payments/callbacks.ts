// Provider callbacks, both kinds: screen the caller and the movement it names (pure rules in
// callback-screen.ts), log every callback with its verdict, and hand what passes to a status
// query in a job (or, when configured, settle from it). The verify jobs live here too.
import { and, eq, gte, inArray, isNull, or } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { AppError, notFound } from '../../shared/errors.js';
import { HOUR } from '../../shared/time.js';
import { type CallbackTarget, screenCallback, screenCaller } from './callback-screen.js';
import type { Collections } from './collections.js';
import { type PaymentsContext, PENDING_STATES, queryOrPending } from './context.js';
import type { Disbursements } from './disbursements.js';
import { type CallbackVerdict, FINAL_COLLECTION, GIVEN_UP, isGivenUp } from './model.js';
import type { CallbackKind, ParsedCallback, ProviderResult } from './port.js';
import { paymentCallbacks, paymentCollections, paymentDisbursements } from './schema.js';

const MAX_STORED_CALLBACK = 16 * 1024;

/**
 * What of a callback body is kept: nothing from a caller without the token (a stranger's bytes),
 * at most 16 kB otherwise, and never a lone UTF-16 surrogate (PostgreSQL's jsonb refuses one,
 * which would turn a junk callback into a 500).
 */
function storableBody(body: unknown, verdict: CallbackVerdict): unknown {
  if (body === undefined || verdict === 'bad_token' || verdict === 'ip_not_allowed') return null;
  let json: string;
  try {
    json = JSON.stringify(body);
  } catch {
    return { unstorable: true }; // nested too deep to serialise
  }
  json = json.replace(/\\u[dD][89a-fA-F][0-9a-fA-F]{2}/g, '\\ufffd');
  if (json.length > MAX_STORED_CALLBACK) return { truncated: true, bytes: json.length };
  return JSON.parse(json);
}

export function createCallbacks(
  ctx: PaymentsContext,
  settle: Pick<Collections, 'settleCollection'> & Pick<Disbursements, 'settleDisbursement'>,
) {
  const { db, clock, ids, jobs, provider, s, log } = ctx;
  const { settleCollection, settleDisbursement } = settle;

  async function logCallback(
    kind: string,
    body: unknown,
    ip: string | null,
    verdict: CallbackVerdict,
    detail: string | null,
    links: { collectionId?: string; disbursementId?: string } = {},
    tx: Database = db,
  ) {
    await tx.insert(paymentCallbacks).values({
      id: ids.newId(),
      provider: provider.name,
      kind,
      remoteIp: ip,
      body: storableBody(body, verdict),
      verdict,
      detail,
      collectionId: links.collectionId ?? null,
      disbursementId: links.disbursementId ?? null,
      createdAt: clock.now(),
    });
    if (verdict !== 'accepted' && verdict !== 'duplicate')
      log.warn({ provider: provider.name, kind, ip, verdict, detail }, 'payment callback refused');
  }

  /** The movement a callback names, by our reference or the provider's id (one table or the other). */
  async function findByReference<T extends typeof paymentCollections | typeof paymentDisbursements>(
    table: T,
    p: ParsedCallback,
  ): Promise<T['$inferSelect'] | null> {
    const conds = [];
    if (p.reference) conds.push(eq(table.reference, p.reference));
    if (p.providerRef)
      conds.push(and(eq(table.provider, provider.name), eq(table.providerRef, p.providerRef)));
    if (!conds.length) return null;
    const [row] = await db
      .select()
      // The two tables share these columns; the cast only gives Drizzle one table type.
      .from(table as typeof paymentCollections)
      .where(or(...conds))
      .limit(1);
    return (row as T['$inferSelect'] | undefined) ?? null;
  }
  const findCollection = (p: ParsedCallback) => findByReference(paymentCollections, p);
  const findDisbursement = (p: ParsedCallback) => findByReference(paymentDisbursements, p);

  /**
   * A push whose reply we never got has no provider id, and Daraja's callback does not echo ours.
   * Such a callback is matched by provider, phone and amount to the one unacknowledged push of the
   * last two days that fits; the provider id is adopted, and the status query (with that id)
   * decides as usual. Two candidates: no match (a person sorts it out from the statement).
   */
  async function adoptUnacknowledgedPush(p: ParsedCallback) {
    if (!p.providerRef || !p.msisdn || p.amount === null) return null;
    const since = new Date(clock.now().getTime() - 48 * HOUR);
    const candidates = await db
      .select()
      .from(paymentCollections)
      .where(
        and(
          eq(paymentCollections.provider, provider.name),
          isNull(paymentCollections.providerRef),
          eq(paymentCollections.msisdn, p.msisdn),
          eq(paymentCollections.amount, p.amount),
          gte(paymentCollections.createdAt, since),
          or(
            inArray(paymentCollections.status, PENDING_STATES),
            and(eq(paymentCollections.status, 'timeout'), eq(paymentCollections.resultCode, GIVEN_UP)),
          ),
        ),
      )
      .limit(2);
    if (candidates.length !== 1) return null;
    const [adopted] = await db
      .update(paymentCollections)
      .set({ providerRef: p.providerRef, updatedAt: clock.now() })
      .where(and(eq(paymentCollections.id, candidates[0]!.id), isNull(paymentCollections.providerRef)))
      .returning();
    return adopted ?? null;
  }

  /** Another collection of this provider already holds the callback's receipt (one use per receipt). */
  async function receiptTaken(p: ParsedCallback, collectionId: string) {
    if (!p.receipt) return false;
    const [used] = await db
      .select({ id: paymentCollections.id })
      .from(paymentCollections)
      .where(and(eq(paymentCollections.provider, provider.name), eq(paymentCollections.receipt, p.receipt)));
    return Boolean(used && used.id !== collectionId);
  }

  return {
    /**
     * A provider posted to our webhook. Layered checks, cheapest first: the path token (constant
     * time), the optional IP allow-list, the body's shape, correlation to a request we made, the
     * amount and phone, one use per receipt. Anything that fails changes nothing and is logged.
     * What passes is decided by a status query (when configured) in a job, not by the callback.
     */
    async receiveCallback(q: {
      provider: string;
      kind: CallbackKind;
      token: string;
      body: unknown;
      ip: string | null;
    }): Promise<{ status: number; body: unknown; verdict: CallbackVerdict }> {
      const ack = (verdict: CallbackVerdict, parsed: ParsedCallback | null) => ({
        ...provider.callbackReply(q.kind, parsed),
        verdict,
      });
      const refused = screenCaller(q, {
        provider: provider.name,
        token: s.callbackToken,
        allowedIps: s.allowedIps,
      });
      if (refused) {
        await logCallback(q.kind, q.body, q.ip, refused.verdict, refused.detail);
        if (refused.verdict === 'bad_token') throw notFound('Callback');
        throw new AppError('CALLBACK_FORBIDDEN', 403, 'This address may not post payment callbacks.');
      }
      const parsed = provider.parseCallback(q.kind, q.body);
      if (!parsed) {
        await logCallback(q.kind, q.body, q.ip, 'malformed', null);
        throw new AppError('CALLBACK_MALFORMED', 400, 'This is not a callback we understand.');
      }
      if (q.kind === 'collection') {
        const c = (await findCollection(parsed)) ?? (await adoptUnacknowledgedPush(parsed));
        const target: CallbackTarget = c
          ? { kind: 'collection', movement: c, receiptTaken: await receiptTaken(parsed, c.id) }
          : null;
        const { verdict, detail } = screenCallback(parsed, target);
        if (verdict === 'accepted' && c && s.verifyByQuery) {
          // The accepted callback and the job that verifies it commit together: never one without the other.
          await db.transaction(async (tx) => {
            await logCallback(q.kind, q.body, q.ip, verdict, detail, { collectionId: c.id }, tx);
            await jobs.enqueue(tx, {
              kind: 'payments.verify_collection',
              payload: { id: c.id, receipt: parsed.receipt, providerRef: parsed.providerRef },
            });
          });
          return ack('accepted', parsed);
        }
        await logCallback(q.kind, q.body, q.ip, verdict, detail, c ? { collectionId: c.id } : {});
        if (verdict !== 'accepted' || !c) return ack(verdict, parsed);
        await settleCollection(c.id, parsed, 'callback');
        return ack('accepted', parsed);
      }
      const d = await findDisbursement(parsed);
      const { verdict, detail } = screenCallback(parsed, d ? { kind: 'disbursement', movement: d } : null);
      if (verdict !== 'accepted' || !d) {
        await logCallback(q.kind, q.body, q.ip, verdict, detail, d ? { disbursementId: d.id } : {});
        return ack(verdict, parsed);
      }
      // The accepted callback and the job that verifies it commit together: never one without the other.
      await db.transaction(async (tx) => {
        await logCallback(q.kind, q.body, q.ip, verdict, detail, { disbursementId: d.id }, tx);
        await jobs.enqueue(tx, {
          kind: 'payments.verify_disbursement',
          payload: { id: d.id, callback: { ...parsed } },
        });
      });
      return ack('accepted', parsed);
    },

    /** The job behind an accepted collection callback: ask the provider, then settle. */
    async verifyCollection(id: string, hint: { receipt: string | null }) {
      const [c] = await db.select().from(paymentCollections).where(eq(paymentCollections.id, id));
      if (!c || (FINAL_COLLECTION.includes(c.status) && !isGivenUp(c))) return;
      const r = await provider.queryCollection({ reference: c.reference, providerRef: c.providerRef });
      // Daraja's query has no receipt; the callback's is used once the query confirms success.
      await settleCollection(c.id, { ...r, receipt: r.receipt ?? hint.receipt }, 'callback+query');
    },

    /**
     * The job behind an accepted disbursement callback. A provider whose status answer is itself
     * asynchronous (Daraja) leaves the query pending; then the callback, which passed the path
     * token, correlation and amount checks, is taken as the answer.
     */
    async verifyDisbursement(id: string, callback: ProviderResult) {
      const [d] = await db.select().from(paymentDisbursements).where(eq(paymentDisbursements.id, id));
      if (d?.status !== 'sending') return;
      const q = await queryOrPending(() =>
        provider.querySend({
          reference: d.reference,
          providerRef: d.providerRef ?? callback.providerRef,
          receipt: callback.receipt,
        }),
      );
      if (q.outcome !== 'pending') {
        await settleDisbursement(d.id, { ...q, receipt: q.receipt ?? callback.receipt }, 'callback+query');
        return;
      }
      // The provider's status answer is itself asynchronous (Daraja) or inconclusive: take the
      // callback, which passed the path token, correlation and amount checks, but mark it as such.
      await settleDisbursement(d.id, callback, 'callback');
    },
  };
}
