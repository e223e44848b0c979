import { describe, expect, it } from 'vitest';
import { type FileStamp, staleReason } from '../scripts/server-build.mjs';

// `npm start` runs dist/server.mjs only while every file it was built from is unchanged; otherwise
// it rebuilds first, so a developer's edit is what runs (scripts/start.mjs).
const built = {
  format: 1,
  files: [
    { path: 'src/server.ts', size: 100, mtimeMs: 1000 },
    { path: 'src/app.ts', size: 200, mtimeMs: 1000 },
  ],
};
const statOf =
  (files: Record<string, FileStamp>) =>
  (path: string): FileStamp | undefined =>
    files[path];
const unchanged = {
  'src/server.ts': { size: 100, mtimeMs: 1000 },
  'src/app.ts': { size: 200, mtimeMs: 1000 },
};

describe('staleReason (when npm start rebuilds the precompiled server)', () => {
  it('runs the build while every input is as recorded', () => {
    expect(staleReason(built, statOf(unchanged))).toBeNull();
  });

  it('rebuilds after an edit (a newer time, or the same time with another size)', () => {
    expect(staleReason(built, statOf({ ...unchanged, 'src/app.ts': { size: 200, mtimeMs: 2000 } }))).toBe(
      'src/app.ts changed',
    );
    expect(staleReason(built, statOf({ ...unchanged, 'src/app.ts': { size: 201, mtimeMs: 1000 } }))).toBe(
      'src/app.ts changed',
    );
  });

  it('rebuilds when a file is older than recorded (a checkout of another branch restores old sources)', () => {
    expect(staleReason(built, statOf({ ...unchanged, 'src/server.ts': { size: 100, mtimeMs: 500 } }))).toBe(
      'src/server.ts changed',
    );
  });

  it('rebuilds when an input is gone', () => {
    expect(staleReason(built, statOf({ 'src/server.ts': unchanged['src/server.ts'] }))).toBe(
      'src/app.ts is gone',
    );
  });

  it('rebuilds without a manifest, with a broken one, or one of another format', () => {
    for (const m of [
      undefined,
      null,
      'x',
      {},
      { format: 1 },
      { format: 1, files: [] },
      { ...built, format: 0 },
    ])
      expect(staleReason(m, statOf(unchanged))).toBe('no build of the current format');
  });
});
