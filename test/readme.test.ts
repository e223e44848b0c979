import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

const readme = readFileSync('README.md', 'utf8');
const envExample = readFileSync('.env.example', 'utf8');

describe('what a newcomer reads', () => {
  it.each([
    'CHECKOUT_TTL_MINUTES',
    'SELLER_ACCEPT_MINUTES',
    'SELLER_REMINDER_MINUTES',
    'REFUND_PROMISE_HOURS',
    'DISPATCH_ALERT_MINUTES',
    'PAYOUT_STUCK_MINUTES',
  ])(
    'documents the minimum of %s in the README config table and .env.example, as the config enforces it',
    (key) => {
      // The minimum the config enforces: the smallest whole number it accepts.
      const accepts = (v: number) => {
        try {
          loadConfig({ NODE_ENV: 'test', [key]: String(v) });
          return true;
        } catch {
          return false;
        }
      };
      const enforced = [0, 1, 2, 5].find(accepts);
      expect(enforced).toBe(1);
      expect(accepts(0)).toBe(false);
      expect(readme).toMatch(new RegExp(`\\| \`${key}\` +\\|[^\\n]*\\*\\*${enforced}\\*\\* to`));
      expect(envExample).toMatch(new RegExp(`^${key}=.*\\b${enforced}\\.\\.\\d+`, 'm'));
    },
  );

  it.each([
    '…/retry-delivery`, `…/return-received`',
    '`POST …/refund-undeliverable`, `POST …/return-received`',
    '`…/fail`, `…/retry`, `…/return`, `…/returned`',
    '`POST …/payouts/{id}/resolve`',
    '`POST …/rider-payouts`',
    '`GET /api/v1/zones` (public)',
  ])('lists the endpoint %s', (fragment) => {
    expect(readme).toContain(fragment);
  });
});
