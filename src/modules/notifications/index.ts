// The notifications module's public face. For now: the SMS port and its adapters.
export { type AfricasTalkingConfig, createAfricasTalkingSms } from './africastalking-sms.js';
export { createConsoleSms } from './console-sms.js';
export { SmsError, type SmsReceipt, type SmsSender } from './sms.js';
export { type SmsEnv, smsFromEnv } from './sms-choice.js';
