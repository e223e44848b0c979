import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { JobHandlerOf, JobHandlers } from '../jobs/index.js';
import { type TemplateKey, whatsappTemplate } from './catalogue.js';
import type { NotificationJobQueue, NotificationJobs } from './jobs.js';
import type { PeoplePort } from './ports.js';
import type { ProviderWatch } from './provider-watch.js';
import { fromAtReport, fromWhatsAppStatus } from './rules.js';
import { notificationMessages as m, notificationPreferences as prefsTable } from './schema.js';
import { dedupeKeyOf, type NotificationSettings } from './service.js';
import { SmsError, type SmsReceipt, type SmsSender } from './sms.js';
import { appendHistory, findMessage, type MessageRow, moveForward } from './store.js';
import type { WhatsAppSender } from './whatsapp.js';

interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface DispatchDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  jobs: NotificationJobQueue;
  sms: SmsSender;
  whatsapp: WhatsAppSender | null;
  settings: NotificationSettings;
  log: Logger;
  people: PeoplePort;
  /** told of every message that failed for good (operations hear of a failing provider) */
  watch: ProviderWatch;
}

const WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Sending and what comes back: the job handlers the worker registers, and the recording of delivery
 * reports. Logs name message ids and provider codes, never the text (it may hold a code) or the number.
 */
