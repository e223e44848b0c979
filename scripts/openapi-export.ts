// Writes the OpenAPI document the app serves to a file, from buildApp without listening and
// on an empty in-memory PGlite (building the routes prepares queries but never runs them), for the
// typed client generator.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { wrapPglite } from '../src/db/client.js';
import { readPgliteTemplate } from '../src/db/pglite-template.js';

const out = resolve(process.argv[2] ?? 'generated/openapi.json');
const config = loadConfig({
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  DATA_DIR: resolve('generated/.openapi-export'),
  OTP_HASH_SECRET: 'openapi-export-only-not-a-real-secret-0001',
});
// Unpacked from the install-time cluster when there is one (no initdb: this runs before every test and typecheck).
const template = readPgliteTemplate();
const handle = wrapPglite(new PGlite(template ? { loadDataDir: template } : {}));
const app = await buildApp({ db: handle.db, config, logger: false });
await app.ready();
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(app.swagger(), null, 2)}\n`);
await app.close();
await handle.close();
console.log(`openapi: wrote ${out}`);
