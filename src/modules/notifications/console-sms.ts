import type { SmsReceipt, SmsSender } from './sms.js';

interface Logger {
  info(obj: object, msg: string): void;
}

/**
 * Development adapter: writes the message (OTP code included) to the log instead of sending it.
 * config.ts refuses it when NODE_ENV=production, so codes never reach production logs.
 */
export function createConsoleSms(log: Logger): SmsSender & { sent: Array<{ to: string; message: string }> } {
  const sent: Array<{ to: string; message: string }> = [];
  return {
    name: 'console',
    sent,
    async send(to, message): Promise<SmsReceipt> {
      sent.push({ to, message });
      if (sent.length > 100) sent.shift();
      log.info({ sms: { to, message } }, 'console SMS (development only)');
      return { messageId: null, status: 'logged', delivered: true };
    },
  };
}
