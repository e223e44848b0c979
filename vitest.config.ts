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
    testTimeout: 20_000,
    hookTimeout: 60_000,
    env: { NODE_ENV: 'test' },
  },
});
