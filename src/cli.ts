import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, loadDotEnv } from './config.js';
import { openDatabase } from './db/client.js';
import { createAuditService } from './modules/audit/index.js';
import { createIdentityModule } from './modules/identity/index.js';
import { createLocalStorage, createMediaService } from './modules/media/index.js';
import { createConsoleSms } from './modules/notifications/index.js';
import { systemClock } from './shared/clock.js';
import { AppError } from './shared/errors.js';
import { randomIds } from './shared/ids.js';

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  admin:create --phone <+2557XXXXXXXX>   make (or promote) an admin account; sign in with that phone's OTP
`;

async function main(argv: string[]) {
  const [command, ...rest] = argv;
  if (command !== 'admin:create') {
    console.error(USAGE);
    return 64;
  }
  const { values } = parseArgs({ args: rest, options: { phone: { type: 'string' } }, strict: true });
  if (!values.phone) {
    console.error(`--phone is required\n\n${USAGE}`);
    return 64;
  }
  loadDotEnv();
  const config = loadConfig();
  const handle = await openDatabase(config);
  try {
    await handle.migrate();
    const silent = { info() {}, warn() {} };
    const deps = { db: handle.db, clock: systemClock, ids: randomIds };
    const audit = createAuditService(deps);
    const media = createMediaService({
      ...deps,
      storage: createLocalStorage(join(config.DATA_DIR, 'media')),
      maxBytes: config.MEDIA_MAX_BYTES,
    });
    const identity = createIdentityModule({
      ...deps,
      audit,
      media,
      sms: createConsoleSms(silent),
      log: silent,
      settings: {
        otpSecret: config.OTP_HASH_SECRET,
        otpTtlSeconds: config.OTP_TTL_SECONDS,
        otpMaxAttempts: config.OTP_MAX_ATTEMPTS,
        resendCooldownSeconds: config.OTP_RESEND_COOLDOWN_SECONDS,
        maxPerHour: config.OTP_MAX_PER_HOUR,
        sessionTtlDays: config.SESSION_TTL_DAYS,
        otpIpMaxPerHour: config.OTP_IP_MAX_PER_HOUR,
      },
    });
    const r = await identity.governance.createAdmin(values.phone);
    const what = r.created ? 'created' : r.granted ? 'promoted to admin' : 'already an admin';
    console.log(`${r.user.phone} ${what} (user ${r.user.id}). Sign in with POST /api/v1/auth/otp/request.`);
    return 0;
  } finally {
    await handle.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof AppError) console.error(`${err.code}: ${err.detail}`);
    else if (err instanceof ConfigError) console.error(err.message);
    else console.error(err);
    process.exit(1);
  },
);
