import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { openPglite } from './client.js';
import { MIGRATIONS_FOLDER } from './migrate.js';
import {
  holdsCluster,
  migrationsDigest,
  pgliteTemplatePaths,
  readPgliteTemplate,
} from './pglite-template.js';

const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'kkoo-tpl-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the install-time PGlite cluster template', () => {
  it('is unpacked only into an empty folder: a second start opens the data, never overwrites it', async () => {
    if (!readPgliteTemplate())
      console.warn('no template under node_modules/.cache (postinstall did not run): initdb path tested');
    const dataDir = scratch();
    const first = await openPglite(dataDir);
    await first.migrate();
    await first.db.execute(sql`create table kept (note text)`);
    await first.db.execute(sql`insert into kept values ('still here')`);
    await first.close();
    expect(holdsCluster(join(dataDir, 'pglite'))).toBe(true);

    const second = await openPglite(dataDir);
    await second.migrate();
    const rows = (await second.db.execute(sql`select note from kept`)) as unknown as {
      rows: { note: string }[];
    };
    expect(rows.rows).toEqual([{ note: 'still here' }]);
    await second.close();
  }, 60_000);

  it('names the migrated cluster by every migration file, so a changed or added migration is never skipped', () => {
    const copy = scratch();
    cpSync(MIGRATIONS_FOLDER, copy, { recursive: true });
    const before = migrationsDigest(copy);
    expect(migrationsDigest(copy)).toBe(before);
    writeFileSync(join(copy, '9999_new.sql'), 'select 1;');
    expect(migrationsDigest(copy)).not.toBe(before);
    expect(pgliteTemplatePaths().migrated).toContain(migrationsDigest());
  });
});
