import { defineConfig } from 'vitest/config';

// Integration tests share one machine's Redis and each opens its own embedded ClickHouse
// (one engine per process), so test files run in separate forks, two at a time.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.scratch/**', '.tmp-bench/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
