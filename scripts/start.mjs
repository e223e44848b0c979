// `npm start`: runs the precompiled server (dist/server.mjs, scripts/server-build.mjs), rebuilding
// it first when a source changed since it was built, so what runs is always the working tree.
// If the bundle cannot be built at all (esbuild missing or refusing the platform), it runs the
// sources through tsx as before. KKOO_START_TSX=1 forces that path.
import { pathToFileURL } from 'node:url';
import { BUNDLE, buildServer, currentStaleReason } from './server-build.mjs';

async function runThroughTsx() {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/server.ts');
}

if (process.env.KKOO_START_TSX === '1') {
  await runThroughTsx();
} else {
  const stale = currentStaleReason();
  let built = stale === null;
  if (stale) {
    try {
      const { ms } = await buildServer();
      console.error(`server: rebuilt dist/server.mjs (${stale}; ${Math.round(ms)} ms)`);
      built = true;
    } catch (err) {
      const errors =
        /** @type {{ errors?: Array<{ text: string, location?: { file: string, line: number } }> }} */ (err)
          .errors;
      if (errors?.some((e) => e.location)) {
        // A compile error in the sources: tsx would stop on it too; show it and stop. An error
        // without a place (dist/ not writable, say) is not the sources' fault: run them through tsx.
        for (const e of errors)
          console.error(`${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`);
        process.exit(1);
      }
      console.error(
        `server: cannot precompile (${err instanceof Error ? err.message : err}); running the sources through tsx`,
      );
    }
  }
  if (built) {
    // Source maps stay off by default: Node 20 parses the bundle's whole map at load (~0.7 s).
    // NODE_OPTIONS=--enable-source-maps npm start names the .ts files and lines in stack traces.
    await import(pathToFileURL(BUNDLE).href);
  } else {
    await runThroughTsx();
  }
}
