import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildApp } from './app.js';
import type { AppLogger } from './composition/logger.js';
import { compose, type Services } from './composition.js';
import { ConfigError, loadConfig, loadDotEnv } from './config.js';
import { openDatabase } from './db/client.js';
import { DataDirLockedError } from './db/data-dir-lock.js';
import { DEMO, describeDemoZones, seedDemo } from './demo-seed.js';
import type { SmsSender } from './modules/notifications/index.js';
import {
  formatReport,
  isDay,
  PROVIDER_NAMES,
  type ProviderName,
  parseStatement,
  reconcileStatement,
  StatementFormatError,
  type StatementLine,
} from './modules/payments/index.js';
import { reconcileLedger } from './reconcile.js';
import { systemClock } from './shared/clock.js';
import { AppError } from './shared/errors.js';
import { randomIds } from './shared/ids.js';

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  admin:create --phone <+2557XXXXXXXX>   make (or promote) an admin account; sign in with that phone's OTP
  reconcile                              check the ledger invariants; exits 1 and lists problems if any
  reconcile-statement --file <csv> [--provider <name>] [--from <day>] [--to <day>] [--json]
                                         import a provider statement (docs/statement-format.md) and compare
                                         it with the ledger per Dar es Salaam day; exits 0 when everything
                                         matches, 1 on differences, 2 for a file it cannot read
  demo:seed                              development only: a verified seller with two verified products,
                                         the demo Dar es Salaam delivery zones, fee table and service hours
`;

/** The whole-ledger reconciliation over the composed ledger, promotions, orders and referrals. */
const wholeLedger = (services: Services) =>
  reconcileLedger({
    ledger: services.ledger,
    promotions: services.promotions.service,
    orders: services.orders.service,
    referrals: services.referrals.service,
  });

/** The CLI prints its own answers; the modules' logs would only get in their way. */
const quiet: AppLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** How the named admin signs in: there is no password, only the phone's one-time code. */
function signInHint(phone: string, smsProvider: string): string {
  const where =
    smsProvider === 'console'
      ? 'with SMS_PROVIDER=console the code is printed in the npm start log'
      : 'the code arrives by SMS';
  return [
    `Sign in as ${phone}:`,
    `  POST /api/v1/auth/otp/request  {"phone":"${phone}"}   (${where})`,
    `  POST /api/v1/auth/otp/verify   {"phone":"${phone}","code":"<the 6 digits>"}  -> a bearer token with the admin role`,
  ].join('\n');
}

async function main(argv: string[]) {
  const [command, ...rest] = argv;
  if (
    command !== 'admin:create' &&
    command !== 'reconcile' &&
    command !== 'demo:seed' &&
    command !== 'reconcile-statement'
  ) {
    console.error(USAGE);
    return 64;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      phone: { type: 'string' },
      file: { type: 'string' },
      provider: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  if (command === 'admin:create' && !values.phone) {
    console.error(`--phone is required\n\n${USAGE}`);
    return 64;
  }
  // A statement is read and checked before anything touches the database: a bad file exits 2.
  let statement: StatementLine[] = [];
  if (command === 'reconcile-statement') {
    if (!values.file) {
      console.error(`--file is required\n\n${USAGE}`);
      return 64;
    }
    for (const day of [values.from, values.to])
      if (day !== undefined && !isDay(day)) {
        console.error(`--from and --to are days like 2026-11-25, not ${day}\n\n${USAGE}`);
        return 64;
      }
    try {
      statement = parseStatement(readFileSync(values.file, 'utf8'));
    } catch (err) {
      if (err instanceof StatementFormatError) console.error(`${values.file}: ${err.message}`);
      else console.error(`${values.file}: cannot read the file (${(err as Error).message})`);
      return 2;
    }
  }
  loadDotEnv();
  const config = loadConfig();
  const provider = (values.provider ?? config.PAYMENT_PROVIDER) as ProviderName;
  if (command === 'reconcile-statement' && !PROVIDER_NAMES.includes(provider)) {
    console.error(`--provider must be one of ${PROVIDER_NAMES.join(', ')}\n\n${USAGE}`);
    return 64;
  }
  const handle = await openDatabase(config);
  try {
    await handle.migrate();
    if (command === 'demo:seed') {
      if (config.NODE_ENV === 'production') {
        console.error('demo:seed is refused when NODE_ENV=production');
        return 64;
      }
      // The one command that builds the HTTP app, on purpose: the seed goes through the public API
      // exactly as people would (OTP sign-in, seller KYC, admin approval, uploads), so what it
      // makes is what the routes' own rules allow. It never listens; it calls app.inject().
      // Codes sent while seeding stay in memory: the seeder signs in through the real OTP endpoints.
      const sent: Array<{ to: string; message: string }> = [];
      const sms: SmsSender = {
        name: 'seed',
        async send(to, message) {
          sent.push({ to, message });
          return { messageId: null, status: 'kept' };
        },
      };
      const app = await buildApp({ db: handle.db, config, logger: false, sms });
      try {
        const lastCode = (phone: string) =>
          [...sent]
            .reverse()
            .find((m) => m.to === phone)
            ?.message.match(/\b(\d{6})\b/)?.[1] ?? '';
        const r = await seedDemo(app, lastCode);
        console.log(
          r.created
            ? `demo seller ${DEMO.sellerPhone} (admin ${DEMO.adminPhone}) with products ${r.products.join(', ')}`
            : `demo data already there: products ${r.products.join(', ')}`,
        );
        console.log(describeDemoZones(r.zones));
        return 0;
      } finally {
        await app.close();
      }
    }
    // The other commands need the services only: the same composition as the server and the
    // worker, without HTTP, without logs, and with no job running (nothing is started).
    const services = compose({ db: handle.db, config, clock: systemClock, ids: randomIds, log: quiet });
    if (command === 'admin:create') {
      const r = await services.identity.governance.createAdmin(values.phone!);
      const what = r.created
        ? 'created as an admin'
        : r.granted
          ? 'promoted to admin'
          : 'is already an admin; nothing changed';
      console.log(
        `${r.user.phone} ${what} (user ${r.user.id}).\n${signInHint(r.user.phone, config.SMS_PROVIDER)}`,
      );
      return 0;
    }
    if (command === 'reconcile-statement') {
      let report: Awaited<ReturnType<typeof reconcileStatement>>;
      try {
        report = await reconcileStatement(
          {
            db: handle.db,
            clock: systemClock,
            ids: randomIds,
            invariants: () => wholeLedger(services),
            ledgerMovements: (paymentIds) => services.ledger.movementsOf(paymentIds),
          },
          { provider, lines: statement, from: values.from, to: values.to },
        );
      } catch (err) {
        if (!(err instanceof StatementFormatError)) throw err;
        console.error(`${values.file}: ${err.message}`);
        return 2;
      }
      console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report, values.file));
      return report.clean ? 0 : 1;
    }
    const problems = await wholeLedger(services);
    if (!problems.length) {
      console.log(
        'ledger reconciles: every transfer settled once, escrow matches open orders, no negative seller balance',
      );
      return 0;
    }
    for (const p of problems) console.error(`- ${p}`);
    return 1;
  } finally {
    await handle.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof AppError) console.error(`${err.code}: ${err.detail}`);
    else if (err instanceof ConfigError) console.error(err.message);
    else if (err instanceof DataDirLockedError) {
      console.error(err.message);
      process.exit(75); // EX_TEMPFAIL: try again once the other process has stopped
    } else console.error(err);
    process.exit(1);
  },
);
