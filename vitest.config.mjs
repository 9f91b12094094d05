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
  },
})
