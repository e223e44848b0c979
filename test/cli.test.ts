import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'kkoo-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

// One run of the real CLI (tsx, PGlite's WASM, the migrations) takes a few seconds on a quiet
// machine and over a minute on a loaded 2-core one. Every run gets the same generous budget and
// every test the budget of the runs it makes: nothing here waits a fixed time, so a slow machine
// only makes the file slower, never red.
const RUN_BUDGET_MS = 240_000;
const budgetFor = (runs: number) => runs * RUN_BUDGET_MS + 10_000;

// The CLI as a user runs it (npm run cli -- …), on its own embedded database in a folder.
async function cliIn(dir: string, ...args: string[]) {
  const env = { ...process.env, DATA_DIR: dir, NODE_ENV: 'development', DATABASE_URL: '' };
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      env,
      timeout: RUN_BUDGET_MS,
    });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout, err: err.stderr };
  }
}
const cli = (...args: string[]) => cliIn(dataDir, ...args);

describe('the CLI and a running server on one embedded database', () => {
  it(
    'refuses, writing nothing, while another live process holds DATA_DIR; takes over a dead holder’s lock',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kkoo-cli-locked-'));
      try {
        const runIn = (...args: string[]) => cliIn(dir, ...args);
        // The lock as `npm start` leaves it: this test process stands in for the live server.
        writeFileSync(
          join(dir, 'kkoo.lock'),
          JSON.stringify({
            pid: process.pid,
            command: 'tsx src/server.ts',
            since: '2026-12-04T10:00:00.000Z',
          }),
        );
        const refused = await runIn('demo:seed');
        expect(refused.code).toBe(75);
        expect(refused.err).toMatch(new RegExp(`in use by another process \\(pid ${process.pid}`));
        expect(refused.out).toBe('');
        expect(existsSync(join(dir, 'pglite'))).toBe(false);

        // A server that crashed left its lock behind: the next command takes it over and gives it back.
        const pid = spawnSync(process.execPath, ['-e', '']).pid!;
        writeFileSync(
          join(dir, 'kkoo.lock'),
          JSON.stringify({ pid, command: 'tsx src/server.ts', since: 'x' }),
        );
        const after = await runIn('reconcile');
        expect(after.code, after.err).toBe(0);
        expect(existsSync(join(dir, 'kkoo.lock'))).toBe(false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    budgetFor(2),
  );
});

describe('npm run cli -- admin:create', () => {
  it(
    'creates an admin, then says it already is one',
    async () => {
      const first = await cli('admin:create', '--phone', '0754 000 777');
      expect(first.code, first.err).toBe(0);
      expect(first.out).toMatch(/\+255754000777 created/);
      const again = await cli('admin:create', '--phone', '+255754000777');
      expect(again.code, again.err).toBe(0);
      // Says plainly who is already an admin and how to sign in as them.
      expect(again.out).toMatch(/\+255754000777 is already an admin; nothing changed/);
      expect(again.out).toMatch(/Sign in as \+255754000777/);
      expect(again.out).toMatch(/POST \/api\/v1\/auth\/otp\/request +\{"phone":"\+255754000777"\}/);
      expect(again.out).toMatch(/POST \/api\/v1\/auth\/otp\/verify/);
    },
    budgetFor(2),
  );

  it(
    'refuses a phone that is not a mobile, and a missing --phone',
    async () => {
      const bad = await cli('admin:create', '--phone', '022 212 3456');
      expect(bad.code).toBe(1);
      expect(bad.err).toMatch(/INVALID_PHONE/);
      const missing = await cli('admin:create');
      expect(missing.code).toBe(64);
      expect(missing.err).toMatch(/--phone is required/);
      const unknown = await cli('make-me-rich');
      expect(unknown.code).toBe(64);
      expect(unknown.err).toMatch(/Usage/);
    },
    budgetFor(3),
  );

  it(
    'reconcile reports a clean ledger',
    async () => {
      const r = await cli('reconcile');
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/ledger reconciles/);
    },
    budgetFor(1),
  );
});

describe('npm run cli -- reconcile-statement', () => {
  const header =
    'Receipt No.,Completion Time,Initiation Time,Details,Transaction Status,Paid In,Withdrawn,Balance,Balance Confirmed,Reason Type,Other Party Info,Linked Transaction ID,A/C No.,Currency';
  const statement = (name: string, ...rows: string[]) => {
    const path = join(dataDir, name);
    writeFileSync(path, `\uFEFF${[header, ...rows].join('\r\n')}\r\n`);
    return path;
  };

  it(
    'exits 2 on a bad file, 1 on money the ledger lacks, 0 when the statement matches',
    async () => {
      const bad = statement(
        'bad.csv',
        'QKS1,2026-11-20 10:00:00,,"Pay Bill from 255754123456, JUMA",Completed,"1,500.00",,,,,,,,TZS',
        'QKS2,2026-11-20 10:05:00,,x,Completed,"1,5O0.00",,,,,,,,TZS',
      );
      const r2 = await cli('reconcile-statement', '--file', bad);
      expect(r2.code, r2.err).toBe(2);
      expect(r2.err).toMatch(/line 3: Paid In: "1,5O0.00" is not an amount/);

      const unknown = statement(
        'unknown.csv',
        'QKS3,2026-11-21 10:00:00,,"Pay Bill from 255754123456, JUMA",Completed,"1,500.00",,,,,,,,TZS',
      );
      const r1 = await cli('reconcile-statement', '--file', unknown, '--provider', 'simulator');
      expect(r1.code, r1.err).toBe(1);
      expect(r1.out).toMatch(
        /2026-11-21[\s\S]*provider has, ledger lacks \(1: in 1,500\.00[\s\S]*QKS3 {2}line 2/,
      );

      // Only completed rows move money: a failed push on an empty ledger matches, in JSON too.
      const failed = statement('failed.csv', 'QKS4,2026-11-22 10:00:00,,x,Failed,,,,,,,,,TZS');
      const r0 = await cli('reconcile-statement', '--file', failed, '--json');
      expect(r0.code, r0.err).toBe(0);
      expect(JSON.parse(r0.out)).toMatchObject({
        provider: 'simulator',
        clean: true,
        period: { from: '2026-11-22', to: '2026-11-22' },
        import: { rows: 1, inserted: 1 },
        days: [{ day: '2026-11-22', statement: { completed: 0, ignored: 1 } }],
      });
    },
    budgetFor(3),
  );
});

describe('npm run cli -- demo:seed', () => {
  it(
    'makes a verified seller with two products a buyer can find, and the demo zones, once',
    async () => {
      const seedDir = mkdtempSync(join(tmpdir(), 'kkoo-seed-'));
      const seed = async () => {
        const r = await cliIn(seedDir, 'demo:seed');
        expect(r.code, r.err).toBe(0);
        return r.out;
      };
      try {
        const first = await seed();
        expect(first).toMatch(/^demo seller \+255754000002 .* with products [0-9a-f-]{36}, [0-9a-f-]{36}/);
        expect(first).toContain(
          'delivery zones: created Kariakoo, Kinondoni, Mikocheni, Mbezi, Kigamboni; fee table set; service hours set',
        );
        const second = await seed();
        expect(second).toMatch(/^demo data already there: products [0-9a-f-]{36}, [0-9a-f-]{36}/);
        expect(second).toContain('delivery zones: already there');
      } finally {
        rmSync(seedDir, { recursive: true, force: true });
      }
    },
    budgetFor(2),
  );
});
