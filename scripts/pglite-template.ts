// postinstall: write the PGlite cluster tarballs that makes a fresh `npm start` skip initdb
// (src/db/pglite-template.ts). A failure here only costs start-up time, so it warns and never
// fails the install.
import { writePgliteTemplates } from '../src/db/pglite-template.js';

try {
  const started = performance.now();
  const { migrated } = await writePgliteTemplates();
  console.log(
    `pglite: cluster templates written (${migrated}) (${Math.round(performance.now() - started)} ms)`,
  );
} catch (err) {
  console.warn(
    `pglite: no cluster template (${(err as Error).message}); the first start runs initdb instead`,
  );
}
