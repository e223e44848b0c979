import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, isAlive, LOCK_FILE, lockDataDir } from './data-dir-lock.js';

const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'kkoo-lock-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The pid of a process that has already ended. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe('the DATA_DIR lock', () => {
  it('writes this process’s pid, and removes the file when released', () => {
    const dir = scratch();
    const release = lockDataDir(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('refuses while a live process holds it, naming that process', () => {
    const dir = scratch();
    const holder = { pid: process.ppid, command: 'tsx src/server.ts', since: '2026-12-04T10:00:00.000Z' };
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(holder));
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    expect(() => lockDataDir(dir)).toThrow(new RegExp(`pid ${process.ppid}: tsx src/server.ts`));
    // The holder's lock is untouched.
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toEqual(holder);
  });

  it('takes over the lock of a process that died without releasing it', () => {
    const dir = scratch();
    const pid = deadPid();
    expect(isAlive(pid)).toBe(false);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, command: 'crashed', since: 'x' }));
    const release = lockDataDir(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    release();
  });

  it('waits out an unreadable lock file while it is fresh (its holder is still writing), then takes it over', () => {
    const dir = scratch();
    writeFileSync(join(dir, LOCK_FILE), '{"pi');
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    const later = () => new Date(Date.now() + 10_000);
    const release = lockDataDir(dir, later);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    release();
  });
});
