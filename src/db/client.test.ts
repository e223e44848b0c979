import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openPostgres } from './client.js';

// Found by the fault harness (npm run chaos): PostgreSQL restarting in immediate mode killed an API
// process. A connection lost while checked out of the pool (inside a transaction, between two
// queries) emits 'error' on its client, where the pool's idle listener no longer is, and Node exits
// on an unhandled 'error' event. The request must fail (503), the process must live on.
const url = process.env.TEST_DATABASE_URL;
if (!url)
  console.log('[db client] skipped: a lost connection needs a real PostgreSQL; run with TEST_DATABASE_URL');

describe.skipIf(!url)('openPostgres: a connection lost while in use', () => {
  let handle: DatabaseHandle;
  let admin: pg.Client;
  beforeAll(async () => {
    handle = openPostgres(url!, 2);
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await handle?.close();
  });

  it('fails the transaction in hand, keeps the process alive, and the pool reconnects', async () => {
    const unhandled: unknown[] = [];
    const onUncaught = (err: unknown) => unhandled.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const inTransaction = handle.db.transaction(async (tx) => {
        const { rows } = (await tx.execute(sql`select pg_backend_pid() as pid`)) as unknown as {
          rows: Array<{ pid: number }>;
        };
        // The server drops this very connection while the transaction holds it between queries.
        await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
        await new Promise((r) => setTimeout(r, 300));
        await tx.execute(sql`select 1`);
      });
      await expect(inTransaction).rejects.toThrow();
      expect(unhandled).toEqual([]);
      const { rows } = (await handle.db.execute(sql`select 1 as one`)) as unknown as {
        rows: Array<{ one: number }>;
      };
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