export function createDispatcher(deps: DispatchDeps) {
  const { db, clock, ids, jobs, sms, whatsapp, settings, log, watch } = deps;

  /** Write the SMS twin of a WhatsApp message (once, however often asked) and stop the WhatsApp one if still waiting. */
  async function failover(msg: MessageRow, why: string) {
    if (msg.channel !== 'whatsapp' || !msg.address) return;
    await db.transaction(async (tx) => {
      const now = clock.now();
      await tx
        .update(m)
        .set({
          status: 'skipped',
          statusHistory: appendHistory({ status: 'skipped', at: now.toISOString(), detail: why }),
        })
        .where(and(eq(m.id, msg.id), eq(m.status, 'queued')));
      const [twin] = await tx
        .insert(m)
        .values({
          ...msg,
          id: ids.newId(),
          dedupeKey: dedupeKeyOf(msg.eventType, msg.eventId, msg.recipientId, 'sms', msg.templateKey),
          channel: 'sms',
          status: 'queued',
          statusHistory: [{ status: 'queued', at: now.toISOString(), detail: `failover: ${why}` }],
          provider: null,
          providerMessageId: null,
          lastError: null,
          costMinor: null,
          costCurrency: null,
          attempts: 0,
          failoverOf: msg.id,
          sendAfter: now,
          sentAt: null,
          deliveredAt: null,
          readAt: null,
          createdAt: now,
        })
        .onConflictDoNothing({ target: m.dedupeKey })
        .returning({ id: m.id });
      if (!twin) return;
      await jobs.enqueue(tx, {
        kind: 'notifications.send',
        payload: { message_id: twin.id },
        dedupeKey: `notification.send:${twin.id}`,
        maxAttempts: settings.maxAttempts,
      });
      log.info({ messageId: msg.id, smsId: twin.id, why }, 'notification failed over to SMS');
    });
  }

  /** `lastInbound`: when the recipient last wrote to us on WhatsApp, read by the claim itself. */
  async function callProvider(msg: MessageRow, last: Date | null): Promise<SmsReceipt> {
    if (msg.channel === 'sms') return sms.send(msg.address!, msg.body);
    if (!whatsapp) throw new SmsError('REJECTED', 'WhatsApp is switched off', false);
    return whatsapp.send({
      to: msg.address!,
      language: msg.language,
      text: msg.body,
      template: { name: whatsappTemplate(msg.templateKey as TemplateKey).name, params: msg.templateParams },
      windowOpen: last !== null && clock.now().getTime() - last.getTime() < WINDOW_MS,
    });
  }

  /**
   * One provider call per message at most, unless the provider said it failed: the claim
   * (queued → sending) is committed before the call, so a retried or duplicated job finds nothing to
   * claim. A worker that dies during the call leaves `sending`: we cannot know whether the provider
   * took it, so it is marked failed (OUTCOME_UNKNOWN) rather than sent twice; critical WhatsApp
   * messages then still reach the person by SMS.
   */
  const send: JobHandlerOf<NotificationJobs, 'notifications.send'> = async (payload, job) => {
    const id = payload.message_id;
    const now = clock.now();
    // The claim also returns what the send needs (the WhatsApp 24-hour window), so a send costs two
    // statements (claim, outcome) rather than three.
    const [msg] = await db
      .update(m)
      .set({
        status: 'sending',
        attempts: sql`${m.attempts} + 1`,
        statusHistory: appendHistory({ status: 'sending', at: now.toISOString() }),
      })
      .where(and(eq(m.id, id), eq(m.status, 'queued')))
      .returning({
        ...getTableColumns(m),
        lastInbound:
          sql<Date | null>`(select ${prefsTable.whatsappLastInboundAt} from ${prefsTable} where ${prefsTable.userId} = ${m.recipientId})`.mapWith(
            prefsTable.whatsappLastInboundAt,
          ),
      });
    if (!msg) {
      const current = await findMessage(db, id);
      if (current?.status === 'sending') {
        const failed = await moveForward(db, { id }, 'failed', now, 'OUTCOME_UNKNOWN');
        if (failed) {
          await failover(failed, 'outcome unknown');
          if (failed.channel !== 'in_app') await watch.failed(failed.channel);
        }
      }
      return;
    }
    let receipt: SmsReceipt;
    try {
      receipt = await callProvider(msg, msg.lastInbound);
    } catch (err) {
      const e = err instanceof SmsError ? err : null;
      const detail = e ? `${e.reason}${e.providerCode !== null ? ` ${e.providerCode}` : ''}` : 'ERROR';
      const retry = (e ? e.retryable : true) && job.attempts < job.maxAttempts;
      const at = clock.now().toISOString();
      if (retry) {
        await db
          .update(m)
          .set({
            status: 'queued',
            lastError: detail,
            statusHistory: appendHistory({ status: 'queued', at, detail: `retry after ${detail}` }),
          })
          .where(and(eq(m.id, id), eq(m.status, 'sending')));
        throw err; // the job retries with backoff
      }
      const failed = await moveForward(db, { id }, 'failed', clock.now(), detail);
      log.warn({ messageId: id, channel: msg.channel, detail }, 'notification failed');
      if (failed) {
        await failover(failed, detail);
        if (failed.channel !== 'in_app') await watch.failed(failed.channel);
      }
      return;
    }
    const at = clock.now();
    const status = receipt.delivered ? 'delivered' : 'sent';
    await db
      .update(m)
      .set({
        status,
        provider: msg.channel === 'sms' ? sms.name : whatsapp!.name,
        providerMessageId: receipt.messageId,
        costMinor: receipt.cost?.minor ?? null,
        costCurrency: receipt.cost?.currency ?? null,
        sentAt: at,
        ...(receipt.delivered ? { deliveredAt: at } : {}),
        lastError: null,
        statusHistory: appendHistory({ status, at: at.toISOString() }),
      })
      .where(and(eq(m.id, id), eq(m.status, 'sending')));
  };

  /** A critical WhatsApp message not delivered (or read) by now goes by SMS as well. */
  const failoverCheck: JobHandlerOf<NotificationJobs, 'notifications.check_failover'> = async (payload) => {
    const msg = await findMessage(db, payload.message_id);
    if (!msg || msg.status === 'delivered' || msg.status === 'read') return;
    await failover(msg, `not delivered within ${settings.failoverSeconds} s`);
  };

  return {
    jobHandlers: {
      'notifications.send': send,
      'notifications.check_failover': failoverCheck,
    } satisfies JobHandlers<NotificationJobs>,

    /** An Africa's Talking delivery report: idempotent, forward only. Unknown ids change nothing. */
    async recordSmsReport(r: { id: string; status: string; failureReason?: string | undefined }) {
      const to = fromAtReport(r.status);
      if (!to) return { matched: false };
      const row = await moveForward(
        db,
        { provider: 'africastalking', providerMessageId: r.id },
        to,
        clock.now(),
        to === 'failed' ? `AT ${r.status}${r.failureReason ? ` ${r.failureReason}` : ''}` : undefined,
      );
      if (row && to === 'failed') await watch.failed('sms');
      return { matched: row !== null };
    },

    /** One WhatsApp status (sent/delivered/read/failed) for a wamid; replays and late arrivals change nothing. */
    async recordWhatsAppStatus(s: { wamid: string; status: string; timestamp: Date; errorCode?: number }) {
      const to = fromWhatsAppStatus(s.status);
      if (!to || !whatsapp) return { matched: false };
      const row = await moveForward(
        db,
        { provider: whatsapp.name, providerMessageId: s.wamid },
        to,
        s.timestamp,
        to === 'failed' ? `WA ${s.errorCode ?? 'failed'}` : undefined,
      );
      if (row && to === 'failed') {
        await failover(row, `WhatsApp failed ${s.errorCode ?? ''}`.trim());
        await watch.failed('whatsapp');
      }
      return { matched: row !== null };
    },

    /** A user wrote to us on WhatsApp: the 24-hour window for free text opens again. */
    async recordWhatsAppInbound(fromDigits: string, at: Date) {
      const userId = await deps.people.userIdByPhone(db, `+${fromDigits}`);
      if (!userId) return;
      await db
        .insert(prefsTable)
        .values({ userId, whatsappLastInboundAt: at, updatedAt: clock.now() })
        .onConflictDoUpdate({
          target: prefsTable.userId,
          set: {
            whatsappLastInboundAt: sql`greatest(${prefsTable.whatsappLastInboundAt}, ${at.toISOString()}::timestamptz)`,
          },
        });
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
