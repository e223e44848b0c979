import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Holds every reply to the OpenAPI document; see test/support/contract.ts.
    setupFiles: ['test/support/contract-setup.ts'],
    // Files share a worker process so PGlite's WASM compiles and the schema migrates once per
    // worker; each file still gets its own database (a clone, or a PostgreSQL template copy).
    pool: 'forks',
    isolate: false,
    maxWorkers: 2,
    // A hang guard, not a speed check: no test asserts on wall time, and the suite must pass on a
    // 2-core machine at load 20+ (issue #13), where building a fresh database inside a test took 20 s.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { NODE_ENV: 'test' },
  },
});
