import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migratePostgres } from '../../src/db/migrate.js';

// With TEST_DATABASE_URL set, the suite runs on that PostgreSQL database: it is migrated once here
// and used as the template each test file copies. Without it, every file runs on PGlite.
export default async function setup(project: TestProject) {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    console.log('[tests] database: PGlite (embedded); set TEST_DATABASE_URL to run on PostgreSQL');
    return;
  }
  await migratePostgres(url);
  const template = new URL(url).pathname.slice(1);
  console.log(`[tests] database: PostgreSQL, template ${template}`);
  project.provide('pgTemplate', template);
  return async () => {
    // Drop any per-file copy a crashed worker left behind.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const { rows } = await admin.query<{ datname: string }>(
      'select datname from pg_database where datname like $1',
      [`${template}_f%`],
    );
    for (const r of rows) await admin.query(`drop database if exists "${r.datname}" with (force)`);
    await admin.end();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgTemplate: string;
  }
}
