import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join('\n');
    throw err;
  }
  return '';
};

describe('loadConfig', () => {
  it('starts with nothing set: port 8000, embedded database, console SMS', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 8000,
      NODE_ENV: 'development',
      SMS_PROVIDER: 'console',
      DATA_DIR: './data',
    });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.OTP_HASH_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(c.otpSecretGenerated).toBe(true);
  });

  it('names the variable that is wrong', () => {
    expect(problemsOf({ PORT: 'eighty' })).toMatch(/^PORT:/);
    expect(problemsOf({ DATABASE_URL: 'mysql://x' })).toMatch(/^DATABASE_URL:/);
    expect(problemsOf({ OTP_HASH_SECRET: 'short' })).toMatch(/^OTP_HASH_SECRET:/);
    expect(problemsOf({ SMS_PROVIDER: 'carrier-pigeon' })).toMatch(/^SMS_PROVIDER:/);
  });

  it('refuses the console SMS adapter and a generated secret in production', () => {
    const p = problemsOf({ NODE_ENV: 'production' });
    expect(p).toMatch(/OTP_HASH_SECRET: required/);
    expect(p).toMatch(/SMS_PROVIDER: the console adapter/);
  });

  it("needs Africa's Talking credentials when that adapter is chosen", () => {
    const p = problemsOf({ SMS_PROVIDER: 'africastalking' });
    expect(p).toMatch(/AT_USERNAME/);
    expect(p).toMatch(/AT_API_KEY/);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).PORT).toBe(8000);
  });
});

describe('.env.example', () => {
  const file = new URL('../.env.example', import.meta.url);

  it('lists every variable config.ts reads, and no other', async () => {
    const { readFileSync } = await import('node:fs');
    const source = readFileSync(new URL('./config.ts', import.meta.url), 'utf8');
    const read = [...new Set([...source.matchAll(/^ {2}([A-Z][A-Z0-9_]+): /gm)].map((m) => m[1]))].sort();
    const listed = [...readFileSync(file, 'utf8').matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(read);
  });

  it('is itself a valid configuration once copied to .env', async () => {
    const { parseEnv } = await import('node:util');
    const { readFileSync } = await import('node:fs');
    const env = (parseEnv as (s: string) => Record<string, string>)(readFileSync(file, 'utf8'));
    expect(loadConfig(env).PORT).toBe(8000);
  });
});

describe('TRUST_PROXY', () => {
  it('takes a hop count or proxy CIDRs, and refuses "trust everything"', () => {
    expect(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8,192.168.1.1' }).TRUST_PROXY).toEqual([
      '10.0.0.0/8',
      '192.168.1.1',
    ]);
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(problemsOf({ TRUST_PROXY: 'true' })).toMatch(/^TRUST_PROXY:/);
  });
});

describe('payments configuration', () => {
  it('refuses the simulator in production, trusting callbacks with a real provider, and a worker without the shared token', () => {
    expect(
      problemsOf({
        NODE_ENV: 'production',
        OTP_HASH_SECRET: 'x'.repeat(32),
        SMS_PROVIDER: 'africastalking',
        AT_USERNAME: 'u',
        AT_API_KEY: 'k',
      }),
    ).toMatch(/PAYMENT_PROVIDER: the simulator/);
    expect(
      problemsOf({
        PAYMENT_PROVIDER: 'vodacom_tz',
        VODACOM_API_KEY: 'k',
        VODACOM_PUBLIC_KEY: 'p',
        VODACOM_SERVICE_PROVIDER_CODE: '000000',
        PAYMENT_VERIFY_BY_QUERY: 'false',
      }),
    ).toMatch(/PAYMENT_VERIFY_BY_QUERY/);
    expect(problemsOf({ PAYMENT_PROVIDER: 'daraja' })).toMatch(/DARAJA_CONSUMER_KEY: required/);
    expect(problemsOf({ EMBEDDED_WORKER: 'false' })).toMatch(
      /PAYMENT_CALLBACK_TOKEN: required when EMBEDDED_WORKER=false/,
    );
    expect(problemsOf({ DELIVERY_FEE: '150050' })).toMatch(/DELIVERY_FEE/);
    expect(loadConfig({ PAYMENT_VERIFY_BY_QUERY: 'false' }).PAYMENT_VERIFY_BY_QUERY).toBe(false);
  });
});

describe('notification channels in config', () => {
  it('refuses the console WhatsApp adapter in production', () => {
    expect(problemsOf({ NODE_ENV: 'production', WHATSAPP_PROVIDER: 'console' })).toMatch(/WHATSAPP_PROVIDER/);
  });

  it('needs every Cloud API secret when whatsapp_cloud is chosen', () => {
    const p = problemsOf({ WHATSAPP_PROVIDER: 'whatsapp_cloud' });
    for (const n of [
      'WHATSAPP_PHONE_NUMBER_ID',
      'WHATSAPP_ACCESS_TOKEN',
      'WHATSAPP_APP_SECRET',
      'WHATSAPP_VERIFY_TOKEN',
    ])
      expect(p).toMatch(n);
  });

  it('checks quiet hours', () => {
    expect(problemsOf({ NOTIFY_QUIET_HOURS: '25-7' })).toMatch(/NOTIFY_QUIET_HOURS/);
    expect(problemsOf({ NOTIFY_QUIET_HOURS: '7-7' })).toMatch(/NOTIFY_QUIET_HOURS/);
    expect(loadConfig({ NOTIFY_QUIET_HOURS: 'off' }).NOTIFY_QUIET_HOURS).toBe('off');
  });
});
