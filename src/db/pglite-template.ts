import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { MIGRATIONS_FOLDER, migrateEmbedded } from './migrate.js';

// A fresh PGlite cluster costs 2–4 s of WASM initdb and ~1 s of migrations; unpacking a cluster
// from a tarball costs ~0.5 s. `npm install` (postinstall) writes two tarballs once: the empty
// cluster, and the cluster with the committed migrations applied (named by a hash of the migration
// files, so after a pull that adds one it is simply not used). A newcomer's first `npm start` and
// every test worker skip initdb. They are build products of the installed PGlite, kept under
// node_modules/.cache (never committed) and named by PGlite's version so an upgrade never unpacks a
// cluster from another release.

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function pgliteVersion(): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve('@electric-sql/pglite'));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

function cacheDir(): string {
  return join(projectRoot, 'node_modules', '.cache', 'kkoo');
}

/** A digest of every committed migration file: the migrated template is valid for exactly these. */
export function migrationsDigest(folder = MIGRATIONS_FOLDER): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(name).update(readFileSync(path));
    }
  };
  walk(folder);
  return hash.digest('hex').slice(0, 16);
}

export function pgliteTemplatePaths() {
  const v = pgliteVersion();
  return {
    empty: join(cacheDir(), `pglite-${v}-empty.tar`),
    migrated: join(cacheDir(), `pglite-${v}-migrated-${migrationsDigest()}.tar`),
  };
}

function readTar(path: string): Blob | undefined {
  try {
    if (!existsSync(path) || statSync(path).size === 0) return undefined;
    return new Blob([readFileSync(path)]);
  } catch {
    return undefined;
  }
}

/**
 * The best cluster tarball install wrote: migrated for the current migrations, else empty, else
 * undefined (then PGlite runs initdb). Migrations still run after it; on a migrated one they find
 * nothing to do.
 */
export function readPgliteTemplate(): Blob | undefined {
  const paths = pgliteTemplatePaths();
  return readTar(paths.migrated) ?? readTar(paths.empty);
}

function writeAtomically(path: string, bytes: Buffer) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

/** Runs initdb once in memory, writes the empty cluster, migrates it and writes that too. */
export async function writePgliteTemplates(): Promise<{ empty: string; migrated: string }> {
  const paths = pgliteTemplatePaths();
  const db = await PGlite.create();
  try {
    writeAtomically(paths.empty, Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer()));
    await migrateEmbedded(db);
    writeAtomically(paths.migrated, Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer()));
    return paths;
  } finally {
    await db.close();
  }
}

/** True when `dir` already holds a cluster (a second start must open it, never overwrite it). */
export function holdsCluster(dir: string): boolean {
  return existsSync(join(dir, 'PG_VERSION'));
}
