import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Two cores: at most two test files at once, and the browser suites are
    // long enough to need their own generous timeout (set in those files).
    maxWorkers: 2,
    testTimeout: 20000,
    hookTimeout: 60000,
    // Tags the run; fails it, naming them, when a process a test started outlives it.
    globalSetup: ['test/run/global-setup.ts'],
    // The last line says how many test files were skipped (no Chromium locally).
    reporters: ['default', './test/run/skipped-reporter.ts'],
  },
})
