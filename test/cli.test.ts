import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'kkoo-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

// The CLI as a user runs it (npm run cli -- …), on its own embedded database in a scratch folder.
async function cli(...args: string[]) {
  const env = { ...process.env, DATA_DIR: dataDir, NODE_ENV: 'development', DATABASE_URL: '' };
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      env,
      timeout: 60_000,
    });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout, err: err.stderr };
  }
}

describe('npm run cli -- admin:create', () => {
  it('creates an admin, then says it already is one', async () => {
    const first = await cli('admin:create', '--phone', '0754 000 777');
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/\+255754000777 created/);
    const again = await cli('admin:create', '--phone', '+255754000777');
    expect(again.out).toMatch(/already an admin/);
  }, 60_000);

  it('refuses a phone that is not a mobile, and a missing --phone', async () => {
    const bad = await cli('admin:create', '--phone', '022 212 3456');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/INVALID_PHONE/);
    const missing = await cli('admin:create');
    expect(missing.code).toBe(64);
    expect(missing.err).toMatch(/--phone is required/);
    const unknown = await cli('make-me-rich');
    expect(unknown.code).toBe(64);
    expect(unknown.err).toMatch(/Usage/);
  }, 60_000);

  it('reconcile reports a clean ledger', async () => {
    const r = await cli('reconcile');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/ledger reconciles/);
  }, 60_000);
});
