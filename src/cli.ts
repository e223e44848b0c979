import { parseArgs } from 'node:util';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, loadDotEnv } from './config.js';
import { openDatabase } from './db/client.js';
import { AppError } from './shared/errors.js';

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  admin:create --phone <+2557XXXXXXXX>   make (or promote) an admin account; sign in with that phone's OTP
  reconcile                              check the ledger invariants; exits 1 and lists problems if any
`;

async function main(argv: string[]) {
  const [command, ...rest] = argv;
  if (command !== 'admin:create' && command !== 'reconcile') {
    console.error(USAGE);
    return 64;
  }
  const { values } = parseArgs({ args: rest, options: { phone: { type: 'string' } }, strict: true });
  if (command === 'admin:create' && !values.phone) {
    console.error(`--phone is required\n\n${USAGE}`);
    return 64;
  }
  loadDotEnv();
  const config = loadConfig();
  const handle = await openDatabase(config);
  try {
    await handle.migrate();
    // The same wiring as the server, without listening and without logs.
    const app = await buildApp({ db: handle.db, config, logger: false });
    try {
      if (command === 'admin:create') {
        const r = await app.services.identity.governance.createAdmin(values.phone!);
        const what = r.created ? 'created' : r.granted ? 'promoted to admin' : 'already an admin';
        console.log(
          `${r.user.phone} ${what} (user ${r.user.id}). Sign in with POST /api/v1/auth/otp/request.`,
        );
        return 0;
      }
      const problems = await app.services.orders.service.reconcile();
      if (!problems.length) {
        console.log(
          'ledger reconciles: every transfer settled once, escrow matches open orders, no negative seller balance',
        );
        return 0;
      }
      for (const p of problems) console.error(`- ${p}`);
      return 1;
    } finally {
      await app.close();
    }
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
