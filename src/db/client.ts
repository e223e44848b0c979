import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { lockDataDir } from './data-dir-lock.js';
import { migrateEmbedded, migratePostgres } from './migrate.js';
import { holdsCluster, readPgliteTemplate } from './pglite-template.js';

/**
 * A database handle or a transaction: every query function takes one, so it fits inside a caller's
 * transaction. Without the relational query API (`db.query.*`, unused here): given the schema,
 * Drizzle builds a query object per table for every transaction it opens, on every checkout.
 */
export type Database = PgDatabase<PgQueryResultHKT>;

export interface DatabaseHandle {
  db: Database;
  kind: 'pglite' | 'postgres';
  /** Reachability check for /ready. */
  ping(): Promise<void>;
  /** Apply the committed migrations (idempotent; safe when several processes start at once). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

// bigint (int8) columns arrive as strings by default; money is below 2^53 by rule, so numbers are safe.
pg.types.setTypeParser(20, (v) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${v} is beyond 2^53`);
  return n;
});

export function openPostgres(url: string, poolMax = 10): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    // During an outage a request must fail fast (503 DATABASE_UNAVAILABLE), not wait for a
    // connection forever; the pool opens new connections by itself once the server is back.
    connectionTimeoutMillis: 5_000,
    // A query the server never answers (network partition) is given up on the client side.
    query_timeout: 30_000,
  });
  // An idle connection dropped by the server (restart, failover) is an event, not a crash: the
  // pool replaces it on next use. Without a listener Node would exit on it.
  pool.on('error', (err) => {
    console.error(
      `postgres: idle connection lost (${(err as { code?: string }).code ?? err.message}); the pool will reconnect`,
    );
  });
  // The pool listens only to idle clients: a connection lost while checked out (inside a
  // transaction, between two queries) emits 'error' on its client alone, and without this listener
  // Node exits (a database restart killed API processes under `npm run chaos`). The query in hand
  // fails, the request gets its 503, and the pool drops the dead client when it is released.
  pool.on('connect', (client) => {
    client.on('error', (err) => {
      console.error(
        `postgres: connection lost while in use (${(err as { code?: string }).code ?? err.message}); its request fails, the pool will reconnect`,
      );
    });
  });
  const db = drizzlePg({ client: pool }) as unknown as Database;
  return {
    db,
    kind: 'postgres',
    ping: async () => {
      await pool.query('select 1');
    },
    migrate: () => migratePostgres(url),
    close: () => pool.end(),
  };
}

export function wrapPglite(client: PGlite): DatabaseHandle {
  const db = drizzlePglite({ client }) as unknown as Database;
  return {
    db,
    kind: 'pglite',
    ping: async () => {
      await client.query('select 1');
    },
    migrate: () => migrateEmbedded(client),
    close: () => client.close(),
  };
}

/**
 * The embedded database under DATA_DIR, locked to this process first (server, worker, CLI alike):
 * a second process on the same folder would corrupt it, so it is refused before it writes anything.
 */
export async function openPglite(dataDir: string): Promise<DatabaseHandle> {
  const unlock = lockDataDir(dataDir);
  try {
    const dir = resolve(dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    // A new folder is unpacked from the install-time template instead of running initdb.
    const template = holdsCluster(dir) ? undefined : readPgliteTemplate();
    const client = await PGlite.create({ dataDir: dir, ...(template ? { loadDataDir: template } : {}) });
    const handle = wrapPglite(client);
    return {
      ...handle,
      close: async () => {
        try {
          await handle.close();
        } finally {
          unlock();
        }
      },
    };
  } catch (err) {
    unlock();
    throw err;
  }
}

/** PostgreSQL when DATABASE_URL is set; otherwise the embedded PGlite under DATA_DIR. */
export async function openDatabase(cfg: {
  DATABASE_URL?: string | undefined;
  DATA_DIR: string;
  DATABASE_POOL_MAX: number;
}): Promise<DatabaseHandle> {
  return cfg.DATABASE_URL ? openPostgres(cfg.DATABASE_URL, cfg.DATABASE_POOL_MAX) : openPglite(cfg.DATA_DIR);
}
