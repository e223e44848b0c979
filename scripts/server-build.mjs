// The precompiled server that `npm start` runs (scripts/start.mjs): src/server.ts and every module
// it imports bundled by esbuild into one file under dist/ (git-ignored, never committed), packages
// left to node_modules. Loading ~300 TypeScript modules through tsx's loader hooks was the largest
// share of start-up; one plain JavaScript file loads in a fraction of it.
//
// Written by `npm install` (postinstall) and again by `npm start` whenever a source it was built
// from changed since (the manifest beside it records each input's size and modification time), so
// an edit is always what runs. Plain JavaScript: it runs before anything can transpile TypeScript.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const OUT_DIR = join(ROOT, 'dist');
export const BUNDLE = join(OUT_DIR, 'server.mjs');
export const MANIFEST = join(OUT_DIR, 'server.manifest.json');
const ENTRY = 'src/server.ts';
/** Bump when the manifest's shape or the build's options change meaning. */
const FORMAT = 1;
const EXTERNAL = [
  '@electric-sql/pglite',
  'sharp',
  'pg-native',
  '@aws-sdk/*',
  'echarts',
  'file-type',
  'ioredis',
  'h3-js',
  '@fastify/swagger',
  '@fastify/swagger-ui',
  'htmx.org',
  'tsx',
  'esbuild',
];
/** Files that shape the bundle without being one of its modules. */
const BUILD_FILES = ['scripts/server-build.mjs', 'tsconfig.json'];

/**
 * Why the build recorded in `manifest` no longer matches the files, or null when it does.
 * Pure: `stat(path)` gives `{ size, mtimeMs }` of a path relative to the project, or undefined when
 * it is gone. Any difference counts (not only "newer"): a checkout of an older branch or a restored
 * file can carry an older time, and running a bundle of other sources would be silently wrong.
 * @param {unknown} manifest
 * @param {(path: string) => { size: number, mtimeMs: number } | undefined} stat
 * @returns {string | null}
 */
export function staleReason(manifest, stat) {
  const m = /** @type {{ format?: unknown, files?: unknown } | undefined} */ (manifest);
  if (!m || m.format !== FORMAT || !Array.isArray(m.files) || m.files.length === 0)
    return 'no build of the current format';
  for (const f of m.files) {
    const now = stat(f.path);
    if (!now) return `${f.path} is gone`;
    if (now.size !== f.size || now.mtimeMs !== f.mtimeMs) return `${f.path} changed`;
  }
  return null;
}

/** @param {string} path relative to ROOT */
function statFile(path) {
  try {
    const s = statSync(join(ROOT, path));
    return { size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return undefined;
  }
}

export function readManifest() {
  try {
    return JSON.parse(readFileSync(MANIFEST, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Why dist/server.mjs must be rebuilt before it runs, or null when it is current. */
export function currentStaleReason() {
  if (!existsSync(BUNDLE)) return 'dist/server.mjs is missing';
  return staleReason(readManifest(), statFile);
}

/**
 * A module that reads `import.meta.url` (the migrations folder, the console's stylesheet, the
 * PGlite template cache) means its own source file: in the bundle that expression is rewritten to
 * the source's URL, computed from the bundle's place so a moved checkout still finds its files.
 */
const importMetaUrlPlugin = {
  name: 'source-import-meta-url',
  /** @param {import('esbuild').PluginBuild} build */
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const fromBundle = relative(OUT_DIR, args.path).split('\\').join('/');
      return {
        contents: source.replaceAll(
          'import.meta.url',
          `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`,
        ),
        loader: 'ts',
      };
    });
  },
};

/**
 * Bundle src/server.ts into dist/server.mjs and record its inputs. Written under temporary names
 * and renamed, manifest last, so a concurrent start never runs half a file or trusts a stale one.
 * @returns {Promise<{ ms: number }>}
 */
export async function buildServer() {
  const started = performance.now();
  const wallStart = Date.now();
  const esbuild = await import('esbuild');
  const suffix = `.${process.pid}.tmp`;
  mkdirSync(OUT_DIR, { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [ENTRY],
    outfile: BUNDLE + suffix,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Packages are bundled too (resolving and compiling ~200 files of node_modules one by one was
    // the next largest share), except those that find files beside themselves (PGlite's WASM,
    // sharp's binary, swagger-ui's assets, htmx), optional native ones, and the heavy ones the
    // app loads only when first used (S3, ECharts, file-type, ioredis, h3's WASM-sized module).
    external: EXTERNAL,
    // For NODE_OPTIONS=--enable-source-maps (stack traces naming the .ts files); the sources
    // themselves are on disk, so the map does not carry them.
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    logLevel: 'silent',
    // Bundled CommonJS packages call require() for Node's built-ins.
    banner: {
      js: "import { createRequire as __kkooRequire } from 'node:module'; const require = __kkooRequire(import.meta.url);",
    },
    plugins: [importMetaUrlPlugin],
  });
  const files = [...Object.keys(result.metafile.inputs), ...BUILD_FILES].map((path) => {
    const s = statFile(path);
    if (!s) throw new Error(`build input ${path} vanished during the build`);
    return { path, ...s };
  });
  // The map names the temporary file; it is only read for stack traces, against the final name.
  renameSync(`${BUNDLE}${suffix}.map`, `${BUNDLE}.map`);
  const code = readFileSync(BUNDLE + suffix, 'utf8').replace(
    /\/\/# sourceMappingURL=.*$/m,
    '//# sourceMappingURL=server.mjs.map',
  );
  writeFileSync(BUNDLE + suffix, code);
  renameSync(BUNDLE + suffix, BUNDLE);
  // A source saved while esbuild ran may not be in this bundle: recording its new time would call
  // the bundle current. Without a new manifest the next start sees the change and builds again.
  if (files.some((f) => f.mtimeMs >= wallStart)) return { ms: performance.now() - started };
  writeFileSync(MANIFEST + suffix, JSON.stringify({ format: FORMAT, entry: ENTRY, files }, null, 1));
  renameSync(MANIFEST + suffix, MANIFEST);
  return { ms: performance.now() - started };
}

// `node scripts/server-build.mjs` (postinstall): build once; a failure costs start-up time only
// (`npm start` builds again or falls back to tsx), so it warns and never fails the install.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const { ms } = await buildServer();
    console.log(`server: precompiled to ${relative(ROOT, BUNDLE)} (${Math.round(ms)} ms)`);
  } catch (err) {
    console.warn(
      `server: not precompiled (${err instanceof Error ? err.message : err}); npm start will retry`,
    );
  }
}
