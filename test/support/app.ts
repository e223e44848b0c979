import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { DatabaseHandle } from '../../src/db/client.js';
import { createLocalStorage } from '../../src/modules/media/index.js';
import type { SmsReceipt, SmsSender } from '../../src/modules/notifications/index.js';
import type { PaymentProvider, ProviderCallRecorder } from '../../src/modules/payments/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import { enforceOpenApiContract, takeContractMismatches } from './contract.js';
import { createTestDatabase } from './db.js';

/**
 * An SMS adapter that keeps what it was asked to send, and can be told to fail. Given a real
 * adapter (`forward`), it also hands each message to it and answers with its receipt.
 */
export class RecordingSms implements SmsSender {
  readonly name = 'recording';
  readonly sent: Array<{ to: string; message: string }> = [];
  failWith: Error | null = null;
  constructor(private readonly forward?: SmsSender) {}
  async send(to: string, message: string): Promise<SmsReceipt> {
    if (this.failWith) throw this.failWith;
    this.sent.push({ to, message });
    if (this.forward) return this.forward.send(to, message);
    return { messageId: `rec-${this.sent.length}`, status: 'Success' };
  }
  /** The OTP in the last message to `to`. */
  lastCode(to: string): string {
    const msg = [...this.sent].reverse().find((m) => m.to === to);
    const code = msg?.message.match(/\b(\d{6})\b/)?.[1];
    if (!code) throw new Error(`no code was sent to ${to}`);
    return code;
  }
}

export interface TestApp {
  app: FastifyInstance;
  handle: DatabaseHandle;
  clock: ManualClock;
  sms: RecordingSms;
  dataDir: string;
  close(): Promise<void>;
  /** Sign in through the real OTP endpoints; returns the bearer token and user id. */
  login(phone: string): Promise<{ token: string; userId: string; auth: { authorization: string } }>;
  /** An admin made the way the CLI makes one, then signed in. */
  loginAdmin(phone?: string): Promise<{ token: string; userId: string; auth: { authorization: string } }>;
}

export async function createTestApp(
  env: Record<string, string> = {},
  opts: {
    handle?: DatabaseHandle;
    paymentProvider?: (record: ProviderCallRecorder) => PaymentProvider;
    clock?: ManualClock;
    /** a real SMS adapter (pointed at a fake) that every message also goes through */
    sms?: SmsSender;
  } = {},
): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kkoo-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    OTP_HASH_SECRET: 'test-secret-test-secret-test-secret-0001',
    OTP_IP_MAX_PER_HOUR: '100000',
    PUBLIC_READS_PER_MINUTE: '100000',
    // Four eyes is tested where it is the subject (src/modules/console/four-eyes*.test.ts); elsewhere
    // one admin's payout or refund runs, as it would below the limit.
    FOUR_EYES_ABOVE_MINOR: '1000000000000',
    ...env,
  });
  const handle = opts.handle ?? (await createTestDatabase());
  const clock = opts.clock ?? new ManualClock();
  const sms = new RecordingSms(opts.sms);
  // The payment simulator's callbacks reach the app through its real routes, without a socket.
  const postToSelf = async (url: string, body: unknown) => {
    const res = await app.inject({ method: 'POST', url: new URL(url).pathname, payload: body as object });
    if (res.statusCode >= 300) throw new Error(`callback answered ${res.statusCode}: ${res.body}`);
  };
  const app: FastifyInstance = await buildApp({
    db: handle.db,
    config,
    clock,
    sms,
    storage: createLocalStorage(join(dataDir, 'media')),
    logger: false,
    paymentProvider: opts.paymentProvider,
    postToSelf,
  });
  // Every reply any test receives is held to the OpenAPI document (status, content type, schema).
  enforceOpenApiContract(app);
  await app.ready();

  const t: TestApp = {
    app,
    handle,
    clock,
    sms,
    dataDir,
    async close() {
      await app.close();
      const broken = takeContractMismatches();
      if (broken.length) throw new Error(`replies broke the OpenAPI contract:\n${broken.join('\n')}`);
      if (!opts.handle) await handle.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
    login(phone) {
      // One sign-in at a time: each advances the shared clock past the resend cooldown, which would
      // expire a concurrent caller's code, and reads the newest SMS, which could be another's.
      const run = signIns.then(() => signIn(phone));
      signIns = run.catch(() => undefined);
      return run;
    },
    async loginAdmin(phone = '+255754000001') {
      await app.services.identity.governance.createAdmin(phone);
      return t.login(phone);
    },
  };
  let signIns: Promise<unknown> = Promise.resolve();
  async function signIn(phone: string) {
    const req = await app.inject({ method: 'POST', url: '/api/v1/auth/otp/request', payload: { phone } });
    if (req.statusCode !== 202) throw new Error(`otp request failed: ${req.statusCode} ${req.body}`);
    const e164 = sms.sent.at(-1)!.to;
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/otp/verify',
      payload: { phone, code: sms.lastCode(e164) },
    });
    if (res.statusCode !== 200) throw new Error(`otp verify failed: ${res.statusCode} ${res.body}`);
    const body = res.json();
    // Later logins of the same phone must not trip the resend cooldown.
    clock.advanceSeconds(61);
    return { token: body.token, userId: body.user.id, auth: { authorization: `Bearer ${body.token}` } };
  }
  return t;
}

/** A small valid PNG (1x1), JPEG and WebP, for upload tests. */
export const PNG_1x1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** Builds a multipart/form-data body by hand so tests control every byte that goes over the wire. */
export function multipartBody(field: string, filename: string, contentType: string, bytes: Buffer) {
  const boundary = `----kkoo${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    payload: Buffer.concat([head, bytes, tail]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}
