import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The embedded database (PGlite) belongs to one process at a time: two processes writing the same
 * folder corrupt it. Whoever opens it first writes its pid to `<DATA_DIR>/kkoo.lock`; everyone else
 * is refused until that process ends. A lock left by a process that died is taken over, so a
 * crashed server never blocks the next start.
 */
export const LOCK_FILE = 'kkoo.lock';

export interface LockHolder {
  pid: number;
  command: string;
  since: string;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `The embedded database in ${dataDir} is in use by another process (pid ${holder.pid}: ${holder.command}, since ${holder.since}). ` +
        'Nothing was written. Stop that process first (npm start also runs the jobs), or set DATABASE_URL to share a PostgreSQL database.',
    );
    this.name = 'DataDirLockedError';
  }
}

/** True while a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    return typeof parsed.pid === 'number'
      ? { pid: parsed.pid, command: String(parsed.command ?? '?'), since: String(parsed.since ?? '?') }
      : null;
  } catch {
    return null; // vanished or half-written: treated as no holder
  }
}

function isFresh(path: string, now: Date): boolean {
  try {
    return now.getTime() - statSync(path).mtimeMs < 5_000;
  } catch {
    return false;
  }
}

/**
 * Take the lock of `dataDir` for this process, or throw DataDirLockedError naming the holder.
 * Returns the function that gives it back (also run when the process exits).
 */
export function lockDataDir(dataDir: string, now: () => Date = () => new Date()): () => void {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const path = resolve(dir, LOCK_FILE);
  const me: LockHolder = {
    pid: process.pid,
    command: process.argv.slice(1).join(' ').slice(0, 200) || 'node',
    since: now().toISOString(),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // 'wx': create only if absent, so two processes starting at once cannot both win.
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      const release = () => {
        process.off('exit', release);
        if (readHolder(path)?.pid === process.pid) {
          try {
            unlinkSync(path);
          } catch {}
        }
      };
      process.on('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(path);
    if (holder && holder.pid !== process.pid && isAlive(holder.pid))
      throw new DataDirLockedError(dir, holder);
    // An unreadable file only moments old is a holder still writing its pid, not a stale lock.
    if (!holder && isFresh(path, now()))
      throw new DataDirLockedError(dir, { pid: 0, command: 'a process that is starting', since: '?' });
    // The holder is gone (crashed, killed): its lock is stale.
    try {
      unlinkSync(path);
    } catch {}
  }
  throw new DataDirLockedError(dir, readHolder(path) ?? { pid: 0, command: 'unknown', since: '?' });
}
