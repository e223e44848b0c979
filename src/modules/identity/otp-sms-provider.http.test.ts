import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeAfricasTalking, startFakeAfricasTalking } from '../../../test/fakes/africastalking.js';
import { createTestDatabase } from '../../../test/support/db.js';
import { buildApp } from '../../app.js';
import { loadConfig } from '../../config.js';
import type { DatabaseHandle } from '../../db/client.js';
import { ManualClock } from '../../shared/clock.js';

// The whole sign-in with the real Africa's Talking adapter chosen by configuration, over HTTP to a
// local fake of the provider: what production runs, minus the internet.
let fake: FakeAfricasTalking;
let handle: DatabaseHandle;
let app: Awaited<ReturnType<typeof buildApp>>;

beforeAll(async () => {
  fake = await startFakeAfricasTalking({ username: 'kkoo', apiKey: 'live_key_abc' });
  handle = await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'production',
    OTP_HASH_SECRET: 'a-production-like-secret-of-32-chars!!',
    SMS_PROVIDER: 'africastalking',
    AT_BASE_URL: fake.baseUrl,
    AT_USERNAME: 'kkoo',
    AT_API_KEY: 'live_key_abc',
    AT_SENDER_ID: 'KKOO',
    AT_TIMEOUT_MS: '500',
    LOG_LEVEL: 'silent',
    PUBLIC_BASE_URL: 'https://api.kkoo.example',
    PAYMENT_PROVIDER: 'vodacom_tz',
    PAYMENT_CALLBACK_TOKEN: 'abcdefghijklmnopqrstuvwxyz0123456789',
    VODACOM_API_KEY: 'unused-here',
    VODACOM_PUBLIC_KEY: 'unused-here',
    VODACOM_SERVICE_PROVIDER_CODE: '000000',
  });
  app = await buildApp({ db: handle.db, config, clock: new ManualClock(), logger: false });
});
afterAll(async () => {
  await app.close();
  await handle.close();
  await fake.close();
});

describe("sign-in through Africa's Talking", () => {
  it('sends the code through the provider and signs in with it', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/otp/request',
      payload: { phone: '0745 000 111' },
    });
    expect(res.statusCode).toBe(202);
    const sent = fake.requests.at(-1)!;
    expect(sent.form).toMatchObject({ username: 'kkoo', to: '+255745000111', from: 'KKOO' });
    const code = sent.form.message!.match(/\b(\d{6})\b/)![1]!;
    const verify = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/otp/verify',
      payload: { phone: '+255745000111', code },
    });
    expect(verify.statusCode).toBe(200);
  });

  it('answers 503 SMS_UNAVAILABLE when the provider refuses or hangs, without a stack or the key', async () => {
    fake.script.set('+255745000222', { kind: 'reject', statusCode: 406, status: 'UserInBlacklist' });
    fake.script.set('+255745000333', { kind: 'hang' });
    for (const phone of ['+255745000222', '+255745000333']) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/otp/request', payload: { phone } });
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('SMS_UNAVAILABLE');
      expect(res.body).not.toContain('live_key_abc');
    }
  });
});
