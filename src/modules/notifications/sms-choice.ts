// Which SMS adapter the environment asks for. Read from the environment's own names (a structural
// slice: the app's Config fits it, this module never imports it).
import { createAfricasTalkingSms } from './africastalking-sms.js';
import { createConsoleSms } from './console-sms.js';
import type { SmsSender } from './sms.js';

export interface SmsEnv {
  SMS_PROVIDER: 'console' | 'africastalking';
  AT_BASE_URL: string;
  AT_USERNAME?: string | undefined;
  AT_API_KEY?: string | undefined;
  AT_SENDER_ID?: string | undefined;
  AT_TIMEOUT_MS: number;
}

/** Africa's Talking when configured (the config has checked its credentials), else the console log. */
export function smsFromEnv(env: SmsEnv, log: { info(obj: object, msg: string): void }): SmsSender {
  if (env.SMS_PROVIDER === 'africastalking') {
    return createAfricasTalkingSms({
      baseUrl: env.AT_BASE_URL,
      username: env.AT_USERNAME!,
      apiKey: env.AT_API_KEY!,
      senderId: env.AT_SENDER_ID,
      timeoutMs: env.AT_TIMEOUT_MS,
    });
  }
  return createConsoleSms(log);
}
